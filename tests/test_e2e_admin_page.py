"""The admin dashboard in headless Chromium through the SWA emulator."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.support.admin_page import open_view, sign_in
from tests.support.constants import ADMIN_USERNAME, HTTP_INVITE_CODE

pytestmark = pytest.mark.browser

COOKIE = "__Host-helpr-session"
KIDS_MOVIES = 118181364


@pytest.fixture
def size() -> str:
    return "desktop"


def invite(app, identifier):
    return requests.post(f"{app.site_url}/api/invites", json={"identifier": identifier, "inviteCode": HTTP_INVITE_CODE}, timeout=30)


def test_sign_in_and_see_stats_that_match_the_invites(app, page):
    for name in ("alice", "bob", "nobody_by_this_name"):
        invite(app, name)
    sign_in(page, f"{app.site_url}/admin")
    expect(page.locator("#admin-name")).to_contain_text(ADMIN_USERNAME)
    all_time = page.locator("#stat-all-time")
    expect(all_time.locator(".stat-total")).to_have_text("3")
    expect(all_time.locator(".stat-succeeded")).to_have_text("2")
    expect(all_time.locator(".stat-failed")).to_have_text("1")
    expect(page.locator("#stat-24h .stat-total")).to_have_text("3")
    expect(page.locator("#recent-invites tbody tr")).to_have_count(3)
    expect(page.locator("#recent-invites tbody tr").first).to_contain_text("nobody_by_this_name")
    expect(page.locator("#daily-chart")).to_have_attribute("aria-label", re.compile("2 succeeded, 1 failed"))
    expect(page.locator("#token-banner")).to_be_hidden()


def test_wrong_password_shows_an_error_and_keeps_the_form(app, page):
    page.goto(f"{app.site_url}/admin")
    page.fill("#login-username", ADMIN_USERNAME)
    page.fill("#login-password", "wrong password")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_contain_text("don't match")
    expect(page.locator("#dashboard")).to_be_hidden()
    expect(page.locator("#login-username")).to_have_value(ADMIN_USERNAME)


def test_change_libraries_and_the_next_invite_uses_them(app, page):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    boxes = page.locator("#libraries-form input[name=library]")
    expect(boxes).to_have_count(4)
    expect(page.locator("#libraries-form input[name=library]:checked")).to_have_count(4)  # nothing chosen yet: all
    for box in boxes.all():
        if box.get_attribute("value") != str(KIDS_MOVIES):
            box.uncheck()
    page.click("#save-libraries")
    expect(page.locator("#libraries-status")).to_contain_text("Kids Movies")
    response = invite(app, "carol")
    assert response.json()["libraries"] == ["Kids Movies"]
    assert app.simulator.state()["shares"][0]["section_ids"] == [KIDS_MOVIES]


def test_log_out_then_the_old_cookie_gets_401(app, page, context):
    sign_in(page, f"{app.site_url}/admin")
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    page.click("#logout-button")
    expect(page.locator("#login-section")).to_be_visible()
    replay = requests.get(f"{app.site_url}/api/manage/dashboard", headers={"Cookie": f"{COOKIE}={cookie['value']}"}, timeout=30)
    assert replay.status_code == 401


def test_sign_out_everywhere_ends_this_and_every_other_browser(app, page, context, browser):
    other = browser.new_context()
    other_page = other.new_page()
    sign_in(other_page, f"{app.site_url}/admin")
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#logout-everywhere-button")
    expect(page.locator("#login-section")).to_be_visible()
    expect(page.locator("#login-section")).to_contain_text("every browser")
    other_cookie = next(c for c in other.cookies() if c["name"] == COOKIE)
    replay = requests.get(f"{app.site_url}/api/manage/dashboard", headers={"Cookie": f"{COOKIE}={other_cookie['value']}"}, timeout=30)
    assert replay.status_code == 401
    other.close()


def test_broken_token_shows_a_banner(app, page):
    app.simulator.set_owner(token="revoked")
    invite(app, "alice")
    sign_in(page, f"{app.site_url}/admin")
    expect(page.locator("#token-banner")).to_be_visible()
    expect(page.locator("#token-banner")).to_contain_text("token")


def test_full_log_page_filters(app, page):
    for name in ("alice", "ghost_a", "bob"):
        invite(app, name)
    sign_in(page, f"{app.site_url}/admin")
    page.click("#full-log-link")
    expect(page.locator("#log-table tbody tr")).to_have_count(3)
    page.select_option("#filter-outcome", "user_not_found")
    page.locator("#log-filters button[type=submit], #log-filters input[type=submit]").first.click()
    expect(page.locator("#log-table tbody tr")).to_have_count(1)
    expect(page.locator("#csv-link")).to_have_attribute("href", re.compile("outcome=user_not_found"))


def test_full_log_pages_by_cursor_and_keeps_its_filters_in_the_address(app, page):
    """The log pages by cursor: Older sends the page's nextCursor, Newer goes back; the filters stay in the address."""
    invite(app, "alice")
    sign_in(page, f"{app.site_url}/admin")
    asked: list[str] = []

    def answer(route):
        url = route.request.url
        asked.append(url)
        older = "cursor=c2" in url
        item = {
            "createdAt": "2026-11-01T10:00:00Z",
            "identifier": "older@x" if older else "newer@x",
            "outcome": "invited",
            "succeeded": True,
            "libraries": ["Movies"],
        }
        route.fulfill(json={"items": [item], "nextCursor": None if older else "c2"})

    page.route(re.compile(r".*/api/manage/invites\?.*limit=.*"), answer)
    page.goto(f"{app.site_url}/admin/log?outcome=invited")
    expect(page.locator("#log-table tbody tr")).to_have_count(1)
    expect(page.locator("#log-table tbody")).to_contain_text("newer@x")
    expect(page.locator("#log-prev")).to_be_disabled()
    expect(page.locator("#csv-link")).to_have_attribute("href", "/api/manage/invites?outcome=invited&format=csv")
    page.click("#log-next")
    expect(page.locator("#log-table tbody")).to_contain_text("older@x")
    expect(page.locator("#log-page")).to_have_text("Page 2")
    expect(page.locator("#log-next")).to_be_disabled()
    assert "cursor=c2" in asked[-1] and "outcome=invited" in asked[-1]
    page.click("#log-prev")
    expect(page.locator("#log-table tbody")).to_contain_text("newer@x")
    expect(page.locator("#log-page")).to_have_text("Page 1")
    assert "cursor" not in asked[-1]
    page.fill("#filter-identifier", "ali")
    expect(page.locator("#csv-link")).to_have_attribute("href", re.compile("identifier=ali"))
    page.click("#log-apply")
    expect(page).to_have_url(re.compile(r"/admin/log\?outcome=invited&identifier=ali$"))


