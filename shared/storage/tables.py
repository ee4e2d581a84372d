"""Table Storage clients for the app's tables, created once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from requests.adapters import HTTPAdapter

from shared.storage import registry

# Table names (what each holds: shared.storage.registry).
INVITE_LOG = registry.INVITE_LOG_TABLE.name
COUNTERS = registry.COUNTERS_TABLE.name
SETTINGS = registry.SETTINGS_TABLE.name
ADMIN = registry.ADMIN_TABLE.name
RATE_LIMITS = registry.RATE_LIMITS_TABLE.name
IDEMPOTENCY = registry.IDEMPOTENCY_TABLE.name
INVITE_LINKS = registry.INVITE_LINKS_TABLE.name
ACCESS = registry.ACCESS_TABLE.name  # tiers and the people who got access
NOTIFY = registry.NOTIFY_TABLE.name
AUDIT = registry.AUDIT_TABLE.name
ALL_TABLES = registry.REGISTRY.table_names()


def build_table_service(connection_string: str, endpoint: str, **client_options: Any) -> TableServiceClient:
    """A Tables client from a connection string (local runs) or an endpoint reached with the managed
    identity (Azure). `client_options` are the SDK's keyword options and override the defaults below."""
    # Bounded SDK retries: a dead storage endpoint must fail fast enough to answer the guest.
    client_options = {
        "retry_total": 2,
        "retry_backoff_factor": 0.2,
        "connection_timeout": 5,
        "read_timeout": 10,
        "transport": _pooled_transport(),
        **client_options,
    }
    if connection_string:
        return TableServiceClient.from_connection_string(connection_string, **client_options)
    from azure.identity import DefaultAzureCredential

    return TableServiceClient(endpoint=endpoint, credential=DefaultAzureCredential(), **client_options)


def _pooled_transport() -> RequestsTransport:
    # requests keeps 10 connections per host by default; parallel writes and threads need more.
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return RequestsTransport(session=session, session_owner=False)


@dataclass
class Tables:
    """The app's tables under one name prefix (tests use a unique prefix per run)."""

    service: TableServiceClient
    prefix: str

    def __post_init__(self) -> None:
        self._ensured = False
        self._lock = threading.Lock()
        self._clients: dict[str, TableClient] = {}

    def name(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def client(self, table: str) -> TableClient:
        """One client per table, all made at once on first use: making a client rewires the pipeline it
        shares with the others, which breaks requests running at that moment on other threads."""
        client = self._clients.get(table)
        if client is not None:
            return client
        self.ensure()
        return self._clients[table]

    def ensure(self) -> None:
        if self._ensured:
            return
        with self._lock:
            if not self._ensured:
                for table in ALL_TABLES:
                    self.service.create_table_if_not_exists(self.name(table))
                self._clients = {table: self.service.get_table_client(self.name(table)) for table in ALL_TABLES}
                self._ensured = True

    def delete_all(self) -> None:
        for table in ALL_TABLES:
            self.service.delete_table(self.name(table))  # no error when it doesn't exist
        self._ensured = False
