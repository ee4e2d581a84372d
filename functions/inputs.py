"""Reading fields from a JSON request body, with one set of rules for every handler."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import azure.functions as func

from shared.errors import DomainError

MAX_TEXT_LENGTH = 500
# Passwords and recovery codes may be long; nothing else needs to be.
MAX_SECRET_LENGTH = 1024
MAX_WHOLE_NUMBER = 1_000_000


def text(body: dict[str, object], name: str, *, required: bool = False, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A text field, trimmed; "" when absent or null."""
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > max_length:
        raise DomainError("invalid_field", f"{name} must be text of at most {max_length} characters.", field=name)
    value = value.strip()
    if required and not value:
        raise DomainError("field_required", f"Enter your {name}.", field=name)
    return value


def secret(body: dict[str, object], name: str, *, required: bool = False) -> str:
    """A password or code: not trimmed (spaces may be part of it), and allowed to be longer."""
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_SECRET_LENGTH:
        raise DomainError("invalid_field", f"{name} must be text of at most {MAX_SECRET_LENGTH} characters.", field=name)
    if required and not value:
        raise DomainError("field_required", f"Enter your {name}.", field=name)
    return value


def whole_number(body: dict[str, object], name: str, default: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WHOLE_NUMBER:
        raise DomainError("invalid_field", f"{name} must be a whole number of 0 or more.", field=name)
    return value


def moment(body: dict[str, object], name: str) -> datetime | None:
    """An ISO 8601 date and time; one without a zone is taken as UTC."""
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise DomainError("invalid_field", f"{name} must be a date and time like 2026-12-31T23:59:00Z.", field=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def flag(body: dict[str, object], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise DomainError("invalid_field", f"{name} must be true or false.", field=name)
    return value


def library_ids(body: dict[str, object], name: str = "sectionIds") -> list[int]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise DomainError("invalid_section_ids", f"{name} must be a list of library ids.", field=name)
    return list(value)


def route_value(req: func.HttpRequest, name: str) -> str:
    """A value from the route as the client sent it. The Functions host decodes route values except %2F, which
    Kestrel keeps escaped in the path (devtools/host_rules.decode_path does the same), so an email with a "/" would
    otherwise arrive with "%2F" inside. An address that really holds the text "%2F" can't be named in a route."""
    return re.sub("%2[Ff]", "/", req.route_params.get(name) or "")
