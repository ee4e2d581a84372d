"""Admin sessions: a signed, expiring token in the cookie, backed by an entity that logout deletes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.storage import registry
from shared.storage.values import utc_datetime

PARTITION = registry.ADMIN_SESSIONS.name
DEFAULT_LIFETIME = timedelta(hours=8)
# A session nobody used for this long ends, whatever its lifetime.
DEFAULT_IDLE_TIMEOUT = timedelta(minutes=60)
# Last use is written at most this often, so reading pages doesn't write on every call.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class AdminSession:
    id: str
    username: str
    csrf_token: str
    expires_at: datetime
    # Which credentials it was signed in with: a changed password or second factor ends it.
    credential_version: str = ""
    # A read-only API key calling: it sees no code that lets someone in (that would be a change by another route).
    read_only: bool = False


class SessionStore:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        signing_key: Callable[[], str],
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
        idle_timeout: timedelta = DEFAULT_IDLE_TIMEOUT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table_provider
        self._signing_key = signing_key
        self._lifetime = lifetime
        self._idle_timeout = idle_timeout
        self._clock = clock

    @property
    def lifetime(self) -> timedelta:
        return self._lifetime

    def create(self, username: str, credential_version: str = "") -> tuple[AdminSession, str]:
        session = AdminSession(
            id=secrets.token_urlsafe(24),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=(self._clock() + self._lifetime).replace(microsecond=0),
            credential_version=credential_version,
        )
        self._table().create_entity(
            {
                "PartitionKey": PARTITION,
                "RowKey": session.id,
                "Username": session.username,
                "CsrfToken": session.csrf_token,
                "ExpiresAt": session.expires_at,
                "CredentialVersion": credential_version,
                "LastSeenAt": self._clock(),
            }
        )
        return session, self._sign(session.id, session.expires_at)

    def signed(self, token: str) -> bool:
        """Whether the token carries this app's signature and hasn't expired (no storage read)."""
        return self._verified(token) is not None

    def _verified(self, token: str) -> tuple[str, datetime] | None:
        try:
            session_id, expires_raw, signature = token.split(".")
            expires_at = datetime.fromtimestamp(int(expires_raw), UTC)
        except (ValueError, OverflowError, OSError):
            return None
        expected = self._signature(session_id, expires_raw)
        if not hmac.compare_digest(signature, expected) or expires_at <= self._clock():
            return None
        return session_id, expires_at

    def resolve(self, token: str) -> AdminSession | None:
        """The live session a cookie token stands for, or None (bad signature, expired, idle too long,
        or logged out)."""
        verified = self._verified(token)
        if verified is None:
            return None
        session_id, expires_at = verified
        try:
            entity = self._table().get_entity(PARTITION, session_id)
        except ResourceNotFoundError:
            return None  # logged out: the server side forgot it
        now = self._clock()
        last_seen = utc_datetime(entity.get("LastSeenAt")) or now
        if now - last_seen >= self._idle_timeout:
            return None
        if now - last_seen >= _TOUCH_EVERY:
            with contextlib.suppress(ResourceNotFoundError):
                self._table().update_entity({"PartitionKey": PARTITION, "RowKey": session_id, "LastSeenAt": now}, mode=UpdateMode.MERGE)
        return AdminSession(session_id, entity["Username"], entity["CsrfToken"], expires_at, str(entity.get("CredentialVersion", "")))

    def rebind(self, session: AdminSession, credential_version: str) -> AdminSession:
        """Keeps the session that changed the credentials signed in; every other one has ended."""
        self._table().update_entity(
            {"PartitionKey": PARTITION, "RowKey": session.id, "CredentialVersion": credential_version}, mode=UpdateMode.MERGE
        )
        return replace(session, credential_version=credential_version)

    def revoke(self, session_id: str) -> None:
        self._table().delete_entity(PARTITION, session_id)

    def _sign(self, session_id: str, expires_at: datetime) -> str:
        expires_raw = str(int(expires_at.timestamp()))
        return f"{session_id}.{expires_raw}.{self._signature(session_id, expires_raw)}"

    def _signature(self, session_id: str, expires_raw: str) -> str:
        mac = hmac.new(self._signing_key().encode(), f"{session_id}.{expires_raw}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")
