"""What the admin dashboard shows, read from counters, the newest log entries and cached state.

Its cost is fixed: it never scans the invite log and never calls plex.tv while the cached
library list and connection status are fresh. Its reads go out side by side, and what only an
invite changes (the newest log entries, the per-day and per-hour totals) is read again only when
the all-time total moved, the hour turned, or it is older than CHANGES_MAX_AGE_SECONDS: every
invite writes its log entry and its totals in the same step, so an unchanged total means none of
them changed (a step another instance is in the middle of shows within that age). A dashboard
with no new invites reads the total, the library list and the Plex status: one query of the
settings partition, side by side with the total.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.config.runtime_settings import RuntimeSettings
from shared.invites.counters import InviteCounters, InviteTotals
from shared.invites.log import InviteLog, InviteRecord
from shared.plex.libraries import LibraryCatalog, LibraryView
from shared.plex.status import PlexStatus, PlexStatusMonitor
from shared.storage import registry
from shared.storage.side_by_side import SideBySide

RECENT_INVITES = 20
CHART_DAYS = 30
# A log entry written without its totals (they failed, or another instance is between the two writes) still
# shows within this long.
CHANGES_MAX_AGE_SECONDS = 15.0
_SETTINGS_READ = (registry.LIBRARY_CACHE.key, registry.LIBRARY_SELECTION.key, registry.PLEX_STATUS.key)


@dataclass(frozen=True)
class _InviteView:
    """What only an invite changes, as read when the all-time total was `total` in the hour `hour`."""

    total: int
    hour: datetime
    read_at: float
    daily: dict[date, InviteTotals]
    last_24h: InviteTotals
    recent: list[InviteRecord]


@dataclass(frozen=True)
class DashboardData:
    all_time: InviteTotals
    last_24h: InviteTotals
    last_7d: InviteTotals
    daily: dict[date, InviteTotals]
    recent: list[InviteRecord]
    libraries: LibraryView
    plex: PlexStatus


class Dashboard:
    def __init__(
        self,
        *,
        counters: InviteCounters,
        invite_log: InviteLog,
        catalog: LibraryCatalog,
        plex_status: PlexStatusMonitor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        side_by_side: SideBySide | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        runtime_settings: RuntimeSettings | None = None,
    ) -> None:
        self._runtime = runtime_settings
        self._counters = counters
        self._log = invite_log
        self._catalog = catalog
        self._plex_status = plex_status
        self._clock = clock
        self._side_by_side = side_by_side or SideBySide(None)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._invites: _InviteView | None = None

    def build(self) -> DashboardData:
        now = self._clock().astimezone(UTC)
        run = self._side_by_side
        # The library list and choice and the Plex status are rows of the settings partition: one query.
        with self._runtime.prefetched(*_SETTINGS_READ) if self._runtime is not None else contextlib.nullcontext():
            libraries = run.start(self._catalog.view)
            plex = run.start(self._plex_status.current)
        all_time = self._counters.totals()
        invites = self._invite_view(all_time.total, now)
        today = now.date()
        week = [totals for day, totals in invites.daily.items() if day > today - timedelta(days=7)]
        return DashboardData(
            all_time=all_time,
            last_24h=invites.last_24h,
            last_7d=_sum(week),
            daily=invites.daily,
            recent=invites.recent,
            libraries=libraries.result(),
            plex=plex.result(),
        )

    def _invite_view(self, total: int, now: datetime) -> _InviteView:
        hour = now.replace(minute=0, second=0, microsecond=0)
        cached = self._invites
        if (
            cached is not None
            and (cached.total, cached.hour) == (total, hour)
            and self._monotonic() - cached.read_at < CHANGES_MAX_AGE_SECONDS
        ):
            return cached
        read_at = self._monotonic()
        today = now.date()
        run = self._side_by_side
        daily = run.start(lambda: self._counters.daily(today - timedelta(days=CHART_DAYS - 1), today))
        # Hour buckets: the last 24 full hours plus the current one.
        last_24h = run.start(lambda: self._counters.since_hour(now - timedelta(hours=24)))
        recent = self._log.recent(RECENT_INVITES)
        view = _InviteView(total, hour, read_at, daily.result(), last_24h.result(), recent)
        with self._lock:
            self._invites = view
        return view


def _sum(totals: list[InviteTotals]) -> InviteTotals:
    combined: dict[str, int] = {}
    for item in totals:
        for outcome, count in item.by_outcome.items():
            combined[outcome] = combined.get(outcome, 0) + count
    return InviteTotals(combined)
