"""The admin views for guest sign-in, notifications and the Start watching page in headless Chromium, on a desktop
and (where it is cheap) a phone, with axe under the site's CSP."""

import json
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.admin_client import Admin
from tests.support.admin_page import open_view, sign_in
from tests.support.axe import axe_violations
from tests.support.receivers import WebhookReceiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

KIDS_MOVIES = 118181364


@pytest.fixture
def size() -> str:
    return "desktop"


@pytest.fixture
def page(page: Page) -> Page:
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def admin(app) -> Admin:
    client = Admin(app)
    assert client.login().status_code == 200
    return client


def no_violations(page: Page, app) -> None:
    found = axe_violations(page, app.site_url)
    assert found == [], json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found], indent=1)


def test_guest_sign_in_mode_and_a_sign_in_only_link(app, page):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    expect(page.locator("input[name=sign-in-mode][value=plex_or_typed]")).to_be_checked()
    page.check("input[name=sign-in-mode][value=plex]")
    expect(page.locator("#sign-in-mode-status")).to_contain_text("Saved: Sign in with Plex only")
    assert requests.get(f"{app.site_url}/api/config", timeout=30).json()["signInMode"] == "plex"

    open_view(page, "invites")
    page.fill("#link-note", "for Dana")
    page.check("#link-requires-sign-in")
    page.click("#create-link-button")
    expect(page.locator("#new-link")).to_be_visible()
    row = page.locator("#invite-links-table tbody tr", has_text="for Dana")
    expect(row.locator("[data-label='Sign-in']")).to_have_text("Plex sign-in")
    links = admin(app).call("GET", "manage/invite-links").json()["items"]
    assert [link["requiresSignIn"] for link in links] == [True]
    expect(page.locator("#link-requires-sign-in")).not_to_be_checked()  # the form starts over


def test_a_tier_with_the_sign_in_options(app, page):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "tiers")
    page.fill("#tier-name", "Family")
    page.check(f"#tier-library-options input[value='{KIDS_MOVIES}']")
    page.check("#tier-sync-watch-state")
    page.check("#tier-opt-out-online-media")
    page.click("#save-tier-button")
    expect(page.locator("#tiers-status")).to_contain_text("Created the tier “Family”")
    row = page.locator("#tiers-table tr", has_text="Family")
    expect(row).to_contain_text("Sync watch state")
    expect(row).to_contain_text("Hide Plex online media")
    tier = next(t for t in admin(app).call("GET", "manage/tiers").json()["items"] if t["name"] == "Family")
    assert tier["syncWatchState"] is True and tier["optOutOnlineMedia"] is True

    row.locator("[data-tier-action=edit]").click()  # editing shows what is saved
    expect(page.locator("#tier-sync-watch-state")).to_be_checked()
    expect(page.locator("#tier-allow-sync")).not_to_be_checked()


@pytest.mark.parametrize("size", ["desktop", "phone"], indirect=True)
def test_the_start_watching_editor_previews_and_points_at_a_broken_template(app, page, size):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    expect(page.locator("#onboarding-preview-body h4").first).to_be_visible()  # the defaults, before any change
    page.fill("#onboarding-rules", "Be **kind** on {{ server_name }}.")
    preview = page.locator("#onboarding-preview-body")
    expect(preview.locator("strong", has_text="kind")).to_be_visible()
    expect(preview).to_contain_text("Helpr Demo Server")

    page.fill("#onboarding-contact", "Ask me: {{ phone_number }}")
    page.click("#save-onboarding")
    expect(page.locator("#onboarding-status")).to_contain_text("unknown placeholder")
    expect(page.locator("#onboarding-contact")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#onboarding-contact")).to_be_focused()
    no_violations(page, app)

    page.fill("#onboarding-contact", "Message me on Signal.")
    page.click("#save-onboarding")
    expect(page.locator("#onboarding-status")).to_contain_text("Saved")
    saved = admin(app).call("GET", "manage/onboarding").json()["content"]
    assert saved["rules"] == "Be **kind** on {{ server_name }}." and saved["contact"] == "Message me on Signal."


@pytest.mark.parametrize("size", ["desktop", "phone"], indirect=True)
def test_a_notification_channel_from_adding_it_to_deleting_it(app, page, size):
    receiver = WebhookReceiver()
    receiver.up()
    try:
        sign_in(page, f"{app.site_url}/admin")
        open_view(page, "notifications")
        expect(page.locator("#channels-table tbody")).to_contain_text("No channels yet")
        page.fill("#channel-name", "Phone")
        page.fill("#channel-url", receiver.url)
        page.locator("#channel-events input").first.check()
        page.click("#save-channel-button")
        expect(page.locator("#notifications-status")).to_contain_text("Added the channel “Phone”")
        row = page.locator("#channels-table tr", has_text="Phone")
        expect(row.locator(".masked-url")).to_contain_text("json://")
        expect(row).to_contain_text("Nothing sent yet")

        row.locator("[data-channel-action=test]").click()
        expect(page.locator("#notifications-status")).to_contain_text("Test sent to “Phone”")
        expect(row).to_contain_text("Delivered")
        expect(row.locator("[data-label='Failures in a row']")).to_have_text("0")
        wait_until(lambda: len(receiver.received) == 1)
        expect(page.locator("#queue-poison")).not_to_have_text("")
        no_violations(page, app)

        template = page.locator(".template-item").first
        template.locator("summary").click()
        template.locator("input[name=title]").fill("Someone new: {{ identifier }}")
        template.locator("button[type=submit]").click()
        expect(template.locator(".status")).to_have_text("Saved.")
        expect(template.locator("summary")).to_contain_text("Edited")
        template.get_by_role("button", name="Reset to default").click()
        expect(template.locator(".status")).to_have_text("Back to the default message.")

        row.locator("[data-channel-action=delete]").click()
        expect(page.locator("#notifications-status")).to_contain_text("Deleted the channel “Phone”")
        expect(page.locator("#channels-table tbody")).to_contain_text("No channels yet")
        assert admin(app).call("GET", "manage/notifications").json()["channels"] == []
    finally:
        receiver.down()


def test_a_broken_channel_address_is_marked(app, page):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "notifications")
    page.fill("#channel-url", "not a url")
    page.click("#save-channel-button")
    expect(page.locator("#notifications-status")).to_have_text(re.compile("Couldn't save the channel"))
    expect(page.locator("#channel-url")).to_have_attribute("aria-invalid", "true")


