"""Admin API keys and the audit trail through the SWA emulator: scopes, what a key can't do, cookies and
CSRF, revocation, bad-key throttling, and an audit row for every admin change."""

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import requests

from tests.support.admin_client import COOKIE, Admin
from tests.support.constants import ADMIN_USERNAME
from tests.support.containers import make_container
from tests.support.waiting import wait_until

MOVIES = 118181361


def make_key(admin, name, scope):
    response = admin.call("POST", "manage/api-keys", {"name": name, "scope": scope})
    assert response.status_code == 201, response.text
    return response.json()


def with_key(app, key, method, path, body=None, **extra):
    headers = {"X-Api-Key": key, **extra.pop("headers", {})}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(
        method, f"{app.site_url}/api/{path}", data=None if body is None else json.dumps(body), headers=headers, timeout=30, **extra
    )


def audit_rows(admin, **params):
    response = admin.call("GET", "manage/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_read_key_reads_and_gets_403_on_a_change(admin, app):
    created = make_key(admin, "grafana", "read")
    secret = created["secret"]
    assert re.fullmatch(r"helpr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", secret)
    assert with_key(app, secret, "GET", "manage/tiers").status_code == 200
    refused = with_key(app, secret, "PUT", "manage/code-required", {"required": True})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "key_read_only"
    assert "read-write" in refused.json()["error"]["message"]
    # The key's secret is never shown again, and not stored as it is.
    listed = admin.call("GET", "manage/api-keys").json()["items"]
    assert [(k["name"], k["scope"]) for k in listed] == [("grafana", "read")]
    assert listed[0]["lastUsedAt"] is not None, "the read above counts as a use"
    stored = json.dumps([dict(e) for e in app.tables.client("admin").list_entities()], default=str)
    assert secret not in stored and secret.rsplit("_", 1)[1] not in stored


def test_a_read_key_never_sees_a_code_that_lets_someone_in(admin, app):
    link = admin.call("POST", "manage/invite-links", {"maxUses": 3, "accessDays": 0, "note": ""}).json()
    joined = requests.post(f"{app.site_url}/api/invites", json={"identifier": "alice", "inviteCode": link["code"]}, timeout=30)
    assert joined.status_code == 201, joined.text
    read, write = make_key(admin, "dashboard", "read")["secret"], make_key(admin, "script", "read-write")["secret"]

    [seen] = with_key(app, read, "GET", "manage/invite-links").json()["items"]
    assert (seen["code"], seen["url"]) == (link["code"][:4] + "…", "")
    [alice] = [u for u in with_key(app, read, "GET", "manage/users").json()["items"] if u["identifier"] == "alice"]
    assert alice["inviteCode"] == link["code"][:4] + "…"
    # Nor can it learn the code a letter at a time from the Users search.
    searched = with_key(app, read, "GET", "manage/users", params={"q": link["code"][:5]}).json()["items"]
    assert searched == []
    assert [u["identifier"] for u in admin.call("GET", "manage/users", params={"q": link["code"][:5]}).json()["items"]] == ["alice"]
    exported = with_key(app, read, "GET", "manage/invites", params={"format": "csv"})
    assert [row["invite_code"] for row in csv.DictReader(io.StringIO(exported.text))] == [link["code"][:4] + "…"]
    # The owner's session and a read-write key (which could make a link anyway) see the whole code.
    [full] = with_key(app, write, "GET", "manage/invite-links").json()["items"]
    assert (full["code"], full["url"].endswith(f"/j/{link['code']}")) == (link["code"], True)
    assert admin.call("GET", "manage/invite-links").json()["items"][0]["code"] == link["code"]


def test_a_read_write_key_changes_without_csrf_or_origin_and_is_named_in_the_trail(admin, app):
    secret = make_key(admin, "home-lab script", "read-write")["secret"]
    changed = with_key(app, secret, "PUT", "manage/code-required", {"required": True})
    assert changed.status_code == 200, changed.text
    rows = audit_rows(admin, action="set_code_required")
    assert [(r["actor"], r["outcome"]) for r in rows] == [("key:home-lab script", "ok")]
    assert json.loads(rows[0]["detail"])["body"] == {"required": True}
    assert json.loads(rows[0]["detail"])["before"] == {"required": False}
    assert rows[0]["ipHash"], "where it came from, hashed"


def test_a_revoked_or_unknown_key_gets_401(admin, app):
    created = make_key(admin, "old", "read-write")
    assert with_key(app, created["secret"], "GET", "manage/tiers").status_code == 200
    assert admin.call("DELETE", f"manage/api-keys/{created['key']['id']}").status_code == 200
    revoked = with_key(app, created["secret"], "GET", "manage/tiers")
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "invalid_api_key"
    unknown = with_key(app, "helpr_000000000000_" + "A" * 43, "GET", "manage/tiers")
    assert unknown.status_code == 401
    assert admin.call("GET", "manage/api-keys").json()["items"] == []


def test_a_key_never_works_as_a_cookie_and_a_session_still_needs_csrf(admin, app):
    secret = make_key(admin, "cookie test", "read-write")["secret"]
    as_cookie = requests.get(f"{app.site_url}/api/manage/tiers", headers={"Cookie": f"{COOKIE}={secret}"}, timeout=30)
    assert as_cookie.status_code == 401
    # A session without its CSRF token can't change anything, key or no key elsewhere.
    no_csrf = admin.call("PUT", "manage/code-required", {"required": True}, csrf=False)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["code"] == "csrf_token_invalid"
    # The refusal is in the trail, under the admin's name.
    assert [r["outcome"] for r in audit_rows(admin, action="set_code_required")] == ["csrf_token_invalid"]


def test_a_key_cannot_manage_keys_sign_out_or_touch_two_step_sign_in(admin, app):
    secret = make_key(admin, "automation", "read-write")["secret"]
    for method, path, body in [
        ("POST", "manage/api-keys", {"name": "another", "scope": "read-write"}),
        ("GET", "manage/api-keys", None),
        ("POST", "manage/sign-out-everywhere", None),
        ("POST", "manage/totp/setup", None),
        ("GET", "manage/session", None),
    ]:
        refused = with_key(app, secret, method, path, body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["error"]["code"] == "key_not_allowed"
    assert [k["name"] for k in admin.call("GET", "manage/api-keys").json()["items"]] == ["automation"]
    assert admin.call("GET", "manage/session").status_code == 200, "the owner is still signed in"


def test_bad_keys_from_one_address_are_locked_out_like_bad_passwords(app):
    codes = [with_key(app, f"helpr_{i:012x}_" + "B" * 43, "GET", "manage/tiers").status_code for i in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


def test_sign_in_success_failure_and_sign_out_are_in_the_trail(app):
    client = Admin(app)
    assert client.login("wrong password").status_code == 401
    assert client.login().status_code == 200
    assert client.call("POST", "manage/logout").status_code == 200
    assert client.login().status_code == 200
    rows = audit_rows(client)
    assert [(r["actor"], r["action"], r["outcome"]) for r in reversed(rows)] == [
        (ADMIN_USERNAME, "sign_in", "invalid_credentials"),
        (ADMIN_USERNAME, "sign_in", "ok"),
        (ADMIN_USERNAME, "admin_logout", "ok"),
        (ADMIN_USERNAME, "sign_in", "ok"),
    ]
    assert "wrong password" not in json.dumps(rows)


def test_sign_ins_refused_before_the_throttle_leave_no_rows(app):
    # Free to send and never counted (no Origin, a broken body): a flood of them must not fill the trail.
    url = f"{app.site_url}/api/manage/login"
    for _ in range(5):
        assert requests.post(url, json={"username": ADMIN_USERNAME, "password": "x"}, timeout=30).status_code == 403
        assert requests.post(url, data="{", headers={"Content-Type": "application/json"}, timeout=30).status_code == 400
    client = Admin(app)
    assert client.login().status_code == 200
    assert [(r["action"], r["outcome"]) for r in audit_rows(client)] == [("sign_in", "ok")]


def test_a_deeply_nested_body_still_leaves_the_change_its_row_and_a_links_code_only_its_start(admin, app):
    key = make_key(admin, "deep", "read-write")["secret"]
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1}).json()
    nested: object = "x"
    for _ in range(800):
        nested = [nested]
    deleted = with_key(app, key, "DELETE", f"manage/invite-links/{link['code']}", {"a": nested})
    assert deleted.status_code == 200, deleted.text
    [row] = audit_rows(admin, action="delete_invite_link")
    assert row["outcome"] == "ok" and row["actor"] == "key:deep"
    assert row["target"] == f"code={link['code'][:4]}…"
    assert link["code"] not in json.dumps(audit_rows(admin))


def test_secrets_in_a_change_never_reach_the_trail(admin, app):
    url = "json://127.0.0.1:9/hook?token=very-secret"
    response = admin.call("POST", "manage/notifications/channels", {"name": "Phone", "url": url, "events": ["invite_failed"]})
    assert response.status_code < 500
    assert admin.call("POST", "manage/totp/disable", {"code": "123456"}).status_code == 400
    rows = audit_rows(admin)
    assert {r["action"] for r in rows} >= {"admin_totp_disable", "create_notification_channel"}
    text = json.dumps(rows)
    assert "very-secret" not in text and "127.0.0.1:9" not in text and "123456" not in text
    assert "[redacted]" in text


def test_tier_changes_show_before_and_after_and_filters_and_csv_find_them(admin, app):
    key = make_key(admin, "tiers-bot", "read-write")["secret"]
    created = with_key(app, key, "POST", "manage/tiers", {"name": "Family", "sectionIds": [MOVIES]})
    assert created.status_code == 201, created.text
    tier_id = created.json()["id"]
    changed = with_key(app, key, "PUT", f"manage/tiers/{tier_id}", {"name": "Friends", "sectionIds": [MOVIES], "allowSync": True})
    assert changed.status_code == 200, changed.text
    by_key = audit_rows(admin, actor="key:tiers-bot")
    assert [(r["action"], r["target"]) for r in by_key] == [("save_tier", f"tier_id={tier_id}"), ("save_tier", "")]
    detail = json.loads(by_key[0]["detail"])
    assert (detail["before"]["name"], detail["after"]["name"]) == ("Family", "Friends")
    assert (detail["before"]["allowSync"], detail["after"]["allowSync"]) == (False, True)
    assert audit_rows(admin, actor="key:nobody") == []
    assert audit_rows(admin, since="2999-01-01T00:00:00Z") == []
    assert len(audit_rows(admin, until="2000-01-01T00:00:00Z")) == 0
    exported = admin.call("GET", "manage/audit", params={"format": "csv", "actor": "key:tiers-bot"})
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["actor"], r["action"], r["outcome"]) for r in rows] == [("key:tiers-bot", "save_tier", "ok")] * 2


