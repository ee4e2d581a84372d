"""Health checks ask plex.tv at most once per interval, with the clock injected."""

from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.health import HealthMonitor
from tests.conftest import make_gateway


def test_plex_is_asked_once_per_interval_and_errors_are_rechecked_sooner(simulator, tables):
    now = [1_000_000.0]
    gateway = make_gateway(simulator, clock=lambda: now[0])
    monitor = HealthMonitor(
        tables=lambda: tables, gateway=lambda: gateway, plex_interval_seconds=300, plex_recheck_after_error_seconds=30, clock=lambda: now[0]
    )
    first = monitor.report()
    assert (first.status, first.plex.status, first.storage.status) == ("ok", "ok", "ok")
    asked = simulator.plex_tv_requests()
    assert asked > 0

    now[0] += 299
    within_interval = monitor.report()
    assert within_interval.plex.status == "ok"
    assert simulator.plex_tv_requests() == asked

    simulator.set_owner(token="revoked")
    now[0] += 2
    broken = monitor.report()
    assert broken.plex.status == "error"
    assert broken.status == "degraded"
    assert "token" in broken.plex.detail

    simulator.set_owner(token=DEMO_OWNER_TOKEN)
    now[0] += 10
    assert monitor.report().plex.status == "error", "an error is kept until the shorter recheck interval passes"
    now[0] += 30
    assert monitor.report().plex.status == "ok"
