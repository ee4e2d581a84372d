"""Builds the app's clients in one place and keeps them for the life of the process (warm instances reuse them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from azure.data.tables import TableClient

from shared.access.bulk import BulkChanges
from shared.access.directory import Directory
from shared.access.grants import GrantStore
from shared.access.more_time import MoreTimeRequests
from shared.access.reconciliation import Reconciliation
from shared.access.shares import ShareSnapshots
from shared.access.tiers import TierStore
from shared.access.users import UserAccess
from shared.admin.accounts import AdminAccounts
from shared.admin.api_keys import ApiKeys
from shared.admin.auth import AdminAuth
from shared.admin.dashboard import Dashboard
from shared.admin.devices import DeviceTokens
from shared.admin.secret_box import SecretBox
from shared.admin.sessions import SessionStore
from shared.admin.throttle import LoginThrottle, ThrottlePolicy
from shared.audit.trail import AuditTrail
from shared.config.runtime_settings import RuntimeSettings
from shared.config.secrets import CachedSecrets, EnvironmentSecrets, KeyVaultSecrets, SecretSource
from shared.config.settings import Settings, SetupRequired
from shared.guest.branding import BrandingStore
from shared.guest.onboarding import OnboardingStore
from shared.guest.server_name import ServerNames
from shared.guest.status import GuestStatusService
from shared.health import HealthMonitor
from shared.invites.admissions import Admissions
from shared.invites.batch_rows import BatchRows
from shared.invites.batches import QUEUE_NAME as BATCH_QUEUE_NAME
from shared.invites.batches import BatchInvitations, BatchQueue, BatchSettings
from shared.invites.counters import InviteCounters
from shared.invites.idempotency import IdempotencyStore
from shared.invites.links import InviteLinks
from shared.invites.log import InviteLog
from shared.invites.plex_sign_in import PlexSignIn, PlexSignInConfig
from shared.invites.service import InviteDependencies, InviteService
from shared.limits.rate_limits import RateLimiter
from shared.limits.request_limits import RequestLimits
from shared.notify.channel_box import ChannelBox
from shared.notify.channels import ChannelStore
from shared.notify.delivery import Deliverer
from shared.notify.publisher import POISON_QUEUE_NAME, QUEUE_NAME, Publisher, QueuePublisher
from shared.notify.queue_client import build_queue_client
from shared.notify.templates import TemplateStore
from shared.plex.gateway import PlexGateway
from shared.plex.guest import GuestPlex
from shared.plex.libraries import LibraryCatalog
from shared.plex.retry import RetryingInviter, RetryPolicy
from shared.plex.status import PlexStatusMonitor
from shared.retention import Retention
from shared.storage import registry, tables
from shared.storage.side_by_side import SideBySide
from shared.storage.tables import StorageMeter, Tables

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Overrides:
    """What a caller (the tests) controls instead of the process; each None keeps the app's own choice."""

    # Where secrets are read, e.g. EnvironmentSecrets over a test's own settings (read on every call, no cache).
    secrets: SecretSource | None = None
    # The wall clock of invites, invite links and access ends.
    now: Callable[[], datetime] | None = None
    # The Plex gateway's clock (its caches and breaker).
    plex_clock: Callable[[], float] | None = None
    # A gateway to share with another container (its caches, breaker and token state).
    plex_gateway: PlexGateway | None = None
    retry_policy: RetryPolicy | None = None
    side_by_side: SideBySide | None = None
    # Stores on other tables, e.g. behind a fault proxy.
    invite_log: InviteLog | None = None
    grants: GrantStore | None = None
    # The app's tables through another client, e.g. one that counts what storage sends back.
    tables: Tables | None = None
    # Where events go instead of the Storage Queue (e.g. a list a unit test reads).
    notifications: Publisher | None = None
    # Counts the requests and entities the app's Table Storage clients send and get back (the benchmark, cost tests).
    storage_meter: StorageMeter | None = None


