"""Point reads of one partition that a request is about to make, fetched together in one query.

A caller that knows which rows its request will read (an invite reads the Plex status, the sign-in mode and
the library choice, all in the settings partition) opens `rows(...)`: within the block, the first `get_entity`
of this module for one of those rows, on this request's thread or a task it started side by side, sends one
query for all of them, and the others wait for its answer instead of sending their own request. (The query
runs in the first reader's thread, not as a task of its own: a task waiting for a task still queued on the same
pool could wait forever.) Stores read through `get_entity` below, so they behave the same without a prefetch.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity


class _Once:
    """A query run by the first thread that needs its answer; the others wait for that thread."""

    def __init__(self, query: Callable[[], dict[str, TableEntity]]) -> None:
        self._query = query
        self._lock = threading.Lock()
        self._answer: dict[str, TableEntity] | None = None
        self._error: Exception | None = None

    def result(self) -> dict[str, TableEntity]:
        with self._lock:
            if self._answer is None and self._error is None:
                try:
                    self._answer = self._query()
                except Exception as exc:  # noqa: BLE001 - raised to every reader below
                    self._error = exc
        if self._error is not None:
            raise self._error
        return self._answer or {}


_Key = tuple[str, str, str]  # table, partition, row
_prefetched: contextvars.ContextVar[dict[_Key, _Once] | None] = contextvars.ContextVar("prefetched_rows", default=None)


@contextlib.contextmanager
def rows(table: TableClient, partition: str, row_keys: Sequence[str]) -> Iterator[None]:
    """Within the block, reads of these rows wait for one query of them instead of each sending a request."""
    wanted = list(dict.fromkeys(row_keys))
    fetched = _Once(lambda: _query(table, partition, wanted))
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