def test_full_log_asks_to_sign_in_without_a_session(app, page):
    page.goto(f"{app.site_url}/admin/log")
    expect(page.locator("#log-signin")).to_be_visible()
    expect(page.locator("#log-content")).to_be_hidden()


def test_invite_link_made_on_the_dashboard_admits_one_guest_then_is_used_up(app, page, browser):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "invites")
    page.fill("#link-max-uses", "1")
    page.fill("#link-note", "for Alice")
    page.click("#create-link-button")
    expect(page.locator("#new-link")).to_be_visible()
    url = page.locator("#new-link-url").inner_text().strip() or page.locator("#new-link-url").input_value()
    assert url.startswith(f"{app.site_url}/j/")

    guest = browser.new_context().new_page()
    guest.goto(url)
    guest.fill("#identifier", "alice")
    guest.click("#submit-button")
    expect(guest.locator("#invite-success")).to_be_visible()

    second = browser.new_context().new_page()
    second.goto(url)
    second.fill("#identifier", "bob")
    second.click("#submit-button")
    expect(second.locator("#invite-code-error")).to_contain_text("isn't valid")
    assert [s["username"] for s in app.simulator.state()["shares"]] == ["alice"]


def test_revoke_from_the_users_panel_removes_the_share(app, page):
    invite(app, "carol")
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "users")
    row = page.locator("#users-table [data-identifier='carol']")
    expect(row).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=revoke]").click()
    expect(page.locator("#users-table [data-identifier='carol']")).to_contain_text("Revoked")
    assert app.simulator.state()["shares"] == []
