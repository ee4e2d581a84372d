"""Health of the app's dependencies, asking plex.tv at most once per interval."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from azure.core.exceptions import AzureError

from shared import tables as table_names
from shared.plex_errors import PlexError
from shared.plex_gateway import ConnectionState, PlexGateway
from shared.settings import SetupRequired
from shared.tables import Tables

PLEX_CHECK_INTERVAL_SECONDS = 300.0
# After a failure, look again sooner so recovery shows quickly.
PLEX_RECHECK_AFTER_ERROR_SECONDS = 30.0


@dataclass(frozen=True)
class DependencyHealth:
    status: str  # "ok", "error" or "unconfigured"
    detail: str = ""
    checked_at: float | None = None


@dataclass(frozen=True)
class HealthReport:
    storage: DependencyHealth
    plex: DependencyHealth

    @property
    def status(self) -> str:
        if self.storage.status != "ok":
            return "unhealthy"
        return "ok" if self.plex.status == "ok" else "degraded"


class HealthMonitor:
    def __init__(
        self,
        *,
        tables: Callable[[], Tables],
        gateway: Callable[[], PlexGateway],
        plex_interval_seconds: float = PLEX_CHECK_INTERVAL_SECONDS,
        plex_recheck_after_error_seconds: float = PLEX_RECHECK_AFTER_ERROR_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tables = tables
        self._gateway = gateway
        self._interval = plex_interval_seconds
        self._error_interval = plex_recheck_after_error_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def report(self) -> HealthReport:
        return HealthReport(storage=self._storage(), plex=self._plex())

    def _storage(self) -> DependencyHealth:
        try:
            table = self._tables().client(table_names.SETTINGS)
            next(iter(table.query_entities("PartitionKey eq @pk", parameters={"pk": "health"}, results_per_page=1)), None)
        except SetupRequired as exc:
            return DependencyHealth("unconfigured", exc.message)
        except AzureError as exc:
            return DependencyHealth("error", f"Table Storage is unreachable ({type(exc).__name__}).")
        return DependencyHealth("ok", checked_at=self._clock())

    def _plex(self) -> DependencyHealth:
        try:
            gateway = self._gateway()
        except SetupRequired as exc:
            return DependencyHealth("unconfigured", exc.message)
        with self._lock:
            state = gateway.state
            last_seen = max(state.last_success_at or 0.0, state.last_error_at or 0.0)
            interval = self._error_interval if _failing(state) else self._interval
            if self._clock() - last_seen >= interval:
                with contextlib.suppress(PlexError):  # the gateway's state records it
                    gateway.check_connection()
            state = gateway.state
        if _failing(state):
            return DependencyHealth("error", state.last_error, state.last_error_at)
        return DependencyHealth("ok", state.server_name, state.last_success_at)


def _failing(state: ConnectionState) -> bool:
    return bool(state.last_error_at and state.last_error_at >= (state.last_success_at or 0.0))
