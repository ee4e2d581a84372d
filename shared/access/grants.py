"""People who got access through the portal: their tier, the invite they used, and when access ends."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.storage.values import utc_datetime

PARTITION = "grant"
# Characters a RowKey can't hold; older rows keyed by the identifier itself never had them.
_NOT_IN_KEYS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


def row_key_for(identifier: str) -> str:
    """Guests choose their identifier, and an email may hold `/`, `#` or `?`, which Table keys can't:
    the key is a hash, and the identifier is kept as a property."""
    return "id-" + hashlib.sha256(identifier.encode()).hexdigest()[:40]


class GrantStatus(StrEnum):
    ACTIVE = "active"
    REMOVING = "removing"  # claimed by one expiry run or a revoke; others leave it alone
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Grant:
    identifier: str  # normalised username or email
    tier_id: str
    invite_code: str
    granted_at: datetime
    expires_at: datetime | None
    status: GrantStatus
    removed_at: datetime | None = None
    removal_note: str = ""
    etag: str = ""
    row_key: str = ""  # where it is stored: rows written before keys were hashed keep theirs


class GrantConflict(Exception):
    """Someone else changed the grant first."""


class GrantStore:
    def __init__(self, table_provider: Callable[[], TableClient]) -> None:
        self._table = table_provider

    def record(self, grant: Grant) -> None:
        self._table().upsert_entity(_entity_from(grant), mode=UpdateMode.REPLACE)

    def get(self, identifier: str) -> Grant | None:
        keys = [row_key_for(identifier)]
        if identifier and not _NOT_IN_KEYS.search(identifier):
            keys.append(identifier)  # a row from before keys were hashed
        for key in keys:
            try:
                return _grant_from(self._table().get_entity(PARTITION, key))
            except ResourceNotFoundError:
                continue
        return None

    def all(self) -> list[Grant]:
        grants = [_grant_from(e) for e in self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})]
        return sorted(grants, key=lambda g: g.granted_at, reverse=True)

    def due(self, now: datetime) -> Iterator[Grant]:
        """Active grants whose access has ended by `now`."""
        entities = self._table().query_entities(
            "PartitionKey eq @pk and Status eq @status and ExpiresAt le @now",
            parameters={"pk": PARTITION, "status": str(GrantStatus.ACTIVE), "now": now},
        )
        for entity in entities:
            yield _grant_from(entity)

    def update(self, grant: Grant) -> Grant:
        """Compare-and-set against the grant as read; raises GrantConflict if it changed meanwhile."""
        try:
            metadata = self._table().update_entity(
                _entity_from(grant), mode=UpdateMode.REPLACE, etag=grant.etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError) as exc:
            raise GrantConflict(grant.identifier) from exc
        return replace(grant, etag=metadata["etag"])


def _entity_from(grant: Grant) -> dict[str, object]:
    entity: dict[str, object] = {
        "PartitionKey": PARTITION,
        "RowKey": grant.row_key or row_key_for(grant.identifier),
        "Identifier": grant.identifier,
        "TierId": grant.tier_id,
        "InviteCode": grant.invite_code,
        "GrantedAt": grant.granted_at,
        "Status": str(grant.status),
        "RemovalNote": grant.removal_note,
    }
    if grant.expires_at is not None:
        entity["ExpiresAt"] = grant.expires_at
    if grant.removed_at is not None:
        entity["RemovedAt"] = grant.removed_at
    return entity


def _grant_from(entity: dict[str, object]) -> Grant:
    return Grant(
        identifier=str(entity.get("Identifier") or entity["RowKey"]),
        tier_id=str(entity.get("TierId", "")),
        invite_code=str(entity.get("InviteCode", "")),
        granted_at=utc_datetime(entity.get("GrantedAt")) or datetime.fromtimestamp(0, UTC),
        expires_at=utc_datetime(entity.get("ExpiresAt")),
        status=GrantStatus(str(entity.get("Status", GrantStatus.ACTIVE))),
        removed_at=utc_datetime(entity.get("RemovedAt")),
        removal_note=str(entity.get("RemovalNote", "")),
        etag=str(getattr(entity, "metadata", {}).get("etag", "")),
        row_key=str(entity["RowKey"]),
    )
