"""Retrying invites through plex.tv faults: backoff, Retry-After, a time budget, and no blind re-POSTs."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.plex.errors import PlexError, PlexErrorKind
from shared.plex.gateway import PlexGateway, ShareResult, SharingPermissions

RETRYABLE = (PlexErrorKind.RATE_LIMITED, PlexErrorKind.UNAVAILABLE)


@dataclass(frozen=True)
class RetryPolicy:
    # Well under the 45 s the Static Web App waits for the API, and the platform's 230 s.
    budget_seconds: float = 20.0
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 8.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        backoff = min(self.max_delay_seconds, self.base_delay_seconds * 2.0**attempt)
        return backoff * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


class RetryingInviter:
    def __init__(
        self,
        gateway: Callable[[], PlexGateway],
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gateway = gateway
        self._policy = policy
        self._clock = clock
        self._sleep = sleep

    def invite(self, identifier: str, section_ids: Sequence[int], permissions: SharingPermissions | None = None) -> ShareResult:
        """Raises the last PlexError when the fault outlasts the budget or can't be retried. Its
        `invite_may_exist` is True only when plex.tv may have created the share and the share list
        could not say whether it did."""
        gateway = self._gateway()
        deadline = self._clock() + self._policy.budget_seconds
        attempt = 0
        may_exist = False
        while True:
            try:
                if may_exist and gateway.share_exists(identifier):
                    # The earlier POST went through after all; sending it again would only say "already sharing".
                    return ShareResult(already_shared=False, libraries=gateway.library_titles(section_ids))
                return gateway.invite(identifier, section_ids, permissions or SharingPermissions())
            except PlexError as error:
                may_exist = may_exist or error.invite_may_exist
                wait = self._policy.delay(attempt, error.retry_after)
                if error.kind not in RETRYABLE or self._clock() + wait >= deadline:
                    return self._settle(gateway, identifier, section_ids, error, may_exist)
                self._sleep(wait)
                attempt += 1

    @staticmethod
    def _settle(gateway: PlexGateway, identifier: str, section_ids: Sequence[int], error: PlexError, may_exist: bool) -> ShareResult:
        """Out of tries: a POST whose answer was lost is looked up once more before the guest is told anything."""
        if not may_exist:
            error.invite_may_exist = False
            raise error
        try:
            found = gateway.share_exists(identifier)
            libraries = gateway.library_titles(section_ids) if found else ()
        except PlexError:
            error.invite_may_exist = True  # nobody can tell: the guest must hear exactly that
            raise error from None
        if found:
            return ShareResult(already_shared=False, libraries=libraries)
        error.invite_may_exist = False  # the share list says it was never created
        raise error
