"""The benchmark's scenarios: each drives the real local stack (functions hosts, Azurite, Plex simulator).

Every request goes to 127.0.0.1 and every loop is bounded by a count given by the caller.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from azure.data.tables import TableServiceClient

from devtools.plex_simulator import DEMO_OWNER_TOKEN, DEMO_SERVER_NAME, SimulatorClient
from devtools.stack import ROOT, LocalStack, Service, free_port
from shared.invites.log import PARTITION, row_key_for

SESSION_COOKIE = "__Host-helpr-session"
SITE_ORIGIN = "http://127.0.0.1"  # admin calls must carry this Origin; the hosts are reached directly
ADMIN_USERNAME = "bench-admin"
INVITE_CODE = "bench-code"
CLIENT_IDENTIFIER = "helpr-benchmark"
PLEX_TIMEOUT_SECONDS = 10
HTTP_TIMEOUT_SECONDS = 60
LOG_BATCH = 100  # entities per Table Storage transaction (the service's maximum)
LOCAL_PREFIX = "http://127.0.0.1:"
RATE_LIMIT_HIGH = 1_000_000


class BenchmarkError(RuntimeError):
    pass


def rate_limit_overrides(app_settings: Mapping[str, str]) -> dict[str, str]:
    """The rate-limit counts the app declares (RATE_LIMIT_*), set so high that the benchmark's load never reaches them.

    Windows, durations and on/off switches are left at the app's defaults: the limiter still runs.
    """
    overrides = {}
    for name in app_settings:
        upper = name.upper()
        if not upper.startswith("RATE_LIMIT_"):
            continue
        if any(word in upper for word in ("WINDOW", "SECONDS", "PERIOD", "INTERVAL", "ENABLED")):
            continue
        overrides[name] = str(RATE_LIMIT_HIGH)
    return overrides


def start_simulator(stack: LocalStack, port: int, latency_s: float) -> Service:
    """The Plex simulator with the injected latency."""
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "devtools.plex_simulator", "--port", str(port), "--latency", str(latency_s)]
    return stack._spawn("plex-simulator", args, url, ready_url=url + "/__sim/counts", timeout=30)


@dataclass
class Bench:
    """What every scenario shares: the simulator, Azurite, and how to start a functions host."""

    run_id: str
    latency_s: float
    simulator: SimulatorClient
    azurite_connection_string: str
    log_dir: Path
    admin_password: str
    admin_password_hash: str
    extra_env: dict[str, str] = field(default_factory=dict)
    _identifiers: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def prefix(self, name: str) -> str:
        return f"{self.run_id}{name}"

    def identifier(self) -> str:
        with self._lock:
            n = next(self._identifiers)
        return f"bench-{self.run_id}-{n}@example.com"

    def host_env(self, table_prefix: str) -> dict[str, str]:
        # Every setting the app reads is given, so nothing comes from local.settings.json by accident.
        env = {
            "AzureWebJobsStorage": self.azurite_connection_string,
            "TABLES_CONNECTION_STRING": "",
            "AzureWebJobsStorage__tableServiceUri": "",
            "TABLE_PREFIX": table_prefix,
            "PLEX_API_BASE_URL": self.simulator.base_url,
            "PLEX_SERVER_NAME": "",
            "PLEX_CLIENT_IDENTIFIER": CLIENT_IDENTIFIER,
            "PLEX_TIMEOUT_SECONDS": str(PLEX_TIMEOUT_SECONDS),
            "INVITE_CODE": INVITE_CODE,
            "SERVER_DISPLAY_NAME": "",
            "KEY_VAULT_URL": "",
            "SITE_ORIGIN": SITE_ORIGIN,
            "ADMIN_USERNAME": ADMIN_USERNAME,
            "ADMIN_PASSWORD_HASH": self.admin_password_hash,
            "SESSION_SIGNING_KEY": uuid.uuid5(uuid.NAMESPACE_URL, self.run_id).hex * 2,
            # A client's own X-Forwarded-For entry stands in for the SWA front end; the host appends its peer.
            "TRUSTED_PROXY_HOPS": "2",
            **self.extra_env,
        }
        env["PLEX_TOKEN"] = DEMO_OWNER_TOKEN  # the simulator's public demo token, not a secret
        return env

    def start_host(self, stack: LocalStack, table_prefix: str, name: str) -> Service:
        return stack.start_functions(free_port(), self.host_env(table_prefix), name=name)

    def plex_counts(self) -> dict[str, Any]:
        return self.simulator.counts()

    def table_service(self) -> TableServiceClient:
        return TableServiceClient.from_connection_string(self.azurite_connection_string)


class HostClient:
    """One client of one functions host, over a kept-alive HTTP connection. Not for sharing between threads."""

    def __init__(self, base_url: str, forwarded_for: str = "") -> None:
        if not base_url.startswith(LOCAL_PREFIX):
            raise BenchmarkError(f"the benchmark only talks to 127.0.0.1, not {base_url}")
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.cookie = ""
        self.csrf = ""
        # The client address as the platform's front end would append it (none: every call has the same, empty one).
        self.forwarded_for = forwarded_for

    def _send(
        self, method: str, path: str, body: object | None = None, *, admin: bool = False, forwarded_for: str = ""
    ) -> tuple[requests.Response, float]:
        headers = {}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        if body is not None:
            headers["Content-Type"] = "application/json"
        if admin:
            headers["Origin"] = SITE_ORIGIN
            if self.cookie:
                headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
            if self.csrf:
                headers["X-CSRF-Token"] = self.csrf
        data = None if body is None else json.dumps(body)
        started = time.perf_counter()
        response = self.http.request(method, f"{self.base_url}/api/{path}", data=data, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)
        return response, (time.perf_counter() - started) * 1000

    def invite(self, identifier: str) -> tuple[int, float]:
        response, ms = self._send(
            "POST", "invites", {"identifier": identifier, "inviteCode": INVITE_CODE}, forwarded_for=self.forwarded_for
        )
        return response.status_code, ms

    def login(self, password: str) -> None:
        response, _ = self._send("POST", "manage/login", {"username": ADMIN_USERNAME, "password": password}, admin=True)
        _expect(response, 200, "admin sign-in")
        cookie = response.headers.get("Set-Cookie", "")
        self.cookie = cookie.split(";", 1)[0].split("=", 1)[1] if "=" in cookie else ""
        self.csrf = response.json()["csrfToken"]

    def dashboard(self) -> float:
        response, ms = self._send("GET", "manage/dashboard", admin=True)
        _expect(response, 200, "dashboard")
        return ms

    def refresh_libraries(self) -> float:
        response, ms = self._send("POST", "manage/libraries/refresh", admin=True)
        _expect(response, 200, "library refresh")
        return ms

    def close(self) -> None:
        self.http.close()


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchmarkError(f"{what}: HTTP {response.status_code} (expected {status}): {response.text[:300]}")


def invite_or_fail(client: HostClient, identifier: str) -> float:
    status, ms = client.invite(identifier)
    if status not in (200, 201):
        raise BenchmarkError(f"invite for {identifier}: HTTP {status}")
    return ms


@dataclass
class Measured:
    samples_ms: list[float]
    plex_tv: int
    pms: int
    endpoints: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)


def measure(bench: Bench, operation: Callable[[], float], count: int) -> Measured:
    """Runs `operation` (which returns its own latency in ms) `count` times and reads the simulator's counts."""
    bench.simulator.reset_counts()
    samples = [operation() for _ in range(count)]
    counts = bench.plex_counts()
    return Measured(samples, int(counts["plexTv"]), int(counts["pms"]), dict(counts["endpoints"]))