def test_every_state_changing_admin_route_records_an_audit_row(admin, app):
    """Each change the spec describes, sent with a read-write key (session-only ones refuse it), leaves a row
    named after its handler: a new endpoint outside admin_only(changes_state=True) fails here."""
    secret = make_key(admin, "probe", "read-write")["secret"]
    paths = requests.get(f"{app.site_url}/api/openapi.json", timeout=30).json()["paths"]
    exempt = {("post", "/manage/onboarding/preview"), ("post", "/manage/login")}  # changes nothing / the sign-in's own test
    changes = [
        (method, path)
        for path, operations in paths.items()
        if path.startswith("/manage/")
        for method in operations
        if method != "get" and (method, path) not in exempt
    ]
    assert len(changes) >= 25
    missing = []
    for method, path in changes:
        before = len(audit_rows(admin))
        concrete = re.sub(r"\{\w+\}", "audit-probe", path)
        # An empty object: most handlers refuse it, which is recorded too; nothing real is changed.
        response = with_key(app, secret, method.upper(), concrete.removeprefix("/"), {})
        rows = audit_rows(admin)
        if len(rows) != before + 1 or rows[0]["actor"] != "key:probe":
            missing.append(f"{method.upper()} {path} ({response.status_code})")
    assert missing == [], "changes with no audit row"
    # The Audit view's action filter offers every action a row can name.
    page = admin.call("GET", "manage/audit", params={"limit": 200}).json()
    assert {row["action"] for row in page["items"]} <= set(page["actions"])
    assert {"save_tier", "sign_in", "expire_access", "create_api_key"} <= set(page["actions"])


