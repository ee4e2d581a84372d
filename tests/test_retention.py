"""The retention sweep on Azurite with a moved clock: each kind of row past its time is deleted, rows
still in their window are kept, and the timer runs through the local functions host."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests
from azure.data.tables import TableClient

from shared.admin import sessions as admin_sessions
from shared.admin import throttle as login_throttle
from shared.admin.sessions import SessionStore
from shared.admin.throttle import ThrottlePolicy
from shared.invites import idempotency
from shared.invites.idempotency import IdempotencyStore
from shared.invites.log import InviteLog, InviteOutcome, InviteRecord
from shared.limits import rate_limits
from shared.limits.rate_limits import Limit, RateLimiter
from shared.retention import ABANDONED_CLAIM_SECONDS, Retention, RetentionReport
from shared.storage.tables import ADMIN, IDEMPOTENCY, INVITE_LOG, NOTIFY, RATE_LIMITS, Tables
from tests.support.waiting import wait_until

# A UTC midnight, so minute, hour and day windows all start together.
START = float(int(time.time() // 86400 - 1) * 86400)
MINUTE = Limit("InviteMinute", 5, 60)
HOUR = Limit("ApiHour", 50, 3600)
DAY = Limit("ApiDay", 200, 86400)


class MovedClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


def make_retention(tables: Tables, clock: Callable[[], float], *, days: int = 365, policy: ThrottlePolicy | None = None) -> Retention:
    return Retention(
        rate_limits_table=lambda: tables.client(RATE_LIMITS),
        idempotency_table=lambda: tables.client(IDEMPOTENCY),
        admin_table=lambda: tables.client(ADMIN),
        invite_log_table=lambda: tables.client(INVITE_LOG),
        notify_table=lambda: tables.client(NOTIFY),
        throttle_policy=policy or ThrottlePolicy(),
        invite_log_retention_days=days,
        clock=clock,
    )


def row_keys(table: TableClient, partition: str) -> set[str]:
    return {e["RowKey"] for e in table.query_entities("PartitionKey eq @pk", parameters={"pk": partition}, select=["RowKey"])}


def test_rate_limit_rows_go_once_every_window_on_them_has_passed(tables):
    clock = MovedClock()
    limiter = RateLimiter(lambda: tables.client(RATE_LIMITS), clock=clock)
    limiter.hit("minute-only", [MINUTE])
    limiter.hit("hour-and-day", [HOUR, DAY])
    limiter.hit("day-then-minute", [DAY])
    clock.now += 30
    # A later hit with a shorter window must not bring the row's end forward: the day's count still counts.
    limiter.hit("day-then-minute", [MINUTE])
    clock.now += 3600 + 60
    report = make_retention(tables, clock).sweep()
    assert report == RetentionReport(rate_limits=1)
    assert row_keys(tables.client(RATE_LIMITS), rate_limits.PARTITION) == {"hour-and-day", "day-then-minute"}
    clock.now = START + 86400 + 1
    assert make_retention(tables, clock).sweep().rate_limits == 2
    assert row_keys(tables.client(RATE_LIMITS), rate_limits.PARTITION) == set()


def test_a_rate_limit_row_from_before_expires_at_goes_once_untouched_for_two_days(tables):
    table = tables.client(RATE_LIMITS)
    table.create_entity({"PartitionKey": rate_limits.PARTITION, "RowKey": "legacy", "ApiDayWindow": 1, "ApiDayCount": 3})
    real_now = time.time()
    assert make_retention(tables, lambda: real_now + 86400).sweep().rate_limits == 0
    assert make_retention(tables, lambda: real_now + 3 * 86400).sweep().rate_limits == 1
    assert row_keys(table, rate_limits.PARTITION) == set()


def test_the_limiter_still_counts_after_a_sweep(tables):
    clock = MovedClock()
    limiter = RateLimiter(lambda: tables.client(RATE_LIMITS), clock=clock)
    tight = Limit("InviteMinute", 2, 60)
    assert limiter.hit("ip-1", [tight]).allowed and limiter.hit("ip-1", [tight]).allowed
    make_retention(tables, clock).sweep()  # within the minute: nothing to delete
    assert not limiter.hit("ip-1", [tight]).allowed
    clock.now += 61
    assert make_retention(tables, clock).sweep().rate_limits == 1
    assert limiter.hit("ip-1", [tight]).allowed


def test_idempotency_keys_go_after_their_replay_window_and_abandoned_claims_after_an_hour(tables):
    clock = MovedClock()
    store = IdempotencyStore(lambda: tables.client(IDEMPOTENCY), clock=clock)
    store.complete(store.claim("replayed-briefly"), {"status": 201}, keep_seconds=600)
    store.complete(store.claim("replayed-long"), {"status": 201}, keep_seconds=6 * 3600)
    store.claim("abandoned")  # its instance died before completing
    clock.now += ABANDONED_CLAIM_SECONDS - 100
    store.claim("still-running")
    clock.now += 200
    assert make_retention(tables, clock).sweep() == RetentionReport(idempotency_keys=2)
    assert row_keys(tables.client(IDEMPOTENCY), idempotency.PARTITION) == {"replayed-long", "still-running"}


def throttle_row(key: str, last_failure_at: float, locked_until: float = 0.0, failures: int = 1) -> dict[str, object]:
    # As shared.login_throttle writes them.
    return {
        "PartitionKey": login_throttle.PARTITION,
        "RowKey": key,
        "Failures": failures,
        "LastFailureAt": last_failure_at,
        "LockedUntil": locked_until,
    }


def test_login_throttle_rows_go_once_forgotten_and_not_locked(tables):
    clock = MovedClock()
    # A lockout longer than the forget time, so a row can be forgotten yet still locked.
    policy = ThrottlePolicy(forget_after_seconds=3600)
    admin = tables.client(ADMIN)
    admin.create_entity(throttle_row("user-once", clock.now))
    admin.create_entity(throttle_row("ip-locked", clock.now, locked_until=clock.now + 7200, failures=12))
    admin.create_entity(throttle_row("user-recent", clock.now + 3000))
    admin.create_entity(throttle_row("user-succeeded", 0.0, failures=0))  # a success clears the row
    admin.create_entity({"PartitionKey": "account", "RowKey": "owner", "TotpSecret": "x"})
    clock.now += 3700
    assert make_retention(tables, clock, policy=policy).sweep() == RetentionReport(login_throttles=2)
    assert row_keys(admin, login_throttle.PARTITION) == {"user-recent", "ip-locked"}
    assert row_keys(admin, "account") == {"owner"}, "other rows in the admin table are never touched"
    clock.now = START + 7201  # the lockout is over, and user-recent's last failure is over an hour old too
    assert make_retention(tables, clock, policy=policy).sweep().login_throttles == 2
    assert row_keys(admin, login_throttle.PARTITION) == set()


def test_admin_sessions_go_once_expired(tables):
    clock = MovedClock()
    sessions = SessionStore(lambda: tables.client(ADMIN), lambda: "k" * 32, clock=clock.utc)
    sessions.create("owner")
    clock.now += 6 * 3600
    late, _ = sessions.create("owner")
    clock.now += 3 * 3600
    assert make_retention(tables, clock).sweep() == RetentionReport(admin_sessions=1)
    assert row_keys(tables.client(ADMIN), admin_sessions.PARTITION) == {late.id}


def log_rows(tables: Tables, now: datetime, ages_in_days: list[float]) -> None:
    log = InviteLog(lambda: tables.client(INVITE_LOG))
    for age in ages_in_days:
        at = now - timedelta(days=age)
        log.append(InviteRecord(at, f"user{age}", f"user{age}", "username", InviteOutcome.INVITED))


def test_invite_log_rows_go_after_the_retention_and_zero_keeps_them_all(tables):
    clock = MovedClock()
    log_rows(tables, clock.utc(), [400, 366, 365.01, 364.99, 10, 0])
    assert make_retention(tables, clock, days=0).sweep() == RetentionReport()
    assert len(InviteLog(lambda: tables.client(INVITE_LOG)).recent(10)) == 6
    assert make_retention(tables, clock, days=365).sweep() == RetentionReport(invite_log=3)
    kept = [r.identifier_normalized for r in InviteLog(lambda: tables.client(INVITE_LOG)).recent(10)]
    assert kept == ["user0", "user10", "user364.99"]


def test_two_sweeps_at_once_delete_every_expired_row_without_an_error(tables):
    clock = MovedClock()
    store = SessionStore(lambda: tables.client(ADMIN), lambda: "k" * 32, clock=clock.utc)
    for _ in range(250):
        store.create("owner")
    clock.now += 9 * 3600
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: make_retention(tables, clock).sweep(), range(2)))
    # A row both sweeps reached is counted by both (the SDK hides the second delete's 404).
    assert sum(r.admin_sessions for r in reports) >= 250
    assert row_keys(tables.client(ADMIN), admin_sessions.PARTITION) == set()


def test_a_row_written_again_after_the_query_is_kept(tables):
    from shared.retention import _delete_one

    clock = MovedClock()
    limiter = RateLimiter(lambda: tables.client(RATE_LIMITS), clock=clock)
    limiter.hit("ip-1", [MINUTE])
    table = tables.client(RATE_LIMITS)
    seen = table.get_entity(rate_limits.PARTITION, "ip-1")
    limiter.hit("ip-1", [MINUTE])  # another request between the sweep's query and its delete
    assert _delete_one(table, seen) == 0
    assert table.get_entity(rate_limits.PARTITION, "ip-1")["InviteMinuteCount"] == 2


def test_the_retention_timer_runs_on_the_local_host(app):
    past, future = time.time() - 60, time.time() + 3600
    limits = app.tables.client(RATE_LIMITS)
    limits.create_entity({"PartitionKey": rate_limits.PARTITION, "RowKey": "gone", "ExpiresAt": past})
    limits.create_entity({"PartitionKey": rate_limits.PARTITION, "RowKey": "kept", "ExpiresAt": future})
    app.tables.client(ADMIN).create_entity(
        {"PartitionKey": admin_sessions.PARTITION, "RowKey": "old", "ExpiresAt": datetime.now(UTC) - timedelta(hours=1)}
    )
    # As on the real host: the call carries {"input": ""}, answers 202 at once and the run may still be going.
    response = requests.post(f"{app.functions_url}/admin/functions/delete_expired_rows", json={"input": ""}, timeout=30)
    assert response.status_code == 202
    wait_until(
        lambda: row_keys(limits, rate_limits.PARTITION) == {"kept"} and not row_keys(app.tables.client(ADMIN), admin_sessions.PARTITION),
        interval=0.2,
    )
    assert row_keys(limits, rate_limits.PARTITION) == {"kept"}
    assert row_keys(app.tables.client(ADMIN), admin_sessions.PARTITION) == set()


def test_notification_delivery_records_go_after_a_week_and_failure_windows_after_a_day(tables):
    from shared.notify import delivery, publisher

    clock = MovedClock()
    table = tables.client(NOTIFY)
    old, recent = clock.now - 8 * 86400, clock.now - 3600
    table.create_entity({"PartitionKey": delivery.PARTITION, "RowKey": "old-delivered", "DeliveredAt": old})
    table.create_entity({"PartitionKey": delivery.PARTITION, "RowKey": "old-claimed", "ClaimedAt": old})
    table.create_entity({"PartitionKey": delivery.PARTITION, "RowKey": "recent", "DeliveredAt": recent})
    day_ago = datetime.fromtimestamp(clock.now - 2 * 86400, UTC).isoformat(timespec="seconds")
    now_iso = datetime.fromtimestamp(clock.now, UTC).isoformat(timespec="seconds")
    table.create_entity({"PartitionKey": publisher.PARTITION, "RowKey": "old-window", "FirstAt": day_ago, "Count": 3})
    table.create_entity({"PartitionKey": publisher.PARTITION, "RowKey": "open-window", "FirstAt": now_iso, "Count": 1})
    assert make_retention(tables, clock).sweep() == RetentionReport(notification_records=3)
    assert row_keys(table, delivery.PARTITION) == {"recent"}
    assert row_keys(table, publisher.PARTITION) == {"open-window"}
