"""The one way the app talks to Plex: plex.tv only, connected lazily and kept warm."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from shared.config.settings import SetupRequired
from shared.plex.errors import PlexError, PlexErrorKind, classify

if TYPE_CHECKING:
    import requests
    from plexapi.myplex import MyPlexAccount, MyPlexResource

    from shared.plex.transport import LastResponseRecorder

log = logging.getLogger(__name__)

T = TypeVar("T")

# The current plex.tv lists of the owner's shares; the v1 users list misses pending invites.
PENDING_SHARES_URL = "https://clients.plex.tv/api/v2/shared_servers/owned/pending"
ACCEPTED_SHARES_URL = "https://clients.plex.tv/api/v2/shared_servers/owned/accepted"
SHARED_SERVER_URL = "https://clients.plex.tv/api/v2/shared_servers/{share_id}"
# plexapi's MyPlexAccount.FRIENDINVITE and PLEXSERVERS, written out so the module loads without plexapi (its import is
# the biggest part of a cold start; it is imported on the first Plex call instead).
FRIEND_INVITE_URL = "https://plex.tv/api/servers/{machineId}/shared_servers"
PLEX_SERVERS_URL = "https://plex.tv/api/servers/{machineId}"
_ACCEPT_JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class PlexLibrary:
    section_id: int  # plex.tv-wide id, what sharing needs
    key: str  # the server's own section key
    title: str
    type: str


@dataclass(frozen=True)
class ShareResult:
    already_shared: bool
    libraries: tuple[str, ...]
    # The new share's id (the <SharedServer id=> of the invite POST's answer), when plex.tv said it.
    share_id: int | None = None


@dataclass(frozen=True)
class PlexShare:
    id: int
    names: frozenset[str]  # lowercased email and username of the invitee
    pending: bool
    section_ids: tuple[int, ...]
    # As plex.tv shows the invitee (empty when it doesn't say: an email-only invite has no account yet).
    username: str = ""
    email: str = ""
    title: str = ""  # the display name
    thumb: str = ""  # the avatar's URL
    library_titles: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return self.title or self.username or self.email


@dataclass(frozen=True)
class SharingPermissions:
    allow_sync: bool = False
    allow_camera_upload: bool = False
    allow_channels: bool = False


@dataclass(frozen=True)
class ConnectionState:
    connected: bool = False
    server_name: str = ""
    machine_identifier: str = ""
    token_valid: bool | None = None
    last_error_kind: str = ""
    last_error: str = ""
    last_error_at: float | None = None
    last_success_at: float | None = None
    # Identifies the token in use without revealing it, so a stored alarm can tell a rotated token.
    token_fingerprint: str = ""


@dataclass(frozen=True)
class _Server:
    name: str
    machine_identifier: str


class PlexGateway:
    def __init__(
        self,
        *,
        token: Callable[[], str],
        session: requests.Session,
        recorder: LastResponseRecorder,
        timeout_seconds: float,
        server_name: str = "",
        clock: Callable[[], float] = time.time,
        on_token_change: Callable[[ConnectionState, PlexError | None], None] | None = None,
    ) -> None:
        self._on_token_change = on_token_change
        self._token_source = token
        self._token = ""
        self._session = session
        self._recorder = recorder
        self._timeout = timeout_seconds
        self._wanted_server = server_name
        self._clock = clock
        self._lock = threading.Lock()
        self._account: MyPlexAccount | None = None
        self._server: _Server | None = None
        self._sections: tuple[PlexLibrary, ...] | None = None
        self._state = ConnectionState()

    # -- public API -------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def session(self) -> requests.Session:
        """The plex.tv session (pinned identity, simulator redirect), for calls made with a guest's token."""
        return self._session

    def ensure_configured(self) -> None:
        """Raises SetupRequired, before anything else is done, while no owner token is configured."""
        self._use_current_token()

    def server_name(self) -> str:
        return self._call(lambda: self._ensure_server().name)

    def libraries(self, *, refresh: bool = False) -> list[PlexLibrary]:
        return list(self._call(lambda: self._ensure_sections(refresh=refresh)))

    def check_connection(self) -> ConnectionState:
        """Confirms the owner token and server with plex.tv (re-reading the account)."""

        def check() -> None:
            with self._lock:
                self._account = None
                self._server = None
            self._ensure_server()

        self._call(check)
        return self._state

    def invite(
        self,
        identifier: str,
        section_ids: Sequence[int],
        permissions: SharingPermissions = SharingPermissions(),
    ) -> ShareResult:
        """Shares the chosen libraries (all of them when none are chosen) with a Plex user or email."""

        def send() -> ShareResult:
            account, server = self._ensure_account(), self._ensure_server()
            libraries = self._resolve_sections(section_ids)
            body = {
                "server_id": server.machine_identifier,
                "shared_server": {
                    "library_section_ids": [library.section_id for library in libraries],
                    "invited_email": identifier,
                },
                "sharing_settings": {
                    "allowSync": _flag(permissions.allow_sync),
                    "allowCameraUpload": _flag(permissions.allow_camera_upload),
                    "allowChannels": _flag(permissions.allow_channels),
                    "filterMovies": "",
                    "filterTelevision": "",
                    "filterMusic": "",
                },
            }
            titles = tuple(library.title for library in libraries)
            url = FRIEND_INVITE_URL.format(machineId=server.machine_identifier)
            try:
                answer = account.query(url, self._session.post, json=body, headers={"Content-Type": "application/json"})
            except Exception as exc:  # noqa: BLE001 - sorted below
                error = classify(exc, self._recorder.last)
                if error.kind is PlexErrorKind.ALREADY_SHARED:
                    return ShareResult(already_shared=True, libraries=titles)
                if error.status == 404:
                    self._forget_server()
                # A 429 was refused unread; a timeout or 5xx may have been carried out.
                error.invite_may_exist = error.kind is PlexErrorKind.UNAVAILABLE
                raise error from None
            return ShareResult(already_shared=False, libraries=titles, share_id=_new_share_id(answer))

        return self._call(send)

    def library_titles(self, section_ids: Sequence[int]) -> tuple[str, ...]:
        return tuple(library.title for library in self._call(lambda: self._resolve_sections(section_ids)))

    def list_shares(self) -> list[PlexShare]:
        """The owner's pending and accepted shares of this server, from the current plex.tv endpoints."""

        def read() -> list[PlexShare]:
            account, server = self._ensure_account(), self._ensure_server()
            shares: list[PlexShare] = []
            for url, pending in ((PENDING_SHARES_URL, True), (ACCEPTED_SHARES_URL, False)):
                # plex.tv answers these v2 lists in XML unless asked for JSON; ask per request, never on the
                # session, whose other callers are plexapi's XML parsers.
                data = account.query(url, headers=_ACCEPT_JSON)
                shares.extend(parse_shares(data, server.machine_identifier, pending=pending))
            return shares

        return self._call(read)

    def find_share(self, identifier: str) -> PlexShare | None:
        wanted = identifier.strip().lower()
        return next((share for share in self.list_shares() if wanted in share.names), None)

    def share_exists(self, identifier: str) -> bool:
        """Whether the owner's server already has a pending or accepted share for this username or email."""
        return self.find_share(identifier) is not None

    def remove_share(self, share_id: int) -> None:
        """Ends a share, pending or accepted."""

        def remove() -> None:
            account = self._ensure_account()
            account.query(SHARED_SERVER_URL.format(share_id=share_id), self._session.delete)

        self._call(remove)

    def update_share(self, share_id: int, section_ids: Sequence[int], permissions: SharingPermissions) -> tuple[str, ...]:
        """Changes an existing share's libraries and permissions; returns the library titles."""

        def update() -> tuple[str, ...]:
            account = self._ensure_account()
            libraries = self._resolve_sections(section_ids)
            body = {
                "settings": {
                    "allowSync": permissions.allow_sync,
                    "allowCameraUpload": permissions.allow_camera_upload,
                    "allowChannels": permissions.allow_channels,
                },
                "librarySectionIds": [library.section_id for library in libraries],
            }
            account.query(SHARED_SERVER_URL.format(share_id=share_id), self._session.post, json=body, headers=_ACCEPT_JSON)
            return tuple(library.title for library in libraries)

        return self._call(update)

    # -- connection --------------------------------------------------------

    def _call(self, operation: Callable[[], T]) -> T:
        self._recorder.clear()
        self._use_current_token()
        try:
            result = operation()
        except Exception as exc:  # noqa: BLE001 - every failure is sorted into a PlexError
            error = classify(exc, self._recorder.last)
            self._note_failure(error)
            if error.kind is PlexErrorKind.UNEXPECTED and not isinstance(exc, PlexError):
                log.warning("Unexpected Plex failure: %s", type(exc).__name__)
            raise error from None
        was_valid = self._state.token_valid
        self._state = replace(self._state, token_valid=True, last_success_at=self._clock())
        if was_valid is not True:
            self._notify(None)
        return result

    def _notify(self, error: PlexError | None) -> None:
        if self._on_token_change is None:
            return
        try:
            self._on_token_change(self._state, error)
        except Exception as exc:  # noqa: BLE001 - recording the change must never fail a Plex call
            log.warning("Could not record the Plex token state: %s", type(exc).__name__)

    def _use_current_token(self) -> None:
        token = self._token_source()
        if not token:
            raise SetupRequired(
                ["PLEX_TOKEN"],
                "The Plex owner token (PLEX_TOKEN) is not configured. The owner must add it to Key Vault or the app settings.",
            )
        if token != self._token:
            # A rotated token: drop everything read with the old one.
            with self._lock:
                self._token = token
                self._account = None
                self._server = None
                self._sections = None
                self._state = replace(self._state, token_valid=None, token_fingerprint=token_fingerprint(token))

    @property
    def token_fingerprint(self) -> str:
        self._use_current_token()
        return self._state.token_fingerprint

    def _ensure_account(self) -> MyPlexAccount:
        account = self._account
        if account is not None:
            return account
        with self._lock:
            if self._account is None:
                from plexapi.myplex import MyPlexAccount  # heavy: imported on the first Plex call

                self._account = MyPlexAccount(token=self._token, session=self._session, timeout=self._timeout)
            return self._account

    def _ensure_server(self) -> _Server:
        server = self._server
        if server is not None:
            return server
        account = self._ensure_account()
        with self._lock:
            if self._server is None:
                self._server = self._find_server(account.resources())
                self._state = replace(
                    self._state,
                    connected=True,
                    server_name=self._server.name,
                    machine_identifier=self._server.machine_identifier,
                )
            return self._server

    def _find_server(self, resources: list[MyPlexResource]) -> _Server:
        servers = [r for r in resources if "server" in (r.provides or "").split(",")]
        wanted = self._wanted_server.lower()
        for resource in servers:
            if wanted and wanted in (resource.name.lower(), resource.clientIdentifier.lower()):
                return _Server(resource.name, resource.clientIdentifier)
            if not wanted and resource.owned:
                return _Server(resource.name, resource.clientIdentifier)
        names = ", ".join(sorted(r.name for r in servers if r.owned)) or "none"
        target = f"named {self._wanted_server!r}" if wanted else "owned by this account"
        raise PlexError(
            PlexErrorKind.UNEXPECTED,
            f"No Plex Media Server {target} was found on the owner's account (servers: {names}). Check PLEX_SERVER_NAME.",
        )

    def _ensure_sections(self, *, refresh: bool = False) -> tuple[PlexLibrary, ...]:
        sections = self._sections
        if sections is not None and not refresh:
            return sections
        account, server = self._ensure_account(), self._ensure_server()
        data = account.query(PLEX_SERVERS_URL.format(machineId=server.machine_identifier))
        loaded = tuple(
            PlexLibrary(
                section_id=int(element.attrib["id"]),
                key=element.attrib.get("key", ""),
                title=element.attrib.get("title", ""),
                type=element.attrib.get("type", ""),
            )
            for element in (data[0] if len(data) else [])
            if re.fullmatch(r"[0-9]+", element.attrib.get("id", ""))
        )
        with self._lock:
            self._sections = loaded
        return loaded

    def _resolve_sections(self, section_ids: Sequence[int]) -> list[PlexLibrary]:
        sections = self._ensure_sections()
        if not section_ids:
            chosen = list(sections)
        else:
            wanted = set(section_ids)
            if not wanted <= {s.section_id for s in sections}:
                # A library may have been added since the list was cached.
                sections = self._ensure_sections(refresh=True)
            chosen = [s for s in sections if s.section_id in wanted]
        if not chosen:
            raise PlexError(
                PlexErrorKind.UNEXPECTED,
                "None of the libraries chosen for invites exist on the server any more; the owner must choose again.",
            )
        return chosen

    def _forget_server(self) -> None:
        with self._lock:
            self._server = None
            self._sections = None
            self._state = replace(self._state, connected=False)

    def _note_failure(self, error: PlexError) -> None:
        if error.kind is PlexErrorKind.USER_NOT_FOUND:
            return  # the guest's mistake says nothing about the connection
        token_broken = error.kind is PlexErrorKind.INVALID_TOKEN
        if token_broken:
            # A new token must be read again; keep nothing tied to the old one.
            with self._lock:
                self._account = None
        was_valid = self._state.token_valid
        self._state = replace(
            self._state,
            token_valid=False if token_broken else was_valid,
            last_error_kind=str(error.kind),
            last_error=error.detail,
            last_error_at=self._clock(),
        )
        if token_broken and was_valid is not False:
            self._notify(error)


