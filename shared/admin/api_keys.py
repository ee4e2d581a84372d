"""Admin API keys: named, read-only or read-write, shown once, stored as a keyed hash.

A key reads `helpr_<id>_<secret>`. The id is public and is the row key, so checking a key is one
point read; the secret is 32 random bytes, stored only as an HMAC-SHA256 with a key derived from
DATA_ENCRYPTION_KEY (shared.admin.secret_box), so a copy of the table can't be used. Bad keys are
counted per address with the sign-in throttle; a valid key is never slowed down by someone
else's bad ones.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.admin.secret_box import SecretBox
from shared.admin.throttle import ADDRESS_POLICY, LoginThrottle, Subject, subject
from shared.errors import DomainError, ErrorKind
from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.API_KEYS.name
PREFIX = "helpr_"
MAX_KEYS = 25
MAX_NAME_LENGTH = 60
# Last use is written at most this often, so a script's burst of calls doesn't write on every call.
TOUCH_EVERY = timedelta(minutes=1)
_KEY_SHAPE = re.compile(r"helpr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


class KeyScope(StrEnum):
    READ = "read"
    WRITE = "read-write"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scope: KeyScope
    created_at: datetime
    last_used_at: datetime | None = None
    secret_hash: str = ""

    @property
    def actor(self) -> str:
        """How the audit trail names what this key did."""
        return f"key:{self.name}"


class ApiKeyError(DomainError):
    default_kind = ErrorKind.UNAUTHENTICATED


def invalid_key() -> ApiKeyError:
    return ApiKeyError("invalid_api_key", "That API key isn't valid: it may have been revoked. Create a new one in Settings → API keys.")


class ApiKeys:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        box: SecretBox,
        throttle: LoginThrottle,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table_provider
        self._box = box
        self._throttle = throttle
        self._clock = clock

    def create(self, name: str, scope: str) -> tuple[ApiKey, str]:
        """A new key and its full text, which is shown this once and never stored."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME_LENGTH:
            raise DomainError(
                "invalid_key_name", f"Name the key (1 to {MAX_NAME_LENGTH} characters), e.g. the script that uses it.", field="name"
            )
        if scope not in set(KeyScope):
            raise DomainError("invalid_key_scope", "Choose the key's scope: read or read-write.", field="scope")
        existing = self.list()
        if len(existing) >= MAX_KEYS:
            raise DomainError(
                "too_many_keys", f"There are {MAX_KEYS} keys already. Revoke one you no longer use first.", kind=ErrorKind.CONFLICT
            )
        if any(key.name.lower() == name.lower() for key in existing):
            raise DomainError(
                "key_name_taken", "A key with that name exists already. Choose another name.", field="name", kind=ErrorKind.CONFLICT
            )
        key_id, key_secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        key = ApiKey(key_id, name, KeyScope(scope), self._clock().replace(microsecond=0), None, self._box.api_key_hash(key_secret))
        self._table().create_entity(_ENTITY.to_entity(key, partition=PARTITION, row_key=key.id))
        return key, f"{PREFIX}{key_id}_{key_secret}"

    def list(self) -> list[ApiKey]:
        entities = self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})
        return sorted((_ENTITY.from_entity(entity) for entity in entities), key=lambda key: key.created_at)

    def revoke(self, key_id: str) -> ApiKey:
        key = self._get(key_id)
        if key is None:
            raise DomainError("key_not_found", "There is no such key: it may have been revoked already.", kind=ErrorKind.NOT_FOUND)
        self._table().delete_entity(PARTITION, key.id)
        return key

    def verify(self, presented: str, client_ip: str) -> ApiKey:
        """The live key `presented` stands for; a wrong, malformed or revoked key is counted against the
        address and answered 401 (429 once the address is locked out)."""
        match = _KEY_SHAPE.fullmatch(presented.strip())
        key = self._get(match.group(1)) if match else None
        if match is None or key is None or not hmac.compare_digest(key.secret_hash, self._box.api_key_hash(match.group(2))):
            wait = self._throttle.begin([Subject(subject("apikey", client_ip or "unknown"), ADDRESS_POLICY)])
            if wait is not None:
                raise ApiKeyError(
                    "too_many_attempts",
                    f"Too many invalid API keys from this address. Try again in {max(1, int(wait))} seconds.",
                    kind=ErrorKind.RATE_LIMITED,
                    retry_after=wait,
                )
            raise invalid_key()
        now = self._clock()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            try:
                self._table().update_entity({"PartitionKey": PARTITION, "RowKey": key.id, "LastUsedAt": now}, mode=UpdateMode.MERGE)
            except ResourceNotFoundError:
                raise invalid_key() from None  # revoked at this moment
        return key

    def _get(self, key_id: str) -> ApiKey | None:
        try:
            return _ENTITY.from_entity(self._table().get_entity(PARTITION, key_id))
        except ResourceNotFoundError:
            return None


_ENTITY = EntityMapper(ApiKey, row_key="id")
