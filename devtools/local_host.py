"""A stand-in for `func start` that behaves like the real Functions host: serves the app on 127.0.0.1:7071.

Start-up, as on Azure:
1. The Python worker indexes the app with its own code (devtools/worker_index.py under .venv-worker). If that
   raises, the host logs "Worker failed to index functions" and loads nothing: every request is an empty 404,
   but it still listens, so the failure is visible. The result is cached in .local/worker-index/, keyed by a
   hash of the app's .py files, host.json, worker_index.py and the worker virtualenv's requirements, so
   repeated starts (the tests start many hosts) skip the subprocess.
   Without .venv-worker (no Python 3.13) the check can't run: the host says so and indexes with the app's
   own `get_functions()` instead.
2. The host rules (devtools/host_rules.py) decide which functions load and which one a request reaches.
3. Each loaded function runs from this process's own import of function_app (`app.get_functions()`).

Requests are shaped as the host shapes them (functions-host.md sections 2, 3 and 5), and a non-HTTP function
runs on `POST /admin/functions/{name}` with a JSON body, answered 202 before it runs (as in Core Tools).
Settings come from local.settings.json `Values`, as `func start` loads them; variables already set in the
environment win, so scripts and tests can override a value.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib
import inspect
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import azure.functions as func
from azure.functions.timer import TimerRequest

from devtools.host_rules import FunctionMetadata, HostError, HttpRoute, LoadedFunctions, decode_path, find_route, load_functions
from devtools.http_base import LocalHandler, LocalServer
from devtools.queue_listener import QueueListener, start_listeners

ROOT = Path(__file__).resolve().parent.parent
WORKER_PYTHON = ROOT / ".venv-worker" / "bin" / "python"
WORKER_INDEX = Path(__file__).resolve().with_name("worker_index.py")
INDEX_CACHE = ROOT / ".local" / "worker-index"
MAX_BODY_BYTES = 104_857_600  # Program.cs MaxRequestBodySize (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)
# Learn "Azure Functions HTTP trigger", Limits: "the URL length is limited to 4 KB (4,096 bytes)".
# Assumption: counted on the request target (path and query) as sent; the front end answers 414.
MAX_URL_BYTES = 4096
WORKER_FAILED = "Worker failed to index functions"

log = logging.getLogger("local_host")


def load_local_settings(path: Path, environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    if not path.exists():
        return
    values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    for name, value in values.items():
        environ.setdefault(name, str(value))


def load_host_config(root: Path) -> tuple[str, dict[str, str]]:
    host = json.loads((root / "host.json").read_text(encoding="utf-8"))
    http = host.get("extensions", {}).get("http", {})
    return str(http.get("routePrefix", "api")).strip("/"), dict(http.get("customHeaders", {}))


# -- worker indexing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerIndex:
    """The worker's answer: functions, or the error indexing raised, or why the check could not run."""

    functions: list[FunctionMetadata] | None = None
    error: str = ""  # "Type: message" when indexing raised
    unavailable: str = ""  # why the worker could not be asked at all


def _app_files(root: Path) -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        found += [Path(directory) / f for f in sorted(files) if f.endswith(".py")]
    return found


def index_cache_key(root: Path, worker_python: Path) -> str:
    """A hash of everything the worker's answer depends on: the app's code and host.json, and the worker."""
    digest = hashlib.sha256()
    stamp = worker_python.parent.parent / ".helpr-requirements"
    for extra in (WORKER_INDEX, root / "host.json", stamp):
        digest.update(extra.read_bytes() if extra.exists() else b"-")
    digest.update(f"{worker_python}\0{root}\0".encode())
    for path in _app_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _parse_worker_answer(answer: Mapping[str, Any]) -> WorkerIndex:
    if answer.get("ok"):
        return WorkerIndex(functions=[FunctionMetadata.from_json(f) for f in answer["functions"]])
    error = answer.get("error") or {}
    return WorkerIndex(error=f"{error.get('type', 'Error')}: {error.get('message', '')}")


