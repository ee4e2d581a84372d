"""The one compare-and-set helper on Azurite: creates, updates, keeps, retries lost races, and gives up at the cap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.exceptions import ResourceNotFoundError

from shared.storage import compare_and_set
from shared.storage.compare_and_set import Contended, Keep, RetryPolicy, Write
from shared.storage.tables import COUNTERS

PK = "cas-test"


def add(amount: int = 1):
    def decide(entity):
        count = 0 if entity is None else entity["Count"]
        return Write({"Count": count + amount}, count + amount)

    return decide


def test_creates_a_missing_entity_then_updates_it(tables):
    table = tables.client(COUNTERS)
    assert compare_and_set.update(table, PK, "one", add()) == 1
    assert compare_and_set.update(table, PK, "one", add(2)) == 3
    stored = table.get_entity(PK, "one")
    assert (stored["PartitionKey"], stored["RowKey"], stored["Count"]) == (PK, "one", 3)


def test_keep_writes_nothing_and_returns_its_result(tables):
    table = tables.client(COUNTERS)
    assert compare_and_set.update(table, PK, "absent", lambda entity: Keep("nothing")) == "nothing"
    with pytest.raises(ResourceNotFoundError):
        table.get_entity(PK, "absent")
    compare_and_set.update(table, PK, "present", add())
    etag = table.get_entity(PK, "present").metadata["etag"]
    compare_and_set.update(table, PK, "present", lambda entity: Keep(entity["Count"]))
    assert table.get_entity(PK, "present").metadata["etag"] == etag


def test_replace_drops_properties_the_decision_leaves_out_and_merge_keeps_them(tables):
    table = tables.client(COUNTERS)
    compare_and_set.update(table, PK, "row", lambda entity: Write({"A": 1, "B": 2}, None))
    compare_and_set.update(table, PK, "row", lambda entity: Write({"A": 3}, None, merge=True))
    assert (table.get_entity(PK, "row")["A"], table.get_entity(PK, "row")["B"]) == (3, 2)
    compare_and_set.update(table, PK, "row", lambda entity: Write({"A": 4}, None))
    assert "B" not in table.get_entity(PK, "row")


def test_an_error_raised_by_decide_ends_the_update_with_nothing_written(tables):
    table = tables.client(COUNTERS)
    compare_and_set.update(table, PK, "row", add())

    def refuse(entity):
        raise ValueError("used up")

    with pytest.raises(ValueError, match="used up"):
        compare_and_set.update(table, PK, "row", refuse)
    assert table.get_entity(PK, "row")["Count"] == 1


def test_many_concurrent_updaters_on_one_entity_count_exactly(tables):
    table = tables.client(COUNTERS)
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(lambda _: compare_and_set.update(table, PK, "hot", add()), range(120)))
    assert table.get_entity(PK, "hot")["Count"] == 120
    assert sorted(results) == list(range(1, 121)), "each updater saw its own write land"


def test_losing_the_race_to_create_retries_as_an_update(tables):
    table = tables.client(COUNTERS)
    seen = []

    def decide(entity):
        seen.append(entity)
        if entity is None:
            table.create_entity({"PartitionKey": PK, "RowKey": "raced", "Count": 10})  # another instance got there first
        return add()(entity)

    assert compare_and_set.update(table, PK, "raced", decide, sleep=lambda s: None) == 11
    assert seen[0] is None and seen[1]["Count"] == 10


def test_a_row_deleted_between_read_and_write_is_read_again(tables):
    table = tables.client(COUNTERS)
    compare_and_set.update(table, PK, "gone", add(5))
    calls = []

    def decide(entity):
        calls.append(entity)
        if len(calls) == 1:
            table.delete_entity(PK, "gone")  # e.g. the retention sweep
        return add()(entity)

    assert compare_and_set.update(table, PK, "gone", decide, sleep=lambda s: None) == 1
    assert calls[1] is None


class Busy(Contended):
    """A caller's own kind of contention."""


def test_gives_up_after_the_policy_attempts_with_jittered_pauses_between_them(tables):
    table = tables.client(COUNTERS)
    compare_and_set.update(table, PK, "contended", add())
    pauses: list[float] = []
    attempts = []

    def always_overtaken(entity):
        attempts.append(entity)
        table.upsert_entity({"PartitionKey": PK, "RowKey": "contended", "Count": 0})  # someone else writes first, every time
        return add()(entity)

    policy = RetryPolicy(attempts=5, step_seconds=0.01, max_delay_seconds=0.025)
    with pytest.raises(Busy) as raised:
        compare_and_set.update(table, PK, "contended", always_overtaken, policy=policy, sleep=pauses.append, contended=Busy)
    assert isinstance(raised.value, Contended)
    assert (raised.value.partition, raised.value.row_key, raised.value.attempts) == (PK, "contended", 5)
    assert len(attempts) == 5
    assert len(pauses) == 4, "no pause after the last attempt"
    assert all(0 <= pause <= min(0.025, 0.01 * (n + 1)) for n, pause in enumerate(pauses))
    assert table.get_entity(PK, "contended")["Count"] == 0, "none of its writes landed"


def test_the_default_policy_is_shared_and_bounded():
    policy = RetryPolicy()
    assert policy.attempts == 60
    assert all(0 <= policy.delay(n) <= 0.05 for n in range(100))
