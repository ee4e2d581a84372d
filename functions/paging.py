"""Pages of a newest-first table for the admin lists (the invite log, the audit trail): the page size and the
opaque cursor a client sends back for the next page."""

from __future__ import annotations

import base64
import binascii
import json

from shared.errors import DomainError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A CSV export holds every row the filters match, up to this many.
MAX_EXPORT_ROWS = 100_000


def page_limit(raw: str | None) -> int:
    if not raw:
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise DomainError("invalid_limit", f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return int(raw)


def encode_cursor(cursor: dict[str, str] | None) -> str | None:
    if not cursor:
        return None
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()


def decode_cursor(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        cursor = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        cursor = None
    if not isinstance(cursor, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in cursor.items()):
        raise DomainError("invalid_cursor", "That page link is no longer valid. Start again from the first page.")
    return cursor
