"""A small stand-in for `func start`: serves the app's HTTP functions on 127.0.0.1:7071.

Functions are discovered with `app.get_functions()`, the same indexing data the real worker
uses. Settings come from local.settings.json `Values`, as `func start` loads them; variables
already set in the environment win, so scripts and tests can override a value.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

ROOT = Path(__file__).resolve().parent.parent
MAX_BODY_BYTES = 100 * 1024 * 1024  # the Functions host's own request limit

log = logging.getLogger("local_host")


@dataclass(frozen=True)
class HttpRoute:
    name: str
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str]
    handler: Callable[[func.HttpRequest], func.HttpResponse]


def load_local_settings(path: Path, environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    if not path.exists():
        return
    values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    for name, value in values.items():
        environ.setdefault(name, str(value))


def route_pattern(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        param = re.fullmatch(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}", segment)
        if not param:
            parts.append("/" + re.escape(segment))
            continue
        catch_all, name, constraint, optional = param.groups()
        value = ".*" if catch_all else (r"\d+" if constraint in ("int", "long") else "[^/]+")
        piece = f"/(?P<{name}>{value})"
        parts.append(f"(?:{piece})?" if optional or catch_all else piece)
    return re.compile("".join(parts) + "/?", re.IGNORECASE)


class _TimerRequest(func.TimerRequest):
    @property
    def past_due(self) -> bool:
        return False


def discover_routes(app: func.FunctionApp, prefix: str) -> tuple[list[HttpRoute], dict[str, Callable[..., object]]]:
    """The HTTP routes, and the other functions by name (started with POST /admin/functions/{name}, as on the real host)."""
    routes = []
    others: dict[str, Callable[..., object]] = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        if getattr(trigger, "type", "") != "httpTrigger":
            others[function.get_function_name()] = function.get_user_function()
            continue
        template = trigger.route or function.get_function_name()
        full = f"{prefix}/{template}" if prefix else template
        methods = frozenset(str(getattr(m, "value", m)).upper() for m in (trigger.methods or ["GET", "POST", "PUT", "DELETE", "PATCH"]))
        routes.append(HttpRoute(function.get_function_name(), full, route_pattern(full), methods, function.get_user_function()))
    return routes, others


def load_host_config(root: Path) -> tuple[str, dict[str, str]]:
    host = json.loads((root / "host.json").read_text(encoding="utf-8"))
    http = host.get("extensions", {}).get("http", {})
    return http.get("routePrefix", "api").strip("/"), dict(http.get("customHeaders", {}))


class FunctionsHost(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections under a burst of concurrent clients.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        routes: list[HttpRoute],
        custom_headers: Mapping[str, str],
        other_functions: Mapping[str, Callable[..., object]] | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.routes = routes
        self.other_functions = dict(other_functions or {})
        self.custom_headers = dict(custom_headers)


class _Handler(BaseHTTPRequestHandler):
    server: FunctionsHost
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, a kept-alive connection then
    # waits for the client's delayed ACK (about 40 ms on Linux) before the body is sent.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        started = time.perf_counter()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_json(413, {"error": {"code": "body_too_large", "message": "The request body is too large."}})
            return
        body = self.rfile.read(length) if length else b""
        admin_call = re.fullmatch(r"/admin/functions/([A-Za-z0-9_]+)", parts.path)
        if admin_call and self.command == "POST":
            self._run_other_function(admin_call.group(1))
            return
        path_matched = False
        for route in self.server.routes:
            match = route.pattern.fullmatch("/" + parts.path.lstrip("/"))
            if not match:
                continue
            path_matched = True
            if self.command not in route.methods:
                continue
            request = func.HttpRequest(
                method=self.command,
                url=f"http://{self.headers.get('Host', 'localhost')}{self.path}",
                headers=dict(self.headers.items()),
                params=dict(parse_qsl(parts.query, keep_blank_values=True)),
                route_params={k: v for k, v in match.groupdict().items() if v is not None},
                body=body,
            )
            try:
                response = route.handler(request)
            except Exception:
                log.exception("Function %s raised", route.name)
                response = func.HttpResponse("Internal Server Error", status_code=500)
            self._send_response(response)
            log.info(
                "%s %s -> %s (%s, %.1f ms)",
                self.command,
                parts.path,
                response.status_code,
                route.name,
                (time.perf_counter() - started) * 1000,
            )
            return
        if path_matched:
            self._send_json(405, {"error": {"code": "method_not_allowed", "message": f"{self.command} is not allowed here."}})
        else:
            self._send_json(404, {"error": {"code": "not_found", "message": "There is no API endpoint at this address."}})

    def _run_other_function(self, name: str) -> None:
        function = self.server.other_functions.get(name)
        if function is None:
            self._send_json(404, {"error": {"code": "not_found", "message": f"No non-HTTP function named {name}."}})
            return
        try:
            function(_TimerRequest())
        except Exception:
            log.exception("Function %s raised", name)
            self._send_json(500, {"error": {"code": "function_failed", "message": f"{name} failed; see the host log."}})
            return
        log.info("Ran %s on request", name)
        self._send_response(func.HttpResponse(status_code=202))

    def _send_response(self, response: func.HttpResponse) -> None:
        payload = response.get_body() or b""
        self.send_response(response.status_code)
        headers = {**self.server.custom_headers, **dict(response.headers.items())}
        if "content-type" not in {k.lower() for k in headers} and response.mimetype:
            headers["Content-Type"] = f"{response.mimetype}; charset={response.charset or 'utf-8'}"
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(self, status: int, data: object) -> None:
        self._send_response(func.HttpResponse(json.dumps(data), status_code=status, mimetype="application/json"))

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request is logged in _dispatch


def build_host(root: Path, host: str, port: int) -> FunctionsHost:
    sys.path.insert(0, str(root))
    load_local_settings(root / "local.settings.json")
    prefix, custom_headers = load_host_config(root)
    app = importlib.import_module("function_app").app
    routes, others = discover_routes(app, prefix)
    return FunctionsHost((host, port), routes, custom_headers, others)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the function app's HTTP functions locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--root", type=Path, default=ROOT, help="the function app folder (holds function_app.py)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    server = build_host(args.root, args.host, args.port)
    print("Functions:", flush=True)
    for route in server.routes:
        print(f"  {route.name}: [{','.join(sorted(route.methods))}] http://{args.host}:{args.port}/{route.template}", flush=True)
    for name in server.other_functions:
        print(f"  {name}: timer (run it now: POST http://{args.host}:{args.port}/admin/functions/{name})", flush=True)
    print(f"Local functions host listening on http://{args.host}:{args.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