def index_with_worker(root: Path, worker_python: Path = WORKER_PYTHON, cache_dir: Path | None = INDEX_CACHE) -> WorkerIndex:
    """Runs devtools/worker_index.py under the worker's Python (or reuses the cached answer for the same code)."""
    if not worker_python.exists():
        return WorkerIndex(unavailable=f"{worker_python} is missing: install Python 3.13 and run devtools/setup.sh (see its message)")
    key = index_cache_key(root, worker_python)
    cached = cache_dir / f"{key}.json" if cache_dir else None
    if cached and cached.exists():
        with contextlib.suppress(ValueError, KeyError, OSError):
            return _parse_worker_answer(json.loads(cached.read_text(encoding="utf-8")))
    # The worker's own Python: nothing of this virtualenv may leak into it.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    command = [str(worker_python), str(WORKER_INDEX), str(root)]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return WorkerIndex(unavailable=f"running {WORKER_INDEX.name} failed: {exc}")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return WorkerIndex(unavailable=f"{WORKER_INDEX.name} exited with {done.returncode} and no answer:\n{done.stderr[-2000:]}")
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(answer), encoding="utf-8")
        partial.replace(cached)  # atomic: hosts starting side by side never read half a file
        for old in sorted(cached.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-50]:
            old.unlink(missing_ok=True)
    return _parse_worker_answer(answer)


def _own_functions(root: Path) -> list[func.Function]:
    """This process's import of function_app, found as the worker finds it (loader.index_function_app)."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module("function_app")
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise ValueError(f"function_app.py defines {len(apps)} function app instances; the worker needs exactly one")
    return list(apps[0].get_functions())


def _metadata_of(functions: list[func.Function]) -> list[FunctionMetadata]:
    # A built function always has a name (the library falls back to the Python function's); "" would fail the name check.
    return [FunctionMetadata(f.get_function_name() or "", tuple(json.loads(b) for b in f.get_raw_bindings())) for f in functions]


# -- the server -------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the host serves: routes in match order, and every loaded function's Python callable."""

    routes: list[HttpRoute] = field(default_factory=list)
    others: dict[str, FunctionMetadata] = field(default_factory=dict)
    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)


class FunctionsHost(LocalServer):
    def __init__(self, address: tuple[str, int], loaded: Loaded, custom_headers: Mapping[str, str]) -> None:
        super().__init__(address, _Handler)
        self.loaded = loaded
        self.custom_headers = dict(custom_headers)
        self.listeners: list[QueueListener] = []

    def start_queue_listeners(self, host_json: Mapping[str, Any]) -> None:
        """Queue triggers poll their queues as the host's QueueListener does (devtools/queue_listener.py)."""
        self.listeners = start_listeners(self.loaded.others, self.loaded.handlers, host_json, _call)

    def stop_queue_listeners(self) -> None:
        for listener in self.listeners:
            listener.stop()


