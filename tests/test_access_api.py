"""Invite links, tiers and user management through the API, and expiry with a moved clock."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests

from shared.access.grants import GrantStatus
from shared.storage.tables import INVITE_LINKS, INVITE_LOG
from tests.support.constants import HTTP_INVITE_CODE, NO_RATE_LIMIT_SETTINGS
from tests.support.containers import make_container
from tests.support.stacks import host_pair
from tests.support.waiting import wait_until

MOVIES, TV, KIDS = 118181361, 118181362, 118181364


def use(app, code, identifier):
    return requests.post(f"{app.site_url}/api/invites", json={"identifier": identifier, "inviteCode": code}, timeout=30)


def create_link(admin, **fields):
    response = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 0, "note": "", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_link_cant_take_the_servers_invite_code(admin, app):
    refused = admin.call("POST", "manage/invite-links", {"maxUses": 1, "code": HTTP_INVITE_CODE.upper()})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "code_is_global_code" and refused.json()["error"]["field"] == "code"
    assert admin.call("GET", "manage/invite-links").json()["items"] == []
    # The global code itself still admits to the default tier.
    use(app, HTTP_INVITE_CODE, "alice")


def test_deleting_an_invite_that_isnt_there_says_so(admin):
    link = create_link(admin)
    assert admin.call("DELETE", f"manage/invite-links/{link['code']}").status_code == 200
    again = admin.call("DELETE", f"manage/invite-links/{link['code']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "invite_not_found"


def test_generated_codes_are_long_and_unambiguous(admin):
    link = create_link(admin)
    assert len(link["code"]) >= 10
    assert not set(link["code"]) & set("01OIL5S")
    assert link["url"].endswith(f"/j/{link['code']}")


def test_a_cap_of_two_lets_two_guests_in_and_refuses_the_third(admin, app):
    link = create_link(admin, maxUses=2, note="for the cousins")
    assert use(app, link["code"], "alice").status_code == 201
    assert use(app, link["code"], "bob").status_code == 201
    third = use(app, link["code"], "carol")
    unknown = use(app, "no-such-invite-code", "carol")
    assert third.status_code == unknown.status_code == 403
    assert third.json() == unknown.json(), "a guest can't tell a used-up code from one that never existed"
    refusals = [r["ErrorCode"] for r in app.tables.client(INVITE_LOG).list_entities() if r["Outcome"] == "code_rejected"]
    assert sorted(refusals) == ["invalid_invite_code", "invite_used_up"], "the owner's log keeps the difference"
    assert sorted(s["username"] for s in app.simulator.state()["shares"]) == ["alice", "bob"]
    listed = next(i for i in admin.call("GET", "manage/invite-links").json()["items"] if i["code"] == link["code"])
    assert (listed["uses"], listed["status"]) == (2, "used_up")
    used_by = [r["IdentifierNormalized"] for r in app.tables.client(INVITE_LOG).list_entities() if r["InviteCode"] == link["code"]]
    assert sorted(used_by) == ["alice", "bob"], "each use is recorded in the invite log"


def test_a_failed_attempt_does_not_use_up_the_invite(admin, app):
    link = create_link(admin, maxUses=1)
    assert use(app, link["code"], "no_such_plex_user").status_code == 422
    assert use(app, link["code"], "dave_p").status_code == 201


def test_an_expired_invite_is_refused(admin, app):
    expires = datetime.now(UTC) + timedelta(seconds=2)
    link = create_link(admin, maxUses=0, expiresAt=expires.isoformat())
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)
    refused = use(app, link["code"], "alice")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "invalid_invite_code"
    assert [r["ErrorCode"] for r in app.tables.client(INVITE_LOG).list_entities()] == ["invite_expired"]
    assert app.simulator.state()["shares"] == []


def test_a_chosen_code_works_case_insensitively_and_the_global_code_still_works(admin, app):
    create_link(admin, code="Summer-Movie-Night", maxUses=0)
    assert use(app, "summer-movie-night", "alice").status_code == 201
    assert use(app, app.env["INVITE_CODE"], "bob").status_code == 201
    taken = admin.call("POST", "manage/invite-links", {"code": "SUMMER-movie-night", "maxUses": 1})
    assert taken.json()["error"]["code"] == "code_taken"


def test_an_invite_shares_its_tier_and_a_tier_change_affects_future_invites_only(admin, app):
    tier = admin.call("POST", "manage/tiers", {"name": "Kids", "sectionIds": [KIDS], "allowSync": True}).json()
    link = create_link(admin, tierId=tier["id"], maxUses=0)
    other = create_link(admin, maxUses=0)  # the default tier
    assert use(app, link["code"], "alice").json()["libraries"] == ["Kids Movies"]
    assert use(app, other["code"], "bob").json()["libraries"] == ["Movies", "TV Shows", "Music", "Kids Movies"]
    saved = admin.call("PUT", f"manage/tiers/{tier['id']}", {"name": "Kids", "sectionIds": [KIDS, TV]})
    assert saved.status_code == 200
    assert use(app, link["code"], "carol").json()["libraries"] == ["TV Shows", "Kids Movies"]
    shares = {s["username"]: s for s in app.simulator.state()["shares"]}
    assert shares["alice"]["section_ids"] == [KIDS] and shares["alice"]["allow_sync"] is True
    assert sorted(shares["carol"]["section_ids"]) == sorted([KIDS, TV])


def test_users_list_shows_tier_invite_and_plex_status(admin, app):
    link = create_link(admin, maxUses=0, accessDays=30)
    use(app, link["code"], "alice")
    use(app, link["code"], "bob")
    bob_share = next(s for s in app.simulator.state()["shares"] if s["username"] == "bob")
    app.simulator.accept_share(bob_share["id"])
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["alice"]["plexStatus"] == "pending"
    assert users["bob"]["plexStatus"] == "accepted"
    assert users["alice"]["inviteCode"] == link["code"]
    assert users["alice"]["tierName"] == "Default"
    expires = datetime.fromisoformat(users["alice"]["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)


def test_revoking_removes_the_share(admin, app):
    use(app, create_link(admin)["code"], "carol")
    assert len(app.simulator.state()["shares"]) == 1
    revoked = admin.call("POST", "manage/users/carol/revoke", {})
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert app.simulator.state()["shares"] == []
    assert admin.call("POST", "manage/users/carol/revoke", {}).status_code == 409


def test_change_tier_and_extend_expiry_of_a_user(admin, app):
    tier = admin.call("POST", "manage/tiers", {"name": "Movies only", "sectionIds": [MOVIES]}).json()
    use(app, create_link(admin, accessDays=7)["code"], "dave_p")
    changed = admin.call("PATCH", "manage/users/dave_p", {"tierId": tier["id"]})
    assert changed.status_code == 200 and changed.json()["tierId"] == tier["id"]
    assert app.simulator.state()["shares"][0]["section_ids"] == [MOVIES]
    before = datetime.fromisoformat(changed.json()["expiresAt"].replace("Z", "+00:00"))
    extended = admin.call("PATCH", "manage/users/dave_p", {"extendDays": 30}).json()
    assert datetime.fromisoformat(extended["expiresAt"].replace("Z", "+00:00")) - before == timedelta(days=30)


def test_a_one_day_guest_is_removed_by_the_expiry_run_once_the_clock_moves(admin, app):
    use(app, create_link(admin, accessDays=1)["code"], "alice")
    use(app, create_link(admin)["code"], "bob")  # no access duration
    now = [datetime.now(UTC)]
    access = make_container(app.env, tables=app.tables, now=lambda: now[0]).user_access  # the app's settings, on a clock the test moves
    assert access.expire_due().removed == [], "nothing is due yet"
    now[0] += timedelta(days=1, minutes=1)
    # Two runs at once, as on two instances: each share is removed exactly once.
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: access.expire_due(), range(2)))
    assert sorted(r for run in runs for r in run.removed) == ["alice"]
    assert access.expire_due().removed == [], "running again changes nothing"
    assert [s["username"] for s in app.simulator.state()["shares"]] == ["bob"]
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["alice"]["status"] == str(GrantStatus.EXPIRED)
    assert users["alice"]["removedAt"] and "access ended" in users["alice"]["removalNote"]
    assert users["bob"]["status"] == "active"


def test_an_email_with_slash_hash_and_question_mark_is_listed_and_its_access_ends(admin, app):
    email = "a/b#c?d@example.com"  # the email rule allows these; Table keys don't
    assert use(app, create_link(admin, accessDays=1)["code"], email).status_code == 201
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users[email]["status"] == "active" and users[email]["expiresAt"]
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    access = make_container(app.env, tables=app.tables, now=lambda: later).user_access
    assert access.expire_due().removed == [email]
    assert app.simulator.state()["shares"] == []


def test_an_email_with_slash_hash_and_question_mark_is_extended_and_revoked_by_its_address(admin, app):
    email = "a/b#c?d@example.com"
    assert use(app, create_link(admin, accessDays=1)["code"], email).status_code == 201
    path = f"manage/users/{quote(email, safe='')}"  # as the admin page sends it; the host keeps %2F escaped
    extended = admin.call("PATCH", path, {"extendDays": 5})
    assert extended.status_code == 200, extended.text
    assert admin.call("POST", f"{path}/revoke", {}).status_code == 200
    assert app.simulator.state()["shares"] == []
    targets = [row["target"] for row in admin.call("GET", "manage/audit", params={"action": "revoke_user"}).json()["items"]]
    assert targets == [f"identifier={email}"]


def test_a_tier_change_with_an_extension_that_cant_be_made_changes_nothing(admin, app):
    tier = admin.call("POST", "manage/tiers", {"name": "Movies only", "sectionIds": [MOVIES]}).json()
    assert use(app, create_link(admin)["code"], "erin@example.com").status_code == 201  # access that doesn't end: nothing to extend
    refused = admin.call("PATCH", "manage/users/erin%40example.com", {"tierId": tier["id"], "extendDays": 5})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_end_date"
    assert app.simulator.state()["shares"][0]["section_ids"] != [MOVIES], "the tier wasn't changed on Plex"
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["erin@example.com"]["tierId"] == "default"


def test_access_that_doesnt_end_gets_an_end_date_and_one_that_does_can_lose_it(admin, app):
    assert use(app, create_link(admin)["code"], "carol").status_code == 201
    extend = admin.call("PATCH", "manage/users/carol", {"extendDays": 5})
    assert extend.status_code == 409 and "Set an end date" in extend.json()["error"]["message"]
    past = admin.call("PATCH", "manage/users/carol", {"expiresAt": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400 and past.json()["error"]["field"] == "expiresAt"
    both = admin.call("PATCH", "manage/users/carol", {"expiresAt": "2030-01-01T00:00:00Z", "extendDays": 5})
    assert both.status_code == 400 and both.json()["error"]["code"] == "extend_or_end"
    # A misspelt field is refused with the fields the request takes, and nothing else in the body is applied.
    typo = admin.call("PATCH", "manage/users/carol", {"tierId": "default", "expiresat": "2030-01-01T00:00:00Z"})
    assert typo.status_code == 400 and typo.json()["error"]["code"] == "unknown_field"
    assert "'expiresat'" in typo.json()["error"]["message"] and "expiresAt, extendDays, tierId" in typo.json()["error"]["message"]
    # An empty field isn't "no end": a script that sends one must not make access permanent by mistake.
    empty = admin.call("PATCH", "manage/users/carol", {"expiresAt": ""})
    assert empty.status_code == 400 and "null" in empty.json()["error"]["message"]
    too_far = admin.call("PATCH", "manage/users/carol", {"expiresAt": "9999-12-31T23:59:00Z"})
    assert too_far.status_code == 400 and "3650 days" in too_far.json()["error"]["message"]
    end = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    ended = admin.call("PATCH", "manage/users/carol", {"expiresAt": end.isoformat()})
    assert ended.status_code == 200, ended.text
    assert datetime.fromisoformat(ended.json()["expiresAt"].replace("Z", "+00:00")) == end
    assert admin.call("PATCH", "manage/users/carol", {"extendDays": 5}).status_code == 200  # it has an end to move now
    forever = admin.call("PATCH", "manage/users/carol", {"expiresAt": None})
    assert forever.status_code == 200 and forever.json()["expiresAt"] is None


def test_the_expiry_timer_runs_on_the_local_host(admin, app):
    use(app, create_link(admin, accessDays=1)["code"], "alice")
    grants = make_container(app.env, tables=app.tables).grants
    grant = grants.get("alice")
    grants.record(replace(grant, expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    # As on the real host: 202 at once, and the function runs in the background.
    response = requests.post(f"{app.functions_url}/admin/functions/expire_access", json={"input": ""}, timeout=30)
    assert response.status_code == 202
    wait_until(lambda: not app.simulator.state()["shares"], interval=0.2)
    assert app.simulator.state()["shares"] == []
    assert grants.get("alice").status == GrantStatus.EXPIRED


def test_the_host_api_needs_a_body_and_a_known_function(app):
    assert requests.post(f"{app.functions_url}/admin/functions/expire_access", timeout=30).status_code == 400
    assert requests.post(f"{app.functions_url}/admin/functions/no_such_function", json={}, timeout=30).status_code == 404


@pytest.fixture
def two_hosts(backing_services, table_service, tmp_path):
    with host_pair(backing_services, table_service, tmp_path, **NO_RATE_LIMIT_SETTINGS) as pair:
        yield pair


def test_twenty_concurrent_uses_of_a_cap_five_invite_across_two_hosts_make_exactly_five_invites(two_hosts, simulator):
    from shared.invites.links import InviteLinks

    urls, tables = two_hosts
    link = InviteLinks(lambda: tables.client(INVITE_LINKS)).create(tier_id="default", max_uses=5, expires_at=None, access_days=0, note="")

    def submit(n):
        return requests.post(f"{urls[n % 2]}/api/invites", json={"identifier": f"cap{n}@example.com", "inviteCode": link.code}, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = [r.status_code for r in pool.map(submit, range(20))]
    assert statuses.count(201) == 5
    assert statuses.count(403) == 15
    assert len(simulator.state()["shares"]) == 5
    assert InviteLinks(lambda: tables.client(INVITE_LINKS)).get(link.code).uses == 5
