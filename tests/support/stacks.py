"""The local services the integration tests run against: Azurite and the Plex simulator for the whole run,
the functions host behind the Static Web Apps emulator, and pairs of hosts as two instances in Azure."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from azure.data.tables import TableServiceClient

from devtools.plex_simulator import DEMO_OWNER_TOKEN, SimulatorClient
from devtools.stack import LocalStack, azurite_connection_string, free_port
from shared.storage.tables import ALL_TABLES, Tables
from tests.support.constants import ADMIN_PASSWORD, ADMIN_USERNAME, HTTP_INVITE_CODE, NO_RATE_LIMIT_SETTINGS, TEST_CLIENT_IDENTIFIER


@dataclass
class Services:
    simulator: SimulatorClient
    azurite_connection_string: str
    run_prefix: str


@contextlib.contextmanager
def backing_services(log_dir: Path) -> Iterator[Services]:
    """One Plex simulator and one Azurite; tables get a unique prefix per run."""
    stack = LocalStack(log_dir)
    try:
        simulator = stack.start_simulator(free_port())
        azurite_port, queue_port = free_port(), free_port()
        stack.start_azurite(azurite_port)
        stack.start_azurite_queue(queue_port)
        yield Services(SimulatorClient(simulator.url), azurite_connection_string(azurite_port, queue_port), f"t{uuid.uuid4().hex[:8]}")
    finally:
        stack.stop()


def in_process_settings(services: Services, table_prefix: str) -> dict[str, str]:
    """App settings (secrets included) for the app's code run inside the test process."""
    return {
        "AzureWebJobsStorage": services.azurite_connection_string,
        "TABLE_PREFIX": table_prefix,
        "PLEX_API_BASE_URL": services.simulator.base_url,
        "PLEX_CLIENT_IDENTIFIER": TEST_CLIENT_IDENTIFIER,
        "PLEX_TOKEN": DEMO_OWNER_TOKEN,
        "PLEX_TIMEOUT_SECONDS": "5",
        "INVITE_CODE": "",
        **NO_RATE_LIMIT_SETTINGS,
        "RATE_LIMIT_INVITES_PER_IDENTIFIER_PER_DAY": "0",
    }


def empty_tables(tables: Tables) -> None:
    """Deletes every row, keeping the tables (a running host keeps its clients)."""
    tables.ensure()
    for table in ALL_TABLES:
        client = tables.client(table)
        for entity in client.list_entities():
            client.delete_entity(entity["PartitionKey"], entity["RowKey"])


@contextlib.contextmanager
def host_pair(services: Services, table_service: TableServiceClient, log_dir: Path, **settings: str) -> Iterator[tuple[list[str], Tables]]:
    """Two functions host processes sharing Azurite and the simulator, as two instances in Azure."""
    prefix = f"{services.run_prefix}pair{uuid.uuid4().hex[:4]}"
    env = {
        "AzureWebJobsStorage": services.azurite_connection_string,
        "PLEX_TOKEN": DEMO_OWNER_TOKEN,
        "PLEX_API_BASE_URL": services.simulator.base_url,
        "TABLE_PREFIX": prefix,
        "INVITE_CODE": "",
        **settings,
    }
    stack = LocalStack(log_dir)
    tables = Tables(table_service, prefix)
    try:
        urls = []
        for name in ("host-a", "host-b"):
            port = free_port()
            stack.start_functions(port, env, name=name)
            urls.append(f"http://127.0.0.1:{port}")
        tables.ensure()
        yield urls, tables
    finally:
        stack.stop()
        tables.delete_all()


@dataclass
class AppStack:
    site_url: str
    functions_url: str
    env: dict[str, str]
    tables: Tables
    simulator: SimulatorClient
    log_dir: Path


def app_settings(services: Services, table_prefix: str, site_port: int) -> dict[str, str]:
    """The functions host's settings for the site on `site_port`, with an invite code and sign-in configured."""
    from werkzeug.security import generate_password_hash

    return {
        "SITE_ORIGIN": f"http://127.0.0.1:{site_port}",
        "ADMIN_USERNAME": ADMIN_USERNAME,
        # A hash as the old Flask app (Werkzeug) wrote it.
        "ADMIN_PASSWORD_HASH": generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:100000"),
        "SESSION_SIGNING_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DATA_ENCRYPTION_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "AzureWebJobsStorage": services.azurite_connection_string,
        "PLEX_TOKEN": DEMO_OWNER_TOKEN,
        "PLEX_API_BASE_URL": services.simulator.base_url,
        "PLEX_CLIENT_IDENTIFIER": TEST_CLIENT_IDENTIFIER,
        "PLEX_TIMEOUT_SECONDS": "2",
        "INVITE_CODE": HTTP_INVITE_CODE,
        "SERVER_DISPLAY_NAME": "",
        "TABLE_PREFIX": table_prefix,
        **NO_RATE_LIMIT_SETTINGS,
        # Room for one retry after a 2 s Plex timeout even on a busy machine.
        "PLEX_RETRY_BUDGET_SECONDS": "4",
        # Batch invitations without the 2 s pace between invites.
        "BATCH_INVITE_PACE_SECONDS": "0.01",
    }


@contextlib.contextmanager
def app_stack(services: Services, log_dir: Path, env: dict[str, str]) -> Iterator[AppStack]:
    """A functions host with `env` behind the real SWA emulator on the port SITE_ORIGIN names."""
    site_port = int(env["SITE_ORIGIN"].rsplit(":", 1)[1])
    functions_port = free_port()
    stack = LocalStack(log_dir)
    tables = Tables(TableServiceClient.from_connection_string(services.azurite_connection_string), env["TABLE_PREFIX"])
    try:
        stack.start_functions(functions_port, env)
        stack.start_swa(site_port, functions_port)
        yield AppStack(f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{functions_port}", env, tables, services.simulator, log_dir)
    finally:
        stack.stop()
        tables.delete_all()
