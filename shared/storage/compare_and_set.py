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
"""

from __future__ import annotations

import random
import time
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


def update(
    table: TableClient,
    partition: str,
    row_key: str,
    decide: Callable[[TableEntity | None], Decision[R]],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    contended: type[Contended] = Contended,
) -> R:
    """Reads the entity, applies `decide` to it (None when it doesn't exist) and stores the outcome only
    if nobody else wrote it meanwhile, retrying lost races. Raises `contended` after the policy's attempts."""
    for attempt in range(policy.attempts):
        try:
            current: TableEntity | None = table.get_entity(partition, row_key)
        except ResourceNotFoundError:
            current = None
        decision = decide(current)
        if isinstance(decision, Keep):
            return decision.result
        entity = {**decision.entity, "PartitionKey": partition, "RowKey": row_key}
        try:
            if current is None:
                table.create_entity(entity)
            else:
                table.update_entity(
                    entity,
                    mode=UpdateMode.MERGE if decision.merge else UpdateMode.REPLACE,
                    etag=current.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            if attempt + 1 < policy.attempts:
                sleep(policy.delay(attempt))
            continue
        return decision.result
    raise contended(partition, row_key, policy.attempts)
