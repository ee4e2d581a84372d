"""Sorting what plexapi and requests raise into the few cases the app acts on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import DomainError, ErrorKind


class PlexErrorKind(StrEnum):
    INVALID_TOKEN = "invalid_token"
    USER_NOT_FOUND = "user_not_found"
    ALREADY_SHARED = "already_shared"
    SHARE_LIMIT = "share_limit"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    UNEXPECTED = "unexpected"


class PlexError(Exception):
    def __init__(self, kind: PlexErrorKind, detail: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        # True when an invite POST went out and its fate is unknown (timeout, 5xx): check before sending again.
        self.invite_may_exist = False

    def as_domain_error(self) -> DomainError:
        """What the admin is told when a call needed plex.tv and got no answer it could use: nothing changed."""
        code, message = _ADMIN_ANSWERS.get(self.kind, _ADMIN_ANSWERS[PlexErrorKind.UNEXPECTED])
        return DomainError(code, message.format(detail=self.detail), kind=ErrorKind.UNAVAILABLE, retry_after=self.retry_after)


_ADMIN_ANSWERS: dict[PlexErrorKind, tuple[str, str]] = {
    PlexErrorKind.INVALID_TOKEN: (
        "plex_token_rejected",
        "plex.tv rejected the owner's Plex token. Put a new token in Key Vault (plex-token) or PLEX_TOKEN, then try again.",
    ),
    PlexErrorKind.UNAVAILABLE: ("plex_unreachable", "{detail}. Nothing was changed; try again in a minute."),
    PlexErrorKind.RATE_LIMITED: ("plex_rate_limited", "plex.tv is rate-limiting requests. Nothing was changed; try again in a minute."),
    PlexErrorKind.UNEXPECTED: ("plex_error", "plex.tv answered something unexpected: {detail}"),
}


@dataclass(frozen=True)
class LastResponse:
    """Status and Retry-After of the last plex.tv answer; plexapi's exceptions drop both."""

    status: int
    retry_after: float | None


_STATUS_IN_MESSAGE = re.compile(r"^\((\d{3})\)")
_MAX_DETAIL = 300


def classify(exc: BaseException, last: LastResponse | None = None) -> PlexError:
    if isinstance(exc, PlexError):
        return exc
    # Imported here: a failure comes from a request already sent, so both are loaded by now.
    import requests
    from plexapi import exceptions as plex_exceptions

    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return PlexError(PlexErrorKind.UNAVAILABLE, f"plex.tv could not be reached ({type(exc).__name__})")
    message = str(exc)
    status = _status_of(message, last)
    retry_after = last.retry_after if last is not None and last.status == status else None
    detail = _safe_detail(message)
    lowered = message.lower()
    if isinstance(exc, plex_exceptions.Unauthorized) or status == 401:
        return PlexError(PlexErrorKind.INVALID_TOKEN, "plex.tv rejected the owner token", status=status)
    if status == 429:
        return PlexError(PlexErrorKind.RATE_LIMITED, "plex.tv is rate-limiting requests", status=status, retry_after=retry_after)
    if status is not None and status >= 500:
        return PlexError(PlexErrorKind.UNAVAILABLE, f"plex.tv answered {status}", status=status, retry_after=retry_after)
    if "already sharing" in lowered:
        return PlexError(PlexErrorKind.ALREADY_SHARED, detail, status=status)
    if status == 422 and "invalid token" in lowered:
        return PlexError(PlexErrorKind.INVALID_TOKEN, "plex.tv rejected the owner token", status=status)
    if status == 422:
        return PlexError(PlexErrorKind.SHARE_LIMIT, detail, status=status)
    if status == 400 and "plex pass" not in lowered:
        return PlexError(PlexErrorKind.USER_NOT_FOUND, detail, status=status)
    return PlexError(PlexErrorKind.UNEXPECTED, detail or type(exc).__name__, status=status)


def _status_of(message: str, last: LastResponse | None) -> int | None:
    match = _STATUS_IN_MESSAGE.match(message)
    if match:
        return int(match.group(1))
    # Unusual statuses (520, 522...) make plexapi raise TypeError with no status in the text.
    if last is not None and last.status not in (200, 201, 204):
        return last.status
    return None


_XML_REASON = re.compile(r'\b(?:status|message)="([^"]{1,300})"')


def _safe_detail(message: str) -> str:
    # plexapi's message is "(NNN) name; URL body"; keep the body only, as URLs may carry tokens.
    body = message.split("; ", 1)[1] if "; " in message else message
    reason = _XML_REASON.search(body)
    if reason:
        return reason.group(1)
    body = re.sub(r"https?://\S+", "", body)
    body = re.sub(r"(?i)x-plex-token=[^&\s]+", "X-Plex-Token=***", body)
    return body.strip()[:_MAX_DETAIL]
