"""The audit trail: one row per admin change, newest first within one partition.

A row says who (the admin's name, "key:<name>" for an API key, or "timer"), what (an action name),
the target, a short redacted summary, when, from where (a keyed hash of the address, as in the invite
log) and the outcome ("ok" or the error code). Recording never fails the change it records: a failed
write is logged and dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from azure.data.tables import TableClient

from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.AUDIT_LOG.name
# RowKeys sort ascending; subtracting from a fixed maximum puts the newest first (as in the invite log).
_MAX_MICROSECONDS = 10**19 - 1
MAX_ACTOR = 80
MAX_ACTION = 80
MAX_TARGET = 200
MAX_DETAIL = 600
OK = "ok"
TIMER = "timer"
EXPIRE_ACCESS = "expire_access"  # the expiry timer's action
SIGN_IN = "sign_in"

log = logging.getLogger("helpr.audit")


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    target: str = ""
    detail: str = ""
    outcome: str = OK
    address_hash: str = ""
    at: datetime | None = None
    id: str = ""


def row_key_for(at: datetime) -> str:
    return f"{_MAX_MICROSECONDS - _micros(at):019d}-{uuid.uuid4().hex[:12]}"


def first_row_key_before(at: datetime) -> str:
    """The lowest RowKey a row recorded before `at` can have: older rows sort after newer ones."""
    return f"{_MAX_MICROSECONDS - _micros(at) + 1:019d}"


def _micros(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


class AuditTrail:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        *,
        address_key: Callable[[], bytes],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table_provider
        self._address_key = address_key
        self._clock = clock

    def address_hash(self, client_ip: str) -> str:
        """The same keyed hash the invite log keeps, so one address can be followed across both."""
        if not client_ip:
            return ""
        return hmac.new(self._address_key(), client_ip.encode(), hashlib.sha256).hexdigest()[:32]

    def record(self, entry: AuditEntry, client_ip: str = "") -> AuditEntry | None:
        """Appends the entry; returns it as stored, or None when it couldn't be written (logged, never raised)."""
        try:
            at = entry.at or self._clock()
            stored = replace(
                entry,
                at=at,
                id=entry.id or row_key_for(at),
                actor=entry.actor[:MAX_ACTOR],
                action=entry.action[:MAX_ACTION],
                target=entry.target[:MAX_TARGET],
                detail=entry.detail[:MAX_DETAIL],
                outcome=entry.outcome[:MAX_ACTION],
                address_hash=entry.address_hash or self.address_hash(client_ip),
            )
            self._table().create_entity(_ENTITY.to_entity(stored, partition=PARTITION, row_key=stored.id))
            return stored
        except Exception as error:  # noqa: BLE001 - the change itself is done: a lost audit row must not turn it into an error
            log.error("Could not write an audit row for %s: %s", entry.action[:MAX_ACTION], type(error).__name__)
            return None

    def page(
        self,
        *,
        limit: int,
        cursor: dict[str, str] | None = None,
        actor: str = "",
        action: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[AuditEntry], dict[str, str] | None]:
        """One page, newest first, and the continuation for the next. The date range is a RowKey range."""
        query = "PartitionKey eq @pk"
        parameters: dict[str, Any] = {"pk": PARTITION}
        if since is not None:
            query += " and RowKey lt @newest_excluded"
            parameters["newest_excluded"] = first_row_key_before(since)
        if until is not None:
            query += " and RowKey ge @oldest_included"
            parameters["oldest_included"] = first_row_key_before(until)
        if actor:
            query += " and Actor eq @actor"
            parameters["actor"] = actor
        if action:
            query += " and Action eq @action"
            parameters["action"] = action
        entries: list[AuditEntry] = []
        token = cursor
        while len(entries) < limit:
            pages = self._table().query_entities(
                query, parameters=parameters, results_per_page=min(limit - len(entries), registry.MAX_RESULTS_PER_PAGE)
            )
            by_page = pages.by_page(continuation_token=cast("str | None", token))
            entries.extend(_ENTITY.from_entity(entity) for entity in next(by_page, []))
            next_token: object = getattr(by_page, "continuation_token", None)
            token = next_token if isinstance(next_token, dict) and next_token else None
            if not token:
                break
        return entries, token


_ENTITY = EntityMapper(AuditEntry, row_key="id", names={"at": "At"})

# Names of request fields whose values are never recorded: credentials, codes, channel URLs, keys.
_SECRET_NAME_PARTS = ("password", "secret", "token", "totp", "recovery", "url", "apikey", "apprise", "cookie")
_SECRET_NAMES = frozenset({"code", "key", "pin"})
_REDACTED = "[redacted]"
_MAX_TEXT = 60
_MAX_ITEMS = 10
_MAX_DEPTH = 6


def redacted(value: object, depth: int = 0) -> object:
    """A short copy of a request body for the trail: secrets replaced, long text cut, long lists shortened,
    nesting cut at a few levels (a deeply nested body must not exhaust the stack)."""
    if depth > _MAX_DEPTH and isinstance(value, Mapping | list | tuple):
        return "…"
    if isinstance(value, Mapping):
        return {
            str(name)[:_MAX_TEXT]: _REDACTED if is_secret_name(str(name)) else redacted(item, depth + 1)
            for name, item in list(value.items())[: _MAX_ITEMS * 2]
        }
    if isinstance(value, list | tuple):
        items = [redacted(item, depth + 1) for item in list(value)[:_MAX_ITEMS]]
        return [*items, f"+{len(value) - _MAX_ITEMS} more"] if len(value) > _MAX_ITEMS else items
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return type(value).__name__


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(part in lowered for part in _SECRET_NAME_PARTS)
