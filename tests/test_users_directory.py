"""Everyone on the Plex server through the API: shares made outside the portal, adopting one, reconciliation with
plex.tv and its fixes, changes to many people at once, and a list of thousands searched, filtered, sorted and paged."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from devtools.stack import seed_demo_shares
from shared.access.grants import Grant, GrantStatus, _entity_from
from shared.storage.tables import ACCESS
from tests.support.admin_client import Admin
from tests.support.containers import make_container
from tests.support.waiting import wait_until

MOVIES, TV, MUSIC, KIDS = 118181361, 118181362, 118181363, 118181364
EVERY_LIBRARY = [MOVIES, TV, MUSIC, KIDS]
SHARE_LIST = "GET /api/v2/shared_servers/owned/{pending|accepted}"  # one list read asks twice: pending, then accepted
UPDATE_SHARE = "POST /api/v2/shared_servers/{id}"


@pytest.fixture
def admin(app):
    client = Admin(app)
    assert client.login().status_code == 200
    return client


def use(app, code, identifier):
    response = requests.post(f"{app.site_url}/api/invites", json={"identifier": identifier, "inviteCode": code}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def create_link(admin, **fields):
    response = admin.call("POST", "manage/invite-links", {"maxUses": 0, "accessDays": 0, "note": "", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def listed(admin, **params):
    response = admin.call("GET", "manage/users", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def people(admin, **params):
    return {user["identifier"]: user for user in listed(admin, pageSize=200, **params)["items"]}


def findings(admin, **params):
    response = admin.call("GET", "manage/reconciliation", params=params)
    assert response.status_code == 200, response.text
    return {(item["kind"], item["identifier"]): item for item in response.json()["items"]}


def fix(admin, kind, identifier):
    return admin.call("POST", "manage/reconciliation/fix", {"kind": kind, "identifier": identifier})


def shares_of(app):
    return {share["username"] or share["invited_email"]: share for share in app.simulator.state()["shares"]}


def test_thirty_shares_made_outside_the_portal_are_listed_as_not_managed(admin, app):
    for n in range(25):
        app.simulator.seed_share(username=f"friend{n:02d}", title=f"Friend {n}", pending=n % 5 == 0)
    for n in range(5):
        app.simulator.seed_share(email=f"aunt{n}@example.com", pending=True, section_ids=[MOVIES])
    use(app, create_link(admin)["code"], "alice")  # and one the portal invited
    answer = listed(admin, status="unmanaged", pageSize=200)
    assert answer["total"] == 30 and len(answer["items"]) == 30
    assert answer["facets"]["status"] == {"unmanaged": 30, "active": 1}
    by_id = {user["identifier"]: user for user in answer["items"]}
    friend = by_id["friend01"]
    assert (friend["managed"], friend["status"], friend["plexStatus"]) == (False, "unmanaged", "accepted")
    assert friend["displayName"] == "Friend 1" and friend["email"] == "friend01@example.com" and friend["thumb"]
    assert friend["libraries"] == ["Movies", "TV Shows", "Music", "Kids Movies"]
    assert by_id["friend05"]["plexStatus"] == "pending"
    aunt = by_id["aunt3@example.com"]
    assert (aunt["username"], aunt["libraries"], aunt["plexStatus"]) == ("", ["Movies"], "pending")
    assert people(admin)["alice"]["managed"] is True


def test_the_demo_server_starts_with_friends_to_adopt(admin, app):
    seed_demo_shares(app.simulator.base_url)  # what devtools/run.sh does in demo mode
    answer = listed(admin, status="unmanaged")
    assert sorted(user["identifier"] for user in answer["items"]) == ["auntie@example.com", "cousin_sam", "oldfriend"]


def test_an_adopted_share_gets_its_tier_and_its_access_ends_on_the_expiry_timer(admin, app):
    movies_only = admin.call("POST", "manage/tiers", {"name": "Movies only", "sectionIds": [MOVIES]}).json()
    everything = app.simulator.seed_share(username="oldfriend")
    same = app.simulator.seed_share(username="cousin", section_ids=[MOVIES])
    app.simulator.reset_counts()
    ends = datetime.now(UTC) + timedelta(days=10)
    # Libraries that match the tier already: plex.tv isn't asked to change anything.
    adopted = admin.call("POST", "manage/users/cousin/adopt", {"tierId": movies_only["id"], "expiresAt": ends.isoformat()})
    assert adopted.status_code == 200, adopted.text
    assert app.simulator.counts()["endpoints"].get(UPDATE_SHARE, 0) == 0
    assert shares_of(app)["cousin"]["id"] == same["id"], "adopting doesn't invite again"
    adopted = admin.call("POST", "manage/users/oldfriend/adopt", {"tierId": movies_only["id"], "expiresAt": ends.isoformat()})
    assert adopted.status_code == 200, adopted.text
    assert (adopted.json()["status"], adopted.json()["tierId"]) == ("active", movies_only["id"])
    share = shares_of(app)["oldfriend"]
    assert (share["id"], share["section_ids"]) == (everything["id"], [MOVIES]), "the same share, now with the tier's libraries"
    user = people(admin)["oldfriend"]
    assert (user["managed"], user["tierName"], user["plexStatus"]) == (True, "Movies only", "accepted")
    assert user["expiresAt"].startswith(ends.strftime("%Y-%m-%dT%H:%M"))
    again = admin.call("POST", "manage/users/oldfriend/adopt", {"tierId": movies_only["id"]})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_managed")
    assert admin.call("POST", "manage/users/nobody-here/adopt", {}).json()["error"]["code"] == "share_missing"

    grants = make_container(app.env, tables=app.tables).grants
    grant = grants.get("oldfriend")
    grants.record(replace(grant, expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    response = requests.post(f"{app.functions_url}/admin/functions/expire_access", json={"input": ""}, timeout=30)
    assert response.status_code == 202
    wait_until(lambda: "oldfriend" not in shares_of(app), interval=0.2)
    assert grants.get("oldfriend").status == GrantStatus.EXPIRED
    assert set(shares_of(app)) == {"cousin"}
    assert people(admin)["oldfriend"]["status"] == "expired"


def test_a_share_removed_on_plex_tv_is_found_and_forgotten_or_invited_again(admin, app):
    link = create_link(admin)
    use(app, link["code"], "alice")
    use(app, link["code"], "bob")
    assert findings(admin) == {}
    for name in ("alice", "bob"):
        app.simulator.remove_share(shares_of(app)[name]["id"])
    found = findings(admin)
    assert set(found) == {("share_removed", "alice"), ("share_removed", "bob")}
    assert found[("share_removed", "alice")]["fixes"] == ["forget", "resend"]
    assert people(admin)["alice"]["plexStatus"] == "missing"

    app.simulator.reset_counts()
    forgotten = fix(admin, "forget", "alice")
    assert forgotten.status_code == 200, forgotten.text
    assert forgotten.json()["grant"]["status"] == "revoked"
    assert not any(name.startswith("DELETE") for name in app.simulator.counts()["endpoints"]), "plex.tv is not touched"
    resent = fix(admin, "resend", "bob")
    assert resent.status_code == 200, resent.text
    assert shares_of(app)["bob"]["accepted_at"] is None, "a new invite is on its way"
    assert findings(admin) == {}
    users = people(admin)
    assert (users["alice"]["status"], users["bob"]["status"], users["bob"]["plexStatus"]) == ("revoked", "active", "pending")
    assert fix(admin, "forget", "alice").status_code == 409, "nothing left to fix"
    rows = admin.call("GET", "manage/audit", params={"action": "fix_finding"}).json()["items"]
    assert [(r["target"], r["outcome"]) for r in rows] == [
        ("identifier=alice", "no_active_access"),
        ("identifier=bob", "ok"),
        ("identifier=alice", "ok"),
    ]


def test_libraries_changed_on_plex_tv_are_put_back_to_the_tier(admin, app):
    kids = admin.call("POST", "manage/tiers", {"name": "Kids", "sectionIds": [KIDS]}).json()
    use(app, create_link(admin, tierId=kids["id"])["code"], "carol")
    share = shares_of(app)["carol"]
    app.simulator.accept_share(share["id"])
    app.simulator.change_share(share["id"], sectionIds=[KIDS, MOVIES])
    found = findings(admin)
    assert list(found) == [("libraries_differ", "carol")]
    assert "Movies" in found[("libraries_differ", "carol")]["detail"]
    assert fix(admin, "forget", "carol").json()["error"]["code"] == "share_exists"
    done = fix(admin, "reapply", "carol")
    assert done.status_code == 200, done.text
    assert shares_of(app)["carol"]["section_ids"] == [KIDS]
    assert findings(admin) == {}


def test_an_old_pending_invite_is_withdrawn_and_its_link_use_comes_back(admin, app):
    link = create_link(admin, maxUses=1, accessDays=30)
    use(app, link["code"], "dave_p")
    grants = make_container(app.env, tables=app.tables).grants
    grants.record(replace(grants.get("dave_p"), granted_at=datetime.now(UTC) - timedelta(days=20)))
    assert findings(admin, staleDays=30) == {}
    found = findings(admin)  # 14 days unless told
    assert list(found) == [("pending_stale", "dave_p")]
    assert found[("pending_stale", "dave_p")]["fixes"] == ["resend", "withdraw"]
    assert admin.call("GET", "manage/reconciliation", params={"staleDays": 0}).status_code == 400
    done = fix(admin, "withdraw", "dave_p")
    assert done.status_code == 200, done.text
    assert link["code"] in done.json()["message"]
    assert shares_of(app) == {}
    assert grants.get("dave_p").status == GrantStatus.REVOKED
    again = next(item for item in admin.call("GET", "manage/invite-links").json()["items"] if item["code"] == link["code"])
    assert (again["uses"], again["status"]) == (0, "active")
    use(app, link["code"], "alice")  # the use is there to be taken again


def test_extending_three_and_one_unknown_says_what_happened_to_each(admin, app):
    link = create_link(admin, accessDays=5)
    for name in ("alice", "bob", "carol"):
        use(app, link["code"], name)
    before = people(admin)
    app.simulator.reset_counts()
    response = admin.call("POST", "manage/users/bulk", {"action": "extend", "identifiers": ["alice", "bob", "carol", "nobody"], "days": 30})
    assert response.status_code == 200, response.text
    results = {r["identifier"]: r for r in response.json()["results"]}
    assert [r["ok"] for r in response.json()["results"]] == [True, True, True, False]
    assert response.json()["changed"] == 3
    assert (results["nobody"]["code"], results["nobody"]["grant"]) == ("no_active_access", None)
    assert "no active access" in results["nobody"]["message"]
    for name in ("alice", "bob", "carol"):
        old = datetime.fromisoformat(before[name]["expiresAt"])
        assert datetime.fromisoformat(results[name]["grant"]["expiresAt"]) - old == timedelta(days=30)
    assert app.simulator.plex_tv_requests() == 0, "extending needs storage only"
    # The audit trail says the change was partial, and for whom.
    [row] = admin.call("GET", "manage/audit", params={"action": "change_users"}).json()["items"]
    assert (row["outcome"], row["target"]) == ("partly_changed", "identifiers=alice, bob, carol, nobody")
    assert '"notChanged":{"nobody":"no_active_access"}' in row["detail"]


def test_extending_someone_whose_access_never_ends_leaves_it_without_an_end(admin, app):
    use(app, create_link(admin, accessDays=0)["code"], "dave_p")
    response = admin.call("POST", "manage/users/bulk", {"action": "extend", "identifiers": ["dave_p"], "days": 7})
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert (result["ok"], result["code"]) == (False, "no_end_date")
    assert people(admin)["dave_p"]["expiresAt"] is None
    [row] = admin.call("GET", "manage/audit", params={"action": "change_users"}).json()["items"]
    assert row["outcome"] == "none_changed"
    single = admin.call("PATCH", "manage/users/dave_p", {"extendDays": 7})
    assert single.status_code == 409 and single.json()["error"]["code"] == "no_end_date"


def test_bulk_revoke_and_adopt_read_the_share_list_once_and_wait_out_a_rate_limit(admin, app):
    link = create_link(admin)
    for name in ("alice", "bob", "carol"):
        use(app, link["code"], name)
    for n in range(3):
        app.simulator.seed_share(username=f"old{n}")
    app.simulator.reset_counts()
    app.simulator.add_fault("/api/v2/shared_servers/*", 429, method="DELETE", retry_after="0")
    revoked = admin.call("POST", "manage/users/bulk", {"action": "revoke", "identifiers": ["alice", "bob", "carol"]})
    assert [r["ok"] for r in revoked.json()["results"]] == [True, True, True], revoked.text
    assert app.simulator.state()["faults"] == [], "plex.tv refused one removal with 429, and it was sent again"
    assert app.simulator.counts()["endpoints"][SHARE_LIST] == 2, "one read of the share list (pending and accepted)"
    adopted = admin.call("POST", "manage/users/bulk", {"action": "adopt", "identifiers": ["old0", "old1", "old2", "alice"], "days": 7})
    outcomes = {r["identifier"]: (r["ok"], r["code"]) for r in adopted.json()["results"]}
    assert outcomes == {"old0": (True, ""), "old1": (True, ""), "old2": (True, ""), "alice": (False, "share_missing")}
    assert set(shares_of(app)) == {"old0", "old1", "old2"}
    assert listed(admin, status="unmanaged")["total"] == 0
    # A wait longer than the retry budget: nothing is changed, and each person says why.
    app.simulator.add_fault("/api/v2/shared_servers/*", 429, method="DELETE", retry_after="600", times=0)
    limited = admin.call("POST", "manage/users/bulk", {"action": "revoke", "identifiers": ["old0", "old1"]}).json()["results"]
    app.simulator.clear_faults()
    assert [(r["ok"], r["code"]) for r in limited] == [(False, "plex_rate_limited")] * 2
    assert set(shares_of(app)) == {"old0", "old1", "old2"}
    assert people(admin)["old0"]["status"] == "active"
    too_many = admin.call("POST", "manage/users/bulk", {"action": "revoke", "identifiers": [f"u{n}" for n in range(201)]})
    assert (too_many.status_code, too_many.json()["error"]["code"]) == (400, "too_many")
    assert "at most 200" in too_many.json()["error"]["message"]
    unknown = admin.call("POST", "manage/users/bulk", {"action": "explode", "identifiers": ["old0"]})
    assert unknown.json()["error"]["field"] == "action"


def seed_grants(app, count):
    """`count` grants written straight to storage in batches (what thousands of invites would leave behind)."""
    client = app.tables.client(ACCESS)
    now = datetime.now(UTC)
    tier = "default"
    rows = []
    for n in range(count):
        rows.append(
            Grant(
                identifier=f"user-{n:04d}",
                tier_id=tier if n % 3 else "gold",
                invite_code="",
                granted_at=now - timedelta(minutes=n),
                expires_at=now + timedelta(days=n % 40 + 1) if n % 2 else None,
                status=GrantStatus.ACTIVE if n % 10 else GrantStatus.EXPIRED,
            )
        )
    for start in range(0, count, 100):
        client.submit_transaction([("upsert", _entity_from(grant)) for grant in rows[start : start + 100]])


def test_a_list_of_three_thousand_is_searched_filtered_sorted_and_paged(admin, app):
    seed_grants(app, 3000)
    for n in (1, 2, 3):
        app.simulator.seed_share(username=f"user-{n:04d}")  # three of them accepted on plex.tv
    first = listed(admin, sort="name", order="asc", page=3, pageSize=100)
    assert first["total"] == 3000 and (first["page"], first["pageSize"]) == (3, 100)
    assert [u["identifier"] for u in first["items"]] == [f"user-{n:04d}" for n in range(200, 300)]
    assert first["facets"]["status"] == {"active": 2700, "ended": 300}
    assert first["facets"]["tier"] == {"gold": 900, "default": 1800}
    assert first["facets"]["plexStatus"]["accepted"] == 3
    app.simulator.reset_counts()
    snapshot = first["snapshot"]
    # Paging, a search, a filter and another order reuse the share list that was just read.
    last = listed(admin, sort="name", order="desc", page=30, pageSize=100, snapshot=snapshot)
    assert [u["identifier"] for u in last["items"]][-1] == "user-0000"
    found = listed(admin, q="USER-12", snapshot=snapshot)
    assert found["total"] == 100 and all("user-12" in u["identifier"] for u in found["items"])
    assert len(found["items"]) == 50, "50 to a page unless asked"
    gold = listed(admin, tier="gold", status="active", pageSize=200, snapshot=snapshot)
    assert gold["total"] == 900 and len(gold["items"]) == 200
    soon = listed(admin, endingSoon="true", sort="expires", pageSize=200, snapshot=snapshot)
    expected = sum(1 for n in range(3000) if n % 2 and n % 10 and n % 40 + 1 <= 7)
    assert soon["total"] == expected
    ends = [u["expiresAt"] for u in soon["items"]]
    assert ends == sorted(ends), "soonest first"
    accepted = listed(admin, plexStatus="accepted", snapshot=snapshot)
    assert sorted(u["identifier"] for u in accepted["items"]) == ["user-0001", "user-0002", "user-0003"]
    assert app.simulator.plex_tv_requests() == 0, "no new plex.tv read while the snapshot is fresh"
    # A change made through the portal drops the snapshot: the next list asks plex.tv again.
    assert admin.call("POST", "manage/users/user-0002/revoke", {}).status_code == 200
    app.simulator.reset_counts()
    after = listed(admin, plexStatus="accepted", snapshot=snapshot)
    assert after["snapshot"] != snapshot and after["total"] == 2
    assert app.simulator.counts()["endpoints"][SHARE_LIST] == 2
    assert admin.call("GET", "manage/users", params={"sort": "height"}).json()["error"]["field"] == "sort"