def test_the_overview_shows_the_success_rate_and_who_has_yet_to_accept(app, page):
    from tests.support.constants import HTTP_INVITE_CODE

    for name in ("alice", "bob", "nobody_by_this_name"):
        requests.post(f"{app.site_url}/api/invites", json={"identifier": name, "inviteCode": HTTP_INVITE_CODE}, timeout=30)
    sign_in(page, f"{app.site_url}/admin")
    expect(page.locator("#stat-all-time .stat-rate")).to_have_text("67%")
    expect(page.locator("#chart-today")).to_contain_text("Today: 3 (1 failed)")
    expect(page.locator("#pending-acceptances")).to_have_text(re.compile(r"^\d+ (person|people)$"))


@pytest.mark.parametrize("size", ["desktop", "phone"], indirect=True)
def test_a_request_for_more_time_is_marked_filtered_and_answered_by_extending(app, page, size):
    from tests.support.constants import HTTP_INVITE_CODE

    owner = admin(app)
    code = owner.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 30}).json()["code"]
    joined = requests.post(f"{app.site_url}/api/invites", json={"identifier": "dave_p", "inviteCode": code}, timeout=30)
    assert joined.status_code == 201, joined.text
    asked = requests.post(f"{app.site_url}/api/guest/more-time", json={"identifier": "dave_p", "inviteCode": code}, timeout=30)
    assert asked.status_code == 201, asked.text
    requests.post(f"{app.site_url}/api/invites", json={"identifier": "alice", "inviteCode": HTTP_INVITE_CODE}, timeout=30)

    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "users")
    dave = page.locator("#users-table tr[data-identifier='dave_p']")
    expect(dave.locator(".more-time-request")).to_contain_text("Asked for more time on")
    expect(dave.locator(".more-time-request time")).to_have_attribute("datetime", asked.json()["requestedAt"])
    expect(page.locator("#users-table tr[data-identifier='alice'] .more-time-request")).to_have_count(0)

    page.check("#users-more-time-only")
    expect(page.locator("label[for=users-more-time-only]")).to_contain_text("(1)")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    expect(page.locator("#users-table tr[data-identifier='alice']")).to_have_count(0)
    no_violations(page, app)

    dave.locator("button[data-action=extend]").click()
    expect(page.locator("#users-status")).to_contain_text("Extended access for dave_p")
    expect(page.locator("#users-table tbody")).to_contain_text("No one is waiting for more time.")
    expect(page.locator("#users-heading")).to_be_focused()
    users = {u["identifier"]: u for u in owner.call("GET", "manage/users").json()["items"]}
    assert users["dave_p"]["moreTimeRequestedAt"] is None
    page.uncheck("#users-more-time-only")
    expect(page.locator("#users-table tr[data-identifier='alice']")).to_have_count(1)


@pytest.mark.parametrize("size", ["desktop", "phone"], indirect=True)
def test_a_tier_gets_its_own_house_rules_in_the_start_watching_editor(app, page, size):
    owner = admin(app)
    tier = owner.call("POST", "manage/tiers", {"name": "Family", "sectionIds": [KIDS_MOVIES]}).json()
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    expect(page.locator("#onboarding-preview-body h4").first).to_be_visible()
    page.fill("#onboarding-rules", "Be kind.")

    page.select_option("#onboarding-tier", tier["id"])
    expect(page.locator("#onboarding-tier-hint")).to_contain_text("Guests on the tier “Family”")
    expect(page.locator("#onboarding-rules")).to_have_value("")
    expect(page.locator("#onboarding-rules")).to_have_attribute("placeholder", "Be kind.")  # everyone's text, kept
    expect(page.locator("#onboarding-requestUrl")).to_be_disabled()
    page.fill("#onboarding-rules", "Family rules: **share the remote**.")
    preview = page.locator("#onboarding-preview-body")
    expect(preview.locator("strong", has_text="share the remote")).to_be_visible()
    no_violations(page, app)

    page.fill("#onboarding-steps-accept", "Hi {{ pin_code }}")
    page.click("#save-onboarding")
    expect(page.locator("#onboarding-status")).to_contain_text("unknown placeholder")
    expect(page.locator("#onboarding-steps-accept")).to_have_attribute("aria-invalid", "true")
    page.fill("#onboarding-steps-accept", "")
    page.click("#save-onboarding")
    expect(page.locator("#onboarding-status")).to_contain_text("Saved. Guests on the tier “Family”")
    saved = owner.call("GET", "manage/onboarding").json()["content"]
    assert saved["rules"] == "Be kind."
    assert saved["tiers"][tier["id"]]["rules"] == "Family rules: **share the remote**."

    page.select_option("#onboarding-tier", "")
    expect(page.locator("#onboarding-rules")).to_have_value("Be kind.")
    expect(preview).not_to_contain_text("share the remote")
