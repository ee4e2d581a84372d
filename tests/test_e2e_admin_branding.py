"""Settings → Branding in headless Chromium on a desktop and a phone, with axe under the site's CSP: a colour with
too little contrast is refused on its field, a good one and a PNG logo are saved, and the guest page uses both."""

import re
import struct
import zlib
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.support.admin_page import open_view
from tests.support.axe import axe_violations, serve_axe
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = pytest.mark.browser

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


def tiny_png() -> bytes:
    """A 1x1 PNG, built here so the test needs no file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1d\x5f\xd0")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture(params=["desktop", "phone"])
def context(browser: Browser, app, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    opened = browser.new_context(**SIZES[str(request.param)])  # type: ignore[arg-type]
    serve_axe(opened)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    opened.on("dialog", lambda dialog: dialog.accept())
    yield opened
    assert errors == []


def test_branding_refuses_low_contrast_and_the_guest_page_uses_the_colour_and_logo(app, page: Page):
    page.goto(f"{app.site_url}/admin")
    page.fill("#login-username", ADMIN_USERNAME)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-button")
    expect(page.locator("#dashboard")).to_be_visible()
    open_view(page, "settings")
    expect(page.locator("#save-branding")).to_be_enabled()

    page.fill("#branding-name", "Dana's Plex")
    page.fill("#branding-welcome", "Popcorn is on me.")
    page.fill("#branding-accent", "#f4c542")  # yellow: far too light for white text
    expect(page.locator("#branding-accent-hint")).to_contain_text("the server will refuse it")
    page.click("#save-branding")
    expect(page.locator("#branding-status")).to_contain_text("too little contrast")
    expect(page.locator("#branding-accent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#branding-accent")).to_be_focused()

    page.fill("#branding-accent", "#1d5fd0")
    expect(page.locator("#branding-accent")).not_to_have_attribute("aria-invalid", "true")
    button = page.locator("#branding-preview-button")
    expect(button).to_have_css("background-color", "rgb(29, 95, 208)")
    expect(page.locator("#branding-preview")).to_contain_text("Join Dana's Plex")
    expect(page.locator("#branding-preview-welcome")).to_have_text("Popcorn is on me.")
    page.click("#save-branding")
    expect(page.locator("#branding-status")).to_contain_text("Saved")

    logo: FilePayload = {"name": "logo.png", "mimeType": "image/png", "buffer": tiny_png()}
    page.set_input_files("#branding-logo", files=[logo])
    expect(page.locator("#branding-logo-status")).to_contain_text("Logo uploaded")
    expect(page.locator("#branding-preview-logo")).to_have_attribute("src", re.compile(r"^/api/branding/logo\?v="))
    expect(page.locator("#remove-logo")).to_be_visible()
    found = axe_violations(page, app.site_url)
    assert found == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]

    branding = requests.get(f"{app.site_url}/api/config", timeout=30).json()["branding"]
    assert branding["accent"] == "#1d5fd0" and branding["logoUrl"].startswith("/api/branding/logo?v=")
    page.goto(f"{app.site_url}/")
    expect(page.locator("img.logo").first).to_have_attribute("src", branding["logoUrl"])
    expect(page.locator("#welcome")).to_have_text("Popcorn is on me.")
    expect(page.locator("#submit-button")).to_have_css("background-color", "rgb(29, 95, 208)")
    assert page.evaluate("() => document.querySelector('img.logo').naturalWidth") == 1  # the PNG itself loaded
