"""Builds the app's clients in one place and keeps them for the life of the process (warm instances reuse them)."""

from __future__ import annotations

import threading
from functools import cached_property

from azure.data.tables import TableClient

from shared import tables
from shared.health import HealthMonitor
from shared.invite_counters import InviteCounters
from shared.invite_log import InviteLog
from shared.invite_service import InviteService
from shared.plex_gateway import PlexGateway
from shared.plex_transport import LastResponseRecorder, build_plex_session, pin_plex_identity
from shared.runtime_settings import RuntimeSettings
from shared.settings import Settings


class Container:
    """Nothing here does I/O when built: clients connect on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._gateway: PlexGateway | None = None

    @cached_property
    def tables(self) -> tables.Tables:
        return tables.Tables(tables.build_table_service(self.settings), self.settings.table_prefix)

    def _table(self, name: str) -> TableClient:
        return self.tables.client(name)

    @cached_property
    def invite_log(self) -> InviteLog:
        return InviteLog(lambda: self._table(tables.INVITE_LOG))

    @cached_property
    def invite_counters(self) -> InviteCounters:
        return InviteCounters(lambda: self._table(tables.COUNTERS))

    @cached_property
    def runtime_settings(self) -> RuntimeSettings:
        return RuntimeSettings(lambda: self._table(tables.SETTINGS))

    def plex_gateway(self) -> PlexGateway:
        """Raises SetupRequired when no owner token is configured."""
        if self._gateway is not None:
            return self._gateway
        self.settings.require_plex()
        with self._lock:
            if self._gateway is None:
                pin_plex_identity(self.settings.plex_client_identifier, self.settings.plex_product)
                recorder = LastResponseRecorder()
                self._gateway = PlexGateway(
                    token=self.settings.plex_token,
                    session=build_plex_session(self.settings.plex_api_base_url, recorder),
                    recorder=recorder,
                    timeout_seconds=self.settings.plex_timeout_seconds,
                    server_name=self.settings.plex_server_name,
                )
            return self._gateway

    def existing_plex_gateway(self) -> PlexGateway | None:
        return self._gateway

    @cached_property
    def invite_service(self) -> InviteService:
        return InviteService(
            gateway=self.plex_gateway,
            invite_log=self.invite_log,
            counters=self.invite_counters,
            runtime_settings=self.runtime_settings,
            invite_code=self.settings.invite_code,
        )

    @cached_property
    def health(self) -> HealthMonitor:
        return HealthMonitor(tables=lambda: self.tables, gateway=self.plex_gateway)


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
