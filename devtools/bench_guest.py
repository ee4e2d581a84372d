"""What a guest waits for: the guest page's first load and an invite, both through the Static Web Apps emulator
in front of a functions host, as the deployed site serves them (pages from the static site, /api/ proxied)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # launched as the browser tests launch it


@dataclass
class PageLoad:
    """One first load of a page with an empty cache: every request it made, and the bytes of each answer's body."""

    requests: int = 0
    body_bytes: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [requests, bytes]
    api_calls: list[str] = field(default_factory=list)
    load_ms: float = 0.0
    scripts: list[str] = field(default_factory=list)

    def add(self, url: str, kind: str, size: int) -> None:
        self.requests += 1
        self.body_bytes += size
        counts = self.by_kind.setdefault(kind, [0, 0])
        counts[0] += 1
        counts[1] += size
        path = urlsplit(url).path
        if path.startswith("/api/"):
            self.api_calls.append(path)
        if kind == "script":
            self.scripts.append(path)

    def describe(self) -> str:
        kinds = ", ".join(f"{kind} {n} ({size / 1024:.1f} KB)" for kind, (n, size) in sorted(self.by_kind.items()))
        return f"{self.requests} requests, {self.body_bytes / 1024:.1f} KB of bodies: {kinds}"


def first_load(url: str, timeout_ms: float = 30_000) -> PageLoad:
    """Loads `url` in a fresh headless Chromium (empty cache) and waits until the network is idle."""
    from playwright.sync_api import Response, sync_playwright

    load = PageLoad()
    seen: list[Response] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("response", lambda response: seen.append(response))
            page.goto(url, wait_until="networkidle", timeout=timeout_ms)
            load.load_ms = float(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd"))
            for response in seen:
                try:
                    size = len(response.body())
                except Exception:  # noqa: BLE001 - a redirect or an aborted answer has no body to count
                    size = 0
                load.add(response.url, response.request.resource_type, size)
        finally:
            browser.close()
    return load
