"""Batch invitations run by the app's own code against Azurite and the Plex simulator: chunks per message,
exactly one invite per row even when a run died mid-row, plex.tv's rate limit answered by waiting on the
queue, cancel, and retention."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.invites.batch_rows import BatchRows, RowState
from shared.invites.batches import (
    MAX_CLAIMS,
    BatchInvitations,
    BatchQueue,
    BatchSettings,
    BatchState,
    BatchStateError,
    read_message,
    results_csv,
)
from shared.invites.service import OwnerInvitation
from shared.notify.queue_client import build_queue_client
from shared.storage import registry
from tests.support.containers import make_container

INVITE_POST = "POST /api/servers/{machineId}/shared_servers"


def emails(count: int, start: int = 0) -> list[str]:
    return [f"guest{n:04d}@example.com" for n in range(start, start + count)]


def csv_of(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def env(app_env):
    return {**app_env, "PLEX_RETRY_BUDGET_SECONDS": "1"}


@pytest.fixture
def parts(env, tables, simulator):
    container = make_container(env, tables=tables)
    table = lambda: tables.client(registry.BATCHES_TABLE.name)  # noqa: E731
    rows = BatchRows(table)
    queue = BatchQueue(lambda: build_queue_client(container.settings.queue_connection_string, "", f"{tables.prefix}batches"))

    def make(rows_per_message: int = 20, stall_seconds: float = 300.0) -> BatchInvitations:
        return BatchInvitations(
            table,
            rows,
            tiers=container.tiers,
            grants=container.grants,
            shares=container.share_snapshots,
            invites=lambda: container.invite_service,
            queue=queue,
            settings=BatchSettings(pace_seconds=0.0, stall_seconds=stall_seconds, rows_per_message=rows_per_message),
        )

    return container, rows, make


def invited(simulator) -> list[str]:
    return sorted(share["invited_email"] for share in simulator.state()["shares"])


def run_to_end(batches: BatchInvitations, batch_id: str, limit: int = 50) -> list[str]:
    said = []
    for _ in range(limit):
        said.append(batches.run(batch_id))
        if said[-1] == "finished":
            return said
    raise AssertionError(f"the batch didn't finish: {said}")


def test_a_started_batch_invites_each_valid_row_once_a_chunk_per_message(parts, simulator):
    _, _, make = parts
    batches = make(rows_per_message=20)
    people = emails(45)
    created = batches.create("people.csv", csv_of([*people, "not a valid name!!,,", people[3]]))
    assert created.batch.state is BatchState.REVIEW
    assert created.counts == {"total": 47, "done": 0, "failed": 0, "skipped": 2, "pending": 45}
    assert simulator.counts()["endpoints"].get(INVITE_POST) is None  # nothing is sent before the owner starts it

    batches.start(created.batch.id)
    said = run_to_end(batches, created.batch.id)

    assert said == ["sent 20 rows", "sent 20 rows", "sent 5 rows", "finished"]
    assert invited(simulator) == sorted(people)
    assert simulator.counts()["endpoints"][INVITE_POST] == 45
    final = batches.progress(created.batch.id)
    assert final.batch.state is BatchState.DONE
    assert final.counts == {"total": 47, "done": 45, "failed": 0, "skipped": 2, "pending": 0}
    assert final.percent == 100
    assert [r.state for r in final.rows[-2:]] == [RowState.SKIPPED, RowState.SKIPPED]
    assert final.rows[-1].check == "duplicate"
    # Each result is written for the owner who sent it, not in the guest page's words.
    assert final.rows[0].message == f"Invited {people[0]}. Shares Movies, TV Shows, Music, Kids Movies."
    with pytest.raises(BatchStateError):
        batches.start(created.batch.id)


def test_a_check_plex_tv_cant_answer_still_checks_every_row_and_says_what_it_couldnt(parts, simulator):
    _, _, make = parts
    simulator.seed_share(username="oldfriend")
    simulator.add_fault("/api/v2/shared_servers/owned/*", 503, method="GET", times=0)  # every share-list read fails
    checked = make().check(csv_of(["oldfriend", "bad name!!", "newcousin@example.com"]))
    assert [row.error_code for row in checked.rows] == ["", "bad_identifier", ""]
    assert checked.plex_error, "the owner is told the rows weren't checked against plex.tv's shares"


def test_a_row_whose_runs_keep_dying_before_an_outcome_is_failed_not_handed_out_forever(parts, simulator):
    _, rows, make = parts
    batches = make()
    batch_id = batches.create("one.csv", csv_of(["stuck@example.com"])).batch.id
    batches.start(batch_id)
    for _ in range(MAX_CLAIMS):  # each run claimed the row, then its instance died before an outcome was written
        [row] = rows.open_rows(batch_id, 1)
        assert rows.claim(row) is not None
    run_to_end(batches, batch_id)
    [row] = batches.progress(batch_id).rows
    assert (row.state, row.outcome) == (RowState.FAILED, "gave_up") and "Users view" in row.message
    assert simulator.counts()["endpoints"].get(INVITE_POST) is None


def test_someone_the_owner_already_shares_with_outside_the_portal_is_skipped_at_the_check(parts, simulator):
    _, _, make = parts
    batches = make()
    simulator.seed_share(username="oldfriend", title="Old Friend")
    simulator.seed_share(email="auntie@example.com", pending=True)
    simulator.seed_share(username="cousin_sam", title="Sam")
    created = batches.create("family.csv", csv_of(["OldFriend", "auntie@example.com", "newcousin@example.com", "sam"]))
    assert [(row.identifier, row.check) for row in created.rows] == [
        ("OldFriend", "shared_outside_portal"),
        ("auntie@example.com", "shared_outside_portal"),
        ("newcousin@example.com", ""),
        ("sam", ""),  # "Sam" is cousin_sam's display name, not an account: sam may be someone else
    ]
    assert "adopt them in the Users view" in created.rows[0].message

    batches.start(created.batch.id)
    run_to_end(batches, created.batch.id)
    assert simulator.counts()["endpoints"][INVITE_POST] == 2  # the new cousin and sam; nobody already shared with


def test_a_message_redelivered_after_its_run_died_mid_row_does_not_invite_twice(parts, simulator):
    container, rows, make = parts
    batches = make(stall_seconds=1.5)  # the dead run's lease ends 0.5 s after it was taken
    people = emails(3, start=100)
    batch_id = batches.create("three.csv", csv_of(people)).batch.id
    batches.start(batch_id)
    # A run took the lease, claimed the first row, and plex.tv shared it; then its instance died before the
    # row's state was written.
    assert batches._take_lease(batch_id, "dead-run")
    [first, *_] = rows.open_rows(batch_id, 1)
    claimed = rows.claim(first)
    assert claimed is not None
    tier = container.tiers.get("default")
    container.invite_service.invite_for_owner(OwnerInvitation(first.identifier, tier, 0, f"batch-{first.key}-{claimed.row.attempt}"))
    assert simulator.counts()["endpoints"][INVITE_POST] == 1

    assert batches.run(batch_id) == "not running, or another run holds it"  # the lease is still the dead run's
    time.sleep(0.6)
    run_to_end(batches, batch_id)

    assert invited(simulator) == sorted(people)
    assert simulator.counts()["endpoints"][INVITE_POST] == 3, "the row the dead run had sent was looked up, not sent again"
    final = batches.progress(batch_id)
    assert final.counts["done"] == 3
    assert container.grants.get(people[0]) is not None


def test_plex_rate_limiting_puts_the_row_back_and_the_batch_waits_on_the_queue(parts, simulator):
    _, _, make = parts
    batches = make()
    people = emails(2, start=200)
    batch_id = batches.create("two.csv", csv_of(people)).batch.id
    batches.start(batch_id)
    simulator.add_fault(method="POST", path="/api/servers/*/shared_servers", status=429, times=5, retry_after="90")

    started = time.monotonic()
    said = batches.run(batch_id)

    assert said == "sent 2 rows; plex.tv asked us to wait 90 s"
    assert time.monotonic() - started < 5, "the wait is the next message's delay, not a sleep"
    waiting = batches.progress(batch_id)
    assert waiting.counts["pending"] == 2
    assert [(row.outcome, row.tries) for row in waiting.rows] == [("plex_rate_limited", 1)] * 2
    simulator.clear_faults()
    run_to_end(batches, batch_id)
    assert invited(simulator) == sorted(people)


def test_cancel_skips_the_rows_not_sent_yet(parts, simulator):
    _, _, make = parts
    batches = make(rows_per_message=2)
    batch_id = batches.create("five.csv", csv_of(emails(5, start=300))).batch.id
    batches.start(batch_id)
    assert batches.run(batch_id) == "sent 2 rows"

    cancelled = batches.cancel(batch_id)

    assert cancelled.batch.state is BatchState.CANCELLED
    assert cancelled.counts == {"total": 5, "done": 2, "failed": 0, "skipped": 3, "pending": 0}
    assert batches.run(batch_id) == "not running, or another run holds it"
    assert len(invited(simulator)) == 2
    assert "cancelled" in results_csv(cancelled)
    with pytest.raises(BatchStateError):
        batches.cancel(batch_id)


def test_finished_batches_and_their_rows_are_deleted_after_retention(parts, simulator):
    _, rows, make = parts
    batches = make()
    kept = batches.create("kept.csv", csv_of(emails(2, start=400))).batch.id
    old = batches.create("old.csv", csv_of(emails(3, start=410))).batch.id
    batches.cancel(old)

    assert batches.delete_finished_before(time.time() + 1) == 3 + 2  # the cancelled one, and the one never started
    assert batches.recent() == []
    assert rows.all(kept) == [] and rows.all(old) == []


def test_the_results_file_keeps_formulas_as_text(parts):
    _, _, make = parts
    batches = make()
    progress = batches.create("x.csv", csv_of(["=HYPERLINK(evil),,", "+alice,,"]))
    text = results_csv(progress)
    assert text.splitlines()[0] == "line,identifier,tier,days,status,outcome,message"
    assert "'=HYPERLINK(evil)" in text and "'+alice" in text


def test_reading_a_stalled_batch_puts_it_back_on_the_queue_once(parts, tables):
    _, _, make = parts
    batches = make(stall_seconds=0.6)
    queue = build_queue_client(parts[0].settings.queue_connection_string, "", f"{tables.prefix}batches")
    batch_id = batches.create("one.csv", csv_of(emails(1, start=500))).batch.id
    batches.start(batch_id)
    queue.clear_messages()  # the start's message was lost
    batches.progress(batch_id)
    assert queue.get_queue_properties().approximate_message_count == 0, "not stalled yet"

    time.sleep(0.7)
    batches.progress(batch_id)
    batches.progress(batch_id)

    assert queue.get_queue_properties().approximate_message_count == 1
    assert batches.run(batch_id) == "sent 1 rows"


def test_a_message_the_batch_has_moved_past_is_dropped_not_run_as_a_second_chain(parts, tables, simulator):
    _, _, make = parts
    batches = make(rows_per_message=1, stall_seconds=0.6)
    queue = build_queue_client(parts[0].settings.queue_connection_string, "", f"{tables.prefix}batches")

    def take() -> list[str]:
        return [read_message(message.content).chain for message in queue.receive_messages(max_messages=32)]

    batch_id = batches.create("two.csv", csv_of(emails(2, start=700))).batch.id
    batches.start(batch_id)
    [failed_run] = take()  # its run fails; the host would hand it out again after the visibility timeout
    time.sleep(0.7)
    batches.progress(batch_id)  # no progress: a new message carries the batch on
    [carrier] = take()

    assert batches.run(batch_id, failed_run) == "not running, or another run holds it"
    assert batches.run(batch_id, carrier) == "sent 1 rows"
    [next_chunk] = take()
    assert batches.run(batch_id, carrier) == "not running, or another run holds it", "a message runs one chunk"
    assert batches.run(batch_id, next_chunk) == "sent 1 rows"
    assert len(invited(simulator)) == 2


def test_the_same_message_run_twice_at_once_invites_each_row_once(parts, simulator):
    _, _, make = parts
    batches = make(rows_per_message=10)
    people = emails(30, start=600)
    batch_id = batches.create("thirty.csv", csv_of(people)).batch.id
    batches.start(batch_id)

    def drain() -> list[str]:
        said = []
        for _ in range(20):
            said.append(batches.run(batch_id))
            if batches.progress(batch_id, with_rows=False).batch.state is not BatchState.RUNNING:
                break
        return said

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(drain) for _ in range(2)]
        said = [line for run in runs for line in run.result()]

    assert invited(simulator) == sorted(people)
    assert simulator.counts()["endpoints"][INVITE_POST] == 30
    assert said.count("finished") == 1