# -- scenarios -------------------------------------------------------------------------


def cold_invites(bench: Bench, repetitions: int, table_prefix: str) -> Measured:
    """The very first invite of a fresh functions host process, once per new process."""
    samples, plex_tv, pms, ready_s = [], 0, 0, []
    endpoints: dict[str, int] = {}
    for n in range(repetitions):
        stack = LocalStack(bench.log_dir)
        try:
            started = time.perf_counter()
            host = bench.start_host(stack, table_prefix, f"functions-cold-{n}")
            ready_s.append(time.perf_counter() - started)
            client = HostClient(host.url)
            bench.simulator.reset_counts()
            samples.append(invite_or_fail(client, bench.identifier()))
            counts = bench.plex_counts()
            plex_tv += int(counts["plexTv"])
            pms += int(counts["pms"])
            for name, value in counts["endpoints"].items():
                endpoints[name] = endpoints.get(name, 0) + int(value)
            client.close()
        finally:
            stack.stop()
    return Measured(samples, plex_tv, pms, endpoints, {"hostReadySeconds": ready_s})


def library_refreshes(bench: Bench, client: HostClient, count: int) -> tuple[Measured, Measured]:
    """Each cycle: POST /admin/libraries/refresh, then at once GET /admin/dashboard. Counts are kept apart."""
    refresh_ms, dashboard_ms = [], []
    refresh_counts: dict[str, int] = {}
    dashboard_counts: dict[str, int] = {}
    for _ in range(count):
        bench.simulator.reset_counts()
        refresh_ms.append(client.refresh_libraries())
        _add(refresh_counts, bench.plex_counts())
        bench.simulator.reset_counts()
        dashboard_ms.append(client.dashboard())
        _add(dashboard_counts, bench.plex_counts())
    return _from_counts(refresh_ms, refresh_counts), _from_counts(dashboard_ms, dashboard_counts)


