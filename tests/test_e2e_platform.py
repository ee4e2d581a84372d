"""What Azure and plex.tv would have broken, seen as a user sees it: in Chromium through the SWA emulator,
with invite codes optional, the simulator answering plex.tv's XML by default, and plex.tv failing."""

import uuid
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from devtools.stack import free_port
from tests.support import stacks
from tests.support.admin_client import Admin
from tests.support.admin_page import open_view, sign_in
from tests.support.stacks import AppStack, Services

pytestmark = pytest.mark.browser

KIDS_MOVIES = 118181364
SHARE_POST = "/api/servers/*/shared_servers"
POST_ENDPOINT = "POST /api/servers/{machineId}/shared_servers"


@pytest.fixture(scope="module")
def open_stack(backing_services: Services, app_stack: AppStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppStack]:
    """The app with no global invite code: guests need no code, but an invite link still carries one."""
    prefix = f"{app_stack.env['TABLE_PREFIX']}open{uuid.uuid4().hex[:4]}"
    env = app_stack.env | {"INVITE_CODE": "", "TABLE_PREFIX": prefix, "SITE_ORIGIN": f"http://127.0.0.1:{free_port()}"}
    with stacks.app_stack(backing_services, tmp_path_factory.mktemp("logs-open"), env) as stack:
        yield stack


@pytest.fixture
def open_app(open_stack: AppStack) -> Iterator[AppStack]:
    open_stack.simulator.reset()
    stacks.empty_tables(open_stack.tables)
    yield open_stack
    open_stack.simulator.reset()  # the simulator is shared: leave no fault behind


@pytest.fixture
def admin(open_app: AppStack) -> Admin:
    client = Admin(open_app)
    assert client.login().status_code == 200
    return client


