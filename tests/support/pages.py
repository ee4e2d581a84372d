"""Page fixtures for the browser tests, loaded for every test module (pyproject's `-p tests.support.pages`):
a desktop and a phone, the browser's language when a test asks for `browser_locale`, axe served under the
site's CSP, and a page that fails its test on a script error or a CSP report. A module narrows `size` or
extends `page` by defining its own fixture of the same name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.axe import serve_axe

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

SCREEN_SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}
LOCALES = ["en-US", "de-DE"]


@pytest.fixture(params=list(SCREEN_SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=LOCALES)
def browser_locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def context(browser: Browser, app: object, size: str, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    options = dict(SCREEN_SIZES[size])
    if "browser_locale" in request.fixturenames:
        options["locale"] = request.getfixturevalue("browser_locale")
    opened = browser.new_context(**options)
    serve_axe(opened)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    yield opened
    assert errors == []
