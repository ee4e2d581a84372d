"""From an invite link to the status page and a request for more time, in headless Chromium through the SWA
emulator, on a desktop and a phone, in English and German, with the owner's branding applied under the site's CSP
(checked by axe, and no CSP report in the console); and a guest who joined with Plex checking with Plex on a phone."""

import pytest
from playwright.sync_api import expect

from shared import i18n
from tests.support.axe import axe_violations
from tests.support.plex_guest import Guest

pytestmark = pytest.mark.browser

ACCENT = "#1d5fd0"


def test_invite_then_status_then_more_time_with_the_owners_branding(app, admin, page, size, browser_locale):
    locale = browser_locale[:2]
    branded = admin.call("PUT", "manage/branding", {"serverName": "Movie Night", "accent": ACCENT, "welcome": "Popcorn's on me."})
    assert branded.status_code == 200, branded.text
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 30, "note": "trial"}).json()

    page.goto(f"{app.site_url}/?code={link['code']}")
    expect(page.locator("#welcome")).to_have_text("Popcorn's on me.")
    expect(page.locator("#server-name")).to_have_text("Movie Night")
    # The accent arrives as a custom property set from branding.js, which the CSP (style-src 'self') allows.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-accent').trim()") == ACCENT
    expect(page.locator("#submit-button")).to_have_css("background-color", "rgb(29, 95, 208)")
    expect(page.locator("#submit-button")).to_have_css("color", "rgb(255, 255, 255)")
    assert axe_violations(page, app.site_url) == []
    page.fill("#identifier", "alice")
    page.click("#submit-button")
    expect(page.locator("#success-heading")).to_be_visible()

    page.get_by_role("link", name=i18n.page_text("checkAccess", locale)).click()
    expect(page).to_have_url(f"{app.site_url}/status")
    # The invite page remembered who the guest is for this tab: the status shows without typing.
    expect(page.locator("#result-heading")).to_have_text(i18n.page_text("statusPending", locale))
    expect(page.locator("#status-title")).to_have_text(i18n.page_text("statusTitle", locale, server="Movie Night"))
    expect(page.locator("#result-tier")).to_have_text(i18n.page_text("tierLine", locale, tier="Default"))
    expect(page.locator("#result-library-list li").first).to_be_visible()
    expect(page.locator("#result-ends")).to_contain_text("20")  # a date, in the page's language
    assert axe_violations(page, app.site_url) == []
    page.get_by_role("button", name=i18n.page_text("moreTime", locale)).click()
    expect(page.locator("#more-time-note")).to_have_text(i18n.page_text("moreTimeSent", locale))
    expect(page.locator("#more-time")).to_be_hidden()
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["alice"]["moreTimeRequestedAt"]

    page.get_by_role("link", name=i18n.page_text("startWatching", locale)).click()
    expect(page).to_have_url(f"{app.site_url}/start")
    expect(page.locator("#own-device details[open] .onboarding-body")).to_contain_text("Movie Night")
    assert axe_violations(page, app.site_url) == []


def test_a_stranger_on_the_status_page_learns_nothing(app, page, size, browser_locale):
    if size != "phone" or browser_locale != "en-US":
        pytest.skip("one run is enough")
    page.goto(f"{app.site_url}/status")
    expect(page.locator("#status-form")).to_be_visible()
    page.fill("#identifier", "alice")
    page.fill("#invite-code", "guessing-2026")
    page.click("#check-button")
    expect(page.locator("#form-error")).to_have_text(
        "No access was found for that Plex account and invite code. Check both against your invitation."
    )
    expect(page.locator("#status-result")).to_be_hidden()
    assert axe_violations(page, app.site_url) == []


def test_a_guest_who_joined_with_plex_checks_with_plex_and_asks_for_more_time(app, admin, page, size, browser_locale):
    if size != "phone" or browser_locale != "en-US":
        pytest.skip("one run is enough: a phone, where the full-page redirect matters")
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 30}).json()
    joined = Guest(app)
    joined.sign_in_on_plex(joined.start(link["code"]).json()["authUrl"], "alice")
    assert joined.complete().json()["accepted"] is True

    # Back another day, in a browser that remembers nothing: no identifier, no code.
    page.goto(f"{app.site_url}/status")
    expect(page.locator("#status-form")).to_be_visible()
    assert axe_violations(page, app.site_url) == []
    page.get_by_role("button", name=i18n.page_text("statusPlexCheck", "en")).click()
    page.wait_for_url(f"{app.simulator.base_url}/auth*")
    page.get_by_role("button", name="Sign in as alice").click()
    expect(page.locator("#result-heading")).to_have_text(i18n.page_text("statusAccepted", "en"))
    assert page.url == f"{app.site_url}/status", "the sign-in's mark is gone from the address"
    expect(page.locator("#result-tier")).to_have_text(i18n.page_text("tierLine", "en", tier="Default"))
    expect(page.locator("#result-library-list li").first).to_be_visible()
    expect(page.locator("#result-ends")).to_contain_text("20")
    expect(page.locator("#plex-check-section")).to_be_hidden()
    assert axe_violations(page, app.site_url) == []
    page.get_by_role("button", name=i18n.page_text("moreTime", "en")).click()
    expect(page.locator("#more-time-note")).to_have_text(i18n.page_text("moreTimeSent", "en"))
    users = {u["identifier"]: u for u in admin.call("GET", "manage/users").json()["items"]}
    assert users["alice@example.com"]["moreTimeRequestedAt"]
    assert app.simulator.state()["guestTokens"] == []
    # The proof is HttpOnly: the page's script can't read it.
    assert "guest-proof" not in page.evaluate("document.cookie")
