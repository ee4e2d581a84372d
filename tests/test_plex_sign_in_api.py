"""Sign in with Plex over HTTP: the SWA emulator, the functions host, the Plex simulator (PINs, its auth page, the guest
token's calls) and Azurite. The guest's browser is played by requests: it follows authUrl to the simulator's page."""

import json

import pytest
import requests

from shared.storage.tables import ALL_TABLES
from tests.support.admin_client import Admin
from tests.support.constants import HTTP_INVITE_CODE
from tests.support.plex_guest import Guest

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(app):
    client = Admin(app)
    assert client.login().status_code == 200
    return client


def test_signed_in_guest_is_invited_accepted_and_on_the_accepted_list(app):
    guest = Guest(app)
    started = guest.start()
    assert started.status_code == 200, started.text
    auth_url = started.json()["authUrl"]
    assert auth_url.startswith(app.simulator.base_url + "/auth#?")
    assert "Set-Cookie" in started.headers and "HttpOnly" in started.headers["Set-Cookie"]
    assert "SameSite=Lax" in started.headers["Set-Cookie"]
    forward = guest.sign_in_on_plex(auth_url)
    assert forward == f"{app.site_url}/?signin=plex"
    done = guest.complete()
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["outcome"], body["accepted"], body["username"]) == ("invited", True, "alice")
    assert "You're in" in body["message"]
    assert "Max-Age=0" in done.headers["Set-Cookie"]
    (share,) = app.simulator.state()["shares"]
    assert (share["username"], share["pending"]) == ("alice", False)
    state = app.simulator.state()
    assert state["guestTokens"] == []  # signed out
    (row,) = list(app.tables.client("invitelog").list_entities())
    assert (row["IdentifierNormalized"], row["Outcome"]) == ("alice@example.com", "invited")


def test_plex_tv_requests_per_sign_in_invite(app):
    Guest(app).start()  # warms the owner's connection, as loading the page does
    app.simulator.reset()
    guest = Guest(app)
    guest.start()
    auth_url = guest.responses[-1].json()["authUrl"]
    guest.sign_in_on_plex(auth_url, "bob")
    app.simulator.reset_counts()
    started = Guest(app).start()
    assert started.status_code == 200
    assert app.simulator.counts()["endpoints"] == {"POST /api/v2/pins": 1}
    app.simulator.reset_counts()
    assert guest.complete().status_code == 201
    counts = app.simulator.counts()
    # PIN, guest's account, the invite POST, the accept, the sign-out.
    assert counts["endpoints"] == {
        "GET /api/v2/pins/{id}": 1,
        "GET /api/v2/user": 1,
        "POST /api/servers/{machineId}/shared_servers": 1,
        "POST /api/v2/shared_servers/{id}/accept": 1,
        "DELETE /api/v2/users/signout": 1,
    }


def test_completing_before_signing_in_is_pending_and_keeps_the_cookie(app):
    guest = Guest(app)
    guest.start()
    pending = guest.complete()
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "sign_in_pending"
    assert "Set-Cookie" not in pending.headers
    assert app.simulator.state()["shares"] == []


def test_expired_pin_is_told_and_the_cookie_cleared(app):
    guest = Guest(app)
    started = guest.start()
    guest.sign_in_on_plex(started.json()["authUrl"])
    app.simulator.expire_pins()
    expired = guest.complete()
    assert expired.status_code == 409
    assert expired.json()["error"]["code"] == "sign_in_expired"
    assert "Max-Age=0" in expired.headers["Set-Cookie"]
    assert app.simulator.state()["shares"] == []


def test_accept_refused_still_invites_and_says_how_to_accept(app):
    app.simulator.add_fault("/api/v2/shared_servers/*/accept", 400, method="POST")
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start().json()["authUrl"])
    done = guest.complete()
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["accepted"] is False
    assert "accept" in body["message"] and "app.plex.tv" in body["message"]
    (share,) = app.simulator.state()["shares"]
    assert share["pending"] is True
    assert app.simulator.state()["guestTokens"] == []


