"""Writing over the version an instance last wrote (compare_and_set's KnownVersions) stays exact when other
instances write the same entities: a stale guess costs a refused write, never a lost or doubled count."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from shared.invites.counters import InviteCounters
from shared.invites.log import InviteOutcome
from shared.limits.rate_limits import Limit, RateLimiter
from shared.storage import compare_and_set
from shared.storage.compare_and_set import KnownVersions, Write
from shared.storage.tables import COUNTERS, RATE_LIMITS, StorageMeter, build_table_service

AT = datetime(2026, 11, 20, 8, tzinfo=UTC)


def test_totals_stay_exact_with_two_instances_writing_the_same_shards(tables):
    instances = [InviteCounters(lambda: tables.client(COUNTERS), pick_shard=lambda: 0) for _ in range(2)]
    outcomes = [InviteOutcome.INVITED] * 24 + [InviteOutcome.USER_NOT_FOUND] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: instances[n % 2].record(outcomes[n], AT), range(len(outcomes))))
    assert instances[0].totals().by_outcome == {"invited": 24, "user_not_found": 8}
    assert instances[1].daily(AT.date(), AT.date())[AT.date()].by_outcome == {"invited": 24, "user_not_found": 8}


def test_a_limit_holds_exactly_across_two_instances_taking_turns(tables):
    limit = [Limit("Minute", 5, 60)]
    instances = [RateLimiter(lambda: tables.client(RATE_LIMITS), clock=lambda: 1_000_000.0) for _ in range(2)]
    allowed = [instances[n % 2].hit("ip-shared", limit).allowed for n in range(10)]
    assert allowed == [True] * 5 + [False] * 5


def test_a_refusal_seen_on_a_remembered_version_is_checked_against_storage(tables):
    limit = [Limit("Minute", 3, 60)]
    mine, other = (RateLimiter(lambda: tables.client(RATE_LIMITS), clock=lambda: 1_000_000.0) for _ in range(2))
    decisions = [mine.hit("ip-x", limit) for _ in range(3)]
    assert all(d.allowed for d in decisions)
    other.give_back("ip-x", decisions[-1])  # e.g. the request was turned away for its code on another instance
    assert mine.hit("ip-x", limit).allowed, "this instance remembered 3 of 3, but storage says 2"
    assert not other.hit("ip-x", limit).allowed


def test_an_entity_only_this_instance_writes_costs_one_request_per_update(backing_services, tables):
    meter = StorageMeter()
    client = build_table_service(backing_services.azurite_connection_string, "", meter=meter).get_table_client(tables.name(COUNTERS))
    known = KnownVersions()

    def add_one(entity):
        return Write({"N": (entity or {}).get("N", 0) + 1}, None)

    compare_and_set.update(client, "p", "solo", add_one, known=known)  # created: one insert, no read
    before = meter.read()
    for _ in range(3):
        compare_and_set.update(client, "p", "solo", add_one, known=known)
    assert (meter.read() - before).requests == 3
    tables.client(COUNTERS).upsert_entity({"PartitionKey": "p", "RowKey": "solo", "N": 10})  # another writer
    compare_and_set.update(client, "p", "solo", add_one, known=known)  # refused write, read, write
    assert client.get_entity("p", "solo")["N"] == 11
