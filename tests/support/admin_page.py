"""The admin dashboard's views in the browser tests: one view shows at a time, picked from the navigation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME

if TYPE_CHECKING:
    from playwright.sync_api import Page

VIEWS = ("overview", "invites", "users", "tiers", "notifications", "audit", "settings")


def open_view(page: Page, view: str) -> None:
    """Clicks the view's link in the navigation and waits until that view is the one shown."""
    from playwright.sync_api import expect

    page.click(f"#view-nav a[href$='#/{view}']")
    expect(page.locator(f"[data-view='{view}']")).to_be_visible()
    expect(page.locator(f"#view-nav a[href$='#/{view}']")).to_have_attribute("aria-current", "page")


def sign_in(page: Page, url: str, *, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> Page:
    """Signs in on the admin page at `url` (a deep link is kept) and waits for the dashboard."""
    from playwright.sync_api import expect

    page.goto(url)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-button")
    expect(page.locator("#dashboard")).to_be_visible()
    return page