def test_the_filters_offer_the_known_actors_and_an_unknown_action_is_refused_with_what_to_do(admin, app):
    make_key(admin, "nightly", "read")
    page = admin.call("GET", "manage/audit").json()
    assert page["actors"][:2] == [ADMIN_USERNAME, "timer"] and "key:nightly" in page["actors"]
    refused = admin.call("GET", "manage/audit", params={"action": "save_tierz"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "unknown_action" and "Audit view" in refused.json()["error"]["message"]
    superscript = admin.call("GET", "manage/audit", params={"limit": "²"})  # a digit to str.isdigit(), not to int()
    assert superscript.status_code == 400 and superscript.json()["error"]["code"] == "invalid_limit"


def test_a_change_to_someones_access_and_the_expiry_timer_are_in_the_trail(admin, app):
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 1, "note": ""})
    assert link.status_code == 201, link.text
    invited = requests.post(f"{app.site_url}/api/invites", json={"identifier": "alice", "inviteCode": link.json()["code"]}, timeout=30)
    assert invited.status_code == 201, invited.text
    assert admin.call("PATCH", "manage/users/alice", {"extendDays": 30}).status_code == 200
    row = audit_rows(admin, action="change_user")[0]
    assert row["target"] == "identifier=alice"
    detail = json.loads(row["detail"])
    assert detail["before"]["expiresAt"] < detail["after"]["expiresAt"]

    grants = make_container(app.env, tables=app.tables).grants
    grants.record(replace(grants.get("alice"), expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert requests.post(f"{app.functions_url}/admin/functions/expire_access", json={"input": ""}, timeout=30).status_code == 202
    wait_until(lambda: audit_rows(admin, actor="timer"), interval=0.2)
    assert [(r["action"], r["target"], r["outcome"]) for r in audit_rows(admin, actor="timer")] == [
        ("expire_access", "identifier=alice", "ok")
    ]


def test_a_library_selection_records_what_was_shared_before(admin, app):
    tv = 118181362
    assert admin.call("PUT", "manage/libraries", {"sectionIds": [MOVIES]}).status_code == 200
    assert admin.call("PUT", "manage/libraries", {"sectionIds": [tv]}).status_code == 200
    newest, oldest = audit_rows(admin, action="admin_select_libraries")
    assert json.loads(oldest["detail"])["before"] == {"sectionIds": []}, "every library, before any choice"
    assert json.loads(newest["detail"])["before"] == {"sectionIds": [MOVIES]}
    assert json.loads(newest["detail"])["body"] == {"sectionIds": [tv]}
