"""Health of the app's dependencies; Plex comes from the shared status, checked at most once per interval."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from azure.core.exceptions import AzureError

from shared.config.settings import SetupRequired
from shared.plex.status import PlexStatusMonitor
from shared.storage import registry
from shared.storage import tables as table_names
from shared.storage.tables import Tables

# Never written: querying it shows that storage answers.
PARTITION = registry.HEALTH_PROBE.name


@dataclass(frozen=True)
class DependencyHealth:
    status: str  # "ok", "error" or "unconfigured"
    detail: str = ""


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
    def __init__(self, *, tables: Callable[[], Tables], plex_status: Callable[[], PlexStatusMonitor]) -> None:
        self._tables = tables
        self._plex_status = plex_status

    def report(self) -> HealthReport:
        storage = self._storage()
        plex = self._plex() if storage.status == "ok" else DependencyHealth("error", "unknown while storage is down")
        return HealthReport(storage=storage, plex=plex)

    def _storage(self) -> DependencyHealth:
        try:
            table = self._tables().client(table_names.SETTINGS)
            next(iter(table.query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION}, results_per_page=1)), None)
        except SetupRequired as exc:
            return DependencyHealth("unconfigured", exc.message)
        except AzureError as exc:
            return DependencyHealth("error", f"Table Storage is unreachable ({type(exc).__name__}).")
        return DependencyHealth("ok")

    def _plex(self) -> DependencyHealth:
        try:
            status = self._plex_status().current()
        except SetupRequired as exc:
            return DependencyHealth("unconfigured", exc.message)
        if status.failing:
            return DependencyHealth(
                "error", "plex.tv rejected the owner token" if status.token_valid is False else "plex.tv is unreachable"
            )
        return DependencyHealth("ok", status.server_name)
