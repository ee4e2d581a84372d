"""One read → decide → compare-and-set → retry loop for every entity that concurrent instances change.

`update` reads the entity (or finds it missing), asks `decide` what to do with it, and either writes
the decision conditionally or returns without writing:

- a missing entity is created; if another writer created it first (ResourceExistsError) it retries;
- an existing one is replaced (or merged) only if its ETag is unchanged (IfNotModified); if another
  writer changed it (ResourceModifiedError) or deleted it meanwhile (ResourceNotFoundError) it retries.

Every retry re-reads the entity and asks `decide` again, so `decide` must only look at what it is
given (and the clock): it may run several times for one update. An exception it raises (e.g. "this
invite has expired") ends the update unchanged. After `RetryPolicy.attempts` lost races the update
gives up with `Contended` (or the subclass the caller names), having written nothing.

With `known` (a KnownVersions the caller keeps for the process), the first attempt skips the read: it decides
on the version this process last wrote (or, for an entity it never saw, on "missing") and writes with that
version's ETag, so an entity only this instance changes costs one request instead of two. A wrong guess costs
one refused write and then runs the loop above; a Keep decided on a guess is confirmed by a read first.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, UpdateMode

R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times one update may lose the race, and how long to wait between tries: a random
    pause up to `step_seconds` times the attempt number, never above `max_delay_seconds`."""

    attempts: int = 60
    step_seconds: float = 0.002
    max_delay_seconds: float = 0.05

    def delay(self, attempt: int) -> float:
        """The pause after losing attempt `attempt` (0-based): jittered so racing writers spread out."""
        return random.uniform(0, min(self.max_delay_seconds, self.step_seconds * (attempt + 1)))  # noqa: S311 - jitter, not security


DEFAULT_POLICY = RetryPolicy()


class Contended(Exception):
    """The entity kept changing under the update for every attempt the policy allows; nothing was written."""

    def __init__(self, partition: str, row_key: str, attempts: int) -> None:
        super().__init__(f"{partition}/{row_key} stayed contended after {attempts} attempts")
        self.partition = partition
        self.row_key = row_key
        self.attempts = attempts


@dataclass(frozen=True)
class Write(Generic[R]):
    """Store `entity` (its PartitionKey and RowKey are set by `update`) and, once stored, return `result`.
    `merge` keeps properties the entity has and `entity` doesn't name; by default it replaces them all."""

    entity: Mapping[str, object]
    result: R
    merge: bool = False


@dataclass(frozen=True)
class Keep(Generic[R]):
    """Write nothing and return `result`."""

    result: R


Decision: TypeAlias = Write[R] | Keep[R]


class KnownVersions:
    """The entities this process last wrote through `update` (their properties and ETags), the newest `capacity` of them."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._versions: OrderedDict[tuple[str, str], TableEntity] = OrderedDict()

    def guess(self, partition: str, row_key: str) -> TableEntity | None:
        """The last version written here, or None: the entity is assumed not to exist yet."""
        with self._lock:
            return self._versions.get((partition, row_key))

    def remember(self, partition: str, row_key: str, properties: Mapping[str, object], etag: str) -> None:
        entity = TableEntity(properties)
        entity._metadata = {"etag": etag, "timestamp": None}
        with self._lock:
            self._versions[(partition, row_key)] = entity
            self._versions.move_to_end((partition, row_key))
            while len(self._versions) > self._capacity:
                self._versions.popitem(last=False)

    def forget(self, partition: str, row_key: str) -> None:
        with self._lock:
            self._versions.pop((partition, row_key), None)


def update(
    table: TableClient,
    partition: str,
    row_key: str,
    decide: Callable[[TableEntity | None], Decision[R]],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    contended: type[Contended] = Contended,
    known: KnownVersions | None = None,
) -> R:
    """Reads the entity, applies `decide` to it (None when it doesn't exist) and stores the outcome only
    if nobody else wrote it meanwhile, retrying lost races. Raises `contended` after the policy's attempts.
    With `known`, the first attempt decides on the version last written here instead of reading (see above)."""
    guessing = known is not None
    for attempt in range(policy.attempts):
        current: TableEntity | None
        if guessing and known is not None:
            current = known.guess(partition, row_key)
        else:
            try:
                current = table.get_entity(partition, row_key)
            except ResourceNotFoundError:
                current = None
        decision = decide(current)
        if isinstance(decision, Keep):
            if guessing:
                guessing = False  # confirm a refusal or a no-op on what is really stored
                continue
            return decision.result
        entity = {**decision.entity, "PartitionKey": partition, "RowKey": row_key}
        try:
            if current is None:
                written = table.create_entity(entity)
            else:
                written = table.update_entity(
                    entity,
                    mode=UpdateMode.MERGE if decision.merge else UpdateMode.REPLACE,
                    etag=current.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            if known is not None:
                known.forget(partition, row_key)
            if not guessing and attempt + 1 < policy.attempts:
                sleep(policy.delay(attempt))  # a lost race, not a wrong guess: let the other writer finish
            guessing = False
            continue
        if known is not None:
            stored = {**current, **entity} if current is not None and decision.merge else entity
            known.remember(partition, row_key, stored, str(written.get("etag", "")))
        return decision.result
    raise contended(partition, row_key, policy.attempts)
