"""Invite log, counters and runtime settings on Azurite."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from shared.config.runtime_settings import LibrarySelection, RuntimeSettings
from shared.invites.counters import InviteCounters
from shared.invites.log import InviteLog, InviteOutcome, InviteRecord
from shared.storage.tables import COUNTERS, INVITE_LOG, SETTINGS


def _record(identifier: str, at: datetime, outcome: InviteOutcome = InviteOutcome.INVITED) -> InviteRecord:
    return InviteRecord(
        created_at=at,
        identifier_submitted=f" {identifier} ",
        identifier_normalized=identifier,
        identifier_kind="username",
        outcome=outcome,
        client_ip_hash="abc",
        invite_code="code-1",
        libraries=("Movies", "TV Shows"),
    )


def test_invite_log_reads_newest_first_with_every_field(tables):
    log = InviteLog(lambda: tables.client(INVITE_LOG))
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    for minute in (5, 1, 9, 3):
        log.append(_record(f"user{minute}", start + timedelta(minutes=minute)))
    recent = log.recent(3)
    assert [r.identifier_normalized for r in recent] == ["user9", "user5", "user3"]
    first = recent[0]
    assert first.created_at == start + timedelta(minutes=9)
    assert first.identifier_submitted == " user9 "
    assert first.libraries == ("Movies", "TV Shows")
    assert first.invite_code == "code-1"
    assert first.outcome is InviteOutcome.INVITED


def test_same_instant_entries_are_all_kept(tables):
    log = InviteLog(lambda: tables.client(INVITE_LOG))
    at = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(5):
        log.append(_record(f"u{n}", at))
    assert len(log.recent(10)) == 5


def test_counters_are_exact_under_concurrent_writers(tables):
    counters = InviteCounters(lambda: tables.client(COUNTERS))
    at = datetime(2026, 11, 20, 8, tzinfo=UTC)
    outcomes = [InviteOutcome.INVITED] * 30 + [InviteOutcome.USER_NOT_FOUND] * 10
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda outcome: counters.record(outcome, at), outcomes))
    totals = counters.totals()
    assert totals.by_outcome == {"invited": 30, "user_not_found": 10}
    assert (totals.sent, totals.succeeded, totals.failed) == (30, 30, 10)


def test_daily_counters_split_by_day(tables):
    counters = InviteCounters(lambda: tables.client(COUNTERS))
    counters.record(InviteOutcome.INVITED, datetime(2026, 11, 19, 23, 59, tzinfo=UTC))
    counters.record(InviteOutcome.ALREADY_SHARED, datetime(2026, 11, 20, 0, 1, tzinfo=UTC))
    counters.record(InviteOutcome.PLEX_UNAVAILABLE, datetime(2026, 11, 20, 10, tzinfo=UTC))
    days = counters.daily(date(2026, 11, 18), date(2026, 11, 20))
    assert [days[d].succeeded for d in sorted(days)] == [0, 1, 1]
    assert [days[d].failed for d in sorted(days)] == [0, 0, 1]


def test_library_selection_round_trips_and_defaults_to_everything(tables):
    settings = RuntimeSettings(lambda: tables.client(SETTINGS))
    assert settings.library_selection().shares_everything
    settings.set_library_selection(LibrarySelection((118181361,), ("Movies",)))
    other_instance = RuntimeSettings(lambda: tables.client(SETTINGS))
    assert other_instance.library_selection() == LibrarySelection((118181361,), ("Movies",))


def test_ip_hash_key_is_shared_by_every_instance(tables):
    first = RuntimeSettings(lambda: tables.client(SETTINGS)).ip_hash_key()
    second = RuntimeSettings(lambda: tables.client(SETTINGS)).ip_hash_key()
    assert first == second
    assert len(first) == 32
