"""The server's libraries as the admin sees them: cached in Table Storage, marked selected or not."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.config.runtime_settings import LibrarySelection, RuntimeSettings
from shared.errors import DomainError
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway, PlexLibrary
from shared.storage import prefetch, registry

PARTITION = registry.LIBRARY_CACHE.partition.name
ROW = registry.LIBRARY_CACHE.key
CACHE_TTL_SECONDS = 3600.0


class InvalidLibrarySelection(DomainError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, field="sectionIds")


@dataclass(frozen=True)
class LibraryChoice:
    id: int
    title: str
    type: str
    selected: bool


@dataclass(frozen=True)
class LibraryView:
    items: tuple[LibraryChoice, ...]
    fetched_at: float | None
    shares_all: bool
    error: str = ""


class LibraryCatalog:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        runtime_settings: RuntimeSettings,
        gateway: Callable[[], PlexGateway],
        *,
        record_failure: Callable[[PlexError], None] = lambda error: None,
        ttl_seconds: float = CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._record_failure = record_failure
        self._table = table_provider
        self._runtime = runtime_settings
        self._gateway = gateway
        self._ttl = ttl_seconds
        self._clock = clock

    def view(self, *, refresh: bool = False) -> LibraryView:
        libraries, fetched_at = self._cached()
        error = ""
        if refresh or fetched_at is None or self._clock() - fetched_at >= self._ttl:
            try:
                libraries, fetched_at = self._fetch()
            except PlexError as exc:
                error = exc.detail  # keep showing the last list we had
        return self._mark(libraries, fetched_at, self._runtime.library_selection(), error)

    def refresh(self) -> LibraryView:
        """Reads the list from plex.tv now. Raises PlexError (after recording it for the dashboard) when
        plex.tv can't answer: the owner asked for a fresh list and must not be shown the old one as new."""
        try:
            libraries, fetched_at = self._fetch()
        except PlexError as error:
            self._record_failure(error)
            raise
        return self._mark(libraries, fetched_at, self._runtime.library_selection(), "")

    def select(self, section_ids: Sequence[int]) -> LibraryView:
        wanted = list(dict.fromkeys(section_ids))
        if not wanted:
            raise InvalidLibrarySelection("no_libraries_selected", "Choose at least one library for new invites.")
        libraries, fetched_at = self._cached()
        known = {library.section_id: library for library in libraries}
        if not set(wanted) <= set(known):
            libraries, fetched_at = self._fetch()
            known = {library.section_id: library for library in libraries}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise InvalidLibrarySelection(
                "unknown_library", f"These libraries are not on the server any more: {unknown}. Refresh the list and choose again."
            )
        selection = LibrarySelection(tuple(wanted), tuple(known[i].title for i in wanted))
        self._runtime.set_library_selection(selection)
        return self._mark(libraries, fetched_at, selection, "")

    def _fetch(self) -> tuple[list[PlexLibrary], float]:
        libraries = self._gateway().libraries(refresh=True)
        now = self._clock()
        self._table().upsert_entity(
            {
                "PartitionKey": PARTITION,
                "RowKey": ROW,
                "Items": json.dumps([[lib.section_id, lib.key, lib.title, lib.type] for lib in libraries]),
                "FetchedAt": now,
            },
            mode=UpdateMode.REPLACE,
        )
        return libraries, now

    def _cached(self) -> tuple[list[PlexLibrary], float | None]:
        try:
            entity = prefetch.get_entity(self._table(), PARTITION, ROW)
        except ResourceNotFoundError:
            return [], None
        items = [PlexLibrary(int(i), str(k), str(t), str(y)) for i, k, t, y in json.loads(entity.get("Items") or "[]")]
        return items, float(entity["FetchedAt"])

    @staticmethod
    def _mark(libraries: list[PlexLibrary], fetched_at: float | None, selection: LibrarySelection, error: str) -> LibraryView:
        chosen = set(selection.section_ids)
        items = tuple(
            LibraryChoice(lib.section_id, lib.title, lib.type, selection.shares_everything or lib.section_id in chosen) for lib in libraries
        )
        return LibraryView(items, fetched_at, selection.shares_everything, error)