def token_fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _flag(value: bool) -> str:
    return "1" if value else "0"


# -- the owner's share lists ------------------------------------------------------------------------------


def parse_shares(data: object, machine_identifier: str, *, pending: bool) -> list[PlexShare]:
    """The shares of one server in an owned/pending or owned/accepted answer, JSON (asked for) or XML (if plex.tv
    answers XML anyway). Entries for other servers, and entries without a numeric id, are skipped."""
    if isinstance(data, ET.Element):
        items = [_xml_share(element) for element in data.iter() if element.tag.lower() == "sharedserver"]
    elif isinstance(data, list):
        items = [item for item in data if isinstance(item, dict)]
    elif isinstance(data, dict):
        # Assumption (not seen): a wrapped list, {"sharedServers": [...]}.
        listed = data.get("sharedServers") or data.get("SharedServer") or []
        items = [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
    else:
        items = []  # empty body, text
    shares = []
    for item in items:
        if str(item.get("machineIdentifier") or machine_identifier) != machine_identifier:
            continue
        share = _share(item, pending)
        if share is not None:
            shares.append(share)
    return shares


def _share(item: dict[str, Any], pending: bool) -> PlexShare | None:
    # JSON field names as Wizarr reads them (app/services/media/plex.py _get_share_data: "id", "machineIdentifier",
    # "invitedEmail", "invited" {"username", "email"}, "libraries" [{"id", "title"}]).
    share_id = _int(item.get("id"))
    if share_id is None:
        return None
    listed_invited, listed_libraries = item.get("invited"), item.get("libraries")
    invited = listed_invited if isinstance(listed_invited, dict) else {}
    names = (item.get("invitedEmail"), invited.get("username"), invited.get("email"), invited.get("title"))
    libraries = listed_libraries if isinstance(listed_libraries, list) else []
    # "librarySectionIds" is the field the update POST takes; accepted here too in case a list carries it.
    raw_ids = [lib.get("id") for lib in libraries if isinstance(lib, dict)] or list(item.get("librarySectionIds") or ())
    section_ids = tuple(i for i in (_int(raw) for raw in raw_ids) if i is not None)
    # "invited" carries username, email, title and thumb in Agregarr's V2InvitedUser and Hubarr's getSharedUsers.
    return PlexShare(
        id=share_id,
        names=frozenset(str(name).strip().lower() for name in names if name),
        pending=pending,
        section_ids=section_ids,
        username=_text(invited.get("username")),
        email=_text(invited.get("email")) or _text(item.get("invitedEmail")),
        title=_text(invited.get("title")),
        thumb=_text(invited.get("thumb")),
        library_titles=tuple(_text(lib.get("title")) for lib in libraries if isinstance(lib, dict) and lib.get("title")),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _xml_share(element: ET.Element) -> dict[str, Any]:
    """One <sharedServer> as the JSON-shaped dict _share reads. Attribute names as Agregarr and Hubarr read
    plex.tv's XML (sharedServer: id, invitedId, invitedEmail, machineIdentifier; child <invited>: id, username,
    email, title)."""
    item: dict[str, Any] = dict(element.attrib)
    invited = next((child for child in element if child.tag.lower() == "invited"), None)
    if invited is not None:
        item["invited"] = dict(invited.attrib)
    # Assumption: no XML sample showed a share's libraries; take any <library>/<Section> element with an id
    # outside <invited> (e.g. <libraries><library id=".."/></libraries>).
    item["libraries"] = [
        dict(node.attrib)
        for child in element
        if child is not invited
        for node in child.iter()
        if node.tag.lower() in ("library", "section") and "id" in node.attrib
    ]
    return item


def _new_share_id(answer: object) -> int | None:
    """The id in the invite POST's answer: <MediaContainer><SharedServer id=.../></MediaContainer> (plex-api.md)."""
    if not isinstance(answer, ET.Element):
        return None
    node = answer if answer.tag.lower() == "sharedserver" else next((e for e in answer.iter() if e.tag.lower() == "sharedserver"), None)
    return None if node is None else _int(node.attrib.get("id"))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None
