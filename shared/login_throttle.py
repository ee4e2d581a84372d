"""Login throttling that holds across instances: failures per username and per IP in Table Storage."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

PARTITION = "throttle"
_MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    base_lockout_seconds: float = 30.0
    max_lockout_seconds: float = 3600.0
    # A subject's count starts over once it has had no failure for this long.
    forget_after_seconds: float = 3600.0

    def lockout_seconds(self, failures: int) -> float:
        if failures < self.max_failures:
            return 0.0
        return min(self.base_lockout_seconds * 2 ** (failures - self.max_failures), self.max_lockout_seconds)


def subject(kind: str, value: str) -> str:
    # Hashed so the table holds neither usernames nor IP addresses.
    return f"{kind}-{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]}"


class LoginThrottle:
    def __init__(
        self, table_provider: Callable[[], TableClient], policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = table_provider
        self._policy = policy or ThrottlePolicy()
        self._clock = clock

    def retry_after(self, subjects: Iterable[str]) -> float | None:
        """Seconds until the most locked subject may try again, or None when none is locked."""
        now = self._clock()
        waits = []
        for key in subjects:
            try:
                entity = self._table().get_entity(PARTITION, key)
            except ResourceNotFoundError:
                continue
            locked_until = float(entity.get("LockedUntil", 0.0))
            if locked_until > now:
                waits.append(locked_until - now)
        return max(waits) if waits else None

    def record_failure(self, subjects: Iterable[str]) -> None:
        for key in subjects:
            self._update(key, failed=True)

    def record_success(self, subjects: Iterable[str]) -> None:
        for key in subjects:
            self._update(key, failed=False)

    def _update(self, key: str, *, failed: bool) -> None:
        table = self._table()
        for _ in range(_MAX_ATTEMPTS):
            now = self._clock()
            try:
                entity = table.get_entity(PARTITION, key)
            except ResourceNotFoundError:
                if not failed:
                    return
                try:
                    table.create_entity(self._entity(key, 1, now))
                    return
                except ResourceExistsError:
                    continue
            failures = int(entity.get("Failures", 0))
            if now - float(entity.get("LastFailureAt", 0.0)) > self._policy.forget_after_seconds:
                failures = 0
            updated = self._entity(key, failures + 1, now) if failed else self._entity(key, 0, 0.0)
            try:
                table.update_entity(
                    updated, mode=UpdateMode.REPLACE, etag=entity.metadata["etag"], match_condition=MatchConditions.IfNotModified
                )
                return
            except ResourceModifiedError:
                continue
        raise RuntimeError("login throttle entity stayed contended")

    def _entity(self, key: str, failures: int, now: float) -> dict[str, object]:
        lockout = self._policy.lockout_seconds(failures)
        return {
            "PartitionKey": PARTITION,
            "RowKey": key,
            "Failures": failures,
            "LastFailureAt": now,
            "LockedUntil": now + lockout if lockout else 0.0,
        }
