"""One change for many people at once (extend, change tier, revoke, adopt), with what happened to each.

plex.tv's share list is read once per call, not per person. A person plex.tv rate-limits is tried again after the
wait plex.tv asks for (or the retry policy's backoff) while the call's retry budget lasts; after that, each one left
says so and nothing was changed for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shared.access.directory import Directory
from shared.access.grants import Grant
from shared.access.shares import ShareSnapshots
from shared.access.users import MAX_ACCESS_DAYS, UserAccess, UserAccessError
from shared.errors import DomainError, ErrorKind
from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import PlexShare
from shared.plex.retry import RetryPolicy

MAX_BULK = 200


class BulkAction(StrEnum):
    EXTEND = "extend"
    TIER = "tier"
    REVOKE = "revoke"
    ADOPT = "adopt"


@dataclass(frozen=True)
class BulkOutcome:
    identifier: str
    ok: bool
    code: str = ""
    message: str = ""
    grant: Grant | None = None


class BulkChanges:
    def __init__(
        self,
        access: UserAccess,
        directory: Directory,
        snapshots: ShareSnapshots,
        policy: RetryPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._access = access
        self._directory = directory
        self._snapshots = snapshots
        self._policy = policy
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep

    def run(self, action: str, identifiers: list[str], *, tier_id: str = "", days: int = 0) -> list[BulkOutcome]:
        chosen = _action(action)
        wanted = list(dict.fromkeys(i.strip().lower() for i in identifiers if i.strip()))
        if not wanted:
            raise DomainError("nothing_selected", "Select at least one person.", field="identifiers")
        if len(wanted) > MAX_BULK:
            raise DomainError(
                "too_many", f"Change at most {MAX_BULK} people at once; select fewer and run the rest after.", field="identifiers"
            )
        if chosen in (BulkAction.EXTEND, BulkAction.ADOPT) and days and not 1 <= days <= MAX_ACCESS_DAYS:
            raise UserAccessError("invalid_days", f"Extend by 1 to {MAX_ACCESS_DAYS} days.", kind=ErrorKind.INVALID, field="days")
        if chosen is BulkAction.EXTEND and not days:
            raise UserAccessError(
                "invalid_days", f"Say how many days to add: 1 to {MAX_ACCESS_DAYS}.", kind=ErrorKind.INVALID, field="days"
            )
        if chosen is BulkAction.TIER and not tier_id:
            raise DomainError("tier_required", "Choose the tier.", field="tierId")
        # Extending changes storage only; every other action needs the shares, read once for everyone.
        shares = () if chosen is BulkAction.EXTEND else self._snapshots.fresh()
        deadline = self._monotonic() + self._policy.budget_seconds
        outcomes = [self._one(chosen, identifier, shares, tier_id, days, deadline) for identifier in wanted]
        self._snapshots.forget()
        return outcomes

    def _one(
        self, action: BulkAction, identifier: str, shares: tuple[PlexShare, ...], tier_id: str, days: int, deadline: float
    ) -> BulkOutcome:
        attempt = 0
        while True:
            try:
                return BulkOutcome(identifier, True, grant=self._apply(action, identifier, shares, tier_id, days))
            except PlexError as error:
                wait = self._policy.delay(attempt, error.retry_after)
                if error.kind is PlexErrorKind.RATE_LIMITED and self._monotonic() + wait < deadline:
                    self._sleep(wait)
                    attempt += 1
                    continue
                answer = error.as_domain_error()
                return BulkOutcome(identifier, False, answer.code, answer.message)
            except DomainError as error:
                return BulkOutcome(identifier, False, error.code, error.message)

    def _apply(self, action: BulkAction, identifier: str, shares: tuple[PlexShare, ...], tier_id: str, days: int) -> Grant:
        if action is BulkAction.EXTEND:
            return self._access.extend(identifier, days)
        if action is BulkAction.TIER:
            return self._access.change_tier(identifier, tier_id, shares)
        if action is BulkAction.REVOKE:
            return self._access.revoke(identifier, shares)
        ends = self._clock() + timedelta(days=days) if days else None
        return self._directory.adopt(identifier, tier_id or "default", ends, shares)


def _action(value: str) -> BulkAction:
    try:
        return BulkAction(value)
    except ValueError:
        choices = ", ".join(str(a) for a in BulkAction)
        raise DomainError("invalid_action", f"action must be one of: {choices}.", field="action") from None
