"""Fixtures and the test categories. Nothing here needs Node, Chromium or Azurite until a test asks for it:
the services start in session fixtures and Playwright is imported by the browser fixture.

Categories (pyproject.toml registers them; `pytest -m unit` is the fast lane):
  unit         pure Python in this process: no processes, sockets or local servers
  integration  Azurite, the Plex simulator, local functions hosts or other local servers
  browser      the pages in headless Chromium through the Static Web Apps emulator
  infra        the Bicep, checkov, shellcheck and the deploy script
A test is `browser` when it uses the browser, `integration` when it uses the local services, and `unit`
otherwise, unless its module or itself is marked; a unit test that opens a socket or starts a process fails.
"""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from azure.data.tables import TableServiceClient

from devtools.plex_simulator import SimulatorClient
from devtools.stack import free_port
from shared.container import Container
from shared.plex.gateway import PlexGateway
from shared.storage.tables import Tables
from tests.support import stacks
from tests.support.admin_client import Admin
from tests.support.containers import Stores, make_container, stores_of
from tests.support.stacks import AppStack, Services

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CATEGORIES = ("unit", "integration", "browser", "infra")
BROWSER_FIXTURES = {"browser"}
SERVICE_FIXTURES = {"backing_services", "app_stack"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marked = [name for name in CATEGORIES if item.get_closest_marker(name)]
        if len(marked) > 1:
            raise pytest.UsageError(f"{item.nodeid} is marked {' and '.join(marked)}: give it one category")
        if marked:
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        elif fixtures & SERVICE_FIXTURES:
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a unit test must not open connections or start processes: mark it integration")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


# -- the local services, once per run ------------------------------------------------------------------


@pytest.fixture(scope="session")
def backing_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One Plex simulator and one Azurite for the whole run; tables get a unique prefix per run."""
    with stacks.backing_services(tmp_path_factory.mktemp("logs-backing")) as services:
        yield services


@pytest.fixture
def simulator(backing_services: Services) -> SimulatorClient:
    backing_services.simulator.reset()
    return backing_services.simulator


@pytest.fixture
def table_service(backing_services: Services) -> TableServiceClient:
    return TableServiceClient.from_connection_string(backing_services.azurite_connection_string)


@pytest.fixture
def tables(table_service: TableServiceClient, backing_services: Services) -> Iterator[Tables]:
    """Fresh tables for one test, deleted afterwards."""
    created = Tables(table_service, f"{backing_services.run_prefix}{uuid.uuid4().hex[:6]}")
    created.ensure()
    yield created
    created.delete_all()


# -- the app's code in this process, wired by its own container ------------------------------------------


@pytest.fixture
def app_env(backing_services: Services, tables: Tables) -> dict[str, str]:
    """This test's app settings and secrets (assign one to change it): its own tables, the simulator, no limits."""
    return stacks.in_process_settings(backing_services, tables.prefix)


@pytest.fixture
def container(app_env: dict[str, str], tables: Tables) -> Container:
    return make_container(app_env, tables=tables)


@pytest.fixture
def gateway(container: Container) -> PlexGateway:
    return container.plex_gateway()


@pytest.fixture
def stores(container: Container, tables: Tables) -> Stores:
    return stores_of(container, tables)


# -- the functions host behind the Static Web Apps emulator ------------------------------------------------


@pytest.fixture(scope="session")
def app_stack(backing_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppStack]:
    """The functions host (with an invite code configured) behind the real SWA emulator."""
    env = stacks.app_settings(backing_services, f"{backing_services.run_prefix}app", free_port())
    with stacks.app_stack(backing_services, tmp_path_factory.mktemp("logs-app"), env) as stack:
        yield stack


@pytest.fixture
def app(app_stack: AppStack) -> AppStack:
    """The app stack with the simulator reset and every table emptied."""
    app_stack.simulator.reset()
    stacks.empty_tables(app_stack.tables)
    return app_stack


@pytest.fixture
def admin(app: AppStack) -> Admin:
    """The admin's API client on the app stack, signed in."""
    client = Admin(app)
    assert client.login().status_code == 200
    return client


# -- the browser ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from tests.support.browser import launch_chromium

    with launch_chromium() as launched:
        yield launched
