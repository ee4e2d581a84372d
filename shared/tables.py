"""Table Storage clients for the app's tables, created once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from azure.data.tables import TableClient, TableServiceClient

from shared.settings import Settings

INVITE_LOG = "invitelog"
COUNTERS = "counters"
SETTINGS = "settings"
ADMIN = "admin"
RATE_LIMITS = "ratelimits"
IDEMPOTENCY = "idempotency"
INVITE_LINKS = "invitelinks"
ACCESS = "access"  # tiers and the people who got access
ALL_TABLES = (INVITE_LOG, COUNTERS, SETTINGS, ADMIN, RATE_LIMITS, IDEMPOTENCY, INVITE_LINKS, ACCESS)


def build_table_service(settings: Settings, **client_options: object) -> TableServiceClient:
    settings.require_storage()
    # Bounded SDK retries: a dead storage endpoint must fail fast enough to answer the guest.
    client_options = {"retry_total": 2, "retry_backoff_factor": 0.2, "connection_timeout": 5, "read_timeout": 10, **client_options}
    if settings.storage_connection_string:
        return TableServiceClient.from_connection_string(settings.storage_connection_string, **client_options)
    from azure.identity import DefaultAzureCredential

    return TableServiceClient(endpoint=settings.table_service_uri, credential=DefaultAzureCredential(), **client_options)


@dataclass
class Tables:
    """The app's tables under one name prefix (tests use a unique prefix per run)."""

    service: TableServiceClient
    prefix: str

    def __post_init__(self) -> None:
        self._ensured = False
        self._lock = threading.Lock()

    def name(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def client(self, table: str) -> TableClient:
        self.ensure()
        return self.service.get_table_client(self.name(table))

    def ensure(self) -> None:
        if self._ensured:
            return
        with self._lock:
            if not self._ensured:
                for table in ALL_TABLES:
                    self.service.create_table_if_not_exists(self.name(table))
                self._ensured = True

    def delete_all(self) -> None:
        for table in ALL_TABLES:
            self.service.delete_table(self.name(table))  # no error when it doesn't exist
        self._ensured = False
