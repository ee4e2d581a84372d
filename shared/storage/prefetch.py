"""Point reads of one partition that a request is about to make, fetched together in one query.

A caller that knows which rows its request will read (an invite reads the Plex status, the sign-in mode and
the library choice, all in the settings partition) opens `rows(...)`: one query for all of them starts on the
pool, and until the block ends every `get_entity` of this module for those rows, on this request's thread or
a task it started side by side, is answered from that query instead of sending its own request. Stores read
through `get_entity` below, so they behave the same with or without a prefetch.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from concurrent.futures import Future

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity

from shared.storage.side_by_side import SideBySide

_Key = tuple[str, str, str]  # table, partition, row
_prefetched: contextvars.ContextVar[dict[_Key, Future[dict[str, TableEntity]]] | None] = contextvars.ContextVar(
    "prefetched_rows", default=None
)


@contextlib.contextmanager
def rows(table: TableClient, partition: str, row_keys: Sequence[str], side_by_side: SideBySide) -> Iterator[None]:
    """Within the block, reads of these rows wait for one query of them instead of each sending a request."""
    wanted = list(dict.fromkeys(row_keys))
    fetched = side_by_side.start(lambda: _query(table, partition, wanted))
    current = dict(_prefetched.get() or {})
    current.update({(table.table_name, partition, key): fetched for key in wanted})
    token = _prefetched.set(current)
    try:
        yield
    finally:
        _prefetched.reset(token)


def get_entity(table: TableClient, partition: str, row_key: str) -> TableEntity:
    """`table.get_entity(partition, row_key)`, answered by this request's prefetch when it holds the row.
    Raises ResourceNotFoundError for a missing row either way."""
    fetched = (_prefetched.get() or {}).get((table.table_name, partition, row_key))
    if fetched is None:
        return table.get_entity(partition, row_key)
    entity = fetched.result().get(row_key)
    if entity is None:
        raise ResourceNotFoundError(f"{partition}/{row_key} does not exist")
    return entity


def _query(table: TableClient, partition: str, row_keys: list[str]) -> dict[str, TableEntity]:
    names = {f"k{n}": key for n, key in enumerate(row_keys)}
    condition = " or ".join(f"RowKey eq @{name}" for name in names)
    # Parameters end at a space (the SDK reads "@k1)" as a parameter named "k1)").
    found = table.query_entities(f"PartitionKey eq @pk and ( {condition} )", parameters={"pk": partition, **names})
    return {str(entity["RowKey"]): entity for entity in found}
