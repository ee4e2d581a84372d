"""What happened, as one queue message: an id, a time, a kind and the facts a message needs.

Facts never hold a secret or a client address: `Event.create` refuses keys that look like one, so a
template can't leak what was never put in.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class EventKind(StrEnum):
    GUEST_INVITED = "guest_invited"
    INVITE_FAILED = "invite_failed"
    TOKEN_REJECTED = "token_rejected"
    TOKEN_WORKING = "token_working"
    PLEX_UNREACHABLE = "plex_unreachable"
    PLEX_REACHABLE = "plex_reachable"
    ACCESS_ENDED = "access_ended"
    LINK_USED_UP = "link_used_up"
    MORE_TIME_REQUESTED = "more_time_requested"
    DAILY_DIGEST = "daily_digest"
    TEST = "test"


DESCRIPTIONS: dict[EventKind, str] = {
    EventKind.GUEST_INVITED: "a guest was invited",
    EventKind.INVITE_FAILED: "invites failed (a burst is grouped into one message, with the reasons)",
    EventKind.TOKEN_REJECTED: "plex.tv rejected the owner token: invites are paused",
    EventKind.TOKEN_WORKING: "the owner token works again",
    EventKind.PLEX_UNREACHABLE: "plex.tv has not answered for a while (15 minutes unless NOTIFY_UNREACHABLE_MINUTES says otherwise)",
    EventKind.PLEX_REACHABLE: "plex.tv answers again after being unreachable",
    EventKind.ACCESS_ENDED: "someone's access ended (expiry or revoke)",
    EventKind.LINK_USED_UP: "an invite link reached its use cap",
    EventKind.MORE_TIME_REQUESTED: "a guest asked for more time",
    EventKind.DAILY_DIGEST: "the day's totals (optional)",
    EventKind.TEST: "a test message from the dashboard's 'send test'",
}
# Kinds a channel can subscribe to (the test message goes only to the channel it tests).
SUBSCRIBABLE = tuple(kind for kind in EventKind if kind is not EventKind.TEST)

_FORBIDDEN_FACT_WORDS = ("token", "password", "secret", "key", "ip", "address", "url", "cookie", "session")


class UnsafeFact(ValueError):
    """A fact named like a secret or a client address."""


@dataclass(frozen=True)
class Event:
    id: str
    kind: EventKind
    at: datetime
    facts: dict[str, str | int | list[str]] = field(default_factory=dict)

    @classmethod
    def create(
        cls, kind: EventKind, facts: dict[str, str | int | list[str]] | None = None, *, at: datetime | None = None, event_id: str = ""
    ) -> Event:
        facts = dict(facts or {})
        for name in facts:
            words = name.lower().split("_")
            if any(word in _FORBIDDEN_FACT_WORDS for word in words):
                raise UnsafeFact(f"event fact {name!r} looks like a secret or a client address")
        return cls(event_id or f"{kind}-{uuid.uuid4().hex}", kind, (at or datetime.now(UTC)).astimezone(UTC), facts)

    def to_json(self) -> str:
        return json.dumps(
            {"id": self.id, "kind": str(self.kind), "at": self.at.isoformat(), "facts": self.facts}, ensure_ascii=False, sort_keys=True
        )

    @classmethod
    def from_json(cls, text: str) -> Event:
        data = json.loads(text)
        return cls(
            str(data["id"]), EventKind(data["kind"]), datetime.fromisoformat(data["at"]).astimezone(UTC), dict(data.get("facts", {}))
        )


def stable_id(text: str) -> str:
    """An event id from text that may hold a guest's identifier: the same text gives the same id, without showing it."""
    kind, _, rest = text.partition("-")
    return f"{kind}-{hashlib.sha256(rest.encode()).hexdigest()[:32]}"
