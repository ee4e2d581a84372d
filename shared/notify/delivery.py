"""Delivers one event to every channel that wants it, through Apprise, at most once per event and channel.

The queue-triggered function calls `deliver` once per dequeue. Each (event id, channel) pair is claimed with an
atomic create in Table Storage before sending and marked delivered after, so two copies of an event (two
instances seeing the same change) never both post, and when the platform
retries the message because another channel failed, only the failed channels are tried again. When any
channel fails, `deliver` raises ChannelsFailed: the host makes the message visible again and, after
maxDequeueCount tries, moves it to the poison queue (functions/notify.py, host.json extensions.queues).

A generic webhook (json://, form://, xml://) with a signing key gets three headers: X-Helpr-Event-Id,
X-Helpr-Timestamp and X-Helpr-Signature = "sha256=" + hex HMAC-SHA256(key, f"{timestamp}.{event id}.{title}\\n{body}"),
where title and body are the fields of the payload the receiver got; receivers can also drop repeats by the event id.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.notify.channels import Channel, ChannelStore, is_webhook
from shared.notify.events import Event, EventKind
from shared.notify.publisher import read_burst
from shared.notify.templates import MessageTemplate, TemplateStore
from shared.storage import registry

log = logging.getLogger(__name__)

PARTITION = registry.NOTIFY_DELIVERIES.name
# How long a claim to send keeps other tries away; past it, the claim is taken to be a dead worker's.
CLAIM_LEASE_SECONDS = 120.0


class ChannelsFailed(Exception):
    """Some channels could not be reached; the message must be retried for them."""

    def __init__(self, failed: dict[str, str]) -> None:
        super().__init__(f"{len(failed)} channel(s) failed: " + "; ".join(f"{cid}: {why}" for cid, why in failed.items()))
        self.failed = failed


@dataclass(frozen=True)
class DeliveryReport:
    delivered: tuple[str, ...]
    skipped: tuple[str, ...]  # delivered on an earlier try


Sender = Callable[[str, MessageTemplate, dict[str, str]], str]


def send_with_apprise(url: str, message: MessageTemplate, headers: dict[str, str]) -> str:
    """Sends through Apprise; "" when it went out, else why not (Apprise's own words, which never hold the URL's secrets)."""
    import apprise  # loaded on the first delivery, not when the app starts

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return "Apprise can't read this channel's URL"
    if headers and hasattr(plugin, "headers"):
        plugin.headers.update(headers)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        sent = plugin.notify(body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT)
    if sent:
        return ""
    why = " ".join(str(captured.getvalue()).split())
    return (why or "the service refused the message")[:300]


def signature_headers(key: str, event: Event, message: MessageTemplate, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    signed = f"{timestamp}.{event.id}.{message.title}\n{message.body}".encode()
    digest = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
    return {"X-Helpr-Event-Id": event.id, "X-Helpr-Timestamp": timestamp, "X-Helpr-Signature": f"sha256={digest}"}


class Deliverer:
    def __init__(
        self,
        channels: ChannelStore,
        templates: TemplateStore,
        table: Callable[[], TableClient],
        *,
        server_name: Callable[[], str],
        burst_seconds: float,
        sender: Sender = send_with_apprise,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._channels = channels
        self._templates = templates
        self._table = table
        self._server_name = server_name
        self._burst_seconds = burst_seconds
        self._send = sender
        self._clock = clock

    def deliver(self, event: Event, *, only: str = "") -> DeliveryReport:
        event = self._complete(event)
        targets = [c for c in self._channels.list() if c.wants(event.kind) and (not only or c.id == only)]
        if not targets:
            return DeliveryReport((), ())
        message = self._templates.render(event, self._server_name())
        delivered, skipped, failed = [], [], {}
        for channel in targets:
            claim = self._claim(event, channel)
            if claim == "delivered":
                skipped.append(channel.id)
                continue
            if claim == "busy":
                failed[channel.id] = "being sent by another try"
                continue
            error = self._send_to(channel, event, message)
            self._channels.record_result(channel, str(event.kind), error)
            if error:
                self._release(event, channel)
                failed[channel.id] = error
                log.warning("Notification %s to channel %s failed: %s", event.kind, channel.id, error)
                continue
            self._mark_delivered(event, channel)
            delivered.append(channel.id)
        if failed:
            raise ChannelsFailed(failed)
        return DeliveryReport(tuple(delivered), tuple(skipped))

    def send_test(self, channel_id: str) -> str:
        """Sends a test message to one channel now (the dashboard's button): "" when it went out, else why not."""
        channel = self._channels.get(channel_id)
        event = Event.create(EventKind.TEST, {"channel": channel.name})
        error = self._send_to(channel, event, self._templates.render(event, self._server_name()))
        self._channels.record_result(channel, str(event.kind), error)
        return error

    def _send_to(self, channel: Channel, event: Event, message: MessageTemplate) -> str:
        url = self._channels.url_of(channel)
        headers: dict[str, str] = {}
        key = self._channels.signing_key_of(channel)
        if key and is_webhook(url):
            headers = signature_headers(key, event, message, self._clock())
        elif is_webhook(url):
            headers = {"X-Helpr-Event-Id": event.id}
        return self._send(url, message, headers)

    def _complete(self, event: Event) -> Event:
        """A grouped failure's message reads its window's count and reasons when it is delivered."""
        window = event.facts.get("window")
        if event.kind is not EventKind.INVITE_FAILED or not isinstance(window, str):
            return event
        try:
            count, reasons = read_burst(self._table(), window)
        except ResourceNotFoundError:
            count, reasons = 1, {}
        listed: list[str] = [f"{label} ×{n}" if n > 1 else label for label, n in sorted(reasons.items(), key=lambda item: -item[1])]
        minutes = max(1, round(self._burst_seconds / 60))
        facts: dict[str, str | int | list[str]] = {**event.facts, "count": count, "reasons": listed, "window_minutes": minutes}
        return Event(event.id, event.kind, event.at, facts)

    def _delivery_key(self, event: Event, channel: Channel) -> str:
        return hashlib.sha256(f"{event.id}|{channel.id}".encode()).hexdigest()[:40]

    def _claim(self, event: Event, channel: Channel) -> str:
        """Claims the (event, channel) pair with an atomic create: "claimed" when this try may send, "delivered" when
        an earlier try did, "busy" while another worker (a copy of the event, e.g. from a second instance) sends it."""
        table = self._table()
        key = self._delivery_key(event, channel)
        entity = {"PartitionKey": PARTITION, "RowKey": key, "EventId": event.id, "ChannelId": channel.id}
        try:
            table.create_entity({**entity, "Status": "sending", "ClaimedAt": self._clock()})
            return "claimed"
        except ResourceExistsError:
            pass
        try:
            current = table.get_entity(PARTITION, key)
        except ResourceNotFoundError:
            return "busy"  # released meanwhile: the next try claims it
        if current.get("Status") == "delivered":
            return "delivered"
        if self._clock() - float(current.get("ClaimedAt", 0)) < CLAIM_LEASE_SECONDS:
            return "busy"
        try:  # a claim left by a worker that died while sending: take it over, if nobody else did
            table.update_entity(
                {**entity, "Status": "sending", "ClaimedAt": self._clock()},
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return "busy"
        return "claimed"

    def _release(self, event: Event, channel: Channel) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self._table().delete_entity(PARTITION, self._delivery_key(event, channel))

    def _mark_delivered(self, event: Event, channel: Channel) -> None:
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": self._delivery_key(event, channel),
            "EventId": event.id,
            "ChannelId": channel.id,
            "Status": "delivered",
            "DeliveredAt": self._clock(),
        }
        self._table().upsert_entity(entity, mode=UpdateMode.REPLACE)
