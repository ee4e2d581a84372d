"""Puts events on the Storage Queue the `deliver_event` function reads.

The write is part of the request that causes the event. When the queue can't be reached even after the
SDK's retries, the event waits in this process's outbox (as invite log writes wait in the invite
service's) and goes out before the next event this instance publishes.

Failed invites come in bursts (a forum post, a broken token): the first failure of a time window puts one
message on the queue, made visible only when the window ends; every failure of the window is counted in
a Table row, so the delivery reads the whole burst and sends one message with the reasons.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.data.tables import TableClient, TableEntity

from shared.notify.events import Event, EventKind
from shared.storage import compare_and_set, registry
from shared.storage.compare_and_set import Contended, Keep, Write

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

log = logging.getLogger(__name__)

QUEUE_NAME = "helpr-events"
POISON_QUEUE_NAME = f"{QUEUE_NAME}-poison"
PARTITION = registry.NOTIFY_BURSTS.name
MAX_OUTBOX = 1000
MAX_BURST_REASONS = 20


class Publisher:
    """What the domain calls to announce an event; the no-op default keeps unit tests and tools quiet."""

    def publish(self, event: Event, *, delay_seconds: int = 0) -> None:
        return None

    def invite_failed(self, outcome: str, reason: str) -> None:
        return None


class QueuePublisher(Publisher):
    def __init__(
        self,
        queue: Callable[[], QueueClient],
        table: Callable[[], TableClient],
        *,
        burst_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._table = table
        self._burst = burst_seconds
        self._clock = clock
        self._outbox: list[tuple[Event, int]] = []
        self._lock = threading.Lock()
        self._created = False

    @property
    def pending(self) -> int:
        return len(self._outbox)

    def publish(self, event: Event, *, delay_seconds: int = 0) -> None:
        self._flush()
        try:
            self._send(event, delay_seconds)
        except AzureError as exc:
            with self._lock:
                self._outbox.append((event, delay_seconds))
                del self._outbox[:-MAX_OUTBOX]
            log.error("Notification %s deferred: the queue could not be reached (%s)", event.kind, type(exc).__name__)

    def invite_failed(self, outcome: str, reason: str) -> None:
        now = self._clock()
        window = math.floor(now / self._burst) * self._burst
        window_key = f"{int(window):012d}"
        try:
            first = compare_and_set.update(self._table(), PARTITION, window_key, lambda entity: _count_failure(entity, outcome, reason))
        except (AzureError, Contended) as exc:
            # Without the window's row, the failure is sent on its own rather than lost.
            log.warning("Failed invite not grouped (%s); sent alone", type(exc).__name__)
            self.publish(Event.create(EventKind.INVITE_FAILED, {"count": 1, "reasons": [f"{outcome}: {reason}"[:200]]}))
            return
        if first:
            # One message per window, visible once the window has ended: by then it holds the whole burst.
            delay = max(1, math.ceil(window + self._burst - now))
            event = Event.create(EventKind.INVITE_FAILED, {"window": window_key}, event_id=f"invite_failed-{window_key}")
            self.publish(event, delay_seconds=delay)

    def _send(self, event: Event, delay_seconds: int) -> None:
        queue = self._queue()
        if not self._created:
            with contextlib.suppress(ResourceExistsError):
                queue.create_queue()
            self._created = True
        queue.send_message(event.to_json(), visibility_timeout=delay_seconds or None)

    def _flush(self) -> None:
        with self._lock:
            waiting, self._outbox = self._outbox, []
        for index, (event, delay) in enumerate(waiting):
            try:
                self._send(event, delay)
            except AzureError:
                with self._lock:
                    self._outbox[:0] = waiting[index:]
                return


def _count_failure(entity: TableEntity | None, outcome: str, reason: str) -> Write[bool] | Keep[bool]:
    count = int(entity.get("Count", 0)) if entity else 0
    reasons: dict[str, int] = json.loads(str(entity.get("Reasons", "{}"))) if entity else {}
    label = f"{outcome}: {reason}"[:200] if reason else outcome
    if label in reasons or len(reasons) < MAX_BURST_REASONS:
        reasons[label] = reasons.get(label, 0) + 1
    return Write(
        {"Count": count + 1, "Reasons": json.dumps(reasons), "FirstAt": entity.get("FirstAt") if entity else _iso_now()}, count == 0
    )


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_burst(table: TableClient, window_key: str) -> tuple[int, dict[str, int]]:
    """The failures counted in one window: how many, and how many per reason."""
    entity = table.get_entity(PARTITION, window_key)
    return int(entity.get("Count", 0)), json.loads(str(entity.get("Reasons", "{}")))
