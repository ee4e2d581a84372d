"""Routing, latency and fault injection, token checks, and the HTTP server around them."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from devtools.http_base import LocalHandler, LocalServer
from devtools.plex_sim.control import CONTROL_PREFIX, control
from devtools.plex_sim.plextv import PlexTv
from devtools.plex_sim.pms import PMS_PREFIX, MediaServer
from devtools.plex_sim.signin import AUTH_PAGE, AUTH_SIGN_IN, GuestSignIn
from devtools.plex_sim.state import Fault, SimulatorState
from devtools.plex_sim.wire import (
    HTML,
    UNAUTHENTICATED,
    PlexError,
    Reply,
    Request,
    element,
    html_page,
    pms_unauthorized,
    v1_unauthorized,
    v2_error,
    xml_document,
)

# "v2": XML, or JSON when Accept asks for it; "v1": plex.tv XML only; "pms": the media server (XML); "page": the
# stand-in for the app.plex.tv auth page (HTML, no token).
Kind = Literal["v2", "v1", "pms", "page"]
Route = tuple[str, re.Pattern[str], str, Kind, Callable[..., Reply]]
# Who may call a route, beside the default (the owner token; the server token for the PMS):
# PIN routes are anonymous (plex-api.md: only the client identifier), the auth page too, and the routes below take
# any account's token (the owner's or a signed-in guest's).
ANONYMOUS_ROUTES = frozenset({"POST /api/v2/pins", "GET /api/v2/pins/{id}", "APP GET /auth", "APP POST /auth/sign-in"})
ANY_ACCOUNT_ROUTES = frozenset(
    {
        "GET /api/v2/user",
        "POST /api/v2/shared_servers/{id}/accept",
        "DELETE /api/v2/users/signout",
        "PUT /api/v2/user/view_state_sync",
        "GET /api/v2/user/{uuid}/settings/opt_outs",
        "POST /api/v2/user/{uuid}/settings/opt_outs",
        "PUT /api/invites/requests/{id}",
    }
)


class PlexSimulator:
    """Request handling, independent of the HTTP server, so it can be exercised directly too."""

    def __init__(self, state: SimulatorState, base_url_getter: Callable[[], str]) -> None:
        self.state = state
        tv = PlexTv(state, base_url_getter, PMS_PREFIX)
        pms = MediaServer(state)
        guest = GuestSignIn(state)
        self.routes: list[Route] = [
            ("POST", re.compile(r"/api/v2/pins/?"), "POST /api/v2/pins", "v2", guest.create_pin),
            ("GET", re.compile(r"/api/v2/pins/(?P<pid>\d+)/?"), "GET /api/v2/pins/{id}", "v2", guest.check_pin),
            ("GET", re.compile(AUTH_PAGE + "/?"), "APP GET /auth", "page", guest.auth_page),
            ("POST", re.compile(AUTH_SIGN_IN), "APP POST /auth/sign-in", "page", guest.auth_sign_in),
            (
                "POST",
                re.compile(r"/api/v2/shared_servers/(?P<sid>\d+)/accept/?"),
                "POST /api/v2/shared_servers/{id}/accept",
                "v2",
                guest.accept_share,
            ),
            ("DELETE", re.compile(r"/api/v2/users/signout/?"), "DELETE /api/v2/users/signout", "v2", guest.sign_out),
            ("PUT", re.compile(r"/api/v2/user/view_state_sync/?"), "PUT /api/v2/user/view_state_sync", "v2", guest.view_state_sync),
            (
                "GET",
                re.compile(r"/api/v2/user/(?P<uuid>[^/]+)/settings/opt_outs/?"),
                "GET /api/v2/user/{uuid}/settings/opt_outs",
                "v2",
                guest.opt_outs,
            ),
            (
                "POST",
                re.compile(r"/api/v2/user/(?P<uuid>[^/]+)/settings/opt_outs/?"),
                "POST /api/v2/user/{uuid}/settings/opt_outs",
                "v2",
                guest.set_opt_out,
            ),
            # plexapi 4.18 acceptInvite(): 410 Gone since 2025-07 (plex-api.md; python-plexapi #1536; Wizarr #672).
            ("PUT", re.compile(r"/api/invites/requests/\d+/?"), "PUT /api/invites/requests/{id}", "v1", tv.gone),
            ("GET", re.compile(r"/api/v2/user/?"), "GET /api/v2/user", "v2", tv.user),
            ("GET", re.compile(r"/api/v2/resources/?"), "GET /api/v2/resources", "v2", tv.resources),
            ("GET", re.compile(r"/api/servers/(?P<mid>[^/]+)/?"), "GET /api/servers/{machineId}", "v1", tv.server_sections),
            (
                "POST",
                re.compile(r"/api/servers/(?P<mid>[^/]+)/shared_servers/?"),
                "POST /api/servers/{machineId}/shared_servers",
                "v1",
                tv.create_share,
            ),
            ("GET", re.compile(r"/api/users/?"), "GET /api/users", "v1", tv.users),
            (
                "GET",
                re.compile(r"/api/v2/shared_servers/owned/(?P<which>pending|accepted)/?"),
                "GET /api/v2/shared_servers/owned/{pending|accepted}",
                "v2",
                tv.owned_shares,
            ),
            ("DELETE", re.compile(r"/api/v2/sharings/(?P<uid>\d+)/?"), "DELETE /api/v2/sharings/{userId}", "v2", tv.delete_sharing),
            (
                "DELETE",
                re.compile(r"/api/v2/shared_servers/(?P<sid>\d+)/?"),
                "DELETE /api/v2/shared_servers/{id}",
                "v2",
                tv.delete_shared_server,
            ),
            (
                "POST",
                re.compile(r"/api/v2/shared_servers/(?P<sid>\d+)/?"),
                "POST /api/v2/shared_servers/{id}",
                "v2",
                tv.update_shared_server,
            ),
            ("GET", re.compile(r"/api/invites/requested/?"), "GET /api/invites/requested", "v1", tv.gone),
            ("GET", re.compile(r"/api/invites/requests/?"), "GET /api/invites/requests", "v1", tv.gone),
            ("DELETE", re.compile(r"/api/friends/\d+/?"), "DELETE /api/friends/{id}", "v1", tv.gone),
            ("GET", re.compile(PMS_PREFIX + r"/?"), "PMS GET /", "pms", pms.root),
            ("GET", re.compile(PMS_PREFIX + r"/library/?"), "PMS GET /library", "pms", pms.library),
            ("GET", re.compile(PMS_PREFIX + r"/library/sections/?"), "PMS GET /library/sections", "pms", pms.sections),
        ]

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        reply = self.dispatch(Request(method, path, query, {k.lower(): v for k, v in headers.items()}, body))
        return reply.status, reply.all_headers(), reply.body

    def dispatch(self, request: Request) -> Reply:
        found = next(
            (
                (name, kind, handler, match)
                for route_method, pattern, name, kind, handler in self.routes
                if route_method == request.method and (match := pattern.fullmatch(request.path))
            ),
            None,
        )
        if found is None:
            return html_page(404, "404 Not Found")  # assumption: an unknown path gets a plain HTML 404
        name, kind, handler, match = found
        state = self.state
        with state.lock:
            state.counts[name] += 1
            state.client_identifiers[request.headers.get("x-plex-client-identifier", "")] += 1
            latency = state.latency_seconds
            fault = state.take_fault(request.method, request.path)
            generation = state.generation
        delay = latency + (fault.delay_seconds if fault else 0.0)
        if delay:
            time.sleep(delay)
        if fault and fault.status is not None and not fault.after_processing:
            return _fault_reply(fault)
        try:
            with state.lock:
                if state.generation != generation:
                    return Reply(503, "<html><body>Simulator was reset</body></html>", HTML)
                if name in ANY_ACCOUNT_ROUTES:
                    if state.account_for_token(request.token) is None:
                        raise _unauthorized(kind, request)
                elif name not in ANONYMOUS_ROUTES:
                    expected = state.server_token if kind == "pms" else state.owner_token
                    if request.token != expected:
                        raise _unauthorized(kind, request)
                reply = handler(request, **match.groupdict())
        except PlexError as error:
            return error.reply
        if fault and fault.status is not None:
            return _fault_reply(fault)
        return reply


def _unauthorized(kind: Kind, request: Request) -> PlexError:
    if kind in ("v2", "page"):
        return v2_error(request, 401, *UNAUTHENTICATED)
    if kind == "v1":
        return v1_unauthorized()
    return pms_unauthorized()


def _fault_reply(fault: Fault) -> Reply:
    """An injected failure, shaped like the proxies and plex.tv answers they stand for (unchanged control API)."""
    if fault.status is None:
        raise ValueError("a delay-only fault has no reply of its own")
    headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
    if fault.body is not None:
        return Reply(fault.status, fault.body, HTML, headers)
    if fault.status == 429:
        return Reply(fault.status, "<html><body><h1>429 Too Many Requests</h1></body></html>", HTML, headers)
    if 400 <= fault.status < 500:
        body = xml_document(element("Response", {"code": fault.status, "status": "Injected fault"}))
        return Reply(fault.status, body, "application/xml", headers)
    return Reply(fault.status, f"<html><body><h1>{fault.status} Error</h1></body></html>", HTML, headers)


class _Handler(LocalHandler):
    server: SimulatorServer
    methods = frozenset({"GET", "POST", "PUT", "DELETE"})

    def respond(self) -> None:
        parts = urlsplit(self.path)
        body = self.read_body()
        if parts.path.startswith(CONTROL_PREFIX):
            try:
                status, data = control(self.server.state, self.command, parts.path[len(CONTROL_PREFIX) :], body)
            except (ValueError, KeyError, TypeError) as exc:
                status, data = 400, {"error": f"bad control request: {exc}"}
            self._send(status, {"Content-Type": "application/json"}, json.dumps(data))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, response_headers, text = self.server.simulator.handle(self.command, parts.path, parse_qs(parts.query), headers, body)
        self._send(status, response_headers, text)

    def _send(self, status: int, headers: dict[str, str], text: str) -> None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"  # plex.tv's odd statuses (520, 522) still get a reason phrase
        self.send(status, headers.items(), text.encode("utf-8"), reason=reason)


class SimulatorServer(LocalServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.verbose = verbose
        self.state = SimulatorState()
        self.simulator = PlexSimulator(self.state, lambda: self.base_url)

    @property
    def base_url(self) -> str:
        return self.url


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Plex simulator (plex.tv + one Plex Media Server).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32500)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every Plex request")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = SimulatorServer(args.host, args.port, verbose=args.verbose)
    server.state.latency_seconds = args.latency
    print(f"Plex simulator on {server.base_url} (owner token: the demo token)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