def _add(total: dict[str, int], counts: Mapping[str, Any]) -> None:
    total["plexTv"] = total.get("plexTv", 0) + int(counts["plexTv"])
    total["pms"] = total.get("pms", 0) + int(counts["pms"])
    for name, value in counts["endpoints"].items():
        key = f"endpoint:{name}"
        total[key] = total.get(key, 0) + int(value)


def _from_counts(samples: list[float], counts: Mapping[str, int]) -> Measured:
    endpoints = {k.removeprefix("endpoint:"): v for k, v in counts.items() if k.startswith("endpoint:")}
    return Measured(samples, counts.get("plexTv", 0), counts.get("pms", 0), endpoints)


def baseline_invites(bench: Bench, count: int) -> Measured:
    """What the old Flask app did for every invite, with plexapi unmodified, in this process.

    Per request: MyPlexAccount(token, session) -> account.resource(name).connect() ->
    server.library.sections() -> account.inviteFriend(email, server, sections=[names]).
    plex.tv requests go to the simulator through a transport adapter on the session; the Plex
    Media Server connection goes to the simulator's /pms address from the resources answer.
    """
    from plexapi.myplex import MyPlexAccount

    from shared.plex.transport import PLEX_TV_ORIGINS, RedirectAdapter, pin_plex_identity

    pin_plex_identity(CLIENT_IDENTIFIER, "Helpr")

    def one() -> float:
        identifier = bench.identifier()
        started = time.perf_counter()
        session = requests.Session()  # the old app built a new account (and session) per request
        for origin in PLEX_TV_ORIGINS:
            session.mount(origin + "/", RedirectAdapter(origin, bench.simulator.base_url))
        account = MyPlexAccount(token=DEMO_OWNER_TOKEN, session=session, timeout=PLEX_TIMEOUT_SECONDS)
        server = account.resource(DEMO_SERVER_NAME).connect(timeout=PLEX_TIMEOUT_SECONDS)
        names = [section.title for section in server.library.sections()]
        account.inviteFriend(identifier, server, sections=names)
        elapsed = (time.perf_counter() - started) * 1000
        session.close()
        return elapsed

    return measure(bench, one, count)


IMPORT_CODE = (
    "import time; a = time.process_time(); w = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - w, time.process_time() - a)"
)


