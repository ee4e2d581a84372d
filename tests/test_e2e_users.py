"""The Users view on a phone through the Static Web Apps emulator: a share made outside the portal adopted, three
people extended at once (and one who can't be) with what happened to each, a search, and a difference with
plex.tv fixed from the comparison, with axe under the site's CSP."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.admin_client import Admin
from tests.support.admin_page import open_view, sign_in
from tests.support.axe import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def size() -> str:
    return "phone"


@pytest.fixture
def page(page: Page) -> Page:
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def row(page: Page, identifier: str):
    return page.locator(f"#users-table tr[data-identifier='{identifier}']")


def test_adopt_extend_many_and_fix_a_difference_with_plex_on_a_phone(app, page):
    owner = Admin(app)
    assert owner.login().status_code == 200
    movies = owner.call("POST", "manage/tiers", {"name": "Movies only", "sectionIds": [118181361]}).json()
    code = owner.call("POST", "manage/invite-links", {"maxUses": 0, "accessDays": 10}).json()["code"]
    for name in ("alice", "bob", "carol", "dave_p"):
        joined = requests.post(f"{app.site_url}/api/invites", json={"identifier": name, "inviteCode": code}, timeout=30)
        assert joined.status_code == 201, joined.text
    app.simulator.seed_share(username="oldfriend", title="Old Friend")
    app.simulator.seed_share(email="auntie@example.com", pending=True)
    dave = next(s for s in app.simulator.state()["shares"] if s["username"] == "dave_p")
    app.simulator.remove_share(dave["id"])  # ended in Plex's own app

    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "users")
    friend = row(page, "oldfriend")
    expect(friend).to_contain_text("Not managed")
    expect(friend).to_contain_text("Old Friend")
    friend.locator("select.user-tier-select").select_option(movies["id"])
    ends = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    friend.locator("input.user-adopt-ends").fill(ends)
    friend.locator("button[data-action=adopt]").click()
    expect(page.locator("#users-status")).to_contain_text("oldfriend is now managed by the portal on the tier “Movies only”")
    expect(friend).not_to_contain_text("Not managed")
    expect(friend).to_contain_text("Movies only")
    share = next(s for s in app.simulator.state()["shares"] if s["username"] == "oldfriend")
    assert share["section_ids"] == [118181361]

    for name in ("alice", "bob", "carol", "auntie@example.com"):
        row(page, name).locator("input.user-select").check()
    expect(page.locator("#bulk-count")).to_have_text("4 people selected")
    page.mouse.wheel(0, 5000)  # down the list: the bar with what to do stays in sight
    page.wait_for_function("window.scrollY > 600")  # the list is longer than the screen: this was a real scroll
    expect(page.locator("#bulk-bar")).to_be_in_viewport()
    page.fill("#bulk-days", "30")
    page.click("#bulk-apply")
    summary = page.locator("#bulk-summary")
    expect(summary).to_contain_text("3 done, 1 not done")
    expect(summary.locator("li[data-identifier='auntie@example.com']")).to_contain_text("no active access")
    expect(summary.locator("li[data-identifier='bob']")).to_contain_text("Done")
    users = {u["identifier"]: u for u in owner.call("GET", "manage/users").json()["items"]}
    left = datetime.fromisoformat(users["alice"]["expiresAt"]) - datetime.now(UTC)
    assert timedelta(days=39) < left <= timedelta(days=40)
    expect(page.locator("#bulk-count")).to_have_text("1 person selected")  # the one not done, to try again
    found = axe_violations(page, app.site_url)
    assert found == [], json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found], indent=1)

    page.click("#check-plex")
    finding = page.locator("#reconciliation-list li[data-identifier='dave_p'][data-kind='share_removed']")
    expect(finding).to_contain_text("No share on Plex any more")
    finding.locator("button[data-fix=forget]").click()
    expect(page.locator("#reconciliation-status")).to_contain_text("Forgot dave_p")
    expect(finding).to_have_count(0)
    expect(row(page, "dave_p")).to_contain_text("Revoked")

    page.fill("#users-search", "ali")
    page.press("#users-search", "Enter")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    expect(page.locator("#users-page")).to_contain_text("1 person")


def test_access_that_doesnt_end_is_given_an_end_date_from_its_row(app, page):
    owner = Admin(app)
    assert owner.login().status_code == 200
    code = owner.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 0}).json()["code"]
    assert requests.post(f"{app.site_url}/api/invites", json={"identifier": "bob", "inviteCode": code}, timeout=30).status_code == 201

    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "users")
    bob = row(page, "bob")
    expect(bob.locator("button[data-action=extend]")).to_have_count(0)  # nothing to extend
    bob.locator("button[data-action=ends]").click()
    expect(page.locator("#users-status")).to_contain_text("Choose a day from today on")
    day = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    bob.locator("input.user-end-date").fill(day)
    bob.locator("button[data-action=ends]").click()
    expect(page.locator("#users-status")).to_contain_text(f"bob's access now ends at the end of {day}")
    expect(bob.locator("button[data-action=extend]")).to_be_visible()  # it has an end now
    [bob_now] = [u for u in owner.call("GET", "manage/users").json()["items"] if u["identifier"] == "bob"]
    assert timedelta(days=13) < datetime.fromisoformat(bob_now["expiresAt"]) - datetime.now(UTC) < timedelta(days=15)
