"""Table Storage clients for the app's tables, created once per process, and an optional meter of what they
cost: the requests (the transactions Table Storage bills) and the entities read and written."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from azure.data.tables import TableClient, TableServiceClient

from shared.storage import registry

if TYPE_CHECKING:
    from azure.core.pipeline.transport import HttpRequest, HttpResponse, HttpTransport, RequestsTransport

    Transport = HttpTransport[HttpRequest, HttpResponse]

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


def build_table_service(
    connection_string: str,
    endpoint: str,
    *,
    meter: StorageMeter | None = None,
    environment_per_request: bool = True,
    ca_bundle: str = "",
    **client_options: Any,
) -> TableServiceClient:
    """A Tables client from a connection string (local runs) or an endpoint reached with the managed
    identity (Azure). `client_options` are the SDK's keyword options and override the defaults below.
    With a `meter`, every request the client sends is counted on it (see StorageMeter).
    `environment_per_request`: False when there are no proxy variables or .netrc for requests to find on every
    request (shared.config.settings.HttpEnvironment); `ca_bundle` is then given to the client once instead."""
    # Bounded SDK retries: a dead storage endpoint must fail fast enough to answer the guest.
    client_options = {
        "retry_total": 2,
        "retry_backoff_factor": 0.2,
        "connection_timeout": 5,
        "read_timeout": 10,
        "transport": _pooled_transport(environment_per_request),
        **client_options,
    }
    if not environment_per_request and ca_bundle and "connection_verify" not in client_options:
        client_options["connection_verify"] = ca_bundle  # what requests would have read per request
    if meter is not None:
        client_options["transport"] = meter.transport(client_options["transport"])
    if connection_string:
        return TableServiceClient.from_connection_string(connection_string, **client_options)
    from azure.identity import DefaultAzureCredential

    return TableServiceClient(endpoint=endpoint, credential=DefaultAzureCredential(), **client_options)


def _pooled_transport(environment_per_request: bool) -> RequestsTransport:
    # requests keeps 10 connections per host by default; parallel writes and threads need more. Imported here, on
    # the first storage call, so loading the app doesn't load requests.
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = environment_per_request
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


@dataclass(frozen=True)
class StorageCount:
    """What Table Storage was asked for: requests (each one a billed transaction, retries and failures too),
    entities read (a point read that found its entity, or each entity a query page returned) and entities
    written (an insert, update, merge or delete that succeeded; each one in a batch)."""

    requests: int = 0
    entities_read: int = 0
    entities_written: int = 0

    def __add__(self, other: StorageCount) -> StorageCount:
        return StorageCount(
            self.requests + other.requests, self.entities_read + other.entities_read, self.entities_written + other.entities_written
        )

    def __sub__(self, other: StorageCount) -> StorageCount:
        return StorageCount(
            self.requests - other.requests, self.entities_read - other.entities_read, self.entities_written - other.entities_written
        )

    def per(self, operations: int) -> dict[str, float]:
        return {
            "requests": self.requests / operations,
            "entitiesRead": self.entities_read / operations,
            "entitiesWritten": self.entities_written / operations,
        }


class StorageMeter:
    """Counts what the Tables clients built with it send and get back, at the HTTP transport, so every call
    of the SDK is seen as Table Storage sees (and bills) it. Only a client built with a meter is counted: the
    benchmark and the tests pass one in (Overrides.storage_meter); the app runs without."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = StorageCount()

    def read(self) -> StorageCount:
        with self._lock:
            return self._count

    def transport(self, inner: Transport) -> Transport:
        from azure.core.pipeline.transport import HttpTransport

        meter = self

        class CountingTransport(HttpTransport):  # type: ignore[type-arg]  # azure-core: any request and response type
            def __enter__(self) -> CountingTransport:
                inner.__enter__()
                return self

            def __exit__(self, *args: Any) -> None:
                inner.__exit__(*args)

            def open(self) -> None:
                inner.open()

            def close(self) -> None:
                inner.close()

            def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
                response: HttpResponse = inner.send(request, **kwargs)
                meter.record(request, response)
                return response

        return CountingTransport()

    def record(self, request: HttpRequest, response: HttpResponse) -> None:
        read, written = _entities(request.method.upper(), unquote(urlsplit(request.url).path), response)
        with self._lock:
            count = self._count
            self._count = StorageCount(count.requests + 1, count.entities_read + read, count.entities_written + written)


_ENTITY_PATH = re.compile(r"/[^/()]+\(PartitionKey='.*',RowKey='.*'\)$")
_BATCH_ANSWER = re.compile(rb"^HTTP/1\.1 (\d{3})", re.MULTILINE)


def _entities(method: str, path: str, response: HttpResponse) -> tuple[int, int]:
    """(entities read, entities written) by one request and its answer."""
    status = response.status_code
    if not 200 <= status < 300:
        return 0, 0
    last = path.rsplit("/", 1)[-1]
    if last == "Tables" or last.startswith("Tables("):
        return 0, 0  # the table itself (create, delete, list), not its entities
    if last == "$batch":
        return 0, sum(1 for code in _BATCH_ANSWER.findall(response.body()) if code.startswith(b"2"))
    if method == "GET":
        if _ENTITY_PATH.search(path):
            return 1, 0
        try:
            page = json.loads(response.body() or b"{}")
        except ValueError:
            return 0, 0
        return len(page.get("value", ())) if isinstance(page, dict) else 0, 0
    return 0, 1  # an insert (POST), update or upsert (PUT, PATCH, MERGE) or delete