def import_times(repetitions: int, *, module: str = "function_app", bytecode_cache: Path | None = None) -> tuple[list[float], list[float]]:
    """Milliseconds (wall, CPU) to import `module` in a fresh interpreter, once per new process.

    With `bytecode_cache`, the app's modules are compiled once into that folder first and read from there, as in a
    process that can keep its bytecode; without it they are compiled from source on every run (this machine sets
    PYTHONDONTWRITEBYTECODE, and so does the functions host the benchmark starts)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if bytecode_cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
    code = IMPORT_CODE.format(module=module)

    def once() -> tuple[float, float]:
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise BenchmarkError(f"import {module} failed:\n{result.stderr[-2000:]}")
        wall, cpu = (float(part) * 1000 for part in result.stdout.strip().splitlines()[-1].split())
        return wall, cpu

    if bytecode_cache is not None:
        once()  # compiles into the cache
    runs = [once() for _ in range(repetitions)]
    return [wall for wall, _ in runs], [cpu for _, cpu in runs]


def fill_invite_log(bench: Bench, table_prefix: str, first: int, count: int, workers: int = 8) -> float:
    """Writes `count` log entities the way InviteLog.append does, 100 per transaction; returns the seconds taken.

    Entity n is n+1 minutes older than now, so filling more rows never changes the newest ones.
    """
    table_name = f"{table_prefix}invitelog"
    service = bench.table_service()
    service.create_table_if_not_exists(table_name)
    now = datetime.now(UTC)
    starts = range(first, first + count, LOG_BATCH)

    def write(start: int) -> None:
        rows = min(LOG_BATCH, first + count - start)
        batch = []
        for n in range(start, start + rows):
            created = now - timedelta(minutes=n + 1)
            identifier = f"filled-{n}@example.com"
            batch.append(
                (
                    "create",
                    {
                        "PartitionKey": PARTITION,
                        "RowKey": row_key_for(created),
                        "CreatedAt": created,
                        "IdentifierSubmitted": identifier,
                        "IdentifierNormalized": identifier,
                        "IdentifierKind": "email",
                        "Outcome": "invited",
                        "ErrorCode": "",
                        "ErrorMessage": "",
                        "ClientIpHash": "",
                        "InviteCode": INVITE_CODE,
                        "Libraries": json.dumps(["Movies", "TV Shows"]),
                    },
                )
            )
        table.submit_transaction(batch)

    table = service.get_table_client(table_name)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(write, start) for start in starts]:
            future.result()
    return time.perf_counter() - started


def time_recent_query(bench: Bench, table_prefix: str, count: int) -> list[float]:
    """Milliseconds for the dashboard's own invite log query (the newest rows), sent straight to Azurite from here."""
    from shared.admin.dashboard import RECENT_INVITES
    from shared.invites.log import InviteLog

    table = bench.table_service().get_table_client(f"{table_prefix}invitelog")
    log = InviteLog(lambda: table)
    log.recent(RECENT_INVITES)  # warm-up: connection and first page
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        log.recent(RECENT_INVITES)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def count_log_rows(bench: Bench, table_prefix: str, identifiers: set[str] | None = None) -> int:
    table = bench.table_service().get_table_client(f"{table_prefix}invitelog")
    entities = table.query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION}, select=["IdentifierNormalized"])
    return sum(1 for e in entities if identifiers is None or e.get("IdentifierNormalized") in identifiers)


@dataclass
class Throughput:
    sent: int
    errors: int
    statuses: dict[int, int]
    seconds: float
    samples_ms: list[float]
    plex_tv: int
    logged: int
    shared: int

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def throughput(bench: Bench, hosts: list[str], table_prefix: str, total: int, clients: int, *, distinct_addresses: bool) -> Throughput:
    """`total` invites from `clients` threads, round-robin over the hosts; then checks the log and the simulator.

    With distinct_addresses, each client thread sends its own X-Forwarded-For address (as if each were a
    different guest); without, no client address is sent, so every invite counts against one rate-limit subject.
    """
    identifiers = [bench.identifier() for _ in range(total)]
    next_index = itertools.count()
    lock = threading.Lock()
    stop = threading.Event()
    samples: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        address = f"198.51.100.{number + 1}" if distinct_addresses else ""  # TEST-NET-2, never routed
        own = {url: HostClient(url, address) for url in hosts}
        try:
            while not stop.is_set():
                with lock:
                    index = next(next_index)
                if index >= total:
                    return
                try:
                    status, ms = own[hosts[index % len(hosts)]].invite(identifiers[index])
                except requests.RequestException:
                    status, ms = 0, 0.0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status in (200, 201):
                        samples.append(ms)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            stop.set()
        finally:
            for client in own.values():
                client.close()

    bench.simulator.reset_counts()
    threads = [threading.Thread(target=worker, args=(n,), name=f"bench-client-{n}", daemon=True) for n in range(clients)]
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        stop.set()
    seconds = time.perf_counter() - started
    if failures:
        raise BenchmarkError(f"a client thread failed: {failures[0]!r}")
    plex_tv = int(bench.plex_counts()["plexTv"])
    wanted = set(identifiers)
    logged = count_log_rows(bench, table_prefix, wanted)
    shared = sum(1 for share in bench.simulator.state()["shares"] if share["invited_email"] in wanted)
    errors = sum(n for status, n in statuses.items() if status not in (200, 201))
    return Throughput(total, errors, statuses, seconds, samples, plex_tv, logged, shared)