@pytest.fixture
def new_page(browser: Browser) -> Iterator:
    contexts = []

    def open_page(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def ask_for_access(page: Page, url: str, identifier: str) -> None:
    page.goto(url)
    expect(page.locator("#submit-button")).to_be_enabled()
    page.fill("#identifier", identifier)
    page.click("#submit-button")


def share_of(app: AppStack, username: str) -> dict:
    return next(s for s in app.simulator.state()["shares"] if s["username"] == username)


def test_an_invite_link_gives_its_tier_and_counts_its_use_while_codes_are_optional(open_app, admin, new_page):
    assert requests.get(f"{open_app.site_url}/api/config", timeout=30).json()["inviteCodeRequired"] is False
    tier = admin.call("POST", "manage/tiers", {"name": "Kids", "sectionIds": [KIDS_MOVIES]}).json()
    link = admin.call("POST", "manage/invite-links", {"tierId": tier["id"], "maxUses": 1}).json()

    guest = new_page()
    ask_for_access(guest, f"{open_app.site_url}/j/{link['code']}", "alice")
    expect(guest.locator("#invite-success")).to_be_visible()
    expect(guest.locator("#library-list")).to_have_text("Kids Movies")
    assert share_of(open_app, "alice")["section_ids"] == [KIDS_MOVIES], "the link's tier, not the default libraries"
    listed = next(i for i in admin.call("GET", "manage/invite-links").json()["items"] if i["code"] == link["code"])
    assert (listed["uses"], listed["status"]) == (1, "used_up")

    second = new_page(390, 844)
    ask_for_access(second, f"{open_app.site_url}/j/{link['code']}", "bob")
    expect(second.locator("#invite-code-error")).to_contain_text("isn't valid")
    expect(second.locator("#invite-success")).to_be_hidden()
    assert [s["username"] for s in open_app.simulator.state()["shares"]] == ["alice"]


def test_a_lost_plex_answer_ends_in_one_share_one_post_and_a_guest_told_they_are_in(open_app, new_page):
    requests.get(f"{open_app.site_url}/api/config", timeout=30)  # the page load warms the connection
    open_app.simulator.add_fault(SHARE_POST, 502, method="POST", after_processing=True)
    open_app.simulator.reset_counts()
    guest = new_page(390, 844)
    ask_for_access(guest, open_app.site_url, "dave_p")
    expect(guest.locator("#invite-success")).to_be_visible()
    expect(guest.locator("#success-message")).to_contain_text("Invite sent")
    assert open_app.simulator.counts()["endpoints"][POST_ENDPOINT] == 1
    assert [s["username"] for s in open_app.simulator.state()["shares"]] == ["dave_p"]


def test_the_users_panel_shows_pending_then_accepted_from_plex_tvs_xml_and_revoke_ends_the_share(open_app, new_page):
    requests.post(f"{open_app.site_url}/api/invites", json={"identifier": "carol"}, timeout=30)
    page = sign_in(
        new_page(), f"{open_app.site_url}/admin", username=open_app.env["ADMIN_USERNAME"], password="correct horse battery staple"
    )
    open_view(page, "users")
    row = page.locator("#users-table [data-identifier='carol']")
    expect(row).to_contain_text("Invite pending")
    open_app.simulator.accept_share(share_of(open_app, "carol")["id"])
    page.click("#refresh-users")
    expect(row).to_contain_text("Accepted")
    page.on("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=revoke]").click()
    expect(row).to_contain_text("Revoked")
    assert open_app.simulator.state()["shares"] == []


def test_with_plex_tv_unreachable_the_dashboard_refresh_and_users_panel_say_so(open_app, admin, new_page):
    requests.post(f"{open_app.site_url}/api/invites", json={"identifier": "carol"}, timeout=30)
    open_app.simulator.add_fault("*", 503, times=0)
    page = sign_in(
        new_page(), f"{open_app.site_url}/admin", username=open_app.env["ADMIN_USERNAME"], password="correct horse battery staple"
    )

    open_view(page, "settings")
    page.click("#refresh-libraries")
    expect(page.locator("#libraries-status")).to_contain_text("Couldn't refresh the list")
    expect(page.locator("#libraries-status")).to_contain_text("plex.tv answered 503")
    open_view(page, "overview")
    expect(page.locator("#plex-token-state")).to_contain_text("plex.tv could not be reached")
    expect(page.locator("#plex-token-state")).not_to_contain_text("Working")
    expect(page.locator("#plex-last-error")).to_contain_text("503")

    open_view(page, "users")
    expect(page.locator("#users-status")).to_contain_text("Couldn't read who accepted from plex.tv")
    expect(page.locator("#users-table [data-identifier='carol']")).to_contain_text("Unknown")


def test_no_admin_endpoint_answers_500_while_plex_tv_is_down(open_app, admin):
    requests.post(f"{open_app.site_url}/api/invites", json={"identifier": "carol"}, timeout=30)
    tier = admin.call("POST", "manage/tiers", {"name": "Movies", "sectionIds": [118181361]}).json()
    open_app.simulator.add_fault("*", 503, times=0)
    calls = [
        ("GET", "manage/dashboard", None),
        ("GET", "manage/users", None),
        ("GET", "manage/tiers", None),
        ("GET", "manage/invite-links", None),
        ("GET", "manage/invites", None),
        ("POST", "manage/libraries/refresh", {}),
        ("PUT", "manage/libraries", {"sectionIds": [999]}),
        ("POST", "manage/users/carol/revoke", {}),
        ("PATCH", "manage/users/carol", {"tierId": tier["id"]}),
    ]
    for method, path, body in calls:
        response = admin.call(method, path, body)
        assert response.status_code < 500 or response.status_code == 503, (path, response.status_code, response.text)
        if response.status_code == 503:
            error = response.json()["error"]
            assert error["code"] == "plex_unreachable", (path, error)
            assert "try again" in error["message"], (path, error)
    users = admin.call("GET", "manage/users").json()
    assert users["plexError"] and users["items"][0]["plexStatus"] == "unknown"
    assert share_of(open_app, "carol"), "nothing was removed while plex.tv was down"
