"""The simulator's state: the owner, one server and its sections, Plex accounts, shares, faults and request counts."""

from __future__ import annotations

import fnmatch
import itertools
import threading
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

DEMO_OWNER_TOKEN = "demo-owner-token"
DEMO_SERVER_NAME = "Helpr Demo Server"
DEMO_MACHINE_ID = "4f0c6a1e9b7d2c5a8e3f1b6d9c2a7e4f0b8d1c3e"
DEMO_SERVER_TOKEN = "demo-server-access-token"


@dataclass
class Account:
    id: int
    username: str
    email: str
    verified: bool = True
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    # What the guest sign-in flow may change on the account (plexapi enableViewStateSync / AccountOptOut.optOut).
    view_state_sync: bool = False
    opt_outs: dict[str, str] = field(default_factory=dict)


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
    title: str = ""  # the display name plex.tv shows, when it differs from the username

    @property
    def pending(self) -> bool:
        return self.accepted_at is None


@dataclass
class Pin:
    """A sign-in PIN (POST /api/v2/pins), claimed by the account that signs in on the auth page."""

    id: int
    code: str
    client_identifier: str
    product: str
    created_at: float
    expires_at: float
    auth_token: str = ""  # the guest's token once they signed in on the auth page
    account_id: int | None = None


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
            self.server_token = DEMO_SERVER_TOKEN
            self.sections = _demo_sections()
            self.accounts = _demo_accounts()
            self.shares: dict[int, Share] = {}
            self.share_limit = 100
            self.latency_seconds = 0.0
            self.faults: list[Fault] = []
            self.counts: Counter[str] = Counter()
            self.client_identifiers: Counter[str] = Counter()
            self._ids = itertools.count(50001)
            self.pins: dict[int, Pin] = {}
            # Tokens handed to guests who signed in, by token: the account's id. Signing out removes it.
            self.guest_tokens: dict[str, int] = {}
            # Every guest token ever issued (even signed out), so tests can look for it where it must not be.
            self.issued_guest_tokens: list[str] = []
            self.pin_lifetime_seconds = 1800.0

    def next_id(self) -> int:
        return next(self._ids)

    def find_account(self, identifier: str) -> Account | None:
        wanted = identifier.lower()
        return next((a for a in self.accounts if wanted in (a.username.lower(), a.email.lower())), None)

    def account_by_id(self, account_id: int | None) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def account_for_token(self, token: str) -> Account | None:
        """The owner for the owner token, a guest for a live guest token, else None."""
        if token and token == self.owner_token:
            return self.owner
        return self.account_by_id(self.guest_tokens.get(token)) if token else None

    def section_ids(self) -> set[int]:
        return {s.id for s in self.sections}

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, counted as hit (and dropped once used up). Call with the lock held."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.times and fault.hits >= fault.times:
                    self.faults.remove(fault)
                return fault
        return None

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "owner": asdict(self.owner),
                "server": {"name": self.server_name, "machineIdentifier": self.machine_id},
                "sections": [asdict(s) for s in self.sections],
                "accounts": [asdict(a) for a in self.accounts],
                "shares": [asdict(s) | {"pending": s.pending} for s in self.shares.values()],
                "pins": [asdict(p) for p in self.pins.values()],
                "guestTokens": list(self.guest_tokens),
                "issuedGuestTokens": list(self.issued_guest_tokens),
                "shareLimit": self.share_limit,
                "latencySeconds": self.latency_seconds,
                "faults": [asdict(f) for f in self.faults],
                "counts": dict(self.counts),
                "clientIdentifiers": dict(self.client_identifiers),
            }
