"""The audit trail's rules without the HTTP stack: every admin change goes through an audited wrapper,
what a row may hold (secrets redacted, lengths capped), newest first, filters, and retention."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from functions.admin_http import AdminAccess
from shared.admin.throttle import ThrottlePolicy
from shared.audit import trail
from shared.audit.export import audit_csv
from shared.audit.trail import AuditEntry, AuditTrail, redacted
from shared.retention import Retention
from shared.spreadsheet import as_text
from shared.storage.tables import ADMIN, AUDIT, IDEMPOTENCY, INVITE_LOG, NOTIFY, RATE_LIMITS, Tables

ROOT = Path(__file__).resolve().parent.parent
ROOT_OPENAPI = ROOT / "functions" / "openapi.json"
# POSTs that change nothing, each with the reason.
NOT_AUDITED = {("manage/onboarding/preview", "POST"): "renders unsaved content for the live preview"}


# Indexed in a child process, as the worker does: the app's get_functions() may run only once per process.
_ROUTES_SCRIPT = """
import dataclasses, json, function_app
rows = []
for function in function_app.app.get_functions():
    trigger = function.get_trigger()
    route = getattr(trigger, "route", None) or ""
    if trigger.type == "httpTrigger" and route.startswith("manage/"):
        access = getattr(function.get_user_function(), "admin_access", None)
        for method in trigger.methods or []:
            rows.append([route, str(method.value), dataclasses.asdict(access) if access else None])
