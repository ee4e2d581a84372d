"""The invite log: one entity per submission, newest first within one partition."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import Any, cast

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.core.paging import ItemPaged
from azure.data.tables import TableClient, TableEntity

from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.INVITE_LOG.name
# RowKeys sort ascending; subtracting from a fixed maximum puts the newest first.
_MAX_MICROSECONDS = 10**19 - 1


class InviteOutcome(StrEnum):
    INVITED = "invited"
    ALREADY_SHARED = "already_shared"
    CODE_REJECTED = "code_rejected"
    USER_NOT_FOUND = "user_not_found"
    SHARE_LIMIT = "share_limit"
    PLEX_RATE_LIMITED = "plex_rate_limited"
    PLEX_UNAVAILABLE = "plex_unavailable"
    # plex.tv may have created the share, and could not be asked whether it did.
    PLEX_UNCONFIRMED = "plex_unconfirmed"
    # Time-limited access that couldn't be stored, so its share was withdrawn again.
    NOT_RECORDED = "access_not_recorded"
    INVALID_OWNER_TOKEN = "invalid_owner_token"
    PLEX_ERROR = "plex_error"

    @property
    def succeeded(self) -> bool:
        return self in (InviteOutcome.INVITED, InviteOutcome.ALREADY_SHARED)


@dataclass(frozen=True)
class InviteRecord:
    created_at: datetime
    identifier_submitted: str
    identifier_normalized: str
    identifier_kind: str
    outcome: InviteOutcome
    error_code: str = ""
    error_message: str = ""
    client_ip_hash: str = ""
    invite_code: str = ""
    libraries: tuple[str, ...] = ()
    id: str = ""


def row_key_for(created_at: datetime) -> str:
    micros = int(created_at.timestamp() * 1_000_000)
    return f"{_MAX_MICROSECONDS - micros:019d}-{uuid.uuid4().hex[:12]}"


def first_row_key_before(at: datetime) -> str:
    """The lowest RowKey a row created before `at` can have: older rows sort after newer ones."""
    micros = int(at.timestamp() * 1_000_000)
    return f"{_MAX_MICROSECONDS - micros + 1:019d}"


class InviteLog:
    def __init__(self, table_provider: Callable[[], TableClient]) -> None:
        self._table = table_provider

    def append(self, record: InviteRecord, *, attempts: int = 3, backoff_seconds: float = 0.2) -> InviteRecord:
        """Writes the entry once. A retried write keeps its RowKey, so a write whose answer was lost
        shows up as "already exists" and counts as done: never two rows for one submission."""
        row_key = record.id or row_key_for(record.created_at)
        entity = _entity_from(record, row_key)
        for attempt in range(attempts):
            try:
                self._table().create_entity(entity)
                break
            except ResourceExistsError:
                break
            except AzureError:
                if attempt == attempts - 1:
                    raise
                time.sleep(backoff_seconds * 2**attempt)
        return replace(record, id=row_key)

    def page(
        self, *, limit: int, cursor: dict[str, str] | None = None, outcome: str = "", identifier_prefix: str = ""
    ) -> tuple[list[InviteRecord], dict[str, str] | None]:
        """One page of the log, newest first, and the continuation to pass back for the next page."""
        query = "PartitionKey eq @pk"
        parameters: dict[str, str] = {"pk": PARTITION}
        if outcome:
            query += " and Outcome eq @outcome"
            parameters["outcome"] = outcome
        if identifier_prefix:
            # A prefix match as a range: every string that starts with the prefix sorts inside it.
            query += " and IdentifierNormalized ge @low and IdentifierNormalized lt @high"
            parameters |= {"low": identifier_prefix, "high": identifier_prefix + "\uffff"}
        records: list[InviteRecord] = []
        token = cursor
        while len(records) < limit:
            entities, token = _page(
                self._table().query_entities(
                    query, parameters=parameters, results_per_page=min(limit - len(records), registry.MAX_RESULTS_PER_PAGE)
                ),
                token,
            )
            records.extend(_record_from(entity) for entity in entities)
            if not token:
                break
        return records, token

    def recent(self, limit: int = 20) -> list[InviteRecord]:
        return list(islice(self._entities(page_size=limit), limit))

    def _entities(self, page_size: int) -> Iterator[InviteRecord]:
        entities = self._table().query_entities(
            "PartitionKey eq @pk", parameters={"pk": PARTITION}, results_per_page=min(max(page_size, 1), registry.MAX_RESULTS_PER_PAGE)
        )
        for entity in entities:
            yield _record_from(entity)


def _page(entities: ItemPaged[TableEntity], cursor: dict[str, str] | None) -> tuple[list[TableEntity], dict[str, str] | None]:
    """The first page from `cursor` on, and the cursor of the next page (None after the last). The Tables SDK's
    continuation tokens are dicts of the next partition and row keys, where azure-core's annotations say str."""
    pages = entities.by_page(continuation_token=cast("str | None", cursor))
    page = list(next(pages, []))
    token: object = getattr(pages, "continuation_token", None)
    return page, token if isinstance(token, dict) and token else None


# Every field is a property of the same name in PascalCase (Libraries as JSON text); the id is the RowKey.
_ENTITY = EntityMapper(InviteRecord, row_key="id", missing={"outcome": InviteOutcome.PLEX_ERROR})


def _entity_from(record: InviteRecord, row_key: str) -> dict[str, Any]:
    return _ENTITY.to_entity(record, partition=PARTITION, row_key=row_key)


def _record_from(entity: Mapping[str, Any]) -> InviteRecord:
    return _ENTITY.from_entity(entity)
