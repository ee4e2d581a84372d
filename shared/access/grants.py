"""People who got access through the portal: their tier, the invite they used, and when access ends."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.errors import DomainError, ErrorKind
from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.GRANTS.name
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


class GrantConflict(DomainError):
    """Someone else changed the grant first."""

    default_kind = ErrorKind.CONFLICT

    def __init__(self, identifier: str) -> None:
        super().__init__("changed_meanwhile", "This person's access was changed at the same moment. Reload the list and try again.")
        self.identifier = identifier


class GrantStore:
    def __init__(self, table_provider: Callable[[], TableClient]) -> None:
        self._table = table_provider

    def record(self, grant: Grant) -> None:
        self._table().upsert_entity(_entity_from(grant), mode=UpdateMode.REPLACE)

    def add(self, grant: Grant) -> Grant:
        """Records a grant for someone with no row yet; raises GrantConflict when one was written meanwhile."""
        try:
            metadata = self._table().create_entity(_entity_from(grant))
        except ResourceExistsError as exc:
            raise GrantConflict(grant.identifier) from exc
        return replace(grant, etag=metadata["etag"], row_key=grant.row_key or row_key_for(grant.identifier))

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


# Properties: Identifier, TierId, InviteCode, GrantedAt, Status, RemovalNote, and ExpiresAt and RemovedAt when set.
_ENTITY = EntityMapper(Grant, row_key="row_key", etag="etag", missing={"status": GrantStatus.ACTIVE})


def _entity_from(grant: Grant) -> dict[str, object]:
    return _ENTITY.to_entity(grant, partition=PARTITION, row_key=grant.row_key or row_key_for(grant.identifier))


def _grant_from(entity: Mapping[str, object]) -> Grant:
    grant = _ENTITY.from_entity(entity)
    # Rows from before the identifier was a property are keyed by it.
    return grant if grant.identifier else replace(grant, identifier=grant.row_key)