print(json.dumps(rows))
"""


@functools.cache
def admin_routes() -> list[tuple[str, str, AdminAccess | None]]:
    """Every admin route with what admin_only was told about it (None: not behind admin_only)."""
    out = subprocess.run([sys.executable, "-c", _ROUTES_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    return [(route, method, AdminAccess(**access) if access else None) for route, method, access in json.loads(out.stdout)]


@pytest.mark.integration  # indexes the app in a child process
def test_every_admin_change_goes_through_an_audited_wrapper():
    """A new admin endpoint must use admin_only: changes get an audit row, unless listed above with a reason."""
    routes = admin_routes()
    assert len(routes) >= 30
    unguarded, unaudited = [], []
    for route, method, access in routes:
        if access is None:
            unguarded.append(f"{method} {route}")
            continue
        if method != "GET" and not access.audited and (route, method) not in NOT_AUDITED:
            unaudited.append(f"{method} {route}")
        if method == "GET":
            assert not access.changes_state, f"GET {route} says it changes state"
        else:
            assert access.changes_state, f"{method} {route} changes state but skips CSRF and the read-only key check"
    assert unguarded == [], "admin routes outside admin_only (functions/admin_http.py)"
    assert unaudited == [], "admin changes with no audit row"


@pytest.mark.integration  # indexes the app in a child process
def test_the_spec_offers_the_api_key_exactly_where_a_key_is_accepted():
    import re

    with open(ROOT_OPENAPI, encoding="utf-8") as spec_file:
        paths = json.load(spec_file)["paths"]
    for route, method, access in admin_routes():
        if route == "manage/login":
            continue
        path = "/" + re.sub(r"\{(\w+)\?\}", r"{\1}", route).replace("tier_id", "tierId")
        operation = paths.get(path, {}).get(method.lower()) or paths.get(re.sub(r"/\{\w+\}$", "", path), {}).get(method.lower())
        assert operation is not None, f"{method} {route} isn't in the spec"
        offers_key = any("apiKey" in option for option in operation["security"])
        assert access is not None
        assert offers_key is not access.session_only, f"{method} {path}: security should match session_only"


@pytest.mark.unit
def test_secrets_are_redacted_and_long_values_cut():
    body = {
        "password": "hunter2",
        "code": "123456",
        "recoveryCode": "abcd-efgh",
        "url": "discord://id/token",
        "apiKey": "helpr_x",
        "name": "Phone",
        "codeRequired": True,
        "note": "x" * 200,
        "sectionIds": list(range(15)),
        "nested": {"totpCode": "654321", "days": 30},
    }
    out = redacted(body)
    assert out["password"] == out["code"] == out["recoveryCode"] == out["url"] == out["apiKey"] == "[redacted]"
    assert out["nested"] == {"totpCode": "[redacted]", "days": 30}
    assert out["name"] == "Phone" and out["codeRequired"] is True, "what isn't secret stays readable"
    assert len(out["note"]) == 61
    assert out["sectionIds"][-1] == "+5 more" and len(out["sectionIds"]) == 11
    text = json.dumps(out)
    for secret in ("hunter2", "123456", "abcd-efgh", "discord://", "654321"):
        assert secret not in text


@pytest.mark.unit
def test_row_keys_put_the_newest_first_and_a_date_is_a_key_range():
    day = datetime(2026, 11, 30, tzinfo=UTC)
    older, newer = trail.row_key_for(day), trail.row_key_for(day + timedelta(seconds=1))
    assert newer < older
    assert newer < trail.first_row_key_before(day + timedelta(seconds=1)) <= older


@pytest.mark.unit
def test_the_csv_keeps_formulas_as_text():
    entry = AuditEntry(actor="=cmd", action="save_tier", outcome="ok", at=datetime(2026, 1, 2, tzinfo=UTC))
    lines = audit_csv([entry]).splitlines()
    assert lines[0] == "time_utc,actor,action,target,outcome,detail,ip_hash"
    assert lines[1].startswith("2026-01-02T00:00:00Z,'=cmd,save_tier")


@pytest.mark.unit
@pytest.mark.parametrize("typed", ["=1+1", " =HYPERLINK(x)", "\t=cmd", "\n+1", "@SUM(A1)", "|calc", "%0A"])
def test_a_cell_that_a_spreadsheet_would_run_stays_text_even_after_leading_spaces(typed):
    assert as_text(typed) == "'" + typed
    assert as_text("alice@example.com") == "alice@example.com"


def make_trail(tables: Tables, now: list[datetime]) -> AuditTrail:
    return AuditTrail(lambda: tables.client(AUDIT), address_key=lambda: b"k" * 32, clock=lambda: now[0])


def test_pages_filter_by_actor_action_and_time(tables):
    now = [datetime(2026, 11, 1, 12, tzinfo=UTC)]
    audit = make_trail(tables, now)
    for hour, actor, action in [
        (0, "admin", "save_tier"),
        (1, "key:cron", "revoke_user"),
        (2, "admin", "revoke_user"),
        (3, "timer", "expire_access"),
    ]:
        now[0] = datetime(2026, 11, 1, 12 + hour, tzinfo=UTC)
        assert audit.record(AuditEntry(actor=actor, action=action), "203.0.113.9") is not None
    everything, _ = audit.page(limit=10)
    assert [e.actor for e in everything] == ["timer", "admin", "key:cron", "admin"], "newest first"
    assert everything[0].address_hash == audit.address_hash("203.0.113.9") != "203.0.113.9"
    assert [e.action for e in audit.page(limit=10, actor="admin")[0]] == ["revoke_user", "save_tier"]
    assert [e.actor for e in audit.page(limit=10, action="revoke_user")[0]] == ["admin", "key:cron"]
    window = audit.page(limit=10, since=datetime(2026, 11, 1, 13, tzinfo=UTC), until=datetime(2026, 11, 1, 15, tzinfo=UTC))[0]
    assert [e.actor for e in window] == ["admin", "key:cron"]
    first, cursor = audit.page(limit=3)
    rest, end = audit.page(limit=3, cursor=cursor)
    assert len(first) == 3 and [e.actor for e in rest] == ["admin"] and end is None


def test_a_failed_write_is_logged_not_raised(caplog):
    def broken():
        raise OSError("storage is gone")

    audit = AuditTrail(broken, address_key=lambda: b"k" * 32)
    assert audit.record(AuditEntry(actor="admin", action="save_tier")) is None
    assert "Could not write an audit row for save_tier" in caplog.text


def test_rows_older_than_the_retention_are_swept_and_zero_keeps_them(tables):
    now = datetime(2026, 11, 30, tzinfo=UTC)
    clock = [now]
    audit = make_trail(tables, clock)
    for days in (400, 366, 364, 1):
        clock[0] = now - timedelta(days=days)
        audit.record(AuditEntry(actor="admin", action=f"change-{days}"))

    def sweep(days: int) -> int:
        retention = Retention(
            rate_limits_table=lambda: tables.client(RATE_LIMITS),
            idempotency_table=lambda: tables.client(IDEMPOTENCY),
            admin_table=lambda: tables.client(ADMIN),
            invite_log_table=lambda: tables.client(INVITE_LOG),
            notify_table=lambda: tables.client(NOTIFY),
            audit_table=lambda: tables.client(AUDIT),
            throttle_policy=ThrottlePolicy(),
            invite_log_retention_days=0,
            audit_retention_days=days,
            clock=now.timestamp,
        )
        return retention.sweep().audit_rows

    assert sweep(0) == 0
    assert sweep(365) == 2
    assert [e.action for e in audit.page(limit=10)[0]] == ["change-1", "change-364"]
