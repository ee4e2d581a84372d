"""Guests' requests for more time: one open request per grant, kept until the owner changes when the access ends.

A request is stored by the grant's row key with the grant's start and end as they were when it was made. It is
open while the grant is active, is the same grant (same start) and still ends when it did: extending the access
(or a new grant for the same person) answers it without anyone closing it by hand. Asking again while a request
is open changes nothing, so a guest pressing the button twice (or two instances at once) makes one request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity

from shared.access.grants import Grant, GrantStatus, row_key_for
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Keep, Write

PARTITION = registry.MORE_TIME.name


@dataclass(frozen=True)
class MoreTimeRequest:
    identifier: str
    requested_at: datetime
    new: bool  # made by this call; False when an open request was there already


def _stamp(moment: datetime | None) -> str:
    """A time as stored and compared: seconds in UTC, or "" for none (what storage round-trips exactly)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def _key(grant: Grant) -> str:
    return grant.row_key or row_key_for(grant.identifier)


def _open_for(entity: TableEntity | dict[str, object] | None, grant: Grant) -> bool:
    return (
        entity is not None
        and grant.status is GrantStatus.ACTIVE
        and entity.get("GrantedAt") == _stamp(grant.granted_at)
        and entity.get("ExpiresAt") == _stamp(grant.expires_at)
    )


class MoreTimeRequests:
    def __init__(self, table: Callable[[], TableClient], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def request(self, grant: Grant) -> MoreTimeRequest:
        """Records a request for the grant unless one is open (compare-and-set: one request however many ask at once)."""

        def decide(entity: TableEntity | None) -> Write[MoreTimeRequest] | Keep[MoreTimeRequest]:
            if entity is not None and _open_for(entity, grant):
                requested = datetime.fromisoformat(str(entity["RequestedAt"]))
                return Keep(MoreTimeRequest(grant.identifier, requested, new=False))
            now = self._clock().astimezone(UTC).replace(microsecond=0)
            row = {
                "Identifier": grant.identifier,
                "RequestedAt": _stamp(now),
                "GrantedAt": _stamp(grant.granted_at),
                "ExpiresAt": _stamp(grant.expires_at),
            }
            return Write(row, MoreTimeRequest(grant.identifier, now, new=True))

        return compare_and_set.update(self._table(), PARTITION, _key(grant), decide)

    def open_request(self, grant: Grant) -> datetime | None:
        try:
            row = self._table().get_entity(PARTITION, _key(grant))
        except ResourceNotFoundError:
            return None
        return datetime.fromisoformat(str(row["RequestedAt"])) if _open_for(row, grant) else None

    def open_for(self, grants: Iterable[Grant]) -> dict[str, datetime]:
        """When each of these grants' open request was made, by identifier (one query of the partition)."""
        by_key = {_key(grant): grant for grant in grants}
        if not by_key:
            return {}
        rows = self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})
        opened: dict[str, datetime] = {}
        for row in rows:
            grant = by_key.get(str(row["RowKey"]))
            if grant is not None and _open_for(row, grant):
                opened[grant.identifier] = datetime.fromisoformat(str(row["RequestedAt"]))
        return opened
