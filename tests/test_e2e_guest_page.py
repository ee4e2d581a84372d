"""The guest page in headless Chromium, through the SWA emulator, against the functions host, simulator and Azurite."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.constants import HTTP_INVITE_CODE

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, app) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    csp_violations = [e for e in errors if "Content Security Policy" in e]
    assert csp_violations == []


def log_rows(app):
    return list(app.tables.client("invitelog").list_entities())


def test_valid_submission_shows_success_creates_share_and_logs_once(app, page):
    page.goto(f"{app.site_url}/?code={HTTP_INVITE_CODE}")
    expect(page.locator("#server-name")).to_have_text("Helpr Demo Server")
    expect(page.locator("#invite-code")).to_have_value(HTTP_INVITE_CODE)
    page.fill("#identifier", "alice")
    page.click("#submit-button")
    success = page.locator("#invite-success")
    expect(success).to_be_visible()
    expect(page.locator("#success-heading")).to_be_focused()
    expect(page.locator("#library-list li")).to_have_count(4)
    shares = app.simulator.state()["shares"]
    assert [(s["username"], s["pending"]) for s in shares] == [("alice", True)]
    rows = log_rows(app)
    assert [(r["IdentifierNormalized"], r["Outcome"]) for r in rows] == [("alice", "invited")]


def test_invalid_submission_shows_the_error_and_creates_nothing(app, page):
    requests_seen: list[str] = []
    page.on("request", lambda request: requests_seen.append(request.url) if "/api/invites" in request.url else None)
    page.goto(f"{app.site_url}/")
    expect(page.locator("#submit-button")).to_be_enabled()
    page.fill("#identifier", "not a valid name!")
    page.fill("#invite-code", HTTP_INVITE_CODE)
    page.click("#submit-button")
    error = page.locator("#identifier-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("username")
    expect(page.locator("#identifier")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#identifier")).to_have_value("not a valid name!")
    expect(page.locator("#invite-success")).to_be_hidden()
    assert requests_seen == []
    assert app.simulator.state()["shares"] == []
    assert log_rows(app) == []


def test_server_side_rejection_keeps_what_was_typed(app, page):
    page.goto(f"{app.site_url}/")
    page.fill("#identifier", "nobody_by_this_name")
    page.fill("#invite-code", HTTP_INVITE_CODE)
    page.click("#submit-button")
    error = page.locator("#identifier-error")
    expect(error).to_contain_text("verify your email")
    expect(page.locator("#identifier")).to_have_value("nobody_by_this_name")
    expect(page.locator("#submit-button")).to_be_enabled()
    assert [r["Outcome"] for r in log_rows(app)] == ["user_not_found"]


def test_wrong_invite_code_is_shown_on_the_code_field(app, page):
    page.goto(f"{app.site_url}/j/not-the-code")
    expect(page.locator("#invite-code")).to_have_value("not-the-code")
    page.fill("#identifier", "bob")
    page.click("#submit-button")
    expect(page.locator("#invite-code-error")).to_contain_text("isn't valid")
    assert app.simulator.state()["shares"] == []


def test_button_is_disabled_while_submitting(app, page):
    app.simulator.add_fault("/api/servers/*/shared_servers", None, delay_seconds=1.0)
    page.goto(f"{app.site_url}/")
    expect(page.locator("#submit-button")).to_be_enabled()
    page.fill("#identifier", "carol")
    page.fill("#invite-code", HTTP_INVITE_CODE)
    page.click("#submit-button")
    expect(page.locator("#submit-button")).to_be_disabled()
    expect(page.locator("#submit-button")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#invite-success")).to_be_visible(timeout=10_000)
    assert len(app.simulator.state()["shares"]) == 1
