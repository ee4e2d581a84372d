"""Sign-in throttling that holds across instances, counted in Table Storage.

Each attempt is counted (compare-and-set) *before* the password is checked, so a burst of
concurrent guesses gets at most the allowed number of checks. Three counters, each with its
own policy:

- the username from one address (or from one signed-in-before browser): locked after a few tries;
- one address, whatever usernames it tries: locked after a few more;
- the username from everywhere: only a short slowdown, so strangers can't lock the real admin out,
  and a browser that signed in before skips it.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from azure.data.tables import TableClient, TableEntity

from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, Keep, Write

PARTITION = registry.LOGIN_THROTTLE.name
# When a counter stays contended, the attempt is refused for this long rather than let through unchecked.
CONTENDED_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    base_lockout_seconds: float = 30.0
    max_lockout_seconds: float = 900.0
    # A subject's count starts over once it has had no attempt for this long.
    forget_after_seconds: float = 3600.0

    def lockout_seconds(self, attempts: int) -> float:
        if attempts < self.max_failures:
            return 0.0
        return min(self.base_lockout_seconds * 2.0 ** (attempts - self.max_failures), self.max_lockout_seconds)


# One username from one address or browser.
PAIR_POLICY = ThrottlePolicy()
# One address trying any usernames.
ADDRESS_POLICY = ThrottlePolicy(max_failures=10)
# One username from everywhere: a softer slowdown, never a long lock.
ACCOUNT_POLICY = ThrottlePolicy(max_failures=30, base_lockout_seconds=5.0, max_lockout_seconds=60.0)


@dataclass(frozen=True)
class Subject:
    key: str
    policy: ThrottlePolicy


def subject(kind: str, value: str) -> str:
    # Hashed so the table holds neither usernames nor IP addresses.
    return f"{kind}-{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]}"


def login_subjects(username: str, client_ip: str, device_id: str = "") -> list[Subject]:
    """The counters one sign-in attempt goes against, most specific first."""
    if device_id:
        # A browser that signed in before: strangers elsewhere can't lock it out.
        return [Subject(subject("device", f"{username.strip().lower()}|{device_id}"), PAIR_POLICY)]
    address = client_ip or "unknown"
    return [
        Subject(subject("pair", f"{username.strip().lower()}|{address}"), PAIR_POLICY),
        Subject(subject("ip", address), ADDRESS_POLICY),
        Subject(subject("user", username), ACCOUNT_POLICY),
    ]


class LoginThrottle:
    def __init__(
        self, table_provider: Callable[[], TableClient], policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        """`policy` is kept for the retention sweep, which forgets rows after its forget_after_seconds."""
        self._table = table_provider
        self.policy = policy or PAIR_POLICY
        self._clock = clock

    def begin(self, subjects: Sequence[Subject]) -> float | None:
        """Counts one attempt against each subject. Returns how long to wait when one is locked (the
        attempt must then not be checked), or None when it may be checked."""
        for each in subjects:
            wait = self._count(each)
            if wait is not None:
                return wait
        return None

    def succeeded(self, subjects: Iterable[Subject]) -> None:
        """A right password and second factor: the first, most specific counter starts over."""
        for each in list(subjects)[:1]:
            self._reset(each.key)

    def _count(self, each: Subject) -> float | None:
        def count_attempt(entity: TableEntity | None) -> Write[float | None] | Keep[float | None]:
            now = self._clock()
            attempts = 0
            if entity is not None:
                locked_until = float(entity.get("LockedUntil", 0.0))
                if locked_until > now:
                    return Keep(locked_until - now)
                if now - float(entity.get("LastFailureAt", 0.0)) <= each.policy.forget_after_seconds:
                    attempts = int(entity.get("Failures", 0))
            return Write(_entity(each.key, attempts + 1, now, each.policy.lockout_seconds(attempts + 1)), None)

        try:
            return compare_and_set.update(self._table(), PARTITION, each.key, count_attempt)
        except Contended:
            return CONTENDED_WAIT_SECONDS

    def _reset(self, key: str) -> None:
        def start_over(entity: TableEntity | None) -> Write[None] | Keep[None]:
            return Keep(None) if entity is None else Write(_entity(key, 0, 0.0, 0.0), None)

        with contextlib.suppress(Contended):  # others are counting attempts on it right now: theirs stand
            compare_and_set.update(self._table(), PARTITION, key, start_over)


def _entity(key: str, attempts: int, now: float, lockout: float) -> dict[str, object]:
    # "Failures" and "LastFailureAt" count attempts not yet followed by a success; the retention sweep reads them.
    return {
        "PartitionKey": PARTITION,
        "RowKey": key,
        "Failures": attempts,
        "LastFailureAt": now,
        "LockedUntil": now + lockout if lockout else 0.0,
    }
