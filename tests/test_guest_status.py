"""The guest status page's API: a guest sees their own access with their identifier and their personal invite
link's code, and nothing else; a stranger gets one answer whatever is wrong, and a code many people share opens
nobody's status; checks are rate-limited; a request for more time is recorded once, shown to the admin and
answered by extending the access."""

from dataclasses import replace

import pytest
import requests

from shared import i18n
from shared.config.settings import RateLimitSettings
from shared.errors import ErrorKind
from shared.guest.status import AccessNotFound
from shared.invites.service import InviteSubmission
from shared.limits.request_limits import RateLimited
from tests.support.constants import HTTP_INVITE_CODE
from tests.support.containers import make_container


def invite(app, identifier, code):
    response = requests.post(f"{app.site_url}/api/invites", json={"identifier": identifier, "inviteCode": code}, timeout=30)
    assert response.status_code == 201, response.text
    return response


def status(app, identifier, code, **headers):
    body = {"identifier": identifier, "inviteCode": code}
    return requests.post(f"{app.site_url}/api/guest/status", json=body, headers=headers, timeout=30)


def more_time(app, identifier, code):
    return requests.post(f"{app.site_url}/api/guest/more-time", json={"identifier": identifier, "inviteCode": code}, timeout=30)


def personal_code(admin, **fields):
    """A single-use invite link: its code stands for one guest."""
    return admin.call("POST", "manage/invite-links", {"maxUses": 1, **fields}).json()["code"]


def test_a_stranger_gets_one_answer_for_an_unknown_account_a_wrong_code_or_a_shared_code(app, admin):
    alices, bobs = personal_code(admin), personal_code(admin)
    invite(app, "alice", alices)
    invite(app, "bob", bobs)
    invite(app, "carol", HTTP_INVITE_CODE)
    shared_link = admin.call("POST", "manage/invite-links", {"maxUses": 5}).json()["code"]
    invite(app, "dave_p", shared_link)
    answers = [
        status(app, "nobody_here", alices),
        status(app, "alice", "not-the-code-2026"),
        status(app, "alice", ""),
        status(app, "alice", bobs),  # another guest's code
        status(app, "carol", HTTP_INVITE_CODE),  # the global code: everyone with it could look carol up
        status(app, "dave_p", shared_link),  # a link for five people
    ]
    assert {a.status_code for a in answers} == {403}
    assert all(a.json() == answers[0].json() for a in answers)
    assert answers[0].json()["error"]["code"] == "access_not_found"
    app.simulator.reset_counts()
    mine = status(app, "Alice", alices)
    requests_per_check = app.simulator.plex_tv_requests()
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["status"] == "pending"
    assert body["tier"] == "Default"
    assert body["libraries"] and body["expiresAt"] is None and body["canRequestMoreTime"] is False
    assert "bob" not in mine.text, "nothing about anyone else"
    # The owner's pending and accepted shares: two plex.tv requests on a warm instance.
    assert requests_per_check == 2, requests_per_check


def test_the_answer_is_in_the_guests_language_and_fills_their_start_watching_page(app, admin):
    code = personal_code(admin)
    invite(app, "alice", code)
    german = status(app, "nobody_here", code, **{"Accept-Language": "de"}).json()["error"]
    english = status(app, "nobody_here", code).json()["error"]
    assert german["code"] == english["code"] == "access_not_found"
    assert german["message"] == i18n.translate(english["message"], "de") != english["message"]
    body = status(app, "alice", code, **{"Accept-Language": "de"}).json()
    assert body["onboarding"]["locale"] == "de"
    assert body["onboarding"]["steps"][0]["html"]


def test_an_accepted_invite_shows_as_accepted(app, admin):
    code = personal_code(admin)
    invite(app, "carol", code)
    share = next(s for s in app.simulator.state()["shares"] if s["username"] == "carol")
    app.simulator.accept_share(share["id"])
    assert status(app, "carol", code).json()["status"] == "accepted"


