"""The status page for a guest who checks with Plex (POST /api/signin/plex with purpose "status", then
POST /api/guest/status/plex), over HTTP through the SWA emulator, the functions host, the Plex simulator and Azurite:
the verified account sees its own access and nothing else, an account without access gets one answer, nobody is
invited, the guest's token is signed out and appears nowhere, and the signed proof cookie asks for more time."""

import json

import pytest
import requests

from shared.guest.status import ProofExpired
from shared.invites.plex_sign_in import SignInError
from shared.limits.request_limits import RateLimited
from shared.storage.tables import ALL_TABLES
from tests.support.containers import make_container
from tests.support.plex_guest import Guest

pytestmark = pytest.mark.integration


def join_with_plex(app, admin, account, **link_fields):
    """An invite by signing in with Plex through a personal link; the grant is keyed by the account's email."""
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, **link_fields}).json()
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start(link["code"]).json()["authUrl"], account)
    assert guest.complete().status_code == 201


def check_with_plex(app, account):
    """A returning guest's browser: starts a status check, signs in on the simulator's page, comes back to /status."""
    guest = Guest(app)
    started = guest.start(code=None, purpose="status")
    assert started.status_code == 200, started.text
    assert "status" not in started.json()["authUrl"].split("forwardUrl=")[0], "the purpose is in the cookie, not the URL"
    assert guest.sign_in_on_plex(started.json()["authUrl"], account) == f"{app.site_url}/status?signin=plex"
    return guest, guest.check_status()


def test_a_verified_guest_sees_their_status_and_asks_for_more_time_with_the_proof(app, admin):
    join_with_plex(app, admin, "alice", accessDays=30)
    shares_before = app.simulator.state()["shares"]
    guest, checked = check_with_plex(app, "alice")
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert (body["status"], body["tier"]) == ("accepted", "Default")
    assert body["libraries"] and body["expiresAt"] and body["canRequestMoreTime"] is True
    assert body["onboarding"]["steps"]
    cookies = checked.headers["Set-Cookie"]
    assert "__Host-helpr-plex-pin=;" in cookies and "Max-Age=0" in cookies
    assert "__Host-helpr-guest-proof=" in cookies and "HttpOnly" in cookies and "Max-Age=900" in cookies
    assert guest.proof and not guest.cookie
    assert app.simulator.state()["shares"] == shares_before, "nobody is invited"
    assert app.simulator.state()["guestTokens"] == []  # signed out

    asked = guest.ask_for_more_time()
    assert asked.status_code == 201, asked.text
    assert asked.json()["new"] is True
    again = guest.ask_for_more_time()
    assert (again.status_code, again.json()["new"]) == (200, False)
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["alice@example.com"]["moreTimeRequestedAt"]
    _, rechecked = check_with_plex(app, "alice")
    assert rechecked.json()["moreTimeRequestedAt"] and rechecked.json()["canRequestMoreTime"] is False


def test_a_typed_invite_is_found_by_the_accounts_username(app, admin):
    code = admin.call("POST", "manage/invite-links", {"maxUses": 1}).json()["code"]
    typed = requests.post(f"{app.site_url}/api/invites", json={"identifier": "bob", "inviteCode": code}, timeout=30)
    assert typed.status_code == 201, typed.text
    _, checked = check_with_plex(app, "bob")
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "pending"
    assert "alice" not in checked.text


def test_a_guest_with_no_access_gets_the_same_answer_as_a_stranger(app, admin):
    join_with_plex(app, admin, "alice")
    app.simulator.reset_counts()
    answers = [check_with_plex(app, account)[1] for account in ("carol", "dave_p")]
    assert {a.status_code for a in answers} == {403}
    assert answers[0].json() == answers[1].json()
    error = answers[0].json()["error"]
    assert error["code"] == "access_not_found"
    assert "carol" not in answers[0].text and "alice" not in answers[0].text
    assert all("Max-Age=0" in a.headers["Set-Cookie"] and "guest-proof" not in a.headers["Set-Cookie"] for a in answers)
    # Nothing was invited or shared for them: only alice's share, and no invite was attempted.
    assert [s["username"] for s in app.simulator.state()["shares"]] == ["alice"]
    assert "POST /api/servers/{machineId}/shared_servers" not in app.simulator.counts()["endpoints"]
    assert app.simulator.state()["guestTokens"] == []


def test_a_status_sign_in_never_invites_and_an_invite_sign_in_never_shows_a_status(app, admin):
    status_guest = Guest(app)
    status_guest.sign_in_on_plex(status_guest.start(code=None, purpose="status").json()["authUrl"], "carol")
    refused = status_guest.complete()
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "sign_in_not_started")
    invite_guest = Guest(app)
    invite_guest.sign_in_on_plex(invite_guest.start().json()["authUrl"], "carol")
    refused = invite_guest.check_status()
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "sign_in_not_started")
    assert app.simulator.state()["shares"] == []


def test_more_time_without_a_good_proof_is_refused(app, admin):
    join_with_plex(app, admin, "alice", accessDays=30)
    guest, _ = check_with_plex(app, "alice")
    forged = Guest(app)
    forged.proof = guest.proof[:-3] + "AAA"
    refused = forged.ask_for_more_time()
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "status_sign_in_expired")
    nobody = Guest(app).ask_for_more_time()
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (400, "identifier_required")
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert not users["alice@example.com"]["moreTimeRequestedAt"]


def test_the_guest_token_appears_nowhere_after_a_status_check(app, admin):
    join_with_plex(app, admin, "alice", accessDays=30)
    guest, checked = check_with_plex(app, "alice")
    assert checked.status_code == 200
    assert guest.ask_for_more_time().status_code == 201
    tokens = app.simulator.state()["issuedGuestTokens"]
    assert len(tokens) == 2 and all(t.startswith("guest-") for t in tokens)
    for token in tokens:
        for response in guest.responses:
            assert token not in response.text
            assert token not in json.dumps(dict(response.headers))
        for name in ALL_TABLES:
            for entity in app.tables.client(name).list_entities():
                assert token not in json.dumps(entity, default=str)
        for path in app.log_dir.glob("*.log"):
            assert token not in path.read_text(errors="replace"), path


def test_status_checks_with_plex_are_limited_per_address_like_status_checks(app_env, tables):
    container = make_container({**app_env, "RATE_LIMIT_INVITES_PER_MINUTE": "3", "RATE_LIMIT_INVITES_PER_HOUR": "20"}, tables=tables)
    guests = container.guest_status
    for _ in range(3):
        with pytest.raises(SignInError) as missing:
            guests.status_signed_in("not-a-cookie", "198.51.100.7")
        assert missing.value.code == "sign_in_not_started"
    with pytest.raises(RateLimited):
        guests.status_signed_in("not-a-cookie", "198.51.100.7")
    with pytest.raises(RateLimited):
        guests.request_more_time_with_proof("not-a-proof", "198.51.100.7")
    with pytest.raises(ProofExpired):
        guests.request_more_time_with_proof("not-a-proof", "198.51.100.8")  # another address is counted on its own
