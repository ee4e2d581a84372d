"""Starts the local stack: Plex simulator (demo mode), Azurite, the functions host and the SWA emulator.

Used by `devtools/run.sh`, the tests and the benchmark, so all three run the same components.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVTOOLS = ROOT / "devtools"
NODE_BIN = DEVTOOLS / "node_modules" / ".bin"
AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_connection_string(port: int, queue_port: int | None = None) -> str:
    """Azurite's tables, and its queues (notification events and their trigger) when `queue_port` is given."""
    queues = f"QueueEndpoint=http://127.0.0.1:{queue_port}/devstoreaccount1;" if queue_port else ""
    return (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={AZURITE_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;{queues}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Waits until the URL answers with any HTTP status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path


@dataclass
class LocalStack:
    log_dir: Path
    services: list[Service] = field(default_factory=list)

    def _spawn(
        self, name: str, args: list[str], url: str, env: dict[str, str] | None = None, ready_url: str | None = None, timeout: float = 60
    ) -> Service:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True
        )
        service = Service(name, process, url, log_path)
        self.services.append(service)
        try:
            wait_for_http(ready_url or url, timeout, process)
        except (RuntimeError, TimeoutError) as exc:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} did not start: {exc}\n--- {log_path} ---\n{tail}") from None
        return service

    def start_simulator(self, port: int, latency: float = 0.0) -> Service:
        url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "devtools.plex_simulator", "--port", str(port), "--latency", str(latency)]
        return self._spawn("plex-simulator", args, url, ready_url=url + "/__sim/counts", timeout=30)

    def start_azurite(self, port: int, data_dir: Path | None = None) -> Service:
        return self._start_azurite_service("table", port, data_dir, "azurite")

    def start_azurite_queue(self, port: int, data_dir: Path | None = None, name: str = "azurite-queue") -> Service:
        """Azurite's queue service: the events queue, its poison queue, and the queue trigger's polling."""
        return self._start_azurite_service("queue", port, data_dir, name)

    def _start_azurite_service(self, service: str, port: int, data_dir: Path | None, name: str) -> Service:
        args = [
            str(NODE_BIN / f"azurite-{service}"),
            f"--{service}Host",
            "127.0.0.1",
            f"--{service}Port",
            str(port),
            "--skipApiVersionCheck",
            "--disableTelemetry",
        ]
        if data_dir is None:
            args.append("--inMemoryPersistence")
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            args += ["--location", str(data_dir)]
        return self._spawn(name, args, f"http://127.0.0.1:{port}/devstoreaccount1", timeout=60)

    def start_functions(
        self,
        port: int,
        env: dict[str, str],
        name: str = "functions",
        root: Path | None = None,
        extra_args: list[str] | None = None,
        host: str = "127.0.0.1",
    ) -> Service:
        """devtools/local_host.py on the app in root (this repository's by default)."""
        args = [sys.executable, "-m", "devtools.local_host", "--host", host, "--port", str(port), *(extra_args or [])]
        if root is not None:
            args += ["--root", str(root)]
        url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        return self._spawn(name, args, url, env=env, ready_url=url + "/api/not-a-route", timeout=60)

    def start_swa(self, port: int, api_port: int) -> Service:
        args = [
            str(NODE_BIN / "swa"),
            "start",
            str(ROOT / "static_site"),
            "--api-devserver-url",
            f"http://127.0.0.1:{api_port}",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ]
        return self._spawn("swa", args, f"http://127.0.0.1:{port}", timeout=120)

    def stop(self) -> None:
        for service in reversed(self.services):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGTERM)
        for service in reversed(self.services):
            try:
                service.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
        self.services.clear()


def _local_setting(name: str) -> str:
    """A setting as the functions host will see it: the environment first, then local.settings.json."""
    if os.environ.get(name):
        return os.environ[name].strip()
    settings_file = ROOT / "local.settings.json"
    if settings_file.exists():
        return str(json.loads(settings_file.read_text(encoding="utf-8")).get("Values", {}).get(name, "")).strip()
    return ""


def _local_key(name: str) -> str:
    """A random key kept under .local/ across restarts (a signed-in admin stays signed in, and an
    encrypted TOTP secret stays readable)."""
    key_file = ROOT / ".local" / name
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


@contextlib.contextmanager
def running_stack(stack: LocalStack) -> Iterator[LocalStack]:
    try:
        yield stack
    finally:
        stack.stop()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean shutdown as Ctrl+C


