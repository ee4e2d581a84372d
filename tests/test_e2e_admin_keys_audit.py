"""API keys in Settings and the Audit view in headless Chromium: a key is created and shown once, works from a
script, is revoked after a confirmation; its change shows in the audit trail, which filters and downloads as CSV."""

import json
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.admin_page import open_view, sign_in
from tests.support.axe import axe_violations
from tests.support.constants import ADMIN_USERNAME

pytestmark = pytest.mark.browser


@pytest.fixture
def size() -> str:
    # The phone layout of both views is checked with axe in tests/test_e2e_admin_views.py.
    return "desktop"


@pytest.fixture
def page(page: Page) -> Page:
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def no_violations(page: Page, app) -> None:
    found = axe_violations(page, app.site_url)
    assert found == [], json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found], indent=1)


def test_a_key_is_shown_once_used_by_a_script_revoked_and_its_change_is_in_the_audit_view(app, page, size):
    sign_in(page, f"{app.site_url}/admin")
    open_view(page, "settings")
    expect(page.locator("#api-keys-table")).to_contain_text("No API keys yet.")
    page.fill("#api-key-name", "backup script")
    page.select_option("#api-key-scope", "read-write")
    page.click("#api-key-create")
    secret = page.locator("#api-key-secret").inner_text()
    assert re.fullmatch(r"helpr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", secret)
    expect(page.locator("#api-key-created-heading")).to_be_focused()
    row = page.locator("#api-keys-table tbody tr", has_text="backup script")
    expect(row).to_contain_text("Read and change")
    expect(row.locator("[data-label='Last used']")).to_have_text("Never")
    no_violations(page, app)

    # A script changes a setting with the key: no session, no CSRF token.
    changed = requests.put(
        f"{app.site_url}/api/manage/code-required",
        json={"required": True},
        headers={"X-Api-Key": secret},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text

    page.click("#api-key-done")
    expect(page.locator("#api-key-secret")).to_have_count(0)
    page.reload()
    expect(page.locator("#dashboard")).to_be_visible()
    expect(row.locator("[data-label='Last used']")).not_to_have_text("Never")
    assert secret not in page.content(), "the key is never shown again"

    page.click("button[aria-label='Revoke backup script']")
    expect(page.locator("#api-keys-status")).to_contain_text("Revoked “backup script”")
    expect(page.locator("#api-keys-table")).to_contain_text("No API keys yet.")
    assert requests.get(f"{app.site_url}/api/manage/tiers", headers={"X-Api-Key": secret}, timeout=30).status_code == 401

    open_view(page, "audit")
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr", has_text="key:backup script")).to_contain_text("set_code_required")
    expect(table).to_contain_text("revoke_api_key")
    expect(table).to_contain_text("create_api_key")
    no_violations(page, app)

    page.fill("#audit-actor", "key:backup script")
    page.click("#audit-apply")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr [data-label='Action']")).to_have_text("set_code_required")
    page.fill("#audit-actor", "")
    page.select_option("#audit-action", "revoke_api_key")
    page.click("#audit-apply")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr [data-label='Who']")).to_have_text(ADMIN_USERNAME)
    page.select_option("#audit-action", "")
    page.fill("#audit-actor", "key:backup script")
    page.click("#audit-apply")
    expect(table.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as download_info:
        page.click("#audit-csv")
    with open(download_info.value.path(), encoding="utf-8") as downloaded:
        lines = downloaded.read().splitlines()
    assert lines[0].startswith("time_utc,actor,action")
    assert len(lines) == 2 and "key:backup script,set_code_required" in lines[1]

    page.fill("#audit-from", "2026-12-01")
    page.fill("#audit-to", "2026-11-01")
    page.click("#audit-apply")
    expect(page.locator("#audit-status")).to_contain_text("“From” is after “To”")
    expect(page.locator("#audit-from")).to_be_focused()
