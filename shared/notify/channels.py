"""The owner's notification channels: a name, an Apprise URL (sealed), the events it wants, an optional
HMAC key for generic webhooks, and the last delivery's result. URLs are shown masked, never logged."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.errors import DomainError, ErrorKind
from shared.notify.channel_box import ChannelBox
from shared.notify.events import SUBSCRIBABLE, EventKind
from shared.storage import registry
from shared.storage.entities import EntityMapper

PARTITION = registry.NOTIFY_CHANNELS.name
MAX_CHANNELS = 20
MAX_NAME_LENGTH = 60
MAX_URL_LENGTH = 2000
# Apprise schemas that post to a URL the owner runs; only these carry the HMAC signature header.
WEBHOOK_SCHEMAS = ("json", "jsons", "form", "forms", "xml", "xmls")


class ChannelError(DomainError):
    pass


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    sealed_url: str
    events: tuple[str, ...]
    sealed_signing_key: str = ""
    created_at: datetime | None = None
    last_result: str = ""  # "", "delivered", or "failed: why"
    last_event: str = ""
    last_at: datetime | None = None
    failures: int = 0

    def wants(self, kind: EventKind) -> bool:
        return kind is EventKind.TEST or str(kind) in self.events


@dataclass(frozen=True)
class ChannelView:
    """What the dashboard sees: the URL masked by Apprise's own privacy mode."""

    channel: Channel
    masked_url: str
    signed: bool


def masked(url: str) -> str:
    import apprise  # loaded when a channel is read, not when the app starts

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return url.split("://", 1)[0] + "://…"
    return str(plugin.url(privacy=True))


def is_webhook(url: str) -> bool:
    return url.split("://", 1)[0].lower() in WEBHOOK_SCHEMAS


class ChannelStore:
    def __init__(
        self, table: Callable[[], TableClient], box: ChannelBox, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._table = table
        self._box = box
        self._clock = clock

    def list(self) -> list[Channel]:
        entities = self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})
        return sorted((_ENTITY.from_entity(e) for e in entities), key=lambda c: (c.created_at or self._clock(), c.id))

    def get(self, channel_id: str) -> Channel:
        try:
            return _ENTITY.from_entity(self._table().get_entity(PARTITION, _safe_id(channel_id)))
        except ResourceNotFoundError:
            raise ChannelError("channel_not_found", "There is no such notification channel.", kind=ErrorKind.NOT_FOUND) from None

    def view(self, channel: Channel) -> ChannelView:
        return ChannelView(channel, masked(self.url_of(channel)), bool(channel.sealed_signing_key))

    def url_of(self, channel: Channel) -> str:
        return self._box.open(channel.sealed_url)

    def signing_key_of(self, channel: Channel) -> str:
        return self._box.open(channel.sealed_signing_key)

    def create(self, name: object, url: object, events: object, *, sign: bool = False) -> tuple[Channel, str]:
        """The new channel, and its signing key when `sign` asked for one (shown once)."""
        if len(self.list()) >= MAX_CHANNELS:
            raise ChannelError("too_many_channels", f"At most {MAX_CHANNELS} channels.", kind=ErrorKind.CONFLICT)
        checked_url = _url(url)
        key = secrets.token_urlsafe(32) if sign else ""
        if sign and not is_webhook(checked_url):
            raise ChannelError("not_a_webhook", "Only json://, form:// and xml:// webhooks can be signed.", field="sign")
        channel = Channel(
            id=uuid.uuid4().hex[:12],
            name=_name(name),
            sealed_url=self._box.seal(checked_url),
            events=_events(events),
            sealed_signing_key=self._box.seal(key),
            created_at=self._clock(),
        )
        self._table().create_entity(_ENTITY.to_entity(channel, partition=PARTITION))
        return channel, key

    def update(self, channel_id: str, *, name: object = None, url: object = None, events: object = None) -> Channel:
        channel = self.get(channel_id)
        if name is not None:
            channel = replace(channel, name=_name(name))
        if url is not None:
            channel = replace(channel, sealed_url=self._box.seal(_url(url)))
        if events is not None:
            channel = replace(channel, events=_events(events))
        self._table().upsert_entity(_ENTITY.to_entity(channel, partition=PARTITION), mode=UpdateMode.REPLACE)
        return channel

    def delete(self, channel_id: str) -> None:
        self.get(channel_id)
        self._table().delete_entity(PARTITION, _safe_id(channel_id))

    def record_result(self, channel: Channel, event_kind: str, error: str) -> None:
        """The last delivery's result, merged into the row so a concurrent edit of the channel survives."""
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": channel.id,
            "LastResult": f"failed: {error}"[:400] if error else "delivered",
            "LastEvent": event_kind,
            "LastAt": self._clock(),
            "Failures": 0 if not error else channel.failures + 1,
        }
        with contextlib.suppress(ResourceNotFoundError):  # deleted meanwhile
            self._table().update_entity(entity, mode=UpdateMode.MERGE)


def _safe_id(channel_id: str) -> str:
    if not channel_id.isalnum() or len(channel_id) > 32:
        raise ChannelError("channel_not_found", "There is no such notification channel.", kind=ErrorKind.NOT_FOUND)
    return channel_id


def _name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ChannelError("invalid_name", f"Give the channel a name of 1 to {MAX_NAME_LENGTH} characters.", field="name")
    return name


def _url(value: object) -> str:
    import apprise  # loaded when a channel is saved, not when the app starts

    url = value.strip() if isinstance(value, str) else ""
    if not url or len(url) > MAX_URL_LENGTH or not apprise.Apprise().add(url):
        raise ChannelError(
            "invalid_channel_url",
            "That isn't a notification URL Apprise understands, e.g. discord://webhook_id/webhook_token, "
            "mailtos://user:password@example.com, ntfy://topic or json://example.com/hook.",
            field="url",
        )
    return url


def _events(value: object) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ChannelError("invalid_events", f"Choose one or more events: {', '.join(SUBSCRIBABLE)}.", field="events")
    chosen = []
    for item in value:
        if item not in set(SUBSCRIBABLE):
            raise ChannelError("invalid_events", f"Unknown event {str(item)[:40]!r}. Use: {', '.join(SUBSCRIBABLE)}.", field="events")
        if item not in chosen:
            chosen.append(str(item))
    return tuple(chosen)


_ENTITY = EntityMapper(Channel, row_key="id")
