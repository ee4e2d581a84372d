"""One result per repeated submission: a double click, a retry, or a reused Idempotency-Key.

The first request claims the key with an insert (only one can win); later ones wait for its
result and return it, so Plex is asked once and the log gets one row.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.errors import DomainError, ErrorKind
from shared.storage import registry

PARTITION = registry.IDEMPOTENCY_KEYS.name
# A claim whose owner has not finished by then is taken over (the owner's instance died).
STALE_CLAIM_SECONDS = 60.0
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Claim:
    key: str
    etag: str


@dataclass(frozen=True)
class Replay:
    payload: dict[str, Any]


class StillRunning(DomainError):
    """The first request with this key is still being handled."""

    default_kind = ErrorKind.CONFLICT

    def __init__(self, key: str) -> None:
        super().__init__(
            "still_running",
            "Your earlier request is still being handled. Wait a moment, then check whether it went through before sending again.",
            retry_after=5.0,
        )
        self.key = key


class IdempotencyStore:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        wait_seconds: float = 30.0,
    ) -> None:
        self._table = table_provider
        self._clock = clock
        self._sleep = sleep
        self._wait_seconds = wait_seconds

    @staticmethod
    def key_for(kind: str, value: str) -> str:
        return f"{kind}-{hashlib.sha256(value.encode()).hexdigest()[:48]}"

    def claim(self, key: str) -> Claim | Replay:
        """Either the right to handle the request, or the stored result of the one that had it."""
        claimed = self._claim(key, wait=True)
        if claimed is None:  # waiting ends in a claim, a replay or StillRunning; never here
            raise StillRunning(key)
        return claimed

    def try_claim(self, key: str) -> Claim | Replay | None:
        """`claim` without waiting: None while an earlier request with this key is still being handled."""
        return self._claim(key, wait=False)

    def _claim(self, key: str, *, wait: bool) -> Claim | Replay | None:
        table = self._table()
        deadline = self._clock() + self._wait_seconds
        while True:
            now = self._clock()
            try:
                created = table.create_entity({"PartitionKey": PARTITION, "RowKey": key, "State": "pending", "ClaimedAt": now})
                return Claim(key, created["etag"])
            except ResourceExistsError:
                pass
            try:
                entity = table.get_entity(PARTITION, key)
            except ResourceNotFoundError:
                continue  # released meanwhile; try to claim again
            if entity.get("State") == "done" and float(entity.get("ExpiresAt", 0)) > now:
                return Replay(json.loads(entity["Payload"]))
            expired = entity.get("State") == "done" or now - float(entity.get("ClaimedAt", 0)) > STALE_CLAIM_SECONDS
            if expired:
                try:
                    taken = table.update_entity(
                        {"PartitionKey": PARTITION, "RowKey": key, "State": "pending", "ClaimedAt": now},
                        mode=UpdateMode.REPLACE,
                        etag=entity.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
                    return Claim(key, taken["etag"])
                except (ResourceModifiedError, ResourceNotFoundError):
                    continue
            if not wait:
                return None
            if now >= deadline:
                raise StillRunning(key)
            self._sleep(POLL_SECONDS)

    def complete(self, claim: Claim, payload: dict[str, Any], keep_seconds: float) -> None:
        self._table().update_entity(
            {
                "PartitionKey": PARTITION,
                "RowKey": claim.key,
                "State": "done",
                "Payload": json.dumps(payload),
                "ExpiresAt": self._clock() + keep_seconds,
            },
            mode=UpdateMode.REPLACE,
            etag=claim.etag,
            match_condition=MatchConditions.IfNotModified,
        )

    def release(self, claim: Claim) -> None:
        """Gives the key up without a result, so the next request is handled afresh."""
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):  # taken over or gone already
            self._table().delete_entity(PARTITION, claim.key, etag=claim.etag, match_condition=MatchConditions.IfNotModified)
