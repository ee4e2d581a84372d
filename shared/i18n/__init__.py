"""The guest's language: which one a request asks for, and the words in it.

Catalogs are gettext files in shared/i18n/locales/<locale>/LC_MESSAGES/messages.po, compiled to .mo by
devtools/i18n.py (both are committed, so a deploy needs no build step). Three kinds of entries:

- API messages (no context): the msgid is the English message a DomainError carries, with `{name}` where
  the code puts a value. A message is translated by matching it against the msgids, so the domain keeps
  raising English errors and never needs to know the request's language; the values are carried over
  (and translated too when they are catalog entries themselves, like "5 minutes").
- page strings (context "page"): keyed by name; devtools/i18n.py also writes them to
  static_site/i18n/<locale>.json for the static pages.
- onboarding defaults (context "onboarding"): the Markdown each step starts with before the owner edits it.

A message with no translation stays in English. Right-to-left languages need only a catalog and the
page's `dir`, which the pages set from the catalog's "dir" entry.
"""

from __future__ import annotations

import contextvars
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

LOCALES: tuple[str, ...] = ("en", "de", "fr", "es", "nl", "it", "pt-BR")
DEFAULT_LOCALE = "en"
LOCALE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "nl": "Nederlands",
    "it": "Italiano",
    "pt-BR": "Português (Brasil)",
}
CATALOG_DIR = Path(__file__).parent / "locales"
PAGE = "page"
ONBOARDING = "onboarding"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


def catalog_name(locale: str) -> str:
    """pt-BR (a web language tag) is pt_BR on disk and for Babel."""
    return locale.replace("-", "_")


def negotiate(accept_language: str | None) -> str:
    """The best of LOCALES for an Accept-Language header: an exact tag first, then its language (de-AT → de,
    pt → pt-BR), by the header's q-values; English when nothing fits."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if _TAG.match(tag.strip()) and quality > 0:
            choices.append((-quality, index, tag.strip().lower()))
    by_lower = {locale.lower(): locale for locale in LOCALES}
    for _, _, tag in sorted(choices):
        if tag in by_lower:
            return by_lower[tag]
        language = tag.split("-")[0]
        for locale in LOCALES:
            if locale.lower().split("-")[0] == language:
                return locale
    return DEFAULT_LOCALE


def set_current(locale: str) -> contextvars.Token[str]:
    return _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def reset_current(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    """The language of the request being handled (English outside one)."""
    return _current.get()


@dataclass(frozen=True)
class _Pattern:
    msgid: str
    regex: re.Pattern[str]


@functools.cache
def load(locale: str) -> dict[tuple[str | None, str], str]:
    """The compiled catalog as {(context, msgid): text}, translated entries only."""
    from babel.messages.mofile import read_mo  # Babel: loaded with the first catalog, not when the app starts

    path = CATALOG_DIR / catalog_name(locale) / "LC_MESSAGES" / "messages.mo"
    with path.open("rb") as handle:
        catalog = read_mo(handle)
    entries: dict[tuple[str | None, str], str] = {}
    for message in catalog:
        context = message.context.decode() if isinstance(message.context, bytes) else message.context  # read_mo leaves it as bytes
        if isinstance(message.id, str) and message.id and isinstance(message.string, str) and message.string:
            entries[(context, message.id)] = message.string
    return entries


@functools.cache
def _api_patterns() -> tuple[dict[str, str], tuple[_Pattern, ...]]:
    """Every API msgid: the exact ones by text, and those with values as patterns (longest first)."""
    exact: dict[str, str] = {}
    patterns: list[_Pattern] = []
    for context, msgid in load(DEFAULT_LOCALE):
        if context is not None:
            continue
        if _PLACEHOLDER.search(msgid):
            pieces = re.split(r"(\{\w+\})", msgid)
            regex = "".join(f"(?P<{p[1:-1]}>.+?)" if _PLACEHOLDER.fullmatch(p) else re.escape(p) for p in pieces)
            patterns.append(_Pattern(msgid, re.compile(regex, re.DOTALL)))
        else:
            exact[msgid] = msgid
    patterns.sort(key=lambda p: len(p.msgid), reverse=True)
    return exact, tuple(patterns)


def _text(locale: str, msgid: str, context: str | None = None) -> str:
    return load(locale).get((context, msgid), "")


def fill(text: str, values: dict[str, str]) -> str:
    """Puts values in place of `{name}`; unknown names stay as written (never str.format on catalog text)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def translate(message: str, locale: str | None = None, *, _depth: int = 0) -> str:
    """An English API message in the given (or the request's) language; unchanged when it has no translation."""
    locale = locale or current()
    if locale == DEFAULT_LOCALE or not message or _depth > 2:
        return message
    exact, patterns = _api_patterns()
    if message in exact:
        return _text(locale, message) or message
    for pattern in patterns:
        match = pattern.regex.fullmatch(message)
        if match is None:
            continue
        translated = _text(locale, pattern.msgid)
        if not translated:
            return message
        values = {name: translate(value, locale, _depth=_depth + 1) for name, value in match.groupdict().items()}
        return fill(translated, values)
    return message


def page_text(key: str, locale: str | None = None, **values: str) -> str:
    """A page string by key, in the language (falling back to English)."""
    locale = locale or current()
    text = _text(locale, key, PAGE) or _text(DEFAULT_LOCALE, key, PAGE) or key
    return fill(text, values)


def onboarding_default(key: str, locale: str | None = None) -> str:
    locale = locale or current()
    return _text(locale, key, ONBOARDING) or _text(DEFAULT_LOCALE, key, ONBOARDING)


def format_day(moment: datetime, locale: str | None = None) -> str:
    """A date as people write it in the language, e.g. 31 December 2026 / 31. Dezember 2026."""
    from babel.dates import format_date

    return str(format_date(moment, format="long", locale=catalog_name(locale or current())))


def format_moment(moment: datetime, locale: str | None = None) -> str:
    from babel.dates import format_datetime

    return str(format_datetime(moment, format="medium", tzinfo=moment.tzinfo, locale=catalog_name(locale or current())))


def format_day_sample(locale: str) -> str:
    """A date a year ahead, for previews."""

    return format_day(datetime.now(UTC) + timedelta(days=365), locale)
