"""Admin sessions: a signed, expiring token in the cookie, backed by an entity that logout deletes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient

PARTITION = "session"
DEFAULT_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class AdminSession:
    id: str
    username: str
    csrf_token: str
    expires_at: datetime


class SessionStore:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        signing_key: Callable[[], str],
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table_provider
        self._signing_key = signing_key
        self._lifetime = lifetime
        self._clock = clock

    @property
    def lifetime(self) -> timedelta:
        return self._lifetime

    def create(self, username: str) -> tuple[AdminSession, str]:
        session = AdminSession(
            id=secrets.token_urlsafe(24),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=(self._clock() + self._lifetime).replace(microsecond=0),
        )
        self._table().create_entity(
            {
                "PartitionKey": PARTITION,
                "RowKey": session.id,
                "Username": session.username,
                "CsrfToken": session.csrf_token,
                "ExpiresAt": session.expires_at,
            }
        )
        return session, self._sign(session.id, session.expires_at)

    def resolve(self, token: str) -> AdminSession | None:
        """The live session a cookie token stands for, or None (bad signature, expired, or logged out)."""
        try:
            session_id, expires_raw, signature = token.split(".")
            expires_at = datetime.fromtimestamp(int(expires_raw), UTC)
        except (ValueError, OverflowError, OSError):
            return None
        expected = self._signature(session_id, expires_raw)
        if not hmac.compare_digest(signature, expected) or expires_at <= self._clock():
            return None
        try:
            entity = self._table().get_entity(PARTITION, session_id)
        except ResourceNotFoundError:
            return None  # logged out: the server side forgot it
        return AdminSession(session_id, entity["Username"], entity["CsrfToken"], expires_at)

    def revoke(self, session_id: str) -> None:
        self._table().delete_entity(PARTITION, session_id)

    def _sign(self, session_id: str, expires_at: datetime) -> str:
        expires_raw = str(int(expires_at.timestamp()))
        return f"{session_id}.{expires_raw}.{self._signature(session_id, expires_raw)}"

    def _signature(self, session_id: str, expires_raw: str) -> str:
        mac = hmac.new(self._signing_key().encode(), f"{session_id}.{expires_raw}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
