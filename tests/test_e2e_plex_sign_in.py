"""Sign in with Plex in headless Chromium on a phone-sized viewport, through the SWA emulator: the page sends the
browser to the simulator's stand-in for app.plex.tv, which sends it back; the guest types nothing."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.admin_client import Admin
from tests.support.constants import HTTP_INVITE_CODE

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, app) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == []


def start_sign_in(app, page, path=f"/j/{HTTP_INVITE_CODE}"):
    page.goto(f"{app.site_url}{path}")
    button = page.locator("#plex-button")
    expect(button).to_be_enabled()
    button.click()
    page.wait_for_url(f"{app.simulator.base_url}/auth*")


def test_guest_signs_in_and_is_invited_and_accepted_with_nothing_typed(app, page):
    start_sign_in(app, page)
    page.get_by_role("button", name="Sign in as alice").click()
    expect(page.locator("#success-heading")).to_have_text("You're in!")
    expect(page.locator("#open-plex")).to_be_visible()
    expect(page.locator("#success-message")).to_contain_text("alice")
    assert "signin" not in page.url
    (share,) = app.simulator.state()["shares"]
    assert (share["username"], share["pending"]) == ("alice", False)
    admin = Admin(app)
    admin.login()
    users = admin.call("GET", "manage/users").json()["items"]
    assert [(u["identifier"], u["plexStatus"]) for u in users] == [("alice@example.com", "accepted")]


def test_abandoned_sign_in_says_so_and_shares_nothing(app, page):
    start_sign_in(app, page)
    page.click("#abandon")
    expect(page.locator("#plex-error")).to_contain_text("didn't finish signing in", timeout=15000)
    expect(page.locator("#plex-button")).to_be_enabled()
    assert app.simulator.state()["shares"] == []


def test_expired_pin_asks_to_start_again(app, page):
    start_sign_in(app, page)
    app.simulator.expire_pins()
    page.get_by_role("button", name="Sign in as bob").click()
    # The auth page itself refuses an expired code; the guest comes back to the portal by hand.
    page.wait_for_load_state()
    page.goto(f"{app.site_url}/?signin=plex")
    expect(page.locator("#plex-error")).to_contain_text("expired")
    assert app.simulator.state()["shares"] == []


def test_accept_refused_still_invites_and_tells_how_to_accept(app, page):
    app.simulator.add_fault("/api/v2/shared_servers/*/accept", 400, method="POST")
    start_sign_in(app, page)
    page.get_by_role("button", name="Sign in as carol").click()
    expect(page.locator("#success-heading")).to_have_text("You're invited")
    expect(page.locator("#success-message")).to_contain_text("accept")
    expect(page.locator("#open-plex")).to_be_hidden()
    (share,) = app.simulator.state()["shares"]
    assert share["pending"] is True


def test_sign_in_only_link_refuses_a_typed_address(app, page):
    admin = Admin(app)
    admin.login()
    link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "requiresSignIn": True}).json()
    page.goto(f"{app.site_url}/j/{link['code']}")
    expect(page.locator("#submit-button")).to_be_enabled()
    page.fill("#identifier", "dave_p")
    page.click("#submit-button")
    expect(page.locator("#plex-error")).to_contain_text("sign in with Plex")
    expect(page.locator("#identifier-field")).to_be_hidden()
    assert app.simulator.state()["shares"] == []
