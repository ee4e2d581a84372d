"""From invite to the Start watching page in headless Chromium through the SWA emulator, on a desktop and a
phone, in English and German (the browser's language, then the picker), with axe run under the site's CSP."""

import pytest
from playwright.sync_api import expect

from tests.support.axe import axe_violations
from tests.support.constants import HTTP_INVITE_CODE

pytestmark = pytest.mark.browser


WORDS = {
    "en-US": {"submit": "Send me an invite", "heading": "Invite sent!", "start": "Start watching", "accept": "Accept your invite"},
    "de-DE": {"submit": "Einladung senden", "heading": "Einladung gesendet!", "start": "Jetzt loslegen", "accept": "Einladung annehmen"},
}


def test_invite_then_start_watching_in_the_browsers_language(app, page, size, browser_locale):
    words = WORDS[browser_locale]
    page.goto(f"{app.site_url}/?code={HTTP_INVITE_CODE}")
    expect(page.locator("#submit-button")).to_have_text(words["submit"])
    assert page.evaluate("document.documentElement.lang") == browser_locale[:2]
    assert axe_violations(page, app.site_url) == []
    page.fill("#identifier", "alice")
    page.click("#submit-button")
    expect(page.locator("#success-heading")).to_have_text(words["heading"])
    page.get_by_role("link", name=words["start"]).click()
    expect(page).to_have_url(f"{app.site_url}/start")
    expect(page.locator("#accept-title")).to_have_text(words["accept"])
    expect(page.locator("#own-device details[open] .onboarding-body p")).to_contain_text("Helpr Demo Server")
    expect(page.locator("#other-devices details")).to_have_count(3)
    assert axe_violations(page, app.site_url) == []


def test_the_picker_switches_the_language_and_remembers_it(app, page, size, browser_locale):
    if browser_locale != "en-US" or size != "phone":
        pytest.skip("one run is enough")
    page.goto(f"{app.site_url}/start")
    expect(page.locator("#accept-title")).to_have_text("Accept your invite")
    page.select_option("#language", "fr")
    expect(page.locator("#accept-title")).to_have_text("Acceptez votre invitation")
    page.goto(f"{app.site_url}/")
    expect(page.locator("#submit-button")).to_have_text("M'envoyer une invitation")
    assert page.evaluate("document.documentElement.lang") == "fr"
