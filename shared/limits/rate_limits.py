"""Rate limits that hold across instances: one Table entity per subject, fixed windows, ETag compare-and-set."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from azure.data.tables import TableClient, TableEntity

from shared.errors import DomainError, ErrorKind
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, Keep, KnownVersions, Write

PARTITION = registry.RATE_LIMITS.name
# Epoch seconds (a float) at which every window counted on the entity has ended.
EXPIRES_AT = "ExpiresAt"


@dataclass(frozen=True)
class Limit:
    name: str  # also the entity property prefix, so one subject can carry several limits
    allowed: int
    window_seconds: int

    def describe(self) -> str:
        unit = {60: "minute", 3600: "hour", 86400: "day"}.get(self.window_seconds, f"{self.window_seconds} seconds")
        return f"{self.allowed} per {unit}"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: float = 0.0
    limit: Limit | None = None
    # The window each limit counted this hit in (name, window), so it can be given back.
    counted: tuple[tuple[str, int], ...] = ()


class RateLimitContention(DomainError):
    """The subject's entity stayed contended; the request is refused rather than let through."""

    default_kind = ErrorKind.RATE_LIMITED

    def __init__(self, subject: str) -> None:
        super().__init__("rate_limited", "Too many requests at once. Please try again in a moment.", retry_after=1.0)
        self.subject = subject


def subject_key(kind: str, value: str) -> str:
    # Hashed: the table holds neither IP addresses nor identifiers.
    return f"{kind}-{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]}"


class RateLimiter:
    def __init__(
        self,
        table_provider: Callable[[], TableClient],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        known: KnownVersions | None = None,
    ) -> None:
        self._table = table_provider
        self._clock = clock
        self._sleep = sleep
        # A subject this instance counted before is counted with one conditional write (its last ETag), a new one
        # with one insert: one request per hit unless another instance counted the same subject meanwhile.
        self._known = known if known is not None else KnownVersions()

    def hit(self, subject: str, limits: Sequence[Limit]) -> RateDecision:
        """Counts one request against every limit of the subject, or none when any limit is full."""
        if not limits:
            return RateDecision(True)

        def count_hit(entity: TableEntity | None) -> Write[RateDecision] | Keep[RateDecision]:
            now = self._clock()
            current: dict[str, Any] = dict(entity or {})
            updated = dict(current)
            counted = []
            # When the last window counted on this entity ends: after it the entity limits nothing and the
            # retention sweep deletes it. Kept as a maximum, since one subject may be hit with different limits.
            expires_at = float(current.get(EXPIRES_AT, 0.0))
            for limit in limits:
                window = int(now // limit.window_seconds)
                count = int(current.get(f"{limit.name}Count", 0)) if current.get(f"{limit.name}Window") == window else 0
                if count >= limit.allowed:
                    return Keep(RateDecision(False, (window + 1) * limit.window_seconds - now, limit))
                updated[f"{limit.name}Window"] = window
                updated[f"{limit.name}Count"] = count + 1
                counted.append((limit.name, window))
                expires_at = max(expires_at, float((window + 1) * limit.window_seconds))
            updated[EXPIRES_AT] = expires_at
            return Write(updated, RateDecision(True, counted=tuple(counted)))

        try:
            return compare_and_set.update(self._table(), PARTITION, subject, count_hit, sleep=self._sleep, known=self._known)
        except Contended:
            raise RateLimitContention(subject) from None

    def give_back(self, subject: str, decision: RateDecision) -> None:
        """Takes back a hit that `decision` counted, in the windows it was counted in (a window that has ended
        since is left alone), for a request that was turned away for another reason before it did anything."""
        if not decision.allowed or not decision.counted:
            return

        def uncount(entity: TableEntity | None) -> Write[None] | Keep[None]:
            if entity is None:
                return Keep(None)
            updated = dict(entity)
            changed = False
            for name, window in decision.counted:
                count = int(updated.get(f"{name}Count", 0))
                if updated.get(f"{name}Window") == window and count > 0:
                    updated[f"{name}Count"] = count - 1
                    changed = True
            return Write(updated, None) if changed else Keep(None)

        try:
            compare_and_set.update(self._table(), PARTITION, subject, uncount, sleep=self._sleep, known=self._known)
        except Contended:
            raise RateLimitContention(subject) from None


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
