"""The admin dashboard's views in the browser tests: one view shows at a time, picked from the navigation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

VIEWS = ("overview", "invites", "users", "tiers", "notifications", "settings")


def open_view(page: Page, view: str) -> None:
    """Clicks the view's link in the navigation and waits until that view is the one shown."""
    from playwright.sync_api import expect

    page.click(f"#view-nav a[href$='#/{view}']")
    expect(page.locator(f"[data-view='{view}']")).to_be_visible()
    expect(page.locator(f"#view-nav a[href$='#/{view}']")).to_have_attribute("aria-current", "page")
