"""Messages from Jinja2 templates in a sandbox: a title and a body per event kind, with defaults short
enough for chat and complete enough for email, and the owner's own edits stored per kind.

A template sees `event` (id, kind, at) and the event's facts by name, plus `server` (the display name).
The sandbox refuses attribute tricks, and a broken edit falls back to the default rather than lose the
message.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.errors import DomainError
from shared.notify.events import Event, EventKind
from shared.storage import registry

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger(__name__)

PARTITION = registry.NOTIFY_TEMPLATES.name
MAX_TITLE = 200
MAX_BODY = 4000
MAX_TEMPLATE = 4000


@dataclass(frozen=True)
class MessageTemplate:
    title: str
    body: str


DEFAULTS: dict[EventKind, MessageTemplate] = {
    EventKind.GUEST_INVITED: MessageTemplate(
        "{{ server }}: {{ identifier }} invited",
        "{{ identifier }} was invited to {{ libraries or 'the shared libraries' }}"
        "{% if tier %} (tier {{ tier }}){% endif %}{% if invite_code %} with invite {{ invite_code }}{% endif %}.",
    ),
    EventKind.INVITE_FAILED: MessageTemplate(
        "{{ server }}: {{ count }} invite{{ 's' if count != 1 }} failed",
        "{{ count }} invite{{ 's' if count != 1 }} failed{% if window_minutes %} in {{ window_minutes }} min{% endif %}:\n"
        "{% for reason in reasons %}- {{ reason }}\n{% endfor %}",
    ),
    EventKind.TOKEN_REJECTED: MessageTemplate(
        "{{ server }}: Plex token rejected, invites paused",
        "plex.tv rejected the owner token{% if detail %} ({{ detail }}){% endif %}. Guests can't be invited until "
        "it is replaced: put a new token in Key Vault (plex-token) or PLEX_TOKEN.",
    ),
    EventKind.TOKEN_WORKING: MessageTemplate(
        "{{ server }}: Plex token works again", "plex.tv accepts the owner token again; invites are back on."
    ),
    EventKind.PLEX_UNREACHABLE: MessageTemplate(
        "{{ server }}: plex.tv unreachable",
        "plex.tv has not answered for {{ minutes }} min{% if detail %} ({{ detail }}){% endif %}. Invites fail until it is back.",
    ),
    EventKind.PLEX_REACHABLE: MessageTemplate(
        "{{ server }}: plex.tv is back", "plex.tv answers again{% if minutes %} after {{ minutes }} min{% endif %}."
    ),
    EventKind.ACCESS_ENDED: MessageTemplate(
        "{{ server }}: access ended for {{ identifier }}", "{{ identifier }}'s access ended: {{ reason }}."
    ),
    EventKind.LINK_USED_UP: MessageTemplate(
        "{{ server }}: invite {{ invite_code }} used up",
        "Invite {{ invite_code }}{% if name %} ({{ name }}){% endif %} reached its cap of {{ max_uses }} use{{ 's' if max_uses != 1 }}.",
    ),
    EventKind.MORE_TIME_REQUESTED: MessageTemplate(
        "{{ server }}: {{ identifier }} asks for more time",
        "{{ identifier }} asked for more time{% if expires_at %} (access ends {{ expires_at }}){% endif %}.",
    ),
    EventKind.DAILY_DIGEST: MessageTemplate(
        "{{ server }}: daily digest",
        "Last 24 hours: {{ succeeded }} invited, {{ failed }} failed. Plex connection: {{ plex }}.",
    ),
    EventKind.TEST: MessageTemplate("{{ server }}: test message", "This is a test from Helpr's dashboard: {{ channel }} works."),
}


@functools.cache
def _env() -> ImmutableSandboxedEnvironment:
    # Jinja2 is loaded when a message is first rendered or checked, not when the app starts.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


class TemplateRejected(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_template", message, field="template")


def render(template: MessageTemplate, event: Event, server: str) -> MessageTemplate:
    context: dict[str, object] = {
        **event.facts,
        "event": {"id": event.id, "kind": str(event.kind), "at": event.at.strftime("%Y-%m-%d %H:%M UTC")},
        "server": server or "Helpr",
    }
    title = _env().from_string(template.title).render(context).strip()
    body = _env().from_string(template.body).render(context).strip()
    return MessageTemplate(" ".join(title.split())[:MAX_TITLE], body[:MAX_BODY])


def check(template: MessageTemplate, kind: EventKind) -> None:
    """Refuses a template that doesn't compile or can't render a sample event of its kind."""
    if len(template.title) > MAX_TEMPLATE or len(template.body) > MAX_TEMPLATE or not template.title.strip():
        raise TemplateRejected(f"A title (required) and a body of at most {MAX_TEMPLATE} characters each.")
    from jinja2 import TemplateError

    try:
        render(template, sample_event(kind), "Helpr")
    except TemplateError as exc:
        raise TemplateRejected(f"The template can't be used: {str(exc)[:200]}") from None


def sample_event(kind: EventKind) -> Event:
    facts: dict[str, str | int | list[str]] = {
        "identifier": "alice",
        "libraries": "Movies, TV Shows",
        "tier": "Family",
        "invite_code": "ABCD1234",
        "count": 3,
        "reasons": ["user_not_found ×2", "plex_unavailable ×1"],
        "window_minutes": 1,
        "detail": "401 Unauthorized",
        "minutes": 15,
        "reason": "expired",
        "name": "Book club",
        "max_uses": 5,
        "expires_at": "2030-01-01",
        "succeeded": 4,
        "failed": 1,
        "plex": "working",
        "channel": "Discord",
    }
    return Event.create(kind, facts, event_id=f"sample-{kind}")


class TemplateStore:
    def __init__(self, table: Callable[[], TableClient]) -> None:
        self._table = table

    def all(self) -> dict[EventKind, tuple[MessageTemplate, bool]]:
        """Every kind's template, and whether it is the owner's edit."""
        edits = {e["RowKey"]: e for e in self._table().query_entities("PartitionKey eq @pk", parameters={"pk": PARTITION})}
        return {kind: _from(edits.get(str(kind)), kind) for kind in EventKind}

    def get(self, kind: EventKind) -> MessageTemplate:
        try:
            entity: Mapping[str, object] | None = self._table().get_entity(PARTITION, str(kind))
        except ResourceNotFoundError:
            entity = None
        return _from(entity, kind)[0]

    def save(self, kind: EventKind, template: MessageTemplate) -> None:
        check(template, kind)
        self._table().upsert_entity(
            {"PartitionKey": PARTITION, "RowKey": str(kind), "Title": template.title, "Body": template.body}, mode=UpdateMode.REPLACE
        )

    def reset(self, kind: EventKind) -> None:
        self._table().delete_entity(PARTITION, str(kind))

    def render(self, event: Event, server: str) -> MessageTemplate:
        from jinja2 import TemplateError

        template = self.get(event.kind)
        try:
            return render(template, event, server)
        except TemplateError as exc:
            log.warning("The owner's %s template failed (%s); the default is used", event.kind, type(exc).__name__)
            return render(DEFAULTS[event.kind], event, server)


def _from(entity: Mapping[str, object] | None, kind: EventKind) -> tuple[MessageTemplate, bool]:
    if entity is None:
        return DEFAULTS[kind], False
    return MessageTemplate(str(entity.get("Title", "")), str(entity.get("Body", ""))), True
