"""The owner's shares as plex.tv last listed them, kept briefly so paging and filtering the people don't ask
plex.tv again, and dropped as soon as the portal itself changes a share."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.plex.errors import PlexError
from shared.plex.gateway import PlexGateway, PlexShare

SNAPSHOT_SECONDS = 45.0


@dataclass(frozen=True)
class ShareSnapshot:
    id: str
    shares: tuple[PlexShare, ...] | None  # None: plex.tv couldn't be read
    error: str = ""  # why, when it couldn't

    def share_for(self, identifier: str) -> PlexShare | None:
        return share_for(self.shares or (), identifier)


def share_for(shares: Sequence[PlexShare], identifier: str) -> PlexShare | None:
    wanted = identifier.strip().lower()
    return next((share for share in shares if wanted in share.names), None)


class ShareSnapshots:
    """One snapshot per process: a caller that names the current one (paging, a new filter) gets it back while it is
    younger than `ttl_seconds`; anyone else, or a caller after a change, gets a new read (two plex.tv requests)."""

    def __init__(
        self, gateway: Callable[[], PlexGateway], ttl_seconds: float = SNAPSHOT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._gateway = gateway
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: tuple[float, ShareSnapshot] | None = None

    def read(self, snapshot_id: str = "") -> ShareSnapshot:
        """The named snapshot while it is fresh, else a new read; plex.tv's failure is kept in the snapshot."""
        with self._lock:
            latest = self._latest
        if snapshot_id and latest is not None:
            read_at, snapshot = latest
            if snapshot.id == snapshot_id and self._clock() - read_at < self._ttl:
                return snapshot
        try:
            snapshot = ShareSnapshot(secrets.token_urlsafe(9), tuple(self._gateway().list_shares()))
        except PlexError as error:
            return ShareSnapshot("", None, error.detail)
        with self._lock:
            self._latest = (self._clock(), snapshot)
        return snapshot

    def fresh(self) -> tuple[PlexShare, ...]:
        """A new read for a change about to be made; raises PlexError when plex.tv can't be read."""
        shares = tuple(self._gateway().list_shares())
        with self._lock:
            self._latest = (self._clock(), ShareSnapshot(secrets.token_urlsafe(9), shares))
        return shares

    def forget(self) -> None:
        """The portal changed a share: the next list reads plex.tv again."""
        with self._lock:
            self._latest = None
