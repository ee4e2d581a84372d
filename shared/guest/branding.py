"""The guest pages' look: the server's display name, an accent colour, a welcome line and an optional logo.

The accent colour is used for buttons (with white text) and links (on the page's light background), so a colour
is refused at save unless it has a WCAG 2.x contrast ratio of at least 4.5:1 against both. The logo is an image
the owner uploads (PNG, JPEG or WebP, recognised by its first bytes, at most 200 KB), served from the site's own
origin with that exact content type; SVG is refused (it can carry scripts), and so are addresses of images
elsewhere (the pages' CSP only loads images from their own origin).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.errors import DomainError
from shared.storage import registry

log = logging.getLogger(__name__)

PARTITION = registry.SETTINGS.name
ROW = registry.BRANDING.key
LOGO_ROW = registry.BRANDING_LOGO.key
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
# The light page background (static_site/styles.css --bg): the card is white, so this is the stricter of the two.
PAGE_BACKGROUND = "#f3f4f6"
MAX_LOGO_BYTES = 200 * 1024
MAX_NAME = 80
MAX_WELCOME = 200
# Table Storage holds at most 64 KiB in one binary property.
_CHUNK = 60_000
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_SIGNATURES: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    ("image/webp", lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP"),
)


class BrandingRejected(DomainError):
    def __init__(self, field_name: str, code: str, message: str) -> None:
        super().__init__(code, message, field=field_name)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance over the darker's: 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def logo_type(data: bytes) -> str:
    """The image type from the file's first bytes; "" when it is none of PNG, JPEG or WebP."""
    return next((kind for kind, matches in _SIGNATURES if matches(data)), "")


@dataclass(frozen=True)
class Branding:
    server_name: str = ""  # "" keeps SERVER_DISPLAY_NAME or the Plex server's own name
    accent: str = ""  # "#rrggbb", or "" for the default look
    welcome: str = ""  # plain text under the page title
    logo_type: str = ""  # the stored logo's content type; "" when there is none
    logo_version: str = ""  # a hash of the logo, so its address changes with it

    def as_json(self) -> dict[str, object]:
        return {
            "serverName": self.server_name,
            "accent": self.accent,
            "welcome": self.welcome,
            "logoUrl": f"/api/branding/logo?v={self.logo_version}" if self.logo_type else "",
        }


def parse(body: Mapping[str, object], current: Branding) -> Branding:
    """The owner's name, colour and welcome line from a request body (the logo is uploaded on its own)."""
    accent = _text(body, "accent", 7).lower()
    if accent:
        if not _HEX.fullmatch(accent):
            raise BrandingRejected("accent", "invalid_colour", "accent must be a colour like #1d5fd0.")
        on_buttons, on_page = contrast_ratio(accent, WHITE), contrast_ratio(accent, PAGE_BACKGROUND)
        if min(on_buttons, on_page) < MIN_CONTRAST:
            raise BrandingRejected(
                "accent",
                "low_contrast",
                f"{accent} has too little contrast: {on_buttons:.2f}:1 against white button text and {on_page:.2f}:1 against "
                f"the page, where at least {MIN_CONTRAST}:1 is needed. Choose a darker colour.",
            )
    return Branding(
        server_name=_text(body, "serverName", MAX_NAME),
        accent=accent,
        welcome=_text(body, "welcome", MAX_WELCOME),
        logo_type=current.logo_type,
        logo_version=current.logo_version,
    )


def _text(body: Mapping[str, object], name: str, max_length: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length or any(ord(ch) < 32 for ch in value):
        raise BrandingRejected(name, "invalid_field", f"{name} must be one line of text of at most {max_length} characters.")
    return value.strip()


class BrandingStore:
    """Two rows of the settings partition: the small one every page load reads, and the logo's bytes."""

    def __init__(self, table: Callable[[], TableClient]) -> None:
        self._table = table
        self._lock = threading.Lock()
        self._logo_cache: tuple[str, bytes] = ("", b"")  # (version, bytes): a warm instance reads the logo once

    def get(self) -> Branding:
        try:
            entity = self._table().get_entity(PARTITION, ROW)
        except ResourceNotFoundError:
            return Branding()
        return Branding(
            server_name=str(entity.get("ServerName", "")),
            accent=str(entity.get("Accent", "")),
            welcome=str(entity.get("Welcome", "")),
            logo_type=str(entity.get("LogoType", "")),
            logo_version=str(entity.get("LogoVersion", "")),
        )

    def for_guests(self) -> Branding:
        """The branding for a guest page, failing open: while storage is down the page keeps its default look."""
        try:
            return self.get()
        except AzureError as exc:
            log.warning("Branding not read (%s); the default look is served", type(exc).__name__)
            return Branding()

    def save(self, branding: Branding) -> None:
        entity = {
            "PartitionKey": PARTITION,
            "RowKey": ROW,
            "ServerName": branding.server_name,
            "Accent": branding.accent,
            "Welcome": branding.welcome,
            "LogoType": branding.logo_type,
            "LogoVersion": branding.logo_version,
        }
        self._table().upsert_entity(entity, mode=UpdateMode.REPLACE)

    def save_logo(self, data: bytes) -> Branding:
        """Stores an uploaded logo after checking its size and type; raises BrandingRejected."""
        if not data:
            raise BrandingRejected("logo", "invalid_logo", "Send the logo image as the request body.")
        if len(data) > MAX_LOGO_BYTES:
            raise BrandingRejected("logo", "logo_too_large", f"The logo is {len(data)} bytes; at most {MAX_LOGO_BYTES} are allowed.")
        kind = logo_type(data)
        if not kind:
            raise BrandingRejected("logo", "invalid_logo", "The logo must be a PNG, JPEG or WebP image (SVG isn't accepted).")
        version = hashlib.sha256(data).hexdigest()[:16]
        chunks = {f"Chunk{index}": data[start : start + _CHUNK] for index, start in enumerate(range(0, len(data), _CHUNK))}
        table = self._table()
        table.upsert_entity({"PartitionKey": PARTITION, "RowKey": LOGO_ROW, "Version": version, **chunks}, mode=UpdateMode.REPLACE)
        branding = self.get()
        updated = Branding(branding.server_name, branding.accent, branding.welcome, kind, version)
        self.save(updated)
        return updated

    def delete_logo(self) -> Branding:
        branding = self.get()
        updated = Branding(branding.server_name, branding.accent, branding.welcome)
        self.save(updated)
        with contextlib.suppress(ResourceNotFoundError):
            self._table().delete_entity(PARTITION, LOGO_ROW)
        return updated

    def logo(self) -> tuple[str, bytes] | None:
        """(content type, bytes) of the current logo, or None."""
        branding = self.get()
        if not branding.logo_type:
            return None
        with self._lock:
            version, data = self._logo_cache
        if version != branding.logo_version:
            try:
                entity = self._table().get_entity(PARTITION, LOGO_ROW)
            except ResourceNotFoundError:
                return None
            parts = sorted((k for k in entity if k.startswith("Chunk")), key=lambda k: int(k[5:]))
            data = b"".join(bytes(entity[k]) for k in parts)
            version = str(entity.get("Version", ""))
            with self._lock:
                self._logo_cache = (version, data)
        # The type is checked again on the bytes themselves: the content type served always matches them.
        kind = logo_type(data)
        return (kind, data) if kind and version == branding.logo_version else None
