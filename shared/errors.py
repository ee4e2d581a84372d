"""The one error type the domain raises to say why a request can't be done.

Each error has a stable `code` (clients and tests rely on it), a `message` written for the person
who reads it with what to do next, an optional form `field`, a `kind`, and optionally how long to
wait. The HTTP layer turns the kind into a status in one place (functions/http.py); the domain never
speaks HTTP.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"  # the input can't be used as sent; fix the field
    UNPROCESSABLE = "unprocessable"  # well-formed, but refers to something that can't be used
    UNAUTHENTICATED = "unauthenticated"  # not signed in, or the credentials are wrong
    FORBIDDEN = "forbidden"  # signed in or not, this may not be done from here
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the state changed meanwhile, or doesn't allow it now
    RATE_LIMITED = "rate_limited"  # too many attempts; wait
    UNAVAILABLE = "unavailable"  # a dependency or a setting is missing; not the caller's fault


class DomainError(Exception):
    """Raise a subclass (or this, with a kind) from the domain; never an HTTP status."""

    default_kind = ErrorKind.INVALID

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: ErrorKind | None = None,
        field: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind or self.default_kind
        self.field = field
        self.retry_after = retry_after
