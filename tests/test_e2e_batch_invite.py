"""A 500-row batch invitation through the whole local stack (Azurite, the functions host with its queue listener,
the Plex simulator, the SWA emulator, Chromium): the host is killed mid-way and started again on the same
Azurite, the owner reloads the page, and every row is invited exactly once while the progress bar reaches 100%."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableServiceClient

from devtools.stack import LocalStack, free_port
from shared.storage.tables import Tables
from tests.support import stacks
from tests.support.admin_page import open_view, sign_in
from tests.support.axe import axe_violations, serve_axe
from tests.support.stacks import AppStack, Services

ROWS = 500
INVITE_POST = "POST /api/servers/{machineId}/shared_servers"


@pytest.fixture
def crash_stack(backing_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppStack, LocalStack, int]]:
    site_port, functions_port = free_port(), free_port()
    env = {
        **stacks.app_settings(backing_services, f"{backing_services.run_prefix}crash{uuid.uuid4().hex[:4]}", site_port),
        # Fast in a test: a short pace, and a batch quiet for 3 s is put back on its queue.
        "BATCH_INVITE_PACE_SECONDS": "0.01",
        "BATCH_STALL_SECONDS": "3",
        "PLEX_RETRY_BUDGET_SECONDS": "2",
    }
    log_dir = tmp_path_factory.mktemp("logs-batch")
    stack = LocalStack(log_dir)
    tables = Tables(TableServiceClient.from_connection_string(backing_services.azurite_connection_string), env["TABLE_PREFIX"])
    simulator = backing_services.simulator
    simulator.reset()
    simulator.set_owner(shareLimit=ROWS + 100)
    try:
        stack.start_functions(functions_port, env)
        stack.start_swa(site_port, functions_port)
        app = AppStack(f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{functions_port}", env, tables, simulator, log_dir)
        yield app, stack, functions_port
    finally:
        stack.stop()
        tables.delete_all()
        simulator.reset()


def kill_and_restart_the_host(stack: LocalStack, port: int, env: dict[str, str]) -> None:
    [host] = [service for service in stack.services if service.name == "functions"]
    os.killpg(host.process.pid, signal.SIGKILL)  # no clean shutdown: a message is in flight, rows are mid-send
    host.process.wait(timeout=10)
    stack.services.remove(host)
    stack.start_functions(port, env, name="functions")


def test_a_500_row_batch_survives_a_killed_host_and_invites_everyone_exactly_once(crash_stack, browser):
    from playwright.sync_api import expect

    app, stack, functions_port = crash_stack
    people = [f"batch{n:04d}@example.com" for n in range(ROWS)]
    csv_bytes = ("email,tier,days\n" + "".join(f"{email},,30\n" for email in people)).encode()
    context = browser.new_context()
    serve_axe(context)
    page = context.new_page()
    try:
        sign_in(page, f"{app.site_url}/admin")
        open_view(page, "invites")
        page.set_input_files("#batch-file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv_bytes}])
        page.click("#batch-check")
        expect(page.locator("#batch-start")).to_have_text(f"Start sending {ROWS} invites")
        assert axe_violations(page, app.site_url) == []
        started = time.monotonic()
        page.click("#batch-start")
        progress = page.get_by_role("progressbar", name="Sent")
        expect(progress).to_be_visible()

        deadline = time.monotonic() + 60
        while app.simulator.counts()["endpoints"].get(INVITE_POST, 0) < ROWS // 5:
            assert time.monotonic() < deadline, "the batch didn't get going"
            time.sleep(0.1)
        kill_and_restart_the_host(stack, functions_port, app.env)
        killed_at = app.simulator.counts()["endpoints"][INVITE_POST]
        assert killed_at < ROWS, "the host was killed after the batch had finished"

        page.reload()  # the running batch is found again
        open_view(page, "invites")
        expect(page.locator("#batch-progress")).to_have_attribute("value", "100", timeout=90_000)
        took = time.monotonic() - started
        expect(page.locator("#batch-summary")).to_have_text(f"{ROWS} invited, 0 failed, 0 skipped, 0 waiting of {ROWS}")
        expect(page.locator("#batch-results")).to_be_visible()
        assert axe_violations(page, app.site_url) == []
    finally:
        context.close()

    shares = app.simulator.state()["shares"]
    assert sorted(share["invited_email"] for share in shares) == people, "every row invited, nobody twice"
    assert app.simulator.counts()["endpoints"][INVITE_POST] == ROWS, "one invite POST per row, none repeated after the restart"
    print(f"500 rows in {took:.1f} s; the host was killed after {killed_at} invites")
