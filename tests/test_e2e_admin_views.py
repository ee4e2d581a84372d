"""The admin dashboard's views in headless Chromium, on a desktop and a phone: the navigation, deep links, the
back button, and axe's accessibility rules in every view with the site's CSP in force."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.admin_page import VIEWS, open_view, sign_in
from tests.support.axe import axe_violations

pytestmark = pytest.mark.browser


def shown_views(page: Page) -> list[str]:
    return page.eval_on_selector_all("[data-view]:not([hidden])", "views => views.map(v => v.dataset.view)")


def test_each_view_from_the_navigation_then_back_through_them(app, page, size):
    sign_in(page, f"{app.site_url}/admin")
    assert shown_views(page) == ["overview"]
    for view in VIEWS[1:]:
        open_view(page, view)
        assert shown_views(page) == [view]
        assert page.url.endswith(f"/admin#/{view}")
        expect(page.locator(f"[data-view='{view}']")).to_be_focused()
    expect(page).to_have_title(re.compile("^Settings"))
    for view in reversed(VIEWS[:-1]):
        page.go_back()
        expect(page.locator(f"[data-view='{view}']")).to_be_visible()
        assert shown_views(page) == [view]
    expect(page.locator("#view-nav a[aria-current=page]")).to_have_text("Overview")


def test_a_deep_link_opens_its_view_after_sign_in_and_on_reload(app, page, size):
    sign_in(page, f"{app.site_url}/admin#/tiers")
    expect(page.locator("#tiers-panel")).to_be_visible()
    assert shown_views(page) == ["tiers"]
    page.goto(f"{app.site_url}/admin#/users")
    expect(page.locator("#users-panel")).to_be_visible()
    expect(page).to_have_title("Users · Helpr Demo Server · Helpr admin")
    page.focus(".skip-link")  # following the skip link keeps the view on screen
    page.keyboard.press("Enter")
    expect(page.locator("#dashboard-main")).to_be_focused()
    assert shown_views(page) == ["users"]


def test_the_navigation_fits_the_screen(app, page, size):
    sign_in(page, f"{app.site_url}/admin")
    nav = page.locator("#view-nav")
    links = nav.locator("a")
    expect(links).to_have_count(len(VIEWS) + 1)
    box = nav.bounding_box()
    assert box is not None
    if size == "phone":  # a tab bar fixed to the bottom, every tab on screen
        assert abs(box["y"] + box["height"] - 844) <= 1
        tops = {round(link.bounding_box()["y"]) for link in links.all()}
        assert len(tops) == 1
        page.mouse.wheel(0, 2000)
        assert abs(nav.bounding_box()["y"] + box["height"] - 844) <= 1
    else:  # a tab strip under the header
        assert box["y"] < 200


def test_the_log_page_has_the_same_navigation(app, page, size):
    sign_in(page, f"{app.site_url}/admin")
    page.click("#view-nav a[href='/admin/log']")
    expect(page.locator("#view-nav a[aria-current=page]")).to_have_text("Log")
    page.click("#view-nav a[href='/admin#/users']")
    expect(page.locator("#users-panel")).to_be_visible()


def test_axe_finds_no_violations_in_any_view(app, page, size):
    page.goto(f"{app.site_url}/admin")
    expect(page.locator("#login-section")).to_be_visible()
    found = {"sign-in": axe_violations(page, app.site_url)}
    sign_in(page, f"{app.site_url}/admin")
    for view in VIEWS:
        open_view(page, view)
        found[view] = axe_violations(page, app.site_url)
    page.goto(f"{app.site_url}/admin/log")
    expect(page.locator("#view-nav a[aria-current=page]")).to_be_visible()
    found["log"] = axe_violations(page, app.site_url)
    summary = {name: [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found[name]] for name in found if found[name]}
    assert summary == {}, json.dumps(summary, indent=1)


def test_no_view_scrolls_sideways(app, admin, page, size):
    # Audit rows with long unbroken words: a key's name in a detail, an email in a target.
    key = admin.call("POST", "manage/api-keys", {"name": "nightly-reporting-script-for-grafana", "scope": "read-write"}).json()
    assert admin.call("DELETE", f"manage/api-keys/{key['key']['id']}").status_code == 200
    assert admin.call("POST", "manage/users/someone-with-a-rather-long-address@example.com/revoke", {}).status_code == 409
    sign_in(page, f"{app.site_url}/admin")
    wide = {}
    for view in VIEWS:
        open_view(page, view)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if width > 0:
            wide[view] = width
    assert wide == {}, "pixels wider than the screen, by view"