def _call(function: Callable[..., Any], **arguments: Any) -> Any:
    """Calls a function as the worker does: its bindings as keyword arguments; a coroutine is run to the end."""
    result = function(**arguments)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return result


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def request_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased, repeated headers joined with ',' (the host's ToRpcHttp)."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def add_front_end_headers(headers: dict[str, str], peer: tuple[str, int] | tuple[str, int, int, int]) -> None:
    """What the App Service front end adds (app-service-linux-docs headers.md, azure-functions-dotnet-worker#432):
    it appends the TCP peer as `ip:port` (IPv6 as `[addr]:port`) to X-Forwarded-For and sets client-ip."""
    host, port = peer[0], peer[1]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    previous = headers.get("x-forwarded-for", "").strip()
    headers["x-forwarded-for"] = f"{previous}, {address}" if previous else address
    headers["client-ip"] = address  # overwrites whatever the client sent


def query_params(query: str) -> dict[str, str]:
    """Empty values (`?a=`, `?a`) dropped, repeated keys joined with ',' ignoring case (the host's ToRpcHttp)."""
    params: dict[str, str] = {}
    names: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        if not name or not value:
            continue
        key = names.setdefault(name.lower(), name)
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def response_parts(response: func.HttpResponse) -> tuple[list[tuple[str, str]], list[str]]:
    """The headers and Set-Cookie values the worker sends back (library http.py HttpResponseConverter.encode)."""
    headers = response.headers
    if "content-type" not in headers:
        mimetype = response.mimetype or "text/plain"
        # Charset only for text/*: application/json goes out bare.
        headers["content-type"] = f"{mimetype}; charset={response.charset}" if mimetype.startswith("text/") else mimetype
    cookies = headers.get_all("Set-Cookie") if "Set-Cookie" in headers else []
    # Repeated names collapse into one (the worker sends a map), except Set-Cookie.
    collapsed: dict[str, tuple[str, str]] = {}
    for name, value in headers.items():
        if name.lower() not in ("set-cookie", "content-length"):
            collapsed[name.lower()] = (name, value)
    return list(collapsed.values()), list(cookies)


class _Handler(LocalHandler):
    server: FunctionsHost
    methods = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"})

    def _read_body(self) -> bytes | None:
        """The body the function gets, or None when the request was refused (the answer is already sent)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(413, [], b"")  # Program.cs: Kestrel refuses bodies over the limit
            return None
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._discard_chunked()
            return b""  # ToRpcHttp passes a body only when Content-Length > 0
        return self.rfile.read(length) if length > 0 else b""

    def _discard_chunked(self) -> None:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            self.rfile.read(size + 2)

    def respond(self) -> None:
        started = time.perf_counter()
        if len(self.path.encode()) > MAX_URL_BYTES:
            self.close_connection = True
            self._send(414, [], b"")
            return
        body = self._read_body()
        if body is None:
            return
        parts = urlsplit(self.path)
        path = decode_path(parts.path)
        segments = path.strip("/").split("/")
        if len(segments) == 3 and [s.lower() for s in segments[:2]] == ["admin", "functions"] and self.command == "POST":
            self._invoke(segments[2], body)
            return
        found = find_route(self.server.loaded.routes, self.command, path)
        if found is None:
            self._send(404, [], b"")
            return
        route, values = found
        headers = request_headers(list(self.headers.items()))
        add_front_end_headers(headers, self.client_address)
        request = func.HttpRequest(
            method=self.command,
            url=f"http://{self.headers.get('Host', 'localhost')}{self.path}",
            headers=headers,
            params=query_params(parts.query),
            route_params=values,
            body=body,
        )
        try:
            response = _call(self.server.loaded.handlers[route.function], **{route.binding: request})
            if isinstance(response, str):
                response = func.HttpResponse(response)
            response_headers, cookies = response_parts(response)
            status, payload = response.status_code, response.get_body() or b""
        except Exception:
            log.exception("Executed 'Functions.%s' (Failed)", route.function)
            response_headers, cookies, status, payload = [], [], 500, b""  # ExceptionMiddleware: empty 500
        self._send(status, response_headers + [("Set-Cookie", c) for c in cookies], payload)
        log.info("%s %s -> %s (%s, %.1f ms)", self.command, parts.path, status, route.function, (time.perf_counter() - started) * 1000)

    def _invoke(self, name: str, body: bytes) -> None:
        """FunctionsController.Invoke: a JSON body is required (else 400), the name must exist (else 404), then
        202 at once while the function runs in the background; its failure only reaches the log."""
        try:
            invocation = json.loads(body) if body else None
        except ValueError:
            invocation = None
        if not isinstance(invocation, dict):
            self._send(400, [], b"")
            return
        loaded = self.server.loaded
        function = next((f for f in loaded.others.values() if f.name.lower() == name.lower()), None)
        http_function = next((r for r in loaded.routes if r.function.lower() == name.lower()), None)
        if function is None and http_function is None:
            self._send(404, [], b"")
            return
        self._send(202, [], b"")
        if function is None:
            log.error("Executed 'Functions.%s' (Failed): the stand-in runs only non-HTTP functions this way", name)
            return
        threading.Thread(target=_run_in_background, args=(function, loaded.handlers[function.name]), daemon=True).start()

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        present = {name.lower() for name, _ in headers}
        # CustomHttpHeadersMiddleware: TryAdd ignoring case, so the function's own header wins; 404/500 get them too.
        extra = [(n, v) for n, v in self.server.custom_headers.items() if n.lower() not in present]
        self.send(status, headers + extra, payload)  # one line per request is logged in respond()


def _run_in_background(function: FunctionMetadata, handler: Callable[..., Any]) -> None:
    argument = str(function.trigger.get("name", "timer"))
    log.info("Executing 'Functions.%s' (Reason='This function was programmatically called via the host APIs.')", function.name)
    started = time.perf_counter()
    try:
        _call(handler, **{argument: TimerRequest(past_due=False)})
    except Exception:
        log.exception("Executed 'Functions.%s' (Failed)", function.name)
        return
    log.info("Executed 'Functions.%s' (Succeeded, Duration=%.0fms)", function.name, (time.perf_counter() - started) * 1000)


def load_app(root: Path, prefix: str, worker_python: Path = WORKER_PYTHON, cache_dir: Path | None = INDEX_CACHE) -> Loaded:
    """The functions the host would load from the app in root; an empty Loaded when indexing fails."""
    index = index_with_worker(root, worker_python, cache_dir)
    if index.error:
        log.error("%s: %s. No functions are loaded; every request gets 404.", WORKER_FAILED, index.error)
        return Loaded()
    if index.unavailable:
        log.warning(
            "The worker indexing check could not run (%s). Functions are indexed with this process's "
            "get_functions() instead, which misses the worker's signature checks.",
            index.unavailable,
        )
    try:
        own = _own_functions(root)
    except Exception as exc:
        log.exception("%s: %s: %s. No functions are loaded; every request gets 404.", WORKER_FAILED, type(exc).__name__, exc)
        return Loaded()
    metadata = index.functions if index.functions is not None else _metadata_of(own)
    try:
        rules: LoadedFunctions = load_functions(metadata, prefix)
    except HostError as exc:
        log.error("The host could not build its HTTP routes: %s. No functions are loaded; every request gets 404.", exc)
        return Loaded()
    for name, error in rules.errors.items():
        log.error("The '%s' function is in error: %s", name, error)
    callables = {f.get_function_name(): f.get_user_function() for f in own}
    served = [r.function for r in rules.routes] + list(rules.others)
    missing = [name for name in served if name not in callables]
    if missing:
        log.error("Indexed by the worker but not found in this process's function_app: %s", ", ".join(missing))
    return Loaded(
        routes=[r for r in rules.routes if r.function in callables],
        others={n: f for n, f in rules.others.items() if n in callables},
        handlers={name: callables[name] for name in served if name in callables},
    )


def build_host(
    root: Path, host: str, port: int, worker_python: Path = WORKER_PYTHON, cache_dir: Path | None = INDEX_CACHE
) -> FunctionsHost:
    load_local_settings(root / "local.settings.json")
    prefix, custom_headers = load_host_config(root)
    server = FunctionsHost((host, port), load_app(root, prefix, worker_python, cache_dir), custom_headers)
    server.start_queue_listeners(json.loads((root / "host.json").read_text(encoding="utf-8")))
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the function app's functions locally, as the Functions host would.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--root", type=Path, default=ROOT, help="the function app folder (holds function_app.py and host.json)")
    parser.add_argument("--worker-python", type=Path, default=WORKER_PYTHON, help="Python 3.13 with azure-functions-runtime")
    parser.add_argument("--no-index-cache", action="store_true", help="always run the worker's indexing")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    root = args.root.resolve()
    server = build_host(root, args.host, args.port, args.worker_python, None if args.no_index_cache else INDEX_CACHE)
    base = f"http://{f'[{args.host}]' if ':' in args.host else args.host}:{args.port}"
    print(f"Functions ({len(server.loaded.routes) + len(server.loaded.others)} loaded):", flush=True)
    for route in server.loaded.routes:
        methods = ",".join(sorted(route.methods)) if route.methods else "all methods"
        print(f"  {route.function}: [{methods}] {base}/{route.template.text}", flush=True)
    for name, function in server.loaded.others.items():
        if function.trigger_type.lower() == "queuetrigger":
            print(f"  {name}: queueTrigger on '{function.trigger.get('queueName')}'", flush=True)
        else:
            print(f"  {name}: {function.trigger_type} (run it now: POST {base}/admin/functions/{name} with body {{}})", flush=True)
    print(f"Local functions host listening on {base}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.stop_queue_listeners()


if __name__ == "__main__":
    main()
