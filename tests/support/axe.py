"""axe-core in a page with the site's CSP in force: the script is served from the site's own origin by a test-only
route (script-src 'self' lets it run), then run on the whole document."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

AXE = Path(__file__).resolve().parent.parent.parent / "devtools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"


def serve_axe(context: BrowserContext) -> None:
    context.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))


def axe_violations(page: Page, site_url: str) -> list[dict[str, Any]]:
    page.add_script_tag(url=site_url + AXE_PATH)
    violations: list[dict[str, Any]] = page.evaluate("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations")
    return violations
