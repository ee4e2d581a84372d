"""Shared fixtures: real Azurite, the Plex simulator over real HTTP, and the full local stack."""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from azure.data.tables import TableServiceClient
from playwright.sync_api import Browser, sync_playwright

from devtools.plex_simulator import DEMO_OWNER_TOKEN, SimulatorClient
from devtools.stack import ROOT, LocalStack, azurite_connection_string, free_port
from shared.access.grants import GrantStore
from shared.access.tiers import TierStore
from shared.config.runtime_settings import RuntimeSettings
from shared.config.settings import RateLimitSettings
from shared.invites.admissions import Admissions
from shared.invites.counters import InviteCounters
from shared.invites.idempotency import IdempotencyStore
from shared.invites.links import InviteLinks
from shared.invites.log import InviteLog
from shared.invites.service import InviteDependencies, InviteService
from shared.limits.rate_limits import RateLimiter
from shared.limits.request_limits import RequestLimits
from shared.plex.gateway import PlexGateway
from shared.plex.retry import RetryingInviter, RetryPolicy
from shared.plex.status import PlexStatusMonitor
from shared.plex.transport import LastResponseRecorder, build_plex_session, pin_plex_identity
from shared.storage.side_by_side import SideBySide
from shared.storage.tables import ACCESS, ALL_TABLES, COUNTERS, IDEMPOTENCY, INVITE_LINKS, INVITE_LOG, RATE_LIMITS, SETTINGS, Tables

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_CLIENT_IDENTIFIER = "helpr-tests"
HTTP_INVITE_CODE = "open-sesame-2026"
ADMIN_USERNAME = "owner"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class Services:
    simulator: SimulatorClient
    azurite_connection_string: str
    run_prefix: str


