"""Converting values read back from Table Storage."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_datetime(value: object) -> datetime | None:
    """A stored date-time as an aware UTC datetime (Azurite can return naive ones), or None."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
