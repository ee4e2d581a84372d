"""The app's own wiring (shared.container.Container) built for one test: settings from a dict, and
overrides for what the test controls (clocks, a small pool, retry budgets, stores behind a fault proxy)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, NamedTuple

from devtools.plex_simulator import DEMO_OWNER_TOKEN, SimulatorClient
from shared.access.grants import GrantStore
from shared.config.runtime_settings import RuntimeSettings
from shared.config.secrets import EnvironmentSecrets, SecretSource
from shared.config.settings import RateLimitSettings, Settings
from shared.container import Container, Overrides
from shared.invites.counters import InviteCounters
from shared.invites.log import InviteLog
from shared.invites.service import InviteService
from shared.plex.gateway import PlexGateway
from shared.plex.retry import RetryPolicy
from shared.storage.side_by_side import SideBySide
from shared.storage.tables import Tables
from tests.support.constants import NO_LIMITS, SERVICE_NOW, TEST_CLIENT_IDENTIFIER

# Small on purpose: a submission must never wait on a pool its own tasks fill.
TEST_SIDE_BY_SIDE = SideBySide(ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-storage"))
# Short waits between retries, so a test of the retry budget takes a second, not twenty.
RETRY_BASE_DELAY_SECONDS = 0.05


def make_container(env: Mapping[str, str], **overrides: Any) -> Container:
    """The container for app settings `env`. Secrets are read from `env` on every use, so a test rotates one by
    assigning it; invites run on SERVICE_NOW and the small test pool unless `overrides` say otherwise."""
    settings = Settings.from_environ(env)
    defaults = Overrides(
        secrets=EnvironmentSecrets(env),
        now=lambda: SERVICE_NOW,
        side_by_side=TEST_SIDE_BY_SIDE,
        retry_policy=RetryPolicy(budget_seconds=settings.plex_retry_budget_seconds, base_delay_seconds=RETRY_BASE_DELAY_SECONDS),
    )
    return Container(settings, replace(defaults, **overrides))


def make_service(
    container: Container,
    *,
    invite_log: InviteLog | None = None,
    grants: GrantStore | None = None,
    limits: RateLimitSettings = NO_LIMITS,
    budget: float = 2.0,
) -> InviteService:
    """The container's invite service with one test's limits, retry budget and stores; it shares the container's gateway."""
    settings = replace(container.settings, rate_limits=limits, plex_retry_budget_seconds=budget)
    overrides = replace(
        container.overrides,
        plex_gateway=container.plex_gateway(),
        retry_policy=RetryPolicy(budget_seconds=budget, base_delay_seconds=RETRY_BASE_DELAY_SECONDS),
        invite_log=invite_log or container.invite_log,
        grants=grants or container.grants,
    )
    return Container(settings, overrides).invite_service


def make_gateway(
    simulator: SimulatorClient,
    *,
    token: str = DEMO_OWNER_TOKEN,
    secrets: SecretSource | None = None,
    timeout: float = 5.0,
    server_name: str = "",
    clock: Callable[[], float] = time.time,
) -> PlexGateway:
    """The container's Plex gateway to `simulator`, with no storage (it only logs that it could not record a token change)."""
    env = {
        "PLEX_API_BASE_URL": simulator.base_url,
        "PLEX_CLIENT_IDENTIFIER": TEST_CLIENT_IDENTIFIER,
        "PLEX_TIMEOUT_SECONDS": str(timeout),
        "PLEX_SERVER_NAME": server_name,
        "PLEX_TOKEN": token,
    }
    return make_container(env, secrets=secrets or EnvironmentSecrets(env), plex_clock=clock).plex_gateway()


class Stores(NamedTuple):
    log: InviteLog
    counters: InviteCounters
    runtime: RuntimeSettings
    tables: Tables


def stores_of(container: Container, tables: Tables) -> Stores:
    return Stores(container.invite_log, container.invite_counters, container.runtime_settings, tables)
