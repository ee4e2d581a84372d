"""Retrying invites through plex.tv faults: backoff, Retry-After, a time budget, and no blind re-POSTs."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.plex_errors import PlexError, PlexErrorKind
from shared.plex_gateway import PlexGateway, ShareResult, SharingPermissions

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
        backoff = min(self.max_delay_seconds, self.base_delay_seconds * 2**attempt)
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
        """Raises the last PlexError when the fault outlasts the budget or can't be retried."""
        gateway = self._gateway()
        deadline = self._clock() + self._policy.budget_seconds
        attempt = 0
        check_share_first = False
        while True:
            try:
                if check_share_first and gateway.share_exists(identifier):
                    # The earlier POST went through after all; sending it again would only say "already sharing".
                    return ShareResult(already_shared=False, libraries=gateway.library_titles(section_ids))
                return gateway.invite(identifier, section_ids, permissions or SharingPermissions())
            except PlexError as error:
                if error.kind not in RETRYABLE:
                    raise
                wait = self._policy.delay(attempt, error.retry_after)
                if self._clock() + wait >= deadline:
                    raise
                check_share_first = check_share_first or error.invite_may_exist
                self._sleep(wait)
                attempt += 1
