"""A stateful stand-in for plex.tv and one Plex Media Server, speaking the XML plexapi 4.18 expects.

It is the test double and the demo backend. Beside the Plex endpoints it has a control API
under /__sim/ to inspect state, read per-endpoint request counts, and inject latency and faults:

    GET  /__sim/state            owner, server, sections, accounts, shares, faults, counts
    GET  /__sim/counts           requests served per endpoint, plus plex.tv and PMS totals
    POST /__sim/counts/reset
    POST /__sim/reset            back to the demo state
    POST /__sim/latency          {"seconds": 0.1} added to every Plex request
    POST /__sim/faults           {"method": "POST", "path": "/api/servers/*/shared_servers", "status": 429,
                                  "retryAfter": "5", "times": 1, "delaySeconds": 0, "body": null}
                                 status null = only delay; times 0 = until cleared;
                                 "afterProcessing": true carries the request out, then answers the fault
    DELETE /__sim/faults
    POST /__sim/accounts         {"username", "email", "verified"}: a Plex account that can be invited
    POST /__sim/owner            {"token": "...", "shareLimit": 100}: rotate/expire the token, change the limit
    POST /__sim/shares/{id}/accept
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import itertools
import json
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEMO_OWNER_TOKEN = "demo-owner-token"
DEMO_SERVER_NAME = "Helpr Demo Server"
DEMO_MACHINE_ID = "4f0c6a1e9b7d2c5a8e3f1b6d9c2a7e4f0b8d1c3e"
PMS_PREFIX = "/pms"
CONTROL_PREFIX = "/__sim"

ALREADY_SHARING = "You're already sharing this server with {name}. Please edit your existing share."


@dataclass
class Account:
    id: int
    username: str
    email: str
    verified: bool = True
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])


@dataclass
class Section:
    id: int  # plex.tv-wide id
    key: int  # the server's own key
    type: str
    title: str


@dataclass
class Share:
    id: int
    invited_email: str
    user_id: int | None
    username: str
    section_ids: list[int]
    allow_sync: bool
    allow_camera_upload: bool
    allow_channels: bool
    invited_at: int
    accepted_at: int | None = None

    @property
    def pending(self) -> bool:
        return self.accepted_at is None


@dataclass
class Fault:
    method: str  # "*" or an HTTP method
    path: str  # fnmatch pattern on the path, e.g. /api/servers/*/shared_servers
    status: int | None = 500  # None: only delay the real answer
    times: int = 1  # how many requests it hits; 0 = until cleared
    retry_after: str | None = None
    delay_seconds: float = 0.0
    body: str | None = None
    # Carry the request out, then answer with the fault: the client can't tell whether it worked.
    after_processing: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


def _demo_sections() -> list[Section]:
    return [
        Section(id=118181361, key=1, type="movie", title="Movies"),
        Section(id=118181362, key=2, type="show", title="TV Shows"),
        Section(id=118181363, key=3, type="artist", title="Music"),
        Section(id=118181364, key=4, type="movie", title="Kids Movies"),
    ]


def _demo_accounts() -> list[Account]:
    return [
        Account(id=2001, username="alice", email="alice@example.com"),
        Account(id=2002, username="bob", email="bob@example.com"),
        Account(id=2003, username="carol", email="carol@example.net"),
        Account(id=2004, username="dave_p", email="dave@example.org"),
        Account(id=2005, username="newbie", email="newbie@example.com", verified=False),
    ]


class SimulatorState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            # Requests still sleeping in an injected delay belong to the old state; they must not touch the new one.
            self.generation = getattr(self, "generation", 0) + 1
            self.owner = Account(id=1, username="demo-owner", email="owner@example.com", uuid="0wner0uuid0001")
            self.owner_token = DEMO_OWNER_TOKEN
            self.server_name = DEMO_SERVER_NAME
            self.machine_id = DEMO_MACHINE_ID
            self.server_token = "demo-server-access-token"
            self.sections = _demo_sections()
            self.accounts = _demo_accounts()
            self.shares: dict[int, Share] = {}
            self.share_limit = 100
            self.latency_seconds = 0.0
            self.faults: list[Fault] = []
            self.counts: Counter[str] = Counter()
            self.client_identifiers: Counter[str] = Counter()
            self._ids = itertools.count(50001)

    def next_id(self) -> int:
        return next(self._ids)

    def find_account(self, identifier: str) -> Account | None:
        wanted = identifier.lower()
        return next((a for a in self.accounts if wanted in (a.username.lower(), a.email.lower())), None)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "owner": asdict(self.owner),
                "server": {"name": self.server_name, "machineIdentifier": self.machine_id},
                "sections": [asdict(s) for s in self.sections],
                "accounts": [asdict(a) for a in self.accounts],
                "shares": [asdict(s) | {"pending": s.pending} for s in self.shares.values()],
                "shareLimit": self.share_limit,
                "latencySeconds": self.latency_seconds,
                "faults": [asdict(f) for f in self.faults],
                "counts": dict(self.counts),
                "clientIdentifiers": dict(self.client_identifiers),
            }


class PlexError(Exception):
    def __init__(self, status: int, body: str, content_type: str = "application/xml") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type


def _xml(element: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")


def _element(tag: str, attrs: dict[str, object], *children: ET.Element) -> ET.Element:
    element = ET.Element(tag, {k: _attr(v) for k, v in attrs.items()})
    element.extend(children)
    return element


def _attr(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _response_error(status: int, message: str) -> PlexError:
    return PlexError(status, _xml(_element("Response", {"code": status, "status": message})))


UNAUTHORIZED = PlexError(401, _xml(_element("errors", {}, _element("error", {"code": 1001, "message": "User could not be authenticated"}))))


# A handler answers (status, body) as XML, or (status, body, content type).
Route = tuple[str, re.Pattern[str], str, Callable[..., tuple[Any, ...]]]


class PlexSimulator:
    """Request handling, independent of the HTTP server, so it can be exercised directly too."""

    def __init__(self, state: SimulatorState, base_url_getter: Callable[[], str]) -> None:
        self.state = state
        self._base_url = base_url_getter
        self.routes: list[Route] = [
            ("GET", re.compile(r"/api/v2/user/?"), "GET /api/v2/user", self.user),
            ("GET", re.compile(r"/api/v2/resources/?"), "GET /api/v2/resources", self.resources),
            ("GET", re.compile(r"/api/servers/(?P<mid>[^/]+)/?"), "GET /api/servers/{machineId}", self.server_sections),
            (
                "POST",
                re.compile(r"/api/servers/(?P<mid>[^/]+)/shared_servers/?"),
                "POST /api/servers/{machineId}/shared_servers",
                self.create_share,
            ),
            ("GET", re.compile(r"/api/users/?"), "GET /api/users", self.users),
            (
                "GET",
                re.compile(r"/api/v2/shared_servers/owned/(?P<which>pending|accepted)/?"),
                "GET /api/v2/shared_servers/owned/{pending|accepted}",
                self.owned_shares,
            ),
            ("DELETE", re.compile(r"/api/v2/sharings/(?P<uid>\d+)/?"), "DELETE /api/v2/sharings/{userId}", self.delete_sharing),
            (
                "DELETE",
                re.compile(r"/api/v2/shared_servers/(?P<sid>\d+)/?"),
                "DELETE /api/v2/shared_servers/{id}",
                self.delete_shared_server,
            ),
            ("POST", re.compile(r"/api/v2/shared_servers/(?P<sid>\d+)/?"), "POST /api/v2/shared_servers/{id}", self.update_shared_server),
            ("GET", re.compile(r"/api/invites/requested/?"), "GET /api/invites/requested", self.gone),
            ("GET", re.compile(r"/api/invites/requests/?"), "GET /api/invites/requests", self.gone),
            ("DELETE", re.compile(r"/api/friends/\d+/?"), "DELETE /api/friends/{id}", self.gone),
            ("GET", re.compile(PMS_PREFIX + r"/?"), "PMS GET /", self.pms_root),
            ("GET", re.compile(PMS_PREFIX + r"/library/?"), "PMS GET /library", self.pms_library),
            ("GET", re.compile(PMS_PREFIX + r"/library/sections/?"), "PMS GET /library/sections", self.pms_sections),
        ]

    # -- dispatch -------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        found = next(
            (
                (name, handler, match)
                for route_method, pattern, name, handler in self.routes
                if route_method == method and (match := pattern.fullmatch(path))
            ),
            None,
        )
        if found is None:
            return 404, {"Content-Type": "text/html"}, "<html><body><h1>404 Not Found</h1></body></html>"
        name, handler, match = found
        with self.state.lock:
            self.state.counts[name] += 1
            self.state.client_identifiers[headers.get("x-plex-client-identifier", "")] += 1
            latency = self.state.latency_seconds
            fault = self._take_fault(method, path)
            generation = self.state.generation
        delay = latency + (fault.delay_seconds if fault else 0.0)
        if delay:
            time.sleep(delay)
        if fault and fault.status is not None and not fault.after_processing:
            return self._fault_response(fault)
        token = headers.get("x-plex-token") or (query.get("X-Plex-Token") or [""])[0]
        try:
            with self.state.lock:
                if self.state.generation != generation:
                    return 503, {"Content-Type": "text/html"}, "<html><body>Simulator was reset</body></html>"
                expected = self.state.server_token if name.startswith("PMS") else self.state.owner_token
                if token != expected:
                    raise UNAUTHORIZED
                status, text, *content_type = handler(body=body, **match.groupdict())
        except PlexError as error:
            return error.status, {"Content-Type": error.content_type}, error.body
        if fault and fault.status is not None:
            return self._fault_response(fault)
        return status, {"Content-Type": content_type[0] if content_type else "application/xml"}, text

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.state.faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.times and fault.hits >= fault.times:
                    self.state.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> tuple[int, dict[str, str], str]:
        assert fault.status is not None
        headers = {"Content-Type": "text/html"}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.body is not None:
            return fault.status, headers, fault.body
        if fault.status == 429:
            return fault.status, headers, "<html><body><h1>429 Too Many Requests</h1></body></html>"
        if 400 <= fault.status < 500:
            headers["Content-Type"] = "application/xml"
            return fault.status, headers, _xml(_element("Response", {"code": fault.status, "status": "Injected fault"}))
        return fault.status, headers, f"<html><body><h1>{fault.status} Error</h1></body></html>"

    # -- plex.tv ------------------------------------------------------------------

    def user(self, body: bytes) -> tuple[int, str]:
        owner = self.state.owner
        return 200, _xml(
            _element(
                "user",
                {
                    "id": owner.id,
                    "uuid": owner.uuid,
                    "username": owner.username,
                    "title": owner.username,
                    "email": owner.email,
                    "authToken": self.state.owner_token,
                    "scrobbleTypes": "",
                    "home": False,
                    "restricted": False,
                    "mailingListActive": False,
                },
                _element("subscription", {"active": True, "status": "Active", "plan": "lifetime"}),
                _element("profile", {"autoSelectAudio": True}),
            )
        )

    def resources(self, body: bytes) -> tuple[int, str]:
        base = self._base_url()
        host = urlsplit(base)
        connection = _element(
            "connection",
            {
                "protocol": host.scheme,
                "address": host.hostname,
                "port": host.port or 80,
                "uri": base + PMS_PREFIX,
                "local": False,
                "relay": False,
                "IPv6": False,
            },
        )
        server = _element(
            "resource",
            {
                "name": self.state.server_name,
                "product": "Plex Media Server",
                "productVersion": "1.41.0.0000",
                "platform": "Linux",
                "clientIdentifier": self.state.machine_id,
                "provides": "server",
                "owned": True,
                "accessToken": self.state.server_token,
                "publicAddress": host.hostname,
                "httpsRequired": False,
                "synced": False,
                "relay": True,
                "dnsRebindingProtection": False,
                "natLoopbackSupported": False,
                "publicAddressMatches": True,
                "presence": True,
                "home": False,
            },
            _element("connections", {}, connection),
        )
        player = _element(
            "resource",
            {
                "name": "Living Room TV",
                "product": "Plex for Android (TV)",
                "clientIdentifier": "tv-client-1",
                "provides": "client,player",
                "owned": True,
            },
            _element("connections", {}),
        )
        return 200, _xml(_element("resources", {"size": 2}, server, player))

    def _require_server(self, mid: str) -> None:
        if mid != self.state.machine_id:
            raise _response_error(404, "Server not found")

    def server_sections(self, body: bytes, mid: str) -> tuple[int, str]:
        self._require_server(mid)
        sections = [_element("Section", {"id": s.id, "key": s.key, "type": s.type, "title": s.title}) for s in self.state.sections]
        server = _element("Server", {"name": self.state.server_name, "machineIdentifier": mid}, *sections)
        return 200, _xml(_element("MediaContainer", {"machineIdentifier": mid, "size": 1}, server))

    def create_share(self, body: bytes, mid: str) -> tuple[int, str]:
        self._require_server(mid)
        try:
            payload = json.loads(body or b"{}")
            shared = payload["shared_server"]
            invited = str(shared["invited_email"]).strip()
            section_ids = [int(i) for i in shared.get("library_section_ids", [])]
            settings = payload.get("sharing_settings", {})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _response_error(400, "Bad request") from None
        state = self.state
        account = state.find_account(invited)
        if account is None and "@" not in invited:
            raise _response_error(400, f"Unable to find a Plex user named {invited}.")
        if account is not None and not account.verified:
            raise _response_error(400, f"The Plex user {account.username} has not verified their email address yet.")
        for share in state.shares.values():
            if (account and share.user_id == account.id) or share.invited_email.lower() == invited.lower():
                raise _response_error(400, ALREADY_SHARING.format(name=account.username if account else invited))
        if len(state.shares) >= state.share_limit:
            raise _response_error(422, "You have reached the maximum number of users you can share with.")
        known_ids = {s.id for s in state.sections}
        if any(i not in known_ids for i in section_ids):
            raise _response_error(400, "Invalid library section id")
        share = Share(
            id=state.next_id(),
            invited_email=account.email if account else invited,
            user_id=account.id if account else None,
            username=account.username if account else "",
            section_ids=section_ids or sorted(known_ids),
            allow_sync=settings.get("allowSync") == "1",
            allow_camera_upload=settings.get("allowCameraUpload") == "1",
            allow_channels=settings.get("allowChannels") == "1",
            invited_at=int(time.time()),
        )
        state.shares[share.id] = share
        return 201, _xml(_element("MediaContainer", {"size": 1}, self._shared_server_element(share)))

    def _shared_server_element(self, share: Share) -> ET.Element:
        sections = [
            _element("Section", {"id": s.id, "key": s.key, "title": s.title, "type": s.type, "shared": s.id in share.section_ids})
            for s in self.state.sections
        ]
        return _element(
            "SharedServer",
            {
                "id": share.id,
                "username": share.username,
                "email": share.invited_email,
                "userID": share.user_id or "",
                "accessToken": "",
                "name": self.state.server_name,
                "machineIdentifier": self.state.machine_id,
                "acceptedAt": share.accepted_at or "",
                "invitedAt": share.invited_at,
                "allowSync": share.allow_sync,
                "allowCameraUpload": share.allow_camera_upload,
                "allowChannels": share.allow_channels,
                "owned": False,
            },
            *sections,
        )

    def users(self, body: bytes) -> tuple[int, str]:
        users = []
        for share in self.state.shares.values():
            if share.pending or share.user_id is None:
                continue  # the v1 list never shows invitees who have not accepted
            server = _element(
                "Server",
                {
                    "id": share.id,
                    "serverId": 9001,
                    "machineIdentifier": self.state.machine_id,
                    "name": self.state.server_name,
                    "lastSeenAt": share.accepted_at,
                    "numLibraries": len(share.section_ids),
                    "allLibraries": len(share.section_ids) == len(self.state.sections),
                    "owned": False,
                    "pending": False,
                },
            )
            users.append(
                _element(
                    "User",
                    {
                        "id": share.user_id,
                        "title": share.username,
                        "username": share.username,
                        "email": share.invited_email,
                        "thumb": "",
                        "home": False,
                        "allowSync": share.allow_sync,
                        "allowCameraUpload": share.allow_camera_upload,
                        "allowChannels": share.allow_channels,
                        "restricted": False,
                        "protected": False,
                        "filterAll": "",
                        "filterMovies": "",
                        "filterMusic": "",
                        "filterPhotos": "",
                        "filterTelevision": "",
                    },
                    server,
                )
            )
        return 200, _xml(
            _element("MediaContainer", {"friendlyName": "myPlex", "identifier": "com.plexapp.plugins.myplex", "size": len(users)}, *users)
        )

    def owned_shares(self, body: bytes, which: str) -> tuple[int, str, str]:
        # clients.plex.tv answers JSON here, unlike the v1 XML endpoints.
        shares = [s for s in self.state.shares.values() if s.pending == (which == "pending")]
        items = [
            {
                "id": share.id,
                "machineIdentifier": self.state.machine_id,
                "invitedEmail": share.invited_email,
                "invited": {"id": share.user_id, "username": share.username, "email": share.invited_email, "title": share.username},
                "librarySectionIds": share.section_ids,
                "invitedAt": share.invited_at,
                "acceptedAt": share.accepted_at,
                "settings": {
                    "allowSync": share.allow_sync,
                    "allowCameraUpload": share.allow_camera_upload,
                    "allowChannels": share.allow_channels,
                },
            }
            for share in shares
        ]
        return 200, json.dumps(items), "application/json"

    def delete_shared_server(self, body: bytes, sid: str) -> tuple[int, str]:
        if self.state.shares.pop(int(sid), None) is None:
            raise _response_error(404, "Shared server not found")
        return 204, ""

    def update_shared_server(self, body: bytes, sid: str) -> tuple[int, str, str]:
        share = self.state.shares.get(int(sid))
        if share is None:
            raise _response_error(404, "Shared server not found")
        try:
            payload = json.loads(body or b"{}")
            section_ids = [int(i) for i in payload.get("librarySectionIds", share.section_ids)]
            settings = payload.get("settings", {})
        except (ValueError, TypeError, AttributeError):
            raise _response_error(400, "Bad request") from None
        if any(i not in {s.id for s in self.state.sections} for i in section_ids):
            raise _response_error(400, "Invalid library section id")
        share.section_ids = section_ids
        share.allow_sync = bool(settings.get("allowSync", share.allow_sync))
        share.allow_camera_upload = bool(settings.get("allowCameraUpload", share.allow_camera_upload))
        share.allow_channels = bool(settings.get("allowChannels", share.allow_channels))
        return 200, json.dumps({"id": share.id, "librarySectionIds": share.section_ids}), "application/json"

    def delete_sharing(self, body: bytes, uid: str) -> tuple[int, str]:
        removed = [sid for sid, share in self.state.shares.items() if share.user_id == int(uid)]
        if not removed:
            raise _response_error(404, "Not found")
        for sid in removed:
            del self.state.shares[sid]
        return 204, ""

    def gone(self, body: bytes) -> tuple[int, str]:
        raise _response_error(410, "Gone")

    # -- Plex Media Server --------------------------------------------------------

    def pms_root(self, body: bytes) -> tuple[int, str]:
        return 200, _xml(
            _element(
                "MediaContainer",
                {
                    "size": 0,
                    "friendlyName": self.state.server_name,
                    "machineIdentifier": self.state.machine_id,
                    "myPlex": True,
                    "myPlexUsername": self.state.owner.email,
                    "version": "1.41.0.0000",
                    "platform": "Linux",
                    "allowSharing": True,
                },
            )
        )

    def pms_library(self, body: bytes) -> tuple[int, str]:
        return 200, _xml(_element("MediaContainer", {"size": 0, "title1": "Plex Library", "identifier": "com.plexapp.plugins.library"}))

    def pms_sections(self, body: bytes) -> tuple[int, str]:
        directories = [
            _element(
                "Directory",
                {
                    "key": s.key,
                    "type": s.type,
                    "title": s.title,
                    "uuid": f"sim-section-{s.key}",
                    "agent": "tv.plex.agents.none",
                    "scanner": "Plex",
                    "language": "en-US",
                },
                _element("Location", {"id": s.key, "path": f"/data/{s.title.lower().replace(' ', '-')}"}),
            )
            for s in self.state.sections
        ]
        return 200, _xml(_element("MediaContainer", {"size": len(directories), "title1": "Plex Library"}, *directories))

    # -- control API ------------------------------------------------------------------

    def control(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        state = self.state
        payload: dict[str, Any] = json.loads(body) if body else {}
        with state.lock:
            if method == "GET" and path == "/state":
                return 200, state.snapshot()
            if method == "GET" and path == "/counts":
                plex_tv = sum(n for name, n in state.counts.items() if not name.startswith("PMS"))
                return 200, {"endpoints": dict(state.counts), "plexTv": plex_tv, "pms": sum(state.counts.values()) - plex_tv}
            if method == "POST" and path == "/counts/reset":
                state.counts.clear()
                return 200, {}
            if method == "POST" and path == "/reset":
                state.reset()
                return 200, {}
            if method == "POST" and path == "/latency":
                state.latency_seconds = float(payload.get("seconds", 0))
                return 200, {"latencySeconds": state.latency_seconds}
            if method == "POST" and path == "/faults":
                fault = Fault(
                    method=str(payload.get("method", "*")).upper(),
                    path=str(payload.get("path", "*")),
                    status=None if payload.get("status", 500) is None else int(payload.get("status", 500)),
                    times=int(payload.get("times", 1)),
                    retry_after=None if payload.get("retryAfter") is None else str(payload["retryAfter"]),
                    delay_seconds=float(payload.get("delaySeconds", 0)),
                    body=payload.get("body"),
                    after_processing=bool(payload.get("afterProcessing", False)),
                )
                state.faults.append(fault)
                return 201, asdict(fault)
            if method == "DELETE" and path == "/faults":
                state.faults.clear()
                return 200, {}
            if method == "POST" and path == "/accounts":
                account = Account(
                    id=state.next_id(), username=payload["username"], email=payload["email"], verified=bool(payload.get("verified", True))
                )
                state.accounts.append(account)
                return 201, asdict(account)
            if method == "POST" and path == "/owner":
                if "token" in payload:
                    state.owner_token = str(payload["token"])
                if "shareLimit" in payload:
                    state.share_limit = int(payload["shareLimit"])
                return 200, {"shareLimit": state.share_limit}
            accept = re.fullmatch(r"/shares/(\d+)/accept", path)
            if method == "POST" and accept:
                share = state.shares.get(int(accept.group(1)))
                if share is None:
                    return 404, {"error": "no such share"}
                if share.user_id is None:
                    account = Account(id=state.next_id(), username=share.invited_email.split("@")[0], email=share.invited_email)
                    state.accounts.append(account)
                    share.user_id, share.username = account.id, account.username
                share.accepted_at = int(time.time())
                return 200, asdict(share)
        return 404, {"error": f"no control endpoint {method} {path}"}


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this a kept-alive client waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        simulator = self.server.simulator
        if parts.path.startswith(CONTROL_PREFIX):
            try:
                status, data = simulator.control(self.command, parts.path[len(CONTROL_PREFIX) :], body)
            except (ValueError, KeyError, TypeError) as exc:
                status, data = 400, {"error": f"bad control request: {exc}"}
            self._send(status, {"Content-Type": "application/json"}, json.dumps(data))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, response_headers, text = simulator.handle(self.command, parts.path, parse_qs(parts.query), headers, body)
        self._send(status, response_headers, text)

    def _send(self, status: int, headers: dict[str, str], text: str) -> None:
        payload = text.encode("utf-8")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 resets connections under load

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.verbose = verbose
        self.state = SimulatorState()
        self.simulator = PlexSimulator(self.state, lambda: self.base_url)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


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


if __name__ == "__main__":
    main()


class SimulatorClient:
    """Drives a running simulator's control API (tests and the benchmark use it)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, payload: object | None = None) -> Any:
        import urllib.request

        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.base_url}{CONTROL_PREFIX}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def counts(self) -> dict[str, Any]:
        return self._call("GET", "/counts")

    def reset_counts(self) -> None:
        self._call("POST", "/counts/reset")

    def plex_tv_requests(self) -> int:
        return int(self.counts()["plexTv"])

    def set_latency(self, seconds: float) -> None:
        self._call("POST", "/latency", {"seconds": seconds})

    def add_fault(
        self,
        path: str,
        status: int | None = 500,
        *,
        method: str = "*",
        times: int = 1,
        retry_after: str | None = None,
        delay_seconds: float = 0.0,
        body: str | None = None,
        after_processing: bool = False,
    ) -> None:
        self._call(
            "POST",
            "/faults",
            {
                "method": method,
                "path": path,
                "status": status,
                "times": times,
                "retryAfter": retry_after,
                "delaySeconds": delay_seconds,
                "body": body,
                "afterProcessing": after_processing,
            },
        )

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def add_account(self, username: str, email: str, verified: bool = True) -> dict[str, Any]:
        return self._call("POST", "/accounts", {"username": username, "email": email, "verified": verified})

    def set_owner(self, **fields: object) -> None:
        self._call("POST", "/owner", fields)

    def accept_share(self, share_id: int) -> dict[str, Any]:
        return self._call("POST", f"/shares/{share_id}/accept")
