"""What the admin dashboard shows, read from counters, the newest log entries and cached state.

Its cost is fixed: it never scans the invite log and never calls plex.tv while the cached
library list and connection status are fresh. Its reads go out side by side, and the newest log
entries are read again only when the all-time total says the log changed (or they are older
than RECENT_MAX_AGE_SECONDS), so a dashboard with no new invites reads no log rows at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.invites.counters import InviteCounters, InviteTotals
from shared.invites.log import InviteLog, InviteRecord
from shared.plex.libraries import LibraryCatalog, LibraryView
from shared.plex.status import PlexStatus, PlexStatusMonitor
from shared.storage.side_by_side import SideBySide

RECENT_INVITES = 20
CHART_DAYS = 30
# A log entry written without its totals (they failed, or another instance is between the two writes) still
# shows within this long.
RECENT_MAX_AGE_SECONDS = 15.0


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
    ) -> None:
        self._counters = counters
        self._log = invite_log
        self._catalog = catalog
        self._plex_status = plex_status
        self._clock = clock
        self._side_by_side = side_by_side or SideBySide(None)
        self._monotonic = monotonic
        self._recent_lock = threading.Lock()
        # The newest log entries as last read: (the all-time total then, when they were read, the entries).
        self._recent: tuple[int, float, list[InviteRecord]] | None = None

    def build(self) -> DashboardData:
        now = self._clock().astimezone(UTC)
        today = now.date()
        run = self._side_by_side
        daily = run.start(lambda: self._counters.daily(today - timedelta(days=CHART_DAYS - 1), today))
        # Hour buckets: the last 24 full hours plus the current one.
        last_24h = run.start(lambda: self._counters.since_hour(now - timedelta(hours=24)))
        libraries = run.start(self._catalog.view)
        plex = run.start(self._plex_status.current)
        all_time = self._counters.totals()
        recent = self._newest(all_time.total)
        week = [totals for day, totals in daily.result().items() if day > today - timedelta(days=7)]
        return DashboardData(
            all_time=all_time,
            last_24h=last_24h.result(),
            last_7d=_sum(week),
            daily=daily.result(),
            recent=recent,
            libraries=libraries.result(),
            plex=plex.result(),
        )

    def _newest(self, total: int) -> list[InviteRecord]:
        cached = self._recent
        if cached is not None and cached[0] == total and self._monotonic() - cached[1] < RECENT_MAX_AGE_SECONDS:
            return cached[2]
        read_at = self._monotonic()
        entries = self._log.recent(RECENT_INVITES)
        with self._recent_lock:
            self._recent = (total, read_at, entries)
        return entries


def _sum(totals: list[InviteTotals]) -> InviteTotals:
    combined: dict[str, int] = {}
    for item in totals:
        for outcome, count in item.by_outcome.items():
            combined[outcome] = combined.get(outcome, 0) + count
    return InviteTotals(combined)