@pytest.fixture(scope="session")
def backing_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One Plex simulator and one Azurite for the whole run; tables get a unique prefix per run."""
    stack = LocalStack(tmp_path_factory.mktemp("logs-backing"))
    try:
        simulator = stack.start_simulator(free_port())
        azurite_port = free_port()
        stack.start_azurite(azurite_port)
        yield Services(SimulatorClient(simulator.url), azurite_connection_string(azurite_port), f"t{uuid.uuid4().hex[:8]}")
    finally:
        stack.stop()


@pytest.fixture
def simulator(backing_services: Services) -> SimulatorClient:
    backing_services.simulator.reset()
    return backing_services.simulator


@pytest.fixture
def table_service(backing_services: Services) -> TableServiceClient:
    return TableServiceClient.from_connection_string(backing_services.azurite_connection_string)


@pytest.fixture
def tables(table_service: TableServiceClient, backing_services: Services) -> Iterator[Tables]:
    """Fresh tables for one test, deleted afterwards."""
    created = Tables(table_service, f"{backing_services.run_prefix}{uuid.uuid4().hex[:6]}")
    created.ensure()
    yield created
    created.delete_all()


def make_gateway(
    simulator: SimulatorClient,
    *,
    token: str | Callable[[], str] = DEMO_OWNER_TOKEN,
    timeout: float = 5.0,
    server_name: str = "",
    clock: Callable[[], float] = time.time,
) -> PlexGateway:
    pin_plex_identity(TEST_CLIENT_IDENTIFIER, "Helpr")
    recorder = LastResponseRecorder()
    return PlexGateway(
        token=token if callable(token) else lambda: token,
        session=build_plex_session(simulator.base_url, recorder),
        recorder=recorder,
        timeout_seconds=timeout,
        server_name=server_name,
        clock=clock,
    )


@pytest.fixture
def gateway(simulator: SimulatorClient) -> PlexGateway:
    return make_gateway(simulator)


SERVICE_NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
# Small on purpose: a submission must never wait on a pool its own tasks fill.
TEST_SIDE_BY_SIDE = SideBySide(ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-storage"))
NO_LIMITS = RateLimitSettings(0, 0, 0, 0, 0)


class Stores(NamedTuple):
    log: InviteLog
    counters: InviteCounters
    runtime: RuntimeSettings
    tables: Tables


@pytest.fixture
def stores(tables):
    return Stores(
        InviteLog(lambda: tables.client(INVITE_LOG)),
        InviteCounters(lambda: tables.client(COUNTERS), side_by_side=TEST_SIDE_BY_SIDE),
        RuntimeSettings(lambda: tables.client(SETTINGS)),
        tables,
    )


def make_service(gateway, stores, invite_code="", *, invite_log=None, grants=None, limits=NO_LIMITS, budget=2.0, clock=lambda: SERVICE_NOW):
    log, counters, runtime, tables = stores
    deps = InviteDependencies(
        gateway=lambda: gateway,
        inviter=RetryingInviter(lambda: gateway, RetryPolicy(budget_seconds=budget, base_delay_seconds=0.05)),
        invite_log=invite_log or log,
        counters=counters,
        runtime_settings=runtime,
        limits=RequestLimits(RateLimiter(lambda: tables.client(RATE_LIMITS)), limits),
        idempotency=IdempotencyStore(lambda: tables.client(IDEMPOTENCY)),
        plex_status=PlexStatusMonitor(lambda: tables.client(SETTINGS), lambda: gateway),
        admissions=Admissions(
            InviteLinks(lambda: tables.client(INVITE_LINKS), clock=clock),
            TierStore(lambda: tables.client(ACCESS), runtime),
            runtime,
            lambda: invite_code,
            clock=clock,
        ),
        grants=grants or GrantStore(lambda: tables.client(ACCESS)),
        side_by_side=TEST_SIDE_BY_SIDE,
    )
    return InviteService(deps, clock=clock)


@contextlib.contextmanager
def host_pair(
    backing_services: Services, table_service: TableServiceClient, log_dir: Path, **settings: str
) -> Iterator[tuple[list[str], Tables]]:
    """Two functions host processes sharing Azurite and the simulator, as two instances in Azure."""
    prefix = f"{backing_services.run_prefix}pair{uuid.uuid4().hex[:4]}"
    env = {
        "AzureWebJobsStorage": backing_services.azurite_connection_string,
        "PLEX_TOKEN": DEMO_OWNER_TOKEN,
        "PLEX_API_BASE_URL": backing_services.simulator.base_url,
        "TABLE_PREFIX": prefix,
        "INVITE_CODE": "",
        **settings,
    }
    stack = LocalStack(log_dir)
    tables = Tables(table_service, prefix)
    try:
        urls = []
        for name in ("host-a", "host-b"):
            port = free_port()
            stack.start_functions(port, env, name=name)
            urls.append(f"http://127.0.0.1:{port}")
        tables.ensure()
        yield urls, tables
    finally:
        stack.stop()
        tables.delete_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class AppStack:
    site_url: str
    functions_url: str
    env: dict[str, str]
    tables: Tables
    simulator: SimulatorClient
    log_dir: Path


@pytest.fixture(scope="session")
def app_stack(backing_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppStack]:
    """The functions host (with an invite code configured) behind the real SWA emulator."""
    log_dir = tmp_path_factory.mktemp("logs-app")
    stack = LocalStack(log_dir)
    from werkzeug.security import generate_password_hash

    prefix = f"{backing_services.run_prefix}app"
    functions_port, site_port = free_port(), free_port()
    env = {
        "SITE_ORIGIN": f"http://127.0.0.1:{site_port}",
        "ADMIN_USERNAME": ADMIN_USERNAME,
        # A hash as the old Flask app (Werkzeug) wrote it.
        "ADMIN_PASSWORD_HASH": generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:100000"),
        "SESSION_SIGNING_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DATA_ENCRYPTION_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "AzureWebJobsStorage": backing_services.azurite_connection_string,
        "PLEX_TOKEN": DEMO_OWNER_TOKEN,
        "PLEX_API_BASE_URL": backing_services.simulator.base_url,
        "PLEX_CLIENT_IDENTIFIER": TEST_CLIENT_IDENTIFIER,
        "PLEX_TIMEOUT_SECONDS": "2",
        "INVITE_CODE": HTTP_INVITE_CODE,
        "SERVER_DISPLAY_NAME": "",
        "TABLE_PREFIX": prefix,
        # Every test client is 127.0.0.1: the limits have tests of their own.
        "RATE_LIMIT_INVITES_PER_MINUTE": "0",
        "RATE_LIMIT_INVITES_PER_HOUR": "0",
        "RATE_LIMIT_API_PER_HOUR": "0",
        "RATE_LIMIT_API_PER_DAY": "0",
        # Room for one retry after a 2 s Plex timeout even on a busy machine.
        "PLEX_RETRY_BUDGET_SECONDS": "4",
    }
    app_tables = Tables(TableServiceClient.from_connection_string(backing_services.azurite_connection_string), prefix)
    try:
        stack.start_functions(functions_port, env)
        stack.start_swa(site_port, functions_port)
        yield AppStack(
            f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{functions_port}", env, app_tables, backing_services.simulator, log_dir
        )
    finally:
        stack.stop()
        app_tables.delete_all()


@pytest.fixture
def app(app_stack: AppStack) -> AppStack:
    """The app stack with the simulator reset and every table emptied."""
    app_stack.simulator.reset()
    app_stack.tables.ensure()
    for table in ALL_TABLES:
        client = app_stack.tables.client(table)
        for entity in client.list_entities():
            client.delete_entity(entity["PartitionKey"], entity["RowKey"])
    return app_stack


__all__ = ["HTTP_INVITE_CODE", "ROOT", "TEST_CLIENT_IDENTIFIER", "make_gateway"]
