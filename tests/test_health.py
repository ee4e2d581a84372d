"""Plex connection status: shared by instances through Table Storage, re-checked only when stale."""

import requests

from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.health import HealthMonitor
from shared.plex.status import PlexStatusMonitor
from shared.storage.tables import SETTINGS
from tests.support.waiting import wait_until


def test_status_is_checked_once_per_interval_and_shared_by_instances(simulator, tables, container):
    now = [1_000_000.0]
    gateway = container.with_overrides(plex_clock=lambda: now[0]).plex_gateway()

    def monitor():
        return PlexStatusMonitor(
            lambda: tables.client(SETTINGS), lambda: gateway, interval_seconds=300, error_interval_seconds=30, clock=lambda: now[0]
        )

    first = monitor().current()
    assert (first.token_valid, first.server_name, first.failing) == (True, "Helpr Demo Server", False)
    asked = simulator.plex_tv_requests()
    assert asked > 0

    now[0] += 299
    assert monitor().current().token_valid is True, "another instance reads the stored status"
    assert simulator.plex_tv_requests() == asked

    simulator.set_owner(token="revoked")
    now[0] += 2
    broken = monitor().current()
    assert broken.token_valid is False
    assert broken.failing
    health = HealthMonitor(tables=lambda: tables, plex_status=monitor).report()
    assert (health.status, health.plex.status) == ("degraded", "error")

    simulator.set_owner(token=DEMO_OWNER_TOKEN)
    now[0] += 10
    assert monitor().current().failing, "an error is kept until the shorter recheck interval passes"
    now[0] += 30
    assert monitor().current().token_valid is True


def test_the_plex_check_timer_notices_a_revoked_token_and_its_return_while_nobody_uses_the_app(app):
    def plex_health() -> str:
        return requests.get(f"{app.site_url}/api/health", timeout=30).json()["plex"]["status"]

    def run_check() -> None:
        # As on the real host: 202 at once, and the function runs in the background.
        response = requests.post(f"{app.functions_url}/admin/functions/check_plex_connection", json={"input": ""}, timeout=30)
        assert response.status_code == 202

    assert plex_health() == "ok"
    try:
        app.simulator.set_owner(token="revoked-by-plex")
        assert plex_health() == "ok", "nothing asks plex.tv while the stored status is fresh"
        run_check()
        assert wait_until(lambda: plex_health() == "error", interval=0.2)
        app.simulator.set_owner(token=DEMO_OWNER_TOKEN)
        run_check()
        assert wait_until(lambda: plex_health() == "ok", interval=0.2)
    finally:
        app.simulator.set_owner(token=DEMO_OWNER_TOKEN)
