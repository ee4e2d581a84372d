"""Batch invitations: the owner uploads a CSV, reviews each row's check, starts it, and the rows are invited in
the background, a chunk per queue message, at a steady pace.

- Exactly once per row: one run at a time holds the batch's lease (a compare-and-set on the batch row, renewed
  before every row), rows are claimed by compare-and-set (batch_rows), and each try of a row is an owner invite
  with its own idempotency key; a try taken over from a run that died first reads the share list.
- No long invocations: a message sends at most `rows_per_message` rows, then puts a continuation message on the
  queue. When plex.tv limits us the continuation waits (the message's visibility delay), no invocation sleeps it out.
- A redelivered message resumes where the rows' states say. A batch that shows no progress for `stall_seconds`
  (its message lost, or its instance killed) is put back on the queue the next time its progress is read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, UpdateMode

from shared.access.grants import GrantStatus, GrantStore
from shared.access.shares import ShareSnapshots
from shared.access.tiers import Tier, TierError, TierStore
from shared.errors import DomainError, ErrorKind
from shared.invites.batch_csv import CheckedRow, check_rows, read_rows
from shared.invites.batch_rows import BatchRow, BatchRows, RowState
from shared.invites.log import InviteOutcome
from shared.invites.service import InviteResult, InviteService, OwnerInvitation
from shared.plex.errors import PlexError
from shared.plex.gateway import PlexShare
from shared.spreadsheet import csv_text
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, Keep, Write

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

log = logging.getLogger(__name__)

PARTITION = registry.BATCHES.name
QUEUE_NAME = "helpr-batches"
POISON_QUEUE_NAME = f"{QUEUE_NAME}-poison"
MAX_TRIES = 5
# Claims of one row, counting runs that died or failed before it had an outcome (those don't count as tries): past
# this the row is failed instead of being handed out again for as long as the owner's page keeps the batch going.
MAX_CLAIMS = 2 * MAX_TRIES
MAX_WAIT_SECONDS = 3600
LEASE_TRIES = 10
# Outcomes that say "not now" rather than "no": the row goes back to pending and the batch waits this long.
_WAIT_SECONDS = {
    InviteOutcome.PLEX_RATE_LIMITED: 60,
    InviteOutcome.PLEX_UNAVAILABLE: 30,
    InviteOutcome.PLEX_UNCONFIRMED: 30,
    InviteOutcome.NOT_RECORDED: 60,
    InviteOutcome.INVALID_OWNER_TOKEN: 300,
}


class BatchState(StrEnum):
    REVIEW = "review"  # uploaded and checked; nothing sent until the owner starts it
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class BatchSettings:
    pace_seconds: float = 2.0  # between the starts of two invites
    stall_seconds: float = 300.0  # no progress this long: the batch is put back on the queue
    rows_per_message: int = 0  # 0: about a minute's worth at the pace, from 5 to 100
    parallel: int = 4  # invites in flight at once (only reached when plex.tv answers slower than the pace)

    @property
    def chunk_rows(self) -> int:
        return self.rows_per_message or max(5, min(100, int(60 / self.pace_seconds)))

    @property
    def lease_seconds(self) -> float:
        return self.stall_seconds / 3


@dataclass(frozen=True)
class Batch:
    id: str
    name: str
    state: BatchState
    created_at: float
    total: int
    started_at: float | None = None
    finished_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    batch: Batch
    counts: dict[str, int]
    rows: list[BatchRow]
    plex_error: str = ""  # on upload: why the check couldn't ask plex.tv who already has a share

    @property
    def percent(self) -> int:
        """How much of what is to be sent has been sent (skipped rows aren't sent); 100 only once all of it was."""
        counts = self.counts
        to_send = counts["total"] - counts["skipped"]
        return 100 if not to_send else 100 * (counts["done"] + counts["failed"]) // to_send


@dataclass(frozen=True)
class CheckedFile:
    rows: list[CheckedRow]
    plex_error: str = ""  # why plex.tv's share list couldn't be read for the check; "" when it was


class BatchNotFound(DomainError):
    default_kind = ErrorKind.NOT_FOUND

    def __init__(self) -> None:
        super().__init__(
            "batch_not_found", "There is no such batch (batches are deleted some time after they finish). Upload the file again."
        )


class BatchStateError(DomainError):
    default_kind = ErrorKind.CONFLICT


class BatchQueue:
    """The queue the run_batch function reads: one message per chunk of a batch."""

    def __init__(self, queue: Callable[[], QueueClient]) -> None:
        self._queue = queue
        self._created = False

    def send(self, batch_id: str, chain: str, delay_seconds: float = 0) -> None:
        queue = self._queue()
        if not self._created:
            with contextlib.suppress(ResourceExistsError):
                queue.create_queue()
            self._created = True
        queue.send_message(json.dumps({"batch": batch_id, "chain": chain}), visibility_timeout=int(delay_seconds) or None)


def _account_names(share: PlexShare) -> set[str]:
    """Who a share is for as a CSV row names them: a username or an email, not the display name ("Sam" is no
    account's name, and a new friend may be called that)."""
    return {name for name in share.names if "@" in name or name == share.username.lower()}


@dataclass(frozen=True)
class BatchMessage:
    batch_id: str
    chain: str  # the batch's chain token when the message was sent: only the newest message of a batch runs


def read_message(message: str) -> BatchMessage:
    body = json.loads(message)
    if not isinstance(body, dict):
        return BatchMessage("", "")
    return BatchMessage(str(body.get("batch", "")), str(body.get("chain", "")))


class BatchInvitations:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        rows: BatchRows,
        *,
        tiers: TierStore,
        grants: GrantStore,
        shares: ShareSnapshots,
        invites: Callable[[], InviteService],
        queue: BatchQueue,
        settings: BatchSettings,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table_provider
        self._rows = rows
        self._tiers = tiers
        self._grants = grants
        self._shares = shares
        self._invites = invites
        self._queue = queue
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        # Each run's last write of the batch row, by lease: renewing is then one request.
        self._etags: dict[str, str] = {}

    # -- the owner's side -------------------------------------------------------------------------------------

    def check(self, data: bytes) -> CheckedFile:
        """Each row of the file and what its check found; nothing is stored. Raises BatchFileError."""
        raw = read_rows(data)
        has_access = {grant.identifier for grant in self._grants.all() if grant.status is GrantStatus.ACTIVE}
        # plex.tv not answering doesn't hold the check up: the owner is told, and a row for someone it already shares
        # with then fails when it is sent, with Plex's reason.
        snapshot = self._shares.read()
        shared = frozenset(name for share in snapshot.shares or () for name in _account_names(share))
        return CheckedFile(check_rows(raw, self._tiers.list(), has_access, shared), snapshot.error)

    def create(self, name: str, data: bytes) -> Progress:
        """Stores the file's checked rows as a batch to review; nothing is sent until start()."""
        checked_file = self.check(data)
        checked = checked_file.rows
        now = self._clock()
        batch_id = f"{10**13 - int(now * 1000):013d}{secrets.token_hex(3)}"
        self._rows.add(batch_id, checked)  # rows first: a listed batch always has its rows
        counts = Counter(str(RowState.PENDING if row.ok else RowState.SKIPPED) for row in checked)
        entity = {
            "Name": name.strip()[:120] or "upload.csv",
            "State": str(BatchState.REVIEW),
            "CreatedAt": now,
            "Total": len(checked),
            "Counts": json.dumps(counts),
            "LeaseOwner": "",
            "LeaseUntil": 0.0,
            "QuietUntil": now,
        }
        self._table().create_entity({"PartitionKey": PARTITION, "RowKey": batch_id, **entity})
        return replace(self.progress(batch_id), plex_error=checked_file.plex_error)

    def start(self, batch_id: str) -> Progress:
        def decide(entity: TableEntity | None) -> Write[None] | Keep[None]:
            batch = _batch(_existing(entity))
            if batch.state is not BatchState.REVIEW:
                raise BatchStateError("batch_not_in_review", f"This batch is {batch.state} already, so it can't be started again.")
            now = self._clock()
            return Write({"State": str(BatchState.RUNNING), "StartedAt": now, "QuietUntil": now, "Chain": chain}, None, merge=True)

        chain = secrets.token_hex(8)
        compare_and_set.update(self._table(), PARTITION, batch_id, decide)
        self._queue.send(batch_id, chain)
        return self.progress(batch_id)

    def cancel(self, batch_id: str) -> Progress:
        """Stops a batch: rows not sent yet are skipped; a row being sent at this moment still finishes."""

        def decide(entity: TableEntity | None) -> Write[None] | Keep[None]:
            batch = _batch(_existing(entity))
            if batch.state in (BatchState.DONE, BatchState.CANCELLED):
                raise BatchStateError("batch_finished", f"This batch is {batch.state} already; there is nothing left to cancel.")
            return Write({"State": str(BatchState.CANCELLED), "FinishedAt": self._clock()}, None, merge=True)

        compare_and_set.update(self._table(), PARTITION, batch_id, decide)
        self._store_counts(batch_id)
        return self.progress(batch_id)

    def progress(self, batch_id: str, *, with_rows: bool = True) -> Progress:
        """The batch, its counts and its rows; a running batch that has stalled is put back on the queue."""
        entity = self._get(batch_id)
        batch = _batch(entity)
        rows = [_as_seen(row, batch.state) for row in self._rows.all(batch_id)]
        counts = _counts(rows)
        if batch.state is BatchState.RUNNING and float(entity.get("QuietUntil", 0)) + self._settings.stall_seconds < self._clock():
            self._nudge(batch_id)
        return Progress(batch, counts, rows if with_rows else [])

    def recent(self, limit: int = 20) -> list[Batch]:
        found = self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION}, results_per_page=limit)
        return [_batch(entity) for entity in islice(found, limit)]

    def delete_finished_before(self, cutoff: float) -> int:
        """Batches (and their rows) that finished, or were never started, before `cutoff`; returns the rows deleted."""
        table = self._table()
        # The SDK fills in each @name that stands alone between spaces.
        query = "PartitionKey eq @pk and ( FinishedAt lt @cutoff or ( State eq @review and CreatedAt lt @cutoff ) )"
        old = list(table.query_entities(query, parameters={"pk": PARTITION, "cutoff": cutoff, "review": str(BatchState.REVIEW)}))
        deleted = 0
        for entity in old:
            deleted += self._rows.delete(str(entity["RowKey"]))
            table.delete_entity(PARTITION, str(entity["RowKey"]))
        return deleted

    # -- the queue's side -------------------------------------------------------------------------------------

    def run(self, batch_id: str, chain: str | None = None) -> str:
        """Sends the next chunk of the batch's rows; says what it did (for the log). A new invite starts every
        `pace_seconds`, with at most `parallel` of them in flight.

        `chain`: the message's chain token. Each message that carries a batch on gets a new token, stored on the
        batch, so a message the batch has moved past (the host hands out a failed run's message again after its
        visibility timeout, while a newer one already carries the batch) is dropped instead of running a second
        chain beside it. None when the caller is no queue message."""
        lease = secrets.token_hex(8)
        if not self._take_lease(batch_id, lease, chain):
            return "not running, or another run holds it"
        try:
            return self._run_chunk(batch_id, lease)
        except BaseException:
            # The host hands the message out again: let that try take the batch at once (its rows say where it was).
            with contextlib.suppress(AzureError, Contended):
                self._release(batch_id, lease)
            raise
        finally:
            self._etags.pop(lease, None)

    def _run_chunk(self, batch_id: str, lease: str) -> str:
        rows = self._rows.open_rows(batch_id, self._settings.chunk_rows)
        if not rows:
            self._finish(batch_id, lease)
            return "finished"
        tiers: dict[str, Tier] = {}
        waits: list[float] = []
        sent = 0
        with ThreadPoolExecutor(max_workers=self._settings.parallel, thread_name_prefix="batch") as pool:
            running: list[Future[float]] = []
            for row in rows:
                waits += [future.result() for future in running if future.done()]
                running = [future for future in running if not future.done()]
                if any(waits) or (sent and not self._renew(batch_id, lease)):
                    break
                while len(running) >= self._settings.parallel:
                    wait_for(running, return_when=FIRST_COMPLETED)
                    waits += [future.result() for future in running if future.done()]
                    running = [future for future in running if not future.done()]
                running.append(pool.submit(self._send, row, tiers))
                sent += 1
                self._sleep(self._settings.pace_seconds)
            waits += [future.result() for future in running]
        if not self._renew(batch_id, lease):
            return f"stopped after {sent} rows: cancelled or taken over"
        wait = min(max(waits, default=0), MAX_WAIT_SECONDS)
        chain = secrets.token_hex(8)
        self._release(batch_id, lease, quiet_for=wait, chain=chain)
        self._queue.send(batch_id, chain, wait)
        if wait:
            return f"sent {sent} rows; plex.tv asked us to wait {wait:.0f} s"
        return f"sent {sent} rows"

    def _send(self, row: BatchRow, tiers: dict[str, Tier]) -> float:
        """Claims and invites one row; returns how long the batch must wait before the next one (0: go on)."""
        claimed = self._rows.claim(row)
        if claimed is None:
            return 0
        row = claimed.row
        if row.attempt > MAX_CLAIMS:
            message = f"Gave up: {MAX_CLAIMS} runs took this row and none finished it. See the Users view before sending it again."
            self._rows.finish(row, RowState.FAILED, "gave_up", message)
            return 0
        try:
            tier = tiers.get(row.tier_id) or self._tiers.get(row.tier_id)
        except TierError:
            self._rows.finish(row, RowState.FAILED, "unknown_tier", "Its tier was deleted after the file was uploaded; nothing was sent.")
            return 0
        tiers[row.tier_id] = tier
        invitation = OwnerInvitation(row.identifier, tier, row.access_days, f"batch-{row.key}-{row.attempt}", row.unknown)
        try:
            result = self._invites().invite_for_owner(invitation)
        except PlexError as error:  # the share list couldn't be read for a row left half-sent
            return self._later(row, "plex_unavailable", f"plex.tv didn't answer: {error.detail}", error.retry_after or 30, unknown=True)
        except DomainError as error:
            if error.kind in (ErrorKind.INVALID, ErrorKind.UNPROCESSABLE):
                self._rows.finish(row, RowState.FAILED, error.code, error.message)
                return 0
            return self._later(row, error.code, error.message, error.retry_after or 60, unknown=row.unknown)
        return self._settle(row, result)

    def _settle(self, row: BatchRow, result: InviteResult) -> float:
        outcome = result.outcome
        message = result.detail if result.detail and not outcome.succeeded else result.message
        if outcome.succeeded:
            # Said to the owner, who sent it: the guest's wording ("Plex emails you...") is for the guest page.
            shared = f" Shares {', '.join(result.libraries)}." if result.libraries else ""
            self._rows.finish(row, RowState.DONE, str(outcome), f"Invited {row.identifier}.{shared}")
            return 0
        if outcome in _WAIT_SECONDS:
            wait = max(result.retry_after or 0, _WAIT_SECONDS[outcome])
            return self._later(row, str(outcome), message, wait, unknown=outcome is InviteOutcome.PLEX_UNCONFIRMED)
        self._rows.finish(row, RowState.FAILED, str(outcome), message)
        return 0

    def _later(self, row: BatchRow, outcome: str, message: str, wait: float, *, unknown: bool) -> float:
        if row.tries + 1 >= MAX_TRIES:
            self._rows.finish(row, RowState.FAILED, outcome, f"Gave up after {MAX_TRIES} tries: {message}")
            return 0
        self._rows.finish(row, RowState.PENDING, outcome, message, unknown=unknown)
        return wait

    # -- the batch row: state, lease and counts ----------------------------------------------------------------

    def _take_lease(self, batch_id: str, lease: str, chain: str | None = None) -> bool:
        """The batch for this run, unless it isn't running, a live run holds it (that one queues the next message),
        or a newer message carries it on (`chain` isn't the batch's)."""

        def free(entity: TableEntity) -> bool:
            held = bool(entity.get("LeaseOwner")) and float(entity.get("LeaseUntil", 0)) > self._clock()
            current = chain is None or str(entity.get("Chain", "")) == chain
            return entity.get("State") == BatchState.RUNNING and not held and current

        return self._lease_write(batch_id, lease, free, {"LeaseOwner": lease})

    def _renew(self, batch_id: str, lease: str) -> bool:
        """False once the batch was cancelled or another run took it over (the lease ran out)."""
        return self._lease_write(
            batch_id, lease, lambda entity: entity.get("State") == BatchState.RUNNING and entity.get("LeaseOwner") == lease, {}
        )

    def _lease_write(self, batch_id: str, lease: str, allowed: Callable[[TableEntity], bool], changes: dict[str, object]) -> bool:
        """Writes the lease's end (and `changes`) if `allowed` says so. While nobody else wrote the batch since this
        run did, that is one request with the ETag this run last wrote; otherwise the batch is read and checked again."""
        table = self._table()
        etag = self._etags.get(lease, "")
        for _ in range(LEASE_TRIES):
            if not etag:
                try:
                    entity = table.get_entity(PARTITION, batch_id)
                except ResourceNotFoundError:
                    return False
                if not allowed(entity):
                    return False
                etag = str(entity.metadata["etag"])
            until = self._clock() + self._settings.lease_seconds
            entity_changes = {"PartitionKey": PARTITION, "RowKey": batch_id, "LeaseUntil": until, "QuietUntil": until, **changes}
            try:
                written = table.update_entity(
                    entity_changes, mode=UpdateMode.MERGE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                etag = ""
                continue
            self._etags[lease] = str(written["etag"])
            return True
        return False

    def _release(self, batch_id: str, lease: str, *, quiet_for: float = 0, chain: str | None = None) -> None:
        """Lets the next run take the batch; with `chain`, only a message carrying that token may."""
        counts = json.dumps(_counts(self._rows.all(batch_id)))

        def decide(entity: TableEntity | None) -> Write[None] | Keep[None]:
            if entity is None or entity.get("LeaseOwner") != lease:
                return Keep(None)
            now = self._clock()
            changes: dict[str, object] = {"LeaseOwner": "", "LeaseUntil": 0.0, "QuietUntil": now + quiet_for, "Counts": counts}
            if chain is not None:
                changes["Chain"] = chain
            return Write(changes, None, merge=True)

        compare_and_set.update(self._table(), PARTITION, batch_id, decide)

    def _finish(self, batch_id: str, lease: str) -> None:
        counts = json.dumps(_counts(self._rows.all(batch_id)))

        def decide(entity: TableEntity | None) -> Write[None] | Keep[None]:
            if entity is None or entity.get("LeaseOwner") != lease or entity.get("State") != BatchState.RUNNING:
                return Keep(None)
            changes = {"State": str(BatchState.DONE), "FinishedAt": self._clock(), "LeaseOwner": "", "LeaseUntil": 0.0, "Counts": counts}
            return Write(changes, None, merge=True)

        compare_and_set.update(self._table(), PARTITION, batch_id, decide)

    def _store_counts(self, batch_id: str) -> None:
        state = _batch(self._get(batch_id)).state
        counts = json.dumps(_counts([_as_seen(row, state) for row in self._rows.all(batch_id)]))
        compare_and_set.update(self._table(), PARTITION, batch_id, lambda entity: Write({"Counts": counts}, None, merge=True))

    def _nudge(self, batch_id: str) -> None:
        def decide(entity: TableEntity | None) -> Write[bool] | Keep[bool]:
            now = self._clock()
            if entity is None or entity.get("State") != BatchState.RUNNING:
                return Keep(False)
            if float(entity.get("QuietUntil", 0)) + self._settings.stall_seconds >= now:
                return Keep(False)  # another reader put it back a moment ago
            return Write({"QuietUntil": now, "Chain": chain}, True, merge=True)

        # A new chain: the stalled run's message, if the host hands it out again later, is dropped.
        chain = secrets.token_hex(8)
        if compare_and_set.update(self._table(), PARTITION, batch_id, decide):
            log.warning("Batch %s showed no progress for %.0f s; put back on the queue", batch_id, self._settings.stall_seconds)
            self._queue.send(batch_id, chain)

    def _get(self, batch_id: str) -> TableEntity:
        if not batch_id.isalnum():
            raise BatchNotFound
        try:
            return self._table().get_entity(PARTITION, batch_id)
        except ResourceNotFoundError:
            raise BatchNotFound from None


def _existing(entity: TableEntity | None) -> TableEntity:
    if entity is None:
        raise BatchNotFound
    return entity


def _batch(entity: TableEntity) -> Batch:
    def moment(name: str) -> float | None:
        value = entity.get(name)
        return float(value) if value else None

    return Batch(
        id=str(entity["RowKey"]),
        name=str(entity.get("Name", "")),
        state=BatchState(str(entity.get("State", BatchState.REVIEW))),
        created_at=float(entity.get("CreatedAt", 0)),
        total=int(entity.get("Total", 0)),
        started_at=moment("StartedAt"),
        finished_at=moment("FinishedAt"),
        counts={str(k): int(v) for k, v in json.loads(str(entity.get("Counts") or "{}")).items()},
    )


def _as_seen(row: BatchRow, state: BatchState) -> BatchRow:
    """A cancelled batch's unsent rows read as skipped."""
    if state is BatchState.CANCELLED and row.state is RowState.PENDING:
        return replace(row, state=RowState.SKIPPED, message="Not sent: the batch was cancelled.")
    return row


def _counts(rows: list[BatchRow]) -> dict[str, int]:
    by_state = Counter(row.state for row in rows)
    return {
        "total": len(rows),
        "done": by_state[RowState.DONE],
        "failed": by_state[RowState.FAILED],
        "skipped": by_state[RowState.SKIPPED],
        "pending": by_state[RowState.PENDING] + by_state[RowState.SENDING],
    }


RESULT_COLUMNS = ("line", "identifier", "tier", "days", "status", "outcome", "message")


def results_csv(progress: Progress) -> str:
    """One line per row of the file: what was uploaded and what became of it."""
    return csv_text(
        RESULT_COLUMNS,
        (
            (str(row.line), row.identifier, row.tier, row.days, str(row.state), row.outcome or row.check, row.message)
            for row in progress.rows
        ),
    )