class Container:
    """Nothing here does I/O when built: clients connect on first use."""

    def __init__(self, settings: Settings, overrides: Overrides | None = None) -> None:
        self.settings = settings
        self.overrides = overrides or Overrides()
        self._lock = threading.Lock()
        self._gateway: PlexGateway | None = self.overrides.plex_gateway
        self._now: Callable[[], datetime] = self.overrides.now or _utc_now

    def with_overrides(self, **changes: Any) -> Container:
        """A new container on the same settings, with these overrides changed (see Overrides)."""
        return Container(self.settings, replace(self.overrides, **changes))

    @cached_property
    def tables(self) -> tables.Tables:
        if self.overrides.tables is not None:
            return self.overrides.tables
        self.settings.require_storage()
        http = self.settings.http_environment
        service = tables.build_table_service(
            self.settings.storage_connection_string,
            self.settings.table_service_uri,
            meter=self.overrides.storage_meter,
            environment_per_request=http.proxies_or_netrc,
            ca_bundle=http.ca_bundle,
        )
        return tables.Tables(service, self.settings.table_prefix)

    def _table(self, name: str) -> TableClient:
        return self.tables.client(name)

    @cached_property
    def side_by_side(self) -> SideBySide:
        # The process's one pool for a request's independent storage calls (see shared.storage.side_by_side).
        if self.overrides.side_by_side is not None:
            return self.overrides.side_by_side
        return SideBySide(ThreadPoolExecutor(max_workers=16, thread_name_prefix="storage"))

    @cached_property
    def invite_log(self) -> InviteLog:
        if self.overrides.invite_log is not None:
            return self.overrides.invite_log
        return InviteLog(lambda: self._table(tables.INVITE_LOG))

    @cached_property
    def invite_counters(self) -> InviteCounters:
        return InviteCounters(lambda: self._table(tables.COUNTERS), side_by_side=self.side_by_side)

    @cached_property
    def runtime_settings(self) -> RuntimeSettings:
        return RuntimeSettings(lambda: self._table(tables.SETTINGS))

    @cached_property
    def onboarding(self) -> OnboardingStore:
        return OnboardingStore(lambda: self._table(tables.SETTINGS))

    @cached_property
    def branding(self) -> BrandingStore:
        return BrandingStore(lambda: self._table(tables.SETTINGS))

    @cached_property
    def server_names(self) -> ServerNames:
        return ServerNames(branding=self.branding, settings=self.settings, gateway=self.plex_gateway)

    @cached_property
    def more_time(self) -> MoreTimeRequests:
        return MoreTimeRequests(lambda: self._table(tables.ACCESS), clock=self._now)

    @cached_property
    def guest_status(self) -> GuestStatusService:
        return GuestStatusService(
            grants=self.grants,
            tiers=self.tiers,
            gateway=self.plex_gateway,
            limits=self.request_limits,
            more_time=self.more_time,
            links=self.invite_links,
            notifications=self.notifications,
            sign_in=lambda: self.plex_sign_in,
            signing_key=self._session_signing_key,
            clock=self._now,
        )

    @cached_property
    def secrets(self) -> SecretSource:
        if self.overrides.secrets is not None:
            return self.overrides.secrets
        source: SecretSource
        source = KeyVaultSecrets(self.settings.key_vault_url) if self.settings.key_vault_url else EnvironmentSecrets()
        return CachedSecrets(source, self.settings.secret_cache_ttl_seconds)

    def plex_gateway(self) -> PlexGateway:
        """The process's one gateway; its calls raise SetupRequired while no owner token is configured."""
        if self._gateway is not None:
            return self._gateway
        with self._lock:
            if self._gateway is None:
                # Here, not at the top: the plex.tv session needs requests and plexapi, which the app's start leaves out.
                from shared.plex.transport import LastResponseRecorder, build_plex_session, pin_plex_identity

                pin_plex_identity(self.settings.plex_client_identifier, self.settings.plex_product)
                recorder = LastResponseRecorder()
                self._gateway = PlexGateway(
                    token=lambda: self.secrets.read("PLEX_TOKEN"),
                    session=build_plex_session(self.settings.plex_api_base_url, recorder),
                    recorder=recorder,
                    timeout_seconds=self.settings.plex_timeout_seconds,
                    server_name=self.settings.plex_server_name,
                    on_token_change=lambda state, error: self.plex_status.observe_token_change(state, error),
                    clock=self.overrides.plex_clock or time.time,
                )
            return self._gateway

    @cached_property
    def plex_status(self) -> PlexStatusMonitor:
        return PlexStatusMonitor(
            lambda: self._table(tables.SETTINGS),
            self.plex_gateway,
            notifications=self.notifications,
            unreachable_minutes=self.settings.notify_unreachable_minutes,
        )

    @cached_property
    def request_limits(self) -> RequestLimits:
        return RequestLimits(RateLimiter(lambda: self._table(tables.RATE_LIMITS)), self.settings.rate_limits)

    @cached_property
    def invite_service(self) -> InviteService:
        deps = InviteDependencies(
            gateway=self.plex_gateway,
            inviter=RetryingInviter(self.plex_gateway, self.retry_policy),
            invite_log=self.invite_log,
            counters=self.invite_counters,
            runtime_settings=self.runtime_settings,
            limits=self.request_limits,
            idempotency=IdempotencyStore(lambda: self._table(tables.IDEMPOTENCY)),
            plex_status=self.plex_status,
            admissions=self.admissions,
            grants=self.grants,
            side_by_side=self.side_by_side,
            notifications=self.notifications,
        )
        return InviteService(deps, idempotency_window_seconds=self.settings.idempotency_window_seconds, clock=self._now)

    def guest_plex(self) -> GuestPlex:
        """plex.tv calls made with a signed-in guest's token, on the gateway's session."""
        return GuestPlex(self.plex_gateway().session, self.settings.plex_timeout_seconds)

    @cached_property
    def plex_sign_in(self) -> PlexSignIn:
        settings = self.settings
        return PlexSignIn(
            config=PlexSignInConfig(settings.plex_client_identifier, settings.plex_product, settings.plex_auth_base_url),
            guest=self.guest_plex,
            gateway=self.plex_gateway,
            invites=self.invite_service,
            admissions=self.admissions,
            runtime_settings=self.runtime_settings,
            tiers=self.tiers,
            limits=self.request_limits,
            signing_key=self._session_signing_key,
        )

    @cached_property
    def admissions(self) -> Admissions:
        return Admissions(
            self.invite_links,
            self.tiers,
            self.runtime_settings,
            lambda: self.secrets.read("INVITE_CODE"),
            clock=self._now,
            side_by_side=self.side_by_side,
        )

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        return self.overrides.retry_policy or RetryPolicy(budget_seconds=self.settings.plex_retry_budget_seconds)

    @cached_property
    def invite_links(self) -> InviteLinks:
        return InviteLinks(lambda: self._table(tables.INVITE_LINKS), clock=self._now, global_code=lambda: self.secrets.read("INVITE_CODE"))

    @cached_property
    def tiers(self) -> TierStore:
        return TierStore(lambda: self._table(tables.ACCESS), self.runtime_settings)

    @cached_property
    def grants(self) -> GrantStore:
        if self.overrides.grants is not None:
            return self.overrides.grants
        return GrantStore(lambda: self._table(tables.ACCESS))

    @cached_property
    def user_access(self) -> UserAccess:
        return UserAccess(
            self.grants, self.tiers, self.plex_gateway, clock=self._now, notifications=self.notifications, snapshots=self.share_snapshots
        )

    @cached_property
    def share_snapshots(self) -> ShareSnapshots:
        """The owner's share list as plex.tv last gave it, reused briefly while the owner pages through people."""
        return ShareSnapshots(self.plex_gateway)

    @cached_property
    def directory(self) -> Directory:
        return Directory(self.grants, self.tiers, self.plex_gateway, self.share_snapshots, self.more_time.open_for, clock=self._now)

    @cached_property
    def reconciliation(self) -> Reconciliation:
        def return_use(code: str) -> bool:
            if self.invite_links.get(code) is None:
                return False
            self.invite_links.release_use(code)
            return True

        return Reconciliation(self.grants, self.tiers, self.plex_gateway, self.share_snapshots, return_use, clock=self._now)

    @cached_property
    def bulk_changes(self) -> BulkChanges:
        return BulkChanges(self.user_access, self.directory, self.share_snapshots, self.retry_policy, clock=self._now)

    @cached_property
    def notifications(self) -> Publisher:
        """Events go on the Storage Queue the deliver_event function reads; without a queue endpoint, nowhere."""
        if self.overrides.notifications is not None:
            return self.overrides.notifications
        if not self.settings.notifications_configured:
            return Publisher()
        return QueuePublisher(
            lambda: self.event_queue, lambda: self._table(tables.NOTIFY), burst_seconds=self.settings.notify_burst_seconds
        )

    @cached_property
    def batches(self) -> BatchInvitations:
        settings = self.settings
        queue = BatchQueue(lambda: build_queue_client(settings.queue_connection_string, settings.queue_service_uri, BATCH_QUEUE_NAME))
        return BatchInvitations(
            lambda: self._table(registry.BATCHES_TABLE.name),
            BatchRows(lambda: self._table(registry.BATCHES_TABLE.name)),
            tiers=self.tiers,
            grants=self.grants,
            shares=self.share_snapshots,
            invites=lambda: self.invite_service,
            queue=queue,
            settings=BatchSettings(pace_seconds=settings.batch_pace_seconds, stall_seconds=settings.batch_stall_seconds),
        )

    @cached_property
    def event_queue(self) -> QueueClient:
        return build_queue_client(self.settings.queue_connection_string, self.settings.queue_service_uri, QUEUE_NAME)

    @cached_property
    def poison_queue(self) -> QueueClient:
        return build_queue_client(self.settings.queue_connection_string, self.settings.queue_service_uri, POISON_QUEUE_NAME)

    @cached_property
    def channels(self) -> ChannelStore:
        return ChannelStore(lambda: self._table(tables.NOTIFY), ChannelBox(lambda: self.secrets.read("DATA_ENCRYPTION_KEY")))

    @cached_property
    def message_templates(self) -> TemplateStore:
        return TemplateStore(lambda: self._table(tables.NOTIFY))

    @cached_property
    def deliverer(self) -> Deliverer:
        return Deliverer(
            self.channels,
            self.message_templates,
            lambda: self._table(tables.NOTIFY),
            server_name=lambda: self.settings.server_display_name or self.settings.plex_server_name,
            burst_seconds=self.settings.notify_burst_seconds,
        )

    @cached_property
    def health(self) -> HealthMonitor:
        return HealthMonitor(tables=lambda: self.tables, plex_status=lambda: self.plex_status)

    @cached_property
    def library_catalog(self) -> LibraryCatalog:
        return LibraryCatalog(
            lambda: self._table(tables.SETTINGS),
            self.runtime_settings,
            self.plex_gateway,
            record_failure=lambda error: self.plex_status.record_failure(error),
        )

    @cached_property
    def dashboard(self) -> Dashboard:
        return Dashboard(
            counters=self.invite_counters,
            invite_log=self.invite_log,
            catalog=self.library_catalog,
            plex_status=self.plex_status,
            side_by_side=self.side_by_side,
            runtime_settings=self.runtime_settings,
        )

    @cached_property
    def admin_auth(self) -> AdminAuth:
        admin_table = lambda: self._table(tables.ADMIN)  # noqa: E731
        return AdminAuth(
            admin_username=self.settings.admin_username,
            password_hash=lambda: self.secrets.read("ADMIN_PASSWORD_HASH"),
            site_origin=self.settings.require_site_origin,
            sessions=SessionStore(admin_table, self._session_signing_key),
            throttle=LoginThrottle(admin_table, self.login_throttle_policy),
            accounts=AdminAccounts(admin_table, SecretBox(lambda: self.secrets.read("DATA_ENCRYPTION_KEY"))),
            devices=DeviceTokens(self._session_signing_key),
            side_by_side=self.side_by_side,
        )

    @cached_property
    def api_keys(self) -> ApiKeys:
        admin_table = lambda: self._table(tables.ADMIN)  # noqa: E731
        box = SecretBox(lambda: self.secrets.read("DATA_ENCRYPTION_KEY"))
        return ApiKeys(admin_table, box, LoginThrottle(admin_table, self.login_throttle_policy), clock=self._now)

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(lambda: self._table(tables.AUDIT), address_key=self.runtime_settings.ip_hash_key, clock=self._now)

    @cached_property
    def login_throttle_policy(self) -> ThrottlePolicy:
        # One policy for the throttle and for the sweep that forgets its rows.
        return ThrottlePolicy()

    @cached_property
    def retention(self) -> Retention:
        return Retention(
            rate_limits_table=lambda: self._table(tables.RATE_LIMITS),
            idempotency_table=lambda: self._table(tables.IDEMPOTENCY),
            admin_table=lambda: self._table(tables.ADMIN),
            invite_log_table=lambda: self._table(tables.INVITE_LOG),
            notify_table=lambda: self._table(tables.NOTIFY),
            audit_table=lambda: self._table(tables.AUDIT),
            throttle_policy=self.login_throttle_policy,
            invite_log_retention_days=self.settings.invite_log_retention_days,
            audit_retention_days=self.settings.audit_retention_days,
            batch_sweep=lambda cutoff: self.batches.delete_finished_before(cutoff),
        )

    def _session_signing_key(self) -> str:
        key = self.secrets.read("SESSION_SIGNING_KEY")
        if len(key) < 32:
            raise SetupRequired(
                ["SESSION_SIGNING_KEY"],
                "SESSION_SIGNING_KEY is missing or shorter than 32 characters. Set it to a long random value "
                "(e.g. `openssl rand -hex 32`) in Key Vault (session-signing-key) or the app settings.",
            )
        return key


_container: Container | None = None
_container_lock = threading.Lock()


def get_container() -> Container:
    """The process-wide container, built from app settings on first use (never at import)."""
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container(Settings.from_environ())
    return _container


def reset_container() -> None:
    """Drops the cached clients so the next call reads settings again."""
    global _container
    with _container_lock:
        _container = None
