"""Admin endpoints through the SWA emulator: sign-in, throttling, CSRF, sessions, dashboard, libraries, log."""

import csv
import io
import time

import pyotp
import requests
import schemathesis

from tests.support.admin_client import Admin
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME, HTTP_INVITE_CODE

MOVIES, TV = 118181361, 118181362


def invite(app, identifier):
    return requests.post(f"{app.site_url}/api/invites", json={"identifier": identifier, "inviteCode": HTTP_INVITE_CODE}, timeout=30)


def throttle_failures(app):
    return sorted(int(e["Failures"]) for e in app.tables.client("admin").list_entities() if e["PartitionKey"] == "throttle")


def test_werkzeug_hash_logs_in_with_a_hardened_cookie(app):
    client = Admin(app)
    response = client.login()
    assert response.status_code == 200, response.text
    cookie = response.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    session = client.call("GET", "manage/session")
    assert session.status_code == 200
    assert session.json()["username"] == ADMIN_USERNAME
    assert session.json()["csrfToken"] == client.csrf


def test_wrong_password_is_401_and_counted(app):
    response = Admin(app).login("not the password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert throttle_failures(app) == [1, 1, 1], "one attempt for the username from this address, the address, and the username"


def test_the_attempt_after_the_fifth_failure_gets_429_even_with_the_right_password(app):
    client = Admin(app)
    for _ in range(5):
        assert client.login("wrong").status_code == 401
    locked = client.login()
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(locked.headers["Retry-After"]) <= 30


def test_unknown_username_is_the_same_401(app):
    response = requests.post(
        f"{app.site_url}/api/manage/login",
        json={"username": "someone-else", "password": ADMIN_PASSWORD},
        headers={"Origin": app.site_url},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_login_from_a_foreign_origin_is_403(app):
    response = Admin(app).call(
        "POST", "manage/login", {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}, origin="https://evil.example"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_mismatch"


def test_state_change_without_csrf_header_or_with_foreign_origin_is_403(admin, app):
    no_csrf = admin.call("PUT", "manage/libraries", {"sectionIds": [MOVIES]}, csrf=False)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["code"] == "csrf_token_invalid"
    foreign = admin.call("PUT", "manage/libraries", {"sectionIds": [MOVIES]}, origin="https://evil.example")
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "origin_mismatch"
    assert admin.call("GET", "manage/dashboard").json()["libraries"]["sharesAll"] is True, "nothing was changed"


def test_logout_revokes_the_session_on_the_server(admin):
    old_cookie = admin.cookie
    assert admin.call("POST", "manage/logout", {}).status_code == 200
    replayed = admin.call("GET", "manage/dashboard", cookie=old_cookie)
    assert replayed.status_code == 401
    assert replayed.json()["error"]["code"] == "not_authenticated"


def test_admin_endpoints_need_a_session(app):
    for method, path in (("GET", "manage/dashboard"), ("GET", "manage/invites"), ("GET", "manage/session")):
        response = Admin(app).call(method, path)
        assert response.status_code == 401, path
    forged = Admin(app).call("GET", "manage/dashboard", cookie="abc.9999999999.forged")
    assert forged.status_code == 401


def test_dashboard_stats_match_the_invites_made(admin, app):
    assert invite(app, "alice").status_code == 201
    assert invite(app, "bob").status_code == 201
    assert invite(app, "alice@example.com").status_code == 200
    assert invite(app, "nobody_by_this_name").status_code == 422
    data = admin.call("GET", "manage/dashboard").json()
    for window in ("allTime", "last24h", "last7d"):
        assert data["totals"][window]["total"] == 4
        assert data["totals"][window]["succeeded"] == 3
        assert data["totals"][window]["failed"] == 1
    assert data["totals"]["allTime"]["byOutcome"] == {"invited": 2, "already_shared": 1, "user_not_found": 1}
    assert len(data["daily"]) == 30
    assert data["daily"][-1]["succeeded"] == 3
    assert [r["identifier"] for r in data["recent"]] == ["nobody_by_this_name", "alice@example.com", "bob", "alice"]
    assert data["plex"]["serverName"] == "Helpr Demo Server"
    assert data["plex"]["tokenValid"] is True


def test_warm_dashboard_makes_no_plex_tv_request(admin, app):
    admin.call("GET", "manage/dashboard")
    app.simulator.reset_counts()
    for _ in range(3):
        assert admin.call("GET", "manage/dashboard").status_code == 200
    assert app.simulator.plex_tv_requests() == 0


def test_library_selection_applies_to_the_next_invite(admin, app):
    saved = admin.call("PUT", "manage/libraries", {"sectionIds": [TV, MOVIES]})
    assert saved.status_code == 200, saved.text
    selected = {item["title"] for item in saved.json()["libraries"]["items"] if item["selected"]}
    assert selected == {"Movies", "TV Shows"}
    assert invite(app, "carol").json()["libraries"] == ["Movies", "TV Shows"]
    share = app.simulator.state()["shares"][0]
    assert sorted(share["section_ids"]) == [MOVIES, TV]


def test_bad_library_selections_are_rejected(admin):
    assert admin.call("PUT", "manage/libraries", {"sectionIds": []}).json()["error"]["code"] == "no_libraries_selected"
    assert admin.call("PUT", "manage/libraries", {"sectionIds": [12345]}).json()["error"]["code"] == "unknown_library"
    assert admin.call("PUT", "manage/libraries", {"sectionIds": "all"}).status_code == 400


def test_library_refresh_asks_plex_again(admin, app):
    admin.call("GET", "manage/dashboard")
    app.simulator.reset_counts()
    refreshed = admin.call("POST", "manage/libraries/refresh", {})
    assert refreshed.status_code == 200
    assert len(refreshed.json()["libraries"]["items"]) == 4
    assert app.simulator.counts()["endpoints"].get("GET /api/servers/{machineId}") == 1


def test_broken_owner_token_shows_on_the_dashboard_at_once(admin, app):
    admin.call("GET", "manage/dashboard")
    app.simulator.set_owner(token="revoked")
    assert invite(app, "dave_p").status_code == 503
    plex = admin.call("GET", "manage/dashboard").json()["plex"]
    assert plex["tokenValid"] is False
    assert "token" in plex["lastError"]


def test_full_log_pages_with_a_cursor_and_filters(admin, app):
    for name in ("alice", "bob", "carol", "dave_p", "ghost_one", "ghost_two"):
        invite(app, name)
    first = admin.call("GET", "manage/invites", params={"limit": "4"}).json()
    assert len(first["items"]) == 4 and first["nextCursor"]
    second = admin.call("GET", "manage/invites", params={"limit": "4", "cursor": first["nextCursor"]}).json()
    assert [i["identifier"] for i in first["items"] + second["items"]] == ["ghost_two", "ghost_one", "dave_p", "carol", "bob", "alice"]
    assert second["nextCursor"] is None
    failed = admin.call("GET", "manage/invites", params={"outcome": "user_not_found"}).json()["items"]
    assert {i["identifier"] for i in failed} == {"ghost_one", "ghost_two"}
    by_prefix = admin.call("GET", "manage/invites", params={"identifier": "Ghost_T"}).json()["items"]
    assert [i["identifier"] for i in by_prefix] == ["ghost_two"]
    assert admin.call("GET", "manage/invites", params={"cursor": "garbage"}).status_code == 400
    assert admin.call("GET", "manage/invites", params={"outcome": "nope"}).status_code == 400


def test_csv_export(admin, app):
    invite(app, "alice")
    invite(app, "=cmd")
    response = admin.call("GET", "manage/invites", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["identifier"] for r in rows] == ["alice"], "invalid input is never logged"
    assert rows[0]["outcome"] == "invited"


def test_totp_enrolment_then_sign_in_needs_a_code(admin, app):
    setup = admin.call("POST", "manage/totp/setup", {})
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["qrSvg"].lstrip().startswith("<svg")
    assert admin.call("POST", "manage/totp/confirm", {"code": "000000"}).status_code == 400
    confirmed = admin.call("POST", "manage/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    recovery = confirmed.json()["recoveryCodes"]
    assert len(recovery) == 10

    client = Admin(app)
    needs_code = client.login()
    assert needs_code.status_code == 401
    assert needs_code.json()["error"]["code"] == "second_factor_required"
    # The enrolment used this step's code; the next step's is still accepted (clock drift) and is new.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.login(totpCode=code).status_code == 200
    assert Admin(app).login(totpCode=code).json()["error"]["code"] == "invalid_second_factor", "a code works once"
    assert Admin(app).login(recoveryCode=recovery[0]).status_code == 200
    assert Admin(app).login(recoveryCode=recovery[0]).status_code == 401, "a recovery code works once"


def test_the_views_get_endpoints_answer_as_the_openapi_spec_says(admin, app):
    """The 200 answers the admin views read match their response schemas in functions/openapi.json."""
    schema = schemathesis.openapi.from_url(f"{app.site_url}/api/openapi.json")
    invite(app, "alice")
    invite(app, "ghost_nobody")
    tier = admin.call("POST", "manage/tiers", {"name": "Kids", "sectionIds": [118181364], "allowSync": True}).json()
    assert admin.call("POST", "manage/invite-links", {"maxUses": 2, "accessDays": 7, "note": "n", "tierId": tier["id"]}).status_code == 201
    channel = admin.call(
        "POST",
        "manage/notifications/channels",
        {"name": "Hook", "url": "json://127.0.0.1:9/hook", "events": ["guest_invited"], "sign": False},
    )
    assert channel.status_code == 201, channel.text
    for path in ("dashboard", "users", "invite-links", "tiers", "notifications"):
        response = admin.call("GET", f"manage/{path}")
        assert response.status_code == 200, (path, response.text)
        schema[f"/manage/{path}"]["GET"].validate_response(response)
    assert admin.call("GET", "manage/users").json()["items"], "a user was listed"
