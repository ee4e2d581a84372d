"""Screenshots of every admin view on a desktop and a phone, for the README: docs/screenshots/admin-<view>-<size>.png.

Starts the same stack as the browser tests (Azurite, the Plex simulator, the functions host behind the Static Web
Apps emulator), makes a few invites, a tier and a link so the views have something in them, and photographs each
view. Run it after changing the admin pages:  .venv/bin/python -m devtools.screenshots

With --guest it photographs the guest's journey instead, with a sample branding: the invite page, the success
message, Start watching and the status page after asking for more time (docs/screenshots/guest-<step>-<size>.png).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from devtools.stack import free_port
from tests.support import stacks
from tests.support.admin_client import Admin
from tests.support.admin_page import VIEWS, open_view
from tests.support.browser import launch_chromium
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME, HTTP_INVITE_CODE

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


def fill(site_url: str, admin: Admin) -> None:
    for name in ("alice", "bob", "carol", "nobody_by_this_name"):
        requests.post(f"{site_url}/api/invites", json={"identifier": name, "inviteCode": HTTP_INVITE_CODE}, timeout=30)
    tier = admin.call("POST", "manage/tiers", {"name": "Kids", "sectionIds": [118181364]}).json()
    admin.call("POST", "manage/invite-links", {"tierId": tier["id"], "maxUses": 5, "note": "for the cousins"})


def guest_journey(browser: Browser, site_url: str, admin: Admin) -> None:
    """The guest pages with a branded look, from an invite link with an end date to a request for more time."""
    from playwright.sync_api import expect

    admin.call("PUT", "manage/branding", {"serverName": "Movie Night", "accent": "#1d5fd0", "welcome": "Popcorn's on me."})
    for size, options in SIZES.items():
        link = admin.call("POST", "manage/invite-links", {"maxUses": 1, "accessDays": 30, "note": "trial"}).json()
        context = browser.new_context(locale="en-US", color_scheme="light", **options)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(f"{site_url}/?code={link['code']}")
        expect(page.locator("#welcome")).to_be_visible()
        page.screenshot(path=str(OUT / f"guest-invite-{size}.png"))
        page.fill("#identifier", "bob" if size == "desktop" else "carol")
        page.click("#submit-button")
        expect(page.locator("#success-heading")).to_be_visible()
        page.screenshot(path=str(OUT / f"guest-success-{size}.png"))
        page.click("#start-link")
        expect(page.locator("#own-device details[open]")).to_be_visible()
        page.screenshot(path=str(OUT / f"guest-start-{size}.png"))
        page.goto(f"{site_url}/status")
        page.click("#more-time")
        expect(page.locator("#more-time")).to_be_hidden()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.screenshot(path=str(OUT / f"guest-status-{size}.png"))
        context.close()


def main() -> None:
    from playwright.sync_api import expect

    OUT.mkdir(parents=True, exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix="helpr-screenshots-"))
    with stacks.backing_services(logs) as services:
        env = stacks.app_settings(services, f"{services.run_prefix}shots", free_port())
        with stacks.app_stack(services, logs, env) as app, launch_chromium() as browser:
            admin = Admin(app)
            assert admin.login().status_code == 200
            if "--guest" in sys.argv[1:]:
                guest_journey(browser, app.site_url, admin)
                print(f"Wrote {len(list(OUT.glob('guest-*.png')))} screenshots to {OUT.relative_to(ROOT)}")
                return
            fill(app.site_url, admin)
            # Friends the owner shared with in Plex before Helpr: the Users view lists them as not managed.
            app.simulator.seed_share(username="oldfriend", title="Old Friend")
            app.simulator.seed_share(email="auntie@example.com", pending=True, section_ids=[118181361])
            for size, options in SIZES.items():
                context = browser.new_context(**options)  # type: ignore[arg-type]
                page = context.new_page()
                page.goto(f"{app.site_url}/admin")
                page.fill("#login-username", ADMIN_USERNAME)
                page.fill("#login-password", ADMIN_PASSWORD)
                page.click("#login-button")
                expect(page.locator("#dashboard")).to_be_visible()
                expect(page.locator("#recent-invites tbody tr").first).to_be_visible()
                for view in VIEWS:
                    open_view(page, view)
                    page.wait_for_load_state("networkidle")
                    page.evaluate("document.activeElement && document.activeElement.blur()")
                    page.screenshot(path=str(OUT / f"admin-{view}-{size}.png"), full_page=size == "desktop")
                page.goto(f"{app.site_url}/admin/log")
                expect(page.locator("#log-table tbody tr").first).to_be_visible()
                page.screenshot(path=str(OUT / f"admin-log-{size}.png"), full_page=size == "desktop")
                context.close()
    print(f"Wrote {len(list(OUT.glob('admin-*.png')))} screenshots to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
