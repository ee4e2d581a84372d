"""Invite totals kept as counter entities, so reading stats never scans the log.

Each outcome is counted all-time, per UTC day and per UTC hour. Updates are ETag compare-and-set on one
of several shard entities, so concurrent instances rarely collide; reads sum the shards.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

from azure.data.tables import TableClient, TableEntity

from shared.invites.log import InviteOutcome
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, KnownVersions, Write
from shared.storage.side_by_side import SideBySide

PARTITION = registry.INVITE_COUNTERS.name
SHARDS = 4
_SYSTEM_PROPERTIES = {"PartitionKey", "RowKey", "Timestamp"}


class CounterContention(Contended):
    """Too many concurrent writers; the count was not updated."""


@dataclass(frozen=True)
class InviteTotals:
    by_outcome: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def succeeded(self) -> int:
        return sum(n for outcome, n in self.by_outcome.items() if InviteOutcome(outcome).succeeded)

    @property
    def failed(self) -> int:
        return sum(self.by_outcome.values()) - self.succeeded

    @property
    def sent(self) -> int:
        return self.by_outcome.get(InviteOutcome.INVITED, 0)


class InviteCounters:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        *,
        sleep: Callable[[float], None] = time.sleep,
        pick_shard: Callable[[], int] = lambda: random.randrange(SHARDS),  # noqa: S311 - spreading load, not security
        side_by_side: SideBySide | None = None,
    ) -> None:
        self._table = table_provider
        self._side_by_side = side_by_side or SideBySide(None)
        self._sleep = sleep
        self._pick_shard = pick_shard
        # A shard this instance wrote before is updated with one conditional write (its last ETag): one request per
        # counter unless another instance wrote the same shard meanwhile.
        self._known = KnownVersions(capacity=256)

    def record(self, outcome: InviteOutcome, at: datetime) -> None:
        # Three independent entities: update them side by side rather than one after another. (One transaction of the
        # three would be one request instead of three, but building and reading its multipart body costs more time
        # than the three requests side by side.)
        self._side_by_side.run(*self.increments(outcome, at))

    def increments(self, outcome: InviteOutcome, at: datetime) -> list[Callable[[], None]]:
        """The three independent updates `record` makes (all-time, day, hour), for a caller that runs them side by
        side with writes of its own."""
        shard = self._pick_shard() % SHARDS
        at = at.astimezone(UTC)
        row_keys = (f"total-{shard}", f"day-{at.date().isoformat()}-{shard}", f"hour-{at:%Y-%m-%dT%H}-{shard}")
        return [partial(self._increment, row_key, str(outcome)) for row_key in row_keys]

    def totals(self) -> InviteTotals:
        return InviteTotals(self._sum(self._range("total-", "total.")))

    def since_hour(self, first_hour: datetime) -> InviteTotals:
        """Totals from the start of `first_hour` (UTC) until now."""
        return InviteTotals(self._sum(self._range(f"hour-{first_hour.astimezone(UTC):%Y-%m-%dT%H}", "hour.")))

    def daily(self, first: date, last: date) -> dict[date, InviteTotals]:
        days: dict[date, Counter[str]] = {first + timedelta(d): Counter() for d in range((last - first).days + 1)}
        for entity in self._range(f"day-{first.isoformat()}", f"day-{last.isoformat()}."):
            day = date.fromisoformat(str(entity["RowKey"])[4:14])
            if day in days:
                days[day].update(_counts(entity))
        return {day: InviteTotals(dict(counts)) for day, counts in days.items()}

    def _range(self, low: str, high: str) -> Iterable[dict[str, object]]:
        return self._table().query_entities(
            "PartitionKey eq @pk and RowKey ge @low and RowKey lt @high",
            parameters={"pk": PARTITION, "low": low, "high": high},
        )

    @staticmethod
    def _sum(entities: Iterable[dict[str, object]]) -> dict[str, int]:
        total: Counter[str] = Counter()
        for entity in entities:
            total.update(_counts(entity))
        return dict(total)

    def _increment(self, row_key: str, field: str) -> None:
        def add_one(entity: TableEntity | None) -> Write[None]:
            count = 0 if entity is None else int(entity.get(field, 0))
            return Write({field: count + 1}, None, merge=True)

        compare_and_set.update(
            self._table(), PARTITION, row_key, add_one, sleep=self._sleep, contended=CounterContention, known=self._known
        )


def _counts(entity: dict[str, object]) -> dict[str, int]:
    return {k: int(v) for k, v in entity.items() if k not in _SYSTEM_PROPERTIES and isinstance(v, int)}
