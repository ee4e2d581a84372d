"""The rows of batch invitations: what each line of the file said, its check, and its send state.

A row goes pending → sending → done or failed; a row that failed its check is stored as skipped, so the
file is never lost. Only the run holding the batch's lease moves rows, and each move is a compare-and-set
on the row, so a row is claimed by exactly one run. A row still 'sending' when a run finds it was left by
a run that died: its next try is marked as one whose earlier outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import islice

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, UpdateMode

from shared.invites.batch_csv import CheckedRow
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Keep, Write

PARTITION = registry.BATCH_ROWS.name
TRANSACTION_SIZE = 100


class RowState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


OPEN_STATES = (RowState.PENDING, RowState.SENDING)


@dataclass(frozen=True)
class BatchRow:
    key: str
    line: int
    identifier: str
    tier: str
    days: str
    tier_id: str
    access_days: int
    state: RowState
    check: str = ""  # the check's error code; empty when the row was fine
    message: str = ""  # the check's error, or what the invite came to
    outcome: str = ""
    attempt: int = 0
    tries: int = 0
    unknown: bool = False  # an earlier try may have reached plex.tv
    etag: str = ""  # as this run last read or wrote it: the next write is one request while nobody else wrote


@dataclass(frozen=True)
class Claimed:
    row: BatchRow
    previous: RowState


def row_key(batch_id: str, index: int) -> str:
    return f"{batch_id}-{index:05d}"


class BatchRows:
    def __init__(self, table_provider: Callable[[], TableClient]) -> None:
        self._table = table_provider

    def add(self, batch_id: str, rows: Iterable[CheckedRow]) -> None:
        """Stores the checked rows in transactions of 100 (one partition)."""
        entities = (_entity(batch_id, index, row) for index, row in enumerate(rows))
        while chunk := list(islice(entities, TRANSACTION_SIZE)):
            self._table().submit_transaction([("create", entity) for entity in chunk])

    def all(self, batch_id: str) -> list[BatchRow]:
        return [_row(entity) for entity in self._range(batch_id)]

    def open_rows(self, batch_id: str, limit: int) -> list[BatchRow]:
        """The first `limit` rows still to send, in file order."""
        states = " or ".join(f"State eq '{state}'" for state in OPEN_STATES)
        query = f"PartitionKey eq @pk and RowKey gt @first and RowKey lt @last and ({states})"
        found = self._table().query_entities(query, parameters=_bounds(batch_id), results_per_page=limit)
        return [_row(entity) for entity in islice(found, limit)]

    def claim(self, row: BatchRow) -> Claimed | None:
        """pending → sending, or a dead run's sending → sending again (its outcome unknown); None when the row
        isn't open any more (cancelled, or finished by another run)."""
        if row.etag and row.state in OPEN_STATES:
            changes = _claim(row.state, row.unknown, row.attempt)
            etag = self._merge_if_unchanged(row.key, row.etag, changes)
            if etag:
                claimed = replace(row, state=RowState.SENDING, attempt=row.attempt + 1, unknown=bool(changes["Unknown"]), etag=etag)
                return Claimed(claimed, row.state)

        def decide(entity: TableEntity | None) -> Write[Claimed | None] | Keep[Claimed | None]:
            if entity is None or entity.get("State") not in OPEN_STATES:
                return Keep(None)
            previous = RowState(str(entity["State"]))
            changes = _claim(previous, bool(entity.get("Unknown")), int(entity.get("Attempt", 0)))
            claimed = replace(_row({**entity, **changes, "RowKey": row.key}), etag="")
            return Write(changes, Claimed(claimed, previous), merge=True)

        return compare_and_set.update(self._table(), PARTITION, row.key, decide)

    def finish(self, row: BatchRow, state: RowState, outcome: str, message: str, *, unknown: bool = False) -> bool:
        """Moves a row this run claimed on (done, failed, or back to pending for a later try); False when another
        run has taken the row over meanwhile."""
        tries = row.tries + (1 if state is RowState.PENDING else 0)
        changes = {"State": str(state), "Outcome": outcome, "Message": message[:500], "Tries": tries, "Unknown": unknown}
        if row.etag and self._merge_if_unchanged(row.key, row.etag, changes):
            return True

        def decide(entity: TableEntity | None) -> Write[bool] | Keep[bool]:
            if entity is None or entity.get("State") != RowState.SENDING or int(entity.get("Attempt", 0)) != row.attempt:
                return Keep(False)
            return Write(changes, True, merge=True)

        return compare_and_set.update(self._table(), PARTITION, row.key, decide)

    def _merge_if_unchanged(self, key: str, etag: str, changes: dict[str, object]) -> str:
        """The row's new ETag, or "" when someone else wrote it since `etag` (then the caller reads it again)."""
        try:
            written = self._table().update_entity(
                {"PartitionKey": PARTITION, "RowKey": key, **changes},
                mode=UpdateMode.MERGE,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return ""
        return str(written.get("etag", ""))

    def delete(self, batch_id: str) -> int:
        deleted = 0
        keys = self._range(batch_id, select=["PartitionKey", "RowKey"])
        while chunk := list(islice(keys, TRANSACTION_SIZE)):
            self._table().submit_transaction([("delete", entity) for entity in chunk])
            deleted += len(chunk)
        return deleted

    def _range(self, batch_id: str, select: list[str] | None = None) -> Iterator[TableEntity]:
        query = "PartitionKey eq @pk and RowKey gt @first and RowKey lt @last"
        return iter(
            self._table().query_entities(query, parameters=_bounds(batch_id), select=select, results_per_page=registry.MAX_RESULTS_PER_PAGE)
        )


def _claim(state: RowState, unknown: bool, attempt: int) -> dict[str, object]:
    """A claim is the next try; a row found 'sending' was left by a run that died, so that try's outcome is unknown."""
    return {"State": str(RowState.SENDING), "Attempt": attempt + 1, "Unknown": unknown or state is RowState.SENDING}


def _bounds(batch_id: str) -> dict[str, str]:
    # Every row key of the batch is <id>-NNNNN: after "<id>-" and before "<id>." ('.' follows '-').
    return {"pk": PARTITION, "first": f"{batch_id}-", "last": f"{batch_id}."}


def _entity(batch_id: str, index: int, row: CheckedRow) -> dict[str, object]:
    return {
        "PartitionKey": PARTITION,
        "RowKey": row_key(batch_id, index),
        "Line": row.line,
        "Identifier": row.identifier,
        "Tier": row.tier,
        "Days": row.days,
        "TierId": row.tier_id,
        "AccessDays": row.access_days,
        "State": str(RowState.PENDING if row.ok else RowState.SKIPPED),
        "Check": row.error_code,
        "Message": row.error,
        "Outcome": "",
        "Attempt": 0,
        "Tries": 0,
        "Unknown": False,
    }


def _row(entity: TableEntity | dict[str, object]) -> BatchRow:
    return BatchRow(
        key=str(entity["RowKey"]),
        line=int(str(entity.get("Line", 0))),
        identifier=str(entity.get("Identifier", "")),
        tier=str(entity.get("Tier", "")),
        days=str(entity.get("Days", "")),
        tier_id=str(entity.get("TierId", "")),
        access_days=int(str(entity.get("AccessDays", 0))),
        state=RowState(str(entity.get("State", RowState.PENDING))),
        check=str(entity.get("Check", "")),
        message=str(entity.get("Message", "")),
        outcome=str(entity.get("Outcome", "")),
        attempt=int(str(entity.get("Attempt", 0))),
        tries=int(str(entity.get("Tries", 0))),
        unknown=bool(entity.get("Unknown", False)),
        etag=str(entity.metadata.get("etag", "")) if isinstance(entity, TableEntity) else "",
    )
