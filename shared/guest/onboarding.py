"""The Start watching page: steps per device, how to accept the invite, and the owner's optional cards.

Each piece of text is Markdown the owner may edit, with placeholders ({{ server_name }}, {{ libraries }},
{{ expires_at }}, {{ request_url }}...). It is made safe in three steps, and a template that fails any of
them is refused when it is saved, never on the guest's page:

1. Jinja2's ImmutableSandboxedEnvironment with autoescaping renders it: no attribute tricks, no unknown
   placeholders (checked against PLACEHOLDERS before saving), values HTML-escaped;
2. Python-Markdown turns it into HTML;
3. nh3 (the Ammonia sanitiser) keeps only a short list of tags and attributes, and links to http(s) and
   mailto, so raw HTML the owner typed (a <script>, an onclick) never reaches a page.

Steps the owner hasn't edited come from the catalogs, in the guest's language.

A tier can override any step, the house rules and the contact card (TierOverride, stored in the same row and
checked the same way); what a tier leaves empty is the text every guest gets. A guest's status page uses their
tier's version (OnboardingContent.for_tier).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import i18n
from shared.errors import DomainError
from shared.storage import registry

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

PARTITION = registry.SETTINGS.name
ROW = registry.ONBOARDING.key
MAX_TEMPLATE = 4000
MAX_URL = 500
MAX_TIER_OVERRIDES = 50
# The row's Value is one string property: Table Storage holds at most 32K UTF-16 characters in it.
MAX_STORED_CHARS = 30_000
_TIER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEVICES: tuple[str, ...] = ("phone", "tv", "computer", "console")
STEPS: tuple[str, ...] = (*DEVICES, "accept")
CARDS: tuple[str, ...] = ("requests", "community", "rules", "contact")
REQUEST_APPS = {"overseerr": "Overseerr", "jellyseerr": "Jellyseerr", "ombi": "Ombi"}
PLACEHOLDERS: dict[str, str] = {
    "server_name": "the server's display name",
    "libraries": "the libraries shared with the guest, comma-separated",
    "expires_at": "when time-limited access ends, as a date in the guest's language (empty otherwise)",
    "request_url": "the request app's address",
    "request_app": "the request app's name (Overseerr, Jellyseerr or Ombi)",
    "community_url": "the community link",
    "tier": "the guest's tier",
}
# Where each device gets Plex; the page picks the guest's own platform first.
APPS: dict[str, list[dict[str, str]]] = {
    "phone": [
        {"name": "App Store", "platform": "ios", "url": "https://apps.apple.com/app/plex/id383457673"},
        {"name": "Google Play", "platform": "android", "url": "https://play.google.com/store/apps/details?id=com.plexapp.android"},
    ],
    "tv": [{"name": "Plex", "platform": "any", "url": "https://www.plex.tv/apps-devices/"}],
    "computer": [
        {"name": "app.plex.tv", "platform": "any", "url": "https://app.plex.tv/desktop"},
        {"name": "Windows / macOS", "platform": "desktop", "url": "https://www.plex.tv/media-server-downloads/?cat=plex+desktop"},
    ],
    "console": [{"name": "PlayStation / Xbox", "platform": "any", "url": "https://www.plex.tv/apps-devices/"}],
}
_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "code", "blockquote", "h3", "h4", "hr"}


@functools.cache
def _env() -> ImmutableSandboxedEnvironment:
    # Jinja2 (with Markdown and nh3) is loaded when a page is first rendered or checked, not when the app starts.
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class TemplateRejected(DomainError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__("invalid_template", message, field=field_name)


@dataclass(frozen=True)
class TierOverride:
    """One tier's own text for some steps, the house rules or the contact card; empty keeps everyone's."""

    steps: dict[str, str] = field(default_factory=dict)
    rules: str = ""
    contact: str = ""

    def is_empty(self) -> bool:
        return not self.steps and not self.rules.strip() and not self.contact.strip()

    def as_json(self) -> dict[str, Any]:
        return {"steps": {step: self.steps.get(step, "") for step in STEPS}, "rules": self.rules, "contact": self.contact}


@dataclass(frozen=True)
class OnboardingContent:
    """The owner's edits; an empty step means the default in the guest's language."""

    steps: dict[str, str] = field(default_factory=dict)
    request_app: str = ""  # one of REQUEST_APPS, or "" for no request card
    request_url: str = ""
    community_label: str = ""
    community_url: str = ""
    rules: str = ""
    contact: str = ""
    tiers: dict[str, TierOverride] = field(default_factory=dict)  # tier id -> its overrides

    def as_json(self) -> dict[str, Any]:
        return {
            "steps": {step: self.steps.get(step, "") for step in STEPS},
            "requestApp": self.request_app,
            "requestUrl": self.request_url,
            "communityLabel": self.community_label,
            "communityUrl": self.community_url,
            "rules": self.rules,
            "contact": self.contact,
            "tiers": {tier_id: override.as_json() for tier_id, override in sorted(self.tiers.items())},
        }

    def for_tier(self, tier_id: str) -> OnboardingContent:
        """The content a guest on this tier sees: the tier's overrides over everyone's text."""
        override = self.tiers.get(tier_id)
        if override is None:
            return replace(self, tiers={})
        return replace(
            self,
            steps={**self.steps, **override.steps},
            rules=override.rules if override.rules.strip() else self.rules,
            contact=override.contact if override.contact.strip() else self.contact,
            tiers={},
        )


@dataclass(frozen=True)
class GuestContext:
    """What the placeholders stand for, for one guest (or a sample one in the preview)."""

    server_name: str
    libraries: tuple[str, ...] = ()
    expires_at: str = ""
    tier: str = ""


def parse(body: Mapping[str, object]) -> OnboardingContent:
    """The owner's content from a request body; raises TemplateRejected or DomainError with the field to fix."""
    steps = _steps(body, "steps")
    request_app = _text(body, "requestApp", "requestApp", 20).lower()
    if request_app and request_app not in REQUEST_APPS:
        raise DomainError("invalid_field", f"requestApp must be one of: {', '.join(REQUEST_APPS)}.", field="requestApp")
    content = OnboardingContent(
        steps=steps,
        request_app=request_app,
        request_url=_url(body, "requestUrl", required=bool(request_app)),
        community_label=_text(body, "communityLabel", "communityLabel", 80),
        community_url=_url(body, "communityUrl"),
        rules=_text(body, "rules", "rules", MAX_TEMPLATE),
        contact=_text(body, "contact", "contact", MAX_TEMPLATE),
        tiers=_tier_overrides(body.get("tiers")),
    )
    check(content)
    if len(json.dumps(content.as_json(), ensure_ascii=False)) > MAX_STORED_CHARS:
        raise DomainError("content_too_large", "The page is too long to store; shorten some texts or tier overrides.", field="tiers")
    return content