def test_cookie_from_another_browser_or_forged_is_refused(app):
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start().json()["authUrl"])
    stranger = Guest(app)
    refused = stranger.complete()
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "sign_in_not_started"
    stranger.cookie = guest.cookie[:-3] + "AAA"
    assert stranger.complete().json()["error"]["code"] == "sign_in_not_started"
    assert app.simulator.state()["shares"] == []


def test_wrong_invite_code_is_refused_before_a_pin_is_made(app):
    app.simulator.reset_counts()
    refused = Guest(app).start("not-the-code")
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "inviteCode"
    assert "POST /api/v2/pins" not in app.simulator.counts()["endpoints"]


def test_sign_in_only_link_refuses_a_typed_address_and_admits_a_signed_in_guest(app, admin):
    link = admin.call("POST", "manage/invite-links", {"maxUses": 2, "requiresSignIn": True}).json()
    assert link["requiresSignIn"] is True
    typed = requests.post(
        f"{app.site_url}/api/invites",
        data=json.dumps({"identifier": "carol", "inviteCode": link["code"]}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert typed.status_code == 403
    assert typed.json()["error"]["code"] == "sign_in_required"
    assert app.simulator.state()["shares"] == []
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start(link["code"]).json()["authUrl"], "carol")
    assert guest.complete().status_code == 201
    links = admin.call("GET", "manage/invite-links").json()["items"]
    assert [item["uses"] for item in links if item["code"] == link["code"]] == [1]


def test_owner_modes(app, admin):
    assert admin.call("PUT", "manage/sign-in-mode", {"mode": "typed"}).json() == {"mode": "typed"}
    assert requests.get(f"{app.site_url}/api/config", timeout=10).json()["signInMode"] == "typed"
    refused = Guest(app).start()
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "sign_in_disabled")
    admin.call("PUT", "manage/sign-in-mode", {"mode": "plex"})
    typed = requests.post(
        f"{app.site_url}/api/invites",
        data=json.dumps({"identifier": "dave_p", "inviteCode": HTTP_INVITE_CODE}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert (typed.status_code, typed.json()["error"]["code"]) == (403, "sign_in_required")
    assert admin.call("PUT", "manage/sign-in-mode", {"mode": "nonsense"}).status_code == 400
    assert admin.call("GET", "manage/sign-in-mode").json() == {"mode": "plex"}


def test_the_guest_token_appears_nowhere(app):
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start().json()["authUrl"])
    assert guest.complete().status_code == 201
    (token,) = app.simulator.state()["issuedGuestTokens"]
    assert token.startswith("guest-")
    for response in guest.responses:
        assert token not in response.text
        assert token not in json.dumps(dict(response.headers))
    for name in ALL_TABLES:
        for entity in app.tables.client(name).list_entities():
            assert token not in json.dumps(entity, default=str)
    for path in app.log_dir.glob("*.log"):
        assert token not in path.read_text(errors="replace"), path


def test_tier_turns_on_watch_state_sync_and_opts_out_of_online_media_and_failures_never_fail_the_invite(app, admin):
    tier = admin.call(
        "POST", "manage/tiers", {"name": "Family", "sectionIds": [118181361], "syncWatchState": True, "optOutOnlineMedia": True}
    ).json()
    assert (tier["syncWatchState"], tier["optOutOnlineMedia"]) == (True, True)
    link = admin.call("POST", "manage/invite-links", {"maxUses": 5, "tierId": tier["id"]}).json()
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start(link["code"]).json()["authUrl"], "alice")
    assert guest.complete().json()["accepted"] is True
    (alice,) = [a for a in app.simulator.state()["accounts"] if a["username"] == "alice"]
    assert alice["view_state_sync"] is True
    assert set(alice["opt_outs"].values()) == {"opt_out"}
    app.simulator.add_fault("/api/v2/user/view_state_sync", 500, method="PUT")
    app.simulator.add_fault("/api/v2/user/*/settings/opt_outs", 503, method="GET")
    guest = Guest(app)
    guest.sign_in_on_plex(guest.start(link["code"]).json()["authUrl"], "bob")
    done = guest.complete()
    assert (done.status_code, done.json()["accepted"]) == (201, True)
    (bob,) = [a for a in app.simulator.state()["accounts"] if a["username"] == "bob"]
    assert (bob["view_state_sync"], bob["opt_outs"]) == (False, {})
