"""What the app last knew about its Plex connection, shared by every instance through Table Storage.

The dashboard and health read it without calling plex.tv; it is re-checked only when stale
(sooner after a failure), and an invite that finds the owner token broken records it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.notify.events import Event, EventKind
from shared.notify.publisher import Publisher
from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import ConnectionState, PlexGateway
from shared.storage import prefetch, registry
from shared.storage.entities import EntityMapper

PARTITION = registry.PLEX_STATUS.partition.name
ROW = registry.PLEX_STATUS.key
CHECK_INTERVAL_SECONDS = 300.0
RECHECK_AFTER_ERROR_SECONDS = 30.0
PROBE_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class PlexStatus:
    server_name: str = ""
    token_valid: bool | None = None
    last_error: str = ""
    last_error_kind: str = ""
    last_error_at: float | None = None
    checked_at: float | None = None
    token_fingerprint: str = ""
    # Since when plex.tv has not answered (None while it does), and whether the owner was told.
    unreachable_since: float | None = None
    unreachable_announced: bool = False

    @property
    def failing(self) -> bool:
        return bool(self.last_error_at and self.last_error_at >= (self.checked_at or 0.0))

    @property
    def connection(self) -> str:
        """One word for the owner: working, rejected (the token), unreachable (plex.tv), or unknown.
        A token that worked before plex.tv went away is not called working: nobody can tell now."""
        if self.token_valid is False:
            return "rejected"
        if self.failing:
            unreachable = self.last_error_kind in (PlexErrorKind.UNAVAILABLE, PlexErrorKind.RATE_LIMITED)
            return "unreachable" if unreachable else "unknown"
        return "working" if self.token_valid else "unknown"


class PlexStatusMonitor:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        gateway: Callable[[], PlexGateway],
        *,
        interval_seconds: float = CHECK_INTERVAL_SECONDS,
        error_interval_seconds: float = RECHECK_AFTER_ERROR_SECONDS,
        clock: Callable[[], float] = time.time,
        notifications: Publisher | None = None,
        unreachable_minutes: float = 15.0,
    ) -> None:
        self._notifications = notifications or Publisher()
        self._unreachable_seconds = unreachable_minutes * 60
        self._table = table_provider
        self._gateway = gateway
        self._interval = interval_seconds
        self._error_interval = error_interval_seconds
        self._clock = clock
        self._lock = threading.Lock()

    def invites_paused(self, token_fingerprint: str) -> bool:
        """The circuit breaker: while plex.tv rejects this very token, invites don't ask plex.tv again,
        except one probe per PROBE_INTERVAL_SECONDS. A rotated token closes it at once."""
        status = self._read()
        if status.token_valid is not False or status.token_fingerprint != token_fingerprint:
            return False
        return self._clock() - (status.last_error_at or 0.0) < PROBE_INTERVAL_SECONDS

    def current(self, *, force_check: bool = False) -> PlexStatus:
        status = self._read()
        if force_check or self._stale(status):
            with self._lock:
                status = self._check()
        return status

    def record_failure(self, error: PlexError, token_fingerprint: str = "") -> None:
        """Stores failures the owner must see; guest mistakes say nothing about the connection."""
        if error.kind in (PlexErrorKind.USER_NOT_FOUND, PlexErrorKind.ALREADY_SHARED):
            return
        previous = self._read()
        self._write(
            PlexStatus(
                server_name=previous.server_name,
                token_valid=False if error.kind is PlexErrorKind.INVALID_TOKEN else previous.token_valid,
                last_error=error.detail,
                last_error_kind=str(error.kind),
                last_error_at=self._clock(),
                checked_at=previous.checked_at,
                token_fingerprint=token_fingerprint or previous.token_fingerprint,
            ),
            previous,
        )

    def observe_token_change(self, state: ConnectionState, error: PlexError | None) -> None:
        """Called by the gateway when it finds the token broken or working again, so every instance sees it at once."""
        if error is not None:
            self.record_failure(error, state.token_fingerprint)
        else:
            self._write(
                PlexStatus(
                    server_name=state.server_name, token_valid=True, checked_at=self._clock(), token_fingerprint=state.token_fingerprint
                ),
                self._read(),
            )

    def _stale(self, status: PlexStatus) -> bool:
        last = max(status.checked_at or 0.0, status.last_error_at or 0.0)
        interval = self._error_interval if status.failing else self._interval
        return self._clock() - last >= interval

    def _check(self) -> PlexStatus:
        gateway = self._gateway()
        now = self._clock()
        previous = self._read()
        try:
            gateway.check_connection()
        except PlexError as error:
            status = PlexStatus(
                server_name=previous.server_name,
                token_valid=False if error.kind is PlexErrorKind.INVALID_TOKEN else previous.token_valid,
                last_error=error.detail,
                last_error_kind=str(error.kind),
                last_error_at=now,
                checked_at=previous.checked_at,
                token_fingerprint=gateway.state.token_fingerprint,
            )
        else:
            status = PlexStatus(
                server_name=gateway.state.server_name, token_valid=True, checked_at=now, token_fingerprint=gateway.state.token_fingerprint
            )
        return self._write(status, previous)

    def _read(self) -> PlexStatus:
        try:
            entity = prefetch.get_entity(self._table(), PARTITION, ROW)
        except ResourceNotFoundError:
            return PlexStatus()
        return _ENTITY.from_entity(entity)

    def _write(self, status: PlexStatus, previous: PlexStatus) -> PlexStatus:
        status = self._track_reachability(status, previous)
        self._table().upsert_entity(_ENTITY.to_entity(status, partition=PARTITION, row_key=ROW), mode=UpdateMode.REPLACE)
        self._announce(status, previous)
        return status

    def _track_reachability(self, status: PlexStatus, previous: PlexStatus) -> PlexStatus:
        unreachable = status.failing and status.last_error_kind == PlexErrorKind.UNAVAILABLE
        if not unreachable:
            return status if status.failing else replace(status, unreachable_since=None, unreachable_announced=False)
        since = previous.unreachable_since or status.last_error_at or self._clock()
        return replace(status, unreachable_since=since, unreachable_announced=previous.unreachable_announced)

    def _announce(self, status: PlexStatus, previous: PlexStatus) -> None:
        """Tells the owner when the token breaks or works again, and when plex.tv stays away too long or comes back.
        Each episode's event id comes from the stored status, so instances that see the same change at once
        send the same id, and delivery (once per event id and channel) posts it once."""
        notify = self._notifications
        episode = int(previous.checked_at or 0)
        if status.token_valid is False and previous.token_valid is not False:
            facts: dict[str, str | int | list[str]] = {"detail": status.last_error[:200]}
            notify.publish(Event.create(EventKind.TOKEN_REJECTED, facts, event_id=f"token_rejected-{status.token_fingerprint}-{episode}"))
        elif status.token_valid is True and previous.token_valid is False:
            notify.publish(Event.create(EventKind.TOKEN_WORKING, {}, event_id=f"token_working-{previous.token_fingerprint}-{episode}"))
        since = status.unreachable_since
        if since is not None and not status.unreachable_announced and self._clock() - since >= self._unreachable_seconds:
            minutes = int((self._clock() - since) // 60)
            notify.publish(
                Event.create(
                    EventKind.PLEX_UNREACHABLE,
                    {"minutes": minutes, "detail": status.last_error[:200]},
                    event_id=f"plex_unreachable-{int(since)}",
                )
            )
            self._table().upsert_entity(
                _ENTITY.to_entity(replace(status, unreachable_announced=True), partition=PARTITION, row_key=ROW), mode=UpdateMode.REPLACE
            )
        if previous.unreachable_announced and previous.unreachable_since is not None and since is None:
            minutes = int((self._clock() - previous.unreachable_since) // 60)
            notify.publish(
                Event.create(EventKind.PLEX_REACHABLE, {"minutes": minutes}, event_id=f"plex_reachable-{int(previous.unreachable_since)}")
            )


# Properties: ServerName, LastError, LastErrorKind, TokenFingerprint, and TokenValid, LastErrorAt and CheckedAt when known.
_ENTITY = EntityMapper(PlexStatus)
