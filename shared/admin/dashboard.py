"""What the admin dashboard shows, read from counters, the newest log entries and cached state.

Its cost is fixed: it never scans the invite log and never calls plex.tv while the cached
library list and connection status are fresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.invites.counters import InviteCounters, InviteTotals
from shared.invites.log import InviteLog, InviteRecord
from shared.plex.libraries import LibraryCatalog, LibraryView
from shared.plex.status import PlexStatus, PlexStatusMonitor

RECENT_INVITES = 20
CHART_DAYS = 30


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
    ) -> None:
        self._counters = counters
        self._log = invite_log
        self._catalog = catalog
        self._plex_status = plex_status
        self._clock = clock

    def build(self) -> DashboardData:
        now = self._clock().astimezone(UTC)
        today = now.date()
        daily = self._counters.daily(today - timedelta(days=CHART_DAYS - 1), today)
        week = [totals for day, totals in daily.items() if day > today - timedelta(days=7)]
        return DashboardData(
            all_time=self._counters.totals(),
            # Hour buckets: the last 24 full hours plus the current one.
            last_24h=self._counters.since_hour(now - timedelta(hours=24)),
            last_7d=_sum(week),
            daily=daily,
            recent=self._log.recent(RECENT_INVITES),
            libraries=self._catalog.view(),
            plex=self._plex_status.current(),
        )


def _sum(totals: list[InviteTotals]) -> InviteTotals:
    combined: dict[str, int] = {}
    for item in totals:
        for outcome, count in item.by_outcome.items():
            combined[outcome] = combined.get(outcome, 0) + count
    return InviteTotals(combined)