def _steps(body: Mapping[str, object], field_name: str) -> dict[str, str]:
    raw_steps = body.get("steps") or {}
    if not isinstance(raw_steps, dict) or set(raw_steps) - set(STEPS):
        raise DomainError("invalid_field", f"{field_name} must be an object with any of: {', '.join(STEPS)}.", field=field_name)
    steps = {name: _text(raw_steps, name, f"{field_name}.{name}", MAX_TEMPLATE) for name in STEPS if raw_steps.get(name)}
    return {k: v for k, v in steps.items() if v.strip()}


def _tier_overrides(raw: object) -> dict[str, TierOverride]:
    """{tierId: {steps, rules, contact}}; a tier whose fields are all empty is dropped."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_TIER_OVERRIDES:
        raise DomainError("invalid_field", f"tiers must be an object of at most {MAX_TIER_OVERRIDES} tiers.", field="tiers")
    found: dict[str, TierOverride] = {}
    for tier_id, value in raw.items():
        prefix = f"tiers.{tier_id}"
        if not isinstance(tier_id, str) or not _TIER_ID.fullmatch(tier_id):
            raise DomainError("invalid_field", "tiers: a tier id is letters, digits, - and _.", field="tiers")
        if not isinstance(value, dict) or set(value) - {"steps", "rules", "contact"}:
            raise DomainError("invalid_field", f"{prefix} must be an object with steps, rules and contact.", field=prefix)
        override = TierOverride(
            steps=_steps(value, f"{prefix}.steps"),
            rules=_text(value, "rules", f"{prefix}.rules", MAX_TEMPLATE),
            contact=_text(value, "contact", f"{prefix}.contact", MAX_TEMPLATE),
        )
        if not override.is_empty():
            found[tier_id] = override
    return found


def check(content: OnboardingContent) -> None:
    """Refuses a template with an unknown placeholder, a syntax error, or one the sandbox stops."""
    from jinja2 import TemplateError, meta

    sample = GuestContext("Sample server", ("Movies", "TV Shows"), "31 December 2030", "Family")
    for field_name, source in _templates(content):
        try:
            names = meta.find_undeclared_variables(_env().parse(source))
        except TemplateError as exc:
            raise TemplateRejected(field_name, f"{field_name}: the template can't be read: {str(exc)[:200]}") from None
        unknown = sorted(names - set(PLACEHOLDERS))
        if unknown:
            raise TemplateRejected(
                field_name, f"{field_name}: unknown placeholder {', '.join(unknown)}. Use any of: {', '.join(PLACEHOLDERS)}."
            )
        try:
            render_markdown(source, _values(content, sample))
        except TemplateError as exc:  # SecurityError (a sandbox escape attempt) is one
            raise TemplateRejected(field_name, f"{field_name}: the template can't be used: {str(exc)[:200]}") from None


def render_markdown(source: str, values: Mapping[str, str]) -> str:
    """Sandboxed Jinja2 (autoescaped), then Markdown, then nh3: HTML safe to put in a page."""
    import markdown
    import nh3

    text = _env().from_string(source).render(values)
    html: str = markdown.markdown(text, output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def page(content: OnboardingContent, guest: GuestContext, locale: str) -> dict[str, Any]:
    """The Start watching page for a guest, in their language: every text already sanitised HTML."""
    values = _values(content, guest, locale)
    steps = []
    for device in DEVICES:
        source = content.steps.get(device) or i18n.onboarding_default(f"step.{device}", locale)
        steps.append(
            {"device": device, "title": i18n.page_text(f"device.{device}", locale), "html": _safe(source, values), "apps": APPS[device]}
        )
    accept = content.steps.get("accept") or i18n.onboarding_default("accept", locale)
    cards: list[dict[str, str]] = []
    if content.request_app and content.request_url:
        requests = i18n.onboarding_default("requests", locale)
        cards.append(
            {
                "kind": "requests",
                "title": f"{i18n.page_text('card.requests', locale)} · {REQUEST_APPS[content.request_app]}",
                "html": _safe(requests, values),
                "url": content.request_url,
            }
        )
    if content.community_url:
        title = content.community_label or i18n.page_text("card.community", locale)
        cards.append({"kind": "community", "title": title, "html": "", "url": content.community_url})
    if content.rules.strip():
        cards.append({"kind": "rules", "title": i18n.page_text("card.rules", locale), "html": _safe(content.rules, values), "url": ""})
    if content.contact.strip():
        cards.append(
            {"kind": "contact", "title": i18n.page_text("card.contact", locale), "html": _safe(content.contact, values), "url": ""}
        )
    return {
        "locale": locale,
        "serverName": guest.server_name,
        "steps": steps,
        "accept": {"title": i18n.page_text("acceptHeading", locale), "html": _safe(accept, values)},
        "cards": cards,
        "expiresAt": guest.expires_at,
    }


def _safe(source: str, values: Mapping[str, str]) -> str:
    from jinja2 import TemplateError

    try:
        return render_markdown(source, values)
    except TemplateError:
        return ""  # saved templates were checked; a default never fails, so this is only a stored row gone bad


def _values(content: OnboardingContent, guest: GuestContext, locale: str = i18n.DEFAULT_LOCALE) -> dict[str, str]:
    return {
        "server_name": guest.server_name,
        "libraries": ", ".join(guest.libraries),
        "expires_at": guest.expires_at,
        "request_url": content.request_url,
        "request_app": REQUEST_APPS.get(content.request_app, ""),
        "community_url": content.community_url,
        "tier": guest.tier,
    }


def _templates(content: OnboardingContent) -> list[tuple[str, str]]:
    pieces = [(f"steps.{name}", text) for name, text in content.steps.items()]
    for tier_id, override in content.tiers.items():
        prefix = f"tiers.{tier_id}"
        pieces += [(f"{prefix}.steps.{name}", text) for name, text in override.steps.items()]
        pieces += [(f"{prefix}.rules", override.rules), (f"{prefix}.contact", override.contact)]
    return [*pieces, ("rules", content.rules), ("contact", content.contact)]


def _text(body: Mapping[str, object], name: str, field_name: str, max_length: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise DomainError("invalid_field", f"{field_name} must be text of at most {max_length} characters.", field=field_name)
    return value.strip()


def _url(body: Mapping[str, object], name: str, *, required: bool = False) -> str:
    value = _text(body, name, name, MAX_URL)
    if not value:
        if required:
            raise DomainError("field_required", f"{name}: enter the address guests open.", field=name)
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise DomainError("invalid_field", f"{name} must be an http(s) address, like https://requests.example.com.", field=name)
    return value


class OnboardingStore:
    def __init__(self, table: Callable[[], TableClient]) -> None:
        self._table = table

    def get(self) -> OnboardingContent:
        try:
            entity = self._table().get_entity(PARTITION, ROW)
        except ResourceNotFoundError:
            return OnboardingContent()
        try:
            data = json.loads(str(entity.get("Value", "{}")))
            return OnboardingContent(
                steps={k: str(v) for k, v in dict(data.get("steps", {})).items() if k in STEPS and v},
                request_app=str(data.get("requestApp", "")),
                request_url=str(data.get("requestUrl", "")),
                community_label=str(data.get("communityLabel", "")),
                community_url=str(data.get("communityUrl", "")),
                rules=str(data.get("rules", "")),
                contact=str(data.get("contact", "")),
                tiers={
                    str(tier_id): TierOverride(
                        steps={k: str(v) for k, v in dict(value.get("steps", {})).items() if k in STEPS and v},
                        rules=str(value.get("rules", "")),
                        contact=str(value.get("contact", "")),
                    )
                    for tier_id, value in dict(data.get("tiers", {})).items()
                    if isinstance(value, dict)
                },
            )
        except (ValueError, TypeError, AttributeError):
            return OnboardingContent()

    def save(self, content: OnboardingContent) -> None:
        check(content)
        value = json.dumps(content.as_json(), ensure_ascii=False)
        self._table().upsert_entity({"PartitionKey": PARTITION, "RowKey": ROW, "Value": value}, mode=UpdateMode.REPLACE)