def seed_demo_shares(simulator_url: str) -> None:
    """Friends the demo server already shares with outside the portal, as an owner who adopts Helpr has: the Users
    view lists them as Not managed, ready to adopt."""
    from devtools.plex_sim.control import SimulatorClient

    movies, tv = 118181361, 118181362
    plex = SimulatorClient(simulator_url)
    plex.seed_share(username="oldfriend", title="Old Friend")
    plex.seed_share(username="cousin_sam", title="Sam", section_ids=[movies, tv])
    plex.seed_share(email="auntie@example.com", pending=True, section_ids=[movies])


def run(args: argparse.Namespace) -> None:
    from devtools.plex_simulator import DEMO_OWNER_TOKEN

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # Started in the background by a shell (`devtools/run.sh &`), a process begins with SIGINT ignored: Ctrl+C or
    # `kill -INT` would then leave every service running. Stop on it all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    busy = [p for p in (args.functions_port, args.site_port, args.azurite_port, args.azurite_queue_port) if port_in_use(p)]
    if busy:
        sys.exit(f"Port(s) {', '.join(map(str, busy))} already in use: is Helpr already running? Stop it first.")
    env: dict[str, str] = {
        "AzureWebJobsStorage": azurite_connection_string(args.azurite_port, args.azurite_queue_port),
        "SITE_ORIGIN": f"http://127.0.0.1:{args.site_port}",
    }
    for name in ("SESSION_SIGNING_KEY", "DATA_ENCRYPTION_KEY"):
        if not _local_setting(name):
            env[name] = _local_key(name.lower().replace("_", "-"))
    admin_password = ""
    if not _local_setting("ADMIN_PASSWORD_HASH"):
        from shared.admin.passwords import hash_password

        admin_password = secrets.token_urlsafe(12)
        env["ADMIN_PASSWORD_HASH"] = hash_password(admin_password)
    demo = not _local_setting("PLEX_TOKEN")
    with running_stack(LocalStack(ROOT / ".local" / "logs")) as stack:
        if demo:
            simulator = stack.start_simulator(args.simulator_port)
            env["PLEX_API_BASE_URL"] = simulator.url
            env["PLEX_TOKEN"] = DEMO_OWNER_TOKEN  # the simulator's public demo token, not a secret
            seed_demo_shares(simulator.url)
        print("Starting Azurite (Table Storage)...", flush=True)
        # Demo data (the simulator's server, log and users) never shows up in a run with a real token.
        data_dir = ROOT / ".local" / ("azurite-demo" if demo else "azurite")
        stack.start_azurite(args.azurite_port, data_dir)
        print("Starting Azurite (Queue Storage: notifications)...", flush=True)
        stack.start_azurite_queue(args.azurite_queue_port, data_dir / "queues")
        print("Starting the functions host...", flush=True)
        stack.start_functions(args.functions_port, env)
        print("Starting the Static Web Apps emulator...", flush=True)
        stack.start_swa(args.site_port, args.functions_port)
        print()
        if demo:
            print("DEMO MODE: no PLEX_TOKEN is configured, so invites go to the local Plex simulator, not to plex.tv.")
            print("  Try the usernames alice, bob, carol or dave_p, or any email address.")
            print("  The server already shares with oldfriend, cousin_sam and auntie@example.com: adopt them in Users.")
            print("  Set PLEX_TOKEN in local.settings.json (or the environment) to use your real Plex server.")
        else:
            print("Using plex.tv with the PLEX_TOKEN from local.settings.json / the environment.")
        print(f"\nHelpr is running: open http://127.0.0.1:{args.site_port}/  (API: http://127.0.0.1:{args.site_port}/api/health)")
        admin_user = _local_setting("ADMIN_USERNAME") or "admin"
        if admin_password:
            print(f"Admin page: http://127.0.0.1:{args.site_port}/admin  user {admin_user!r}, password {admin_password!r}")
            print("  (a new password each start; set ADMIN_PASSWORD_HASH from `python -m devtools.hash_password` to keep one)")
        else:
            print(f"Admin page: http://127.0.0.1:{args.site_port}/admin  user {admin_user!r}, with your ADMIN_PASSWORD_HASH password")
        print(f"Logs: {stack.log_dir}.  Press Ctrl+C to stop.", flush=True)
        try:
            while all(s.process.poll() is None for s in stack.services):
                time.sleep(0.5)
            dead = [s.name for s in stack.services if s.process.poll() is not None]
            print(f"Stopped because {', '.join(dead)} exited; see {stack.log_dir}.", file=sys.stderr)
        except KeyboardInterrupt:
            print("\nStopping...")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Helpr locally.")
    parser.add_argument("--site-port", type=int, default=4280)
    parser.add_argument("--functions-port", type=int, default=7071)
    parser.add_argument("--azurite-port", type=int, default=10002)
    parser.add_argument("--azurite-queue-port", type=int, default=10001)
    parser.add_argument("--simulator-port", type=int, default=32500)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