def test_more_time_is_requested_once_shown_to_the_admin_and_answered_by_extending(app, admin):
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 30, "note": "trial"}).json()
    invite(app, "dave_p", link["code"].lower())  # a link's code is typed in any case
    before = status(app, "dave_p", link["code"]).json()
    assert before["expiresAt"] and before["canRequestMoreTime"] is True and before["moreTimeRequestedAt"] is None
    first = more_time(app, "dave_p", link["code"])
    again = more_time(app, "dave_p", link["code"])
    assert (first.status_code, first.json()["new"]) == (201, True)
    assert (again.status_code, again.json()["new"]) == (200, False)
    assert again.json()["requestedAt"] == first.json()["requestedAt"]
    after = status(app, "dave_p", link["code"]).json()
    assert after["moreTimeRequestedAt"] == first.json()["requestedAt"] and after["canRequestMoreTime"] is False
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["dave_p"]["moreTimeRequestedAt"] == first.json()["requestedAt"]
    assert admin.call("PATCH", "manage/users/dave_p", {"extendDays": 30}).status_code == 200
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["dave_p"]["moreTimeRequestedAt"] is None, "extending answers the request"
    assert status(app, "dave_p", link["code"]).json()["canRequestMoreTime"] is True
    # Someone else's code can't ask for them.
    assert more_time(app, "dave_p", HTTP_INVITE_CODE).status_code == 403


def test_access_without_an_end_date_or_that_ended_cannot_ask_for_more_time(app, admin):
    code = personal_code(admin)
    invite(app, "alice", code)
    refused = more_time(app, "alice", code)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_end_date"
    assert admin.call("POST", "manage/users/alice/revoke").status_code == 200
    ended = status(app, "alice", code).json()
    assert ended["status"] == "ended" and ended["libraries"] == []
    assert more_time(app, "alice", code).json()["error"]["code"] == "no_active_access"


def test_status_checks_are_limited_per_address_whatever_the_answer(app_env, tables):
    container = make_container({**app_env, "RATE_LIMIT_INVITES_PER_MINUTE": "3", "RATE_LIMIT_INVITES_PER_HOUR": "20"}, tables=tables)
    service = container.invite_service
    assert service.submit(InviteSubmission("alice", "", "203.0.113.9")).outcome.succeeded
    guests = container.guest_status
    limited = replace(container.settings.rate_limits, invites_per_minute=3)
    assert limited == RateLimitSettings(3, 20, 0, 0, 0)
    for code in ("wrong-1", "wrong-2", "wrong-3"):
        with pytest.raises(AccessNotFound):
            guests.status("alice", code, "198.51.100.7")
    with pytest.raises(RateLimited) as refused:
        guests.status("alice", "wrong-4", "198.51.100.7")
    assert refused.value.kind is ErrorKind.RATE_LIMITED and refused.value.retry_after
    # Another address is counted on its own; invites from the limited one are counted apart too.
    with pytest.raises(AccessNotFound):
        guests.status("alice", "wrong-5", "198.51.100.8")
    assert service.submit(InviteSubmission("bob", "", "198.51.100.7")).outcome.succeeded


def test_a_guests_start_watching_page_uses_their_tiers_overrides(app, admin):
    tier = admin.call("POST", "manage/tiers", {"name": "Family", "sectionIds": [118181364]}).json()
    override = {"steps": {"accept": "Family, accept it on {{ server_name }}."}, "rules": "Family rules: **share the remote**."}
    refused = admin.call("PUT", "manage/onboarding", {"rules": "Be kind.", "tiers": {"gone": override}})
    assert (refused.status_code, refused.json()["error"]["field"]) == (400, "tiers.gone")
    broken = admin.call("PUT", "manage/onboarding", {"tiers": {tier["id"]: {"rules": "{{ password }}"}}})
    assert (broken.status_code, broken.json()["error"]["field"]) == (400, f"tiers.{tier['id']}.rules")
    saved = admin.call("PUT", "manage/onboarding", {"rules": "Be kind.", "tiers": {tier["id"]: override}})
    assert saved.status_code == 200, saved.text
    assert admin.call("GET", "manage/onboarding").json()["content"]["tiers"][tier["id"]]["rules"] == override["rules"]

    family_code = personal_code(admin, tierId=tier["id"])
    invite(app, "alice", family_code)
    family = status(app, "alice", family_code).json()["onboarding"]
    assert "Family, accept it on" in family["accept"]["html"]
    assert [card["html"] for card in family["cards"]] == ["<p>Family rules: <strong>share the remote</strong>.</p>"]

    default_code = personal_code(admin)
    invite(app, "bob", default_code)
    others = status(app, "bob", default_code).json()["onboarding"]
    assert "Family" not in others["accept"]["html"]
    assert [card["html"] for card in others["cards"]] == ["<p>Be kind.</p>"]

    preview = admin.call("POST", "manage/onboarding/preview", {"rules": "Be kind.", "tiers": {tier["id"]: override}, "tierId": tier["id"]})
    assert "share the remote" in preview.json()["cards"][0]["html"]
