"""Request parsing, JSON responses, and the wrapper every HTTP handler runs in."""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.core.exceptions import AzureError

from functions.cookies import cleared_plex_pin_cookie, cleared_session_cookie
from functions.request_fields import allowed_fields
from shared import i18n
from shared.errors import DomainError, ErrorKind
from shared.invites.plex_sign_in import SignInError
from shared.limits.client_address import client_from_forwarded_for
from shared.plex.errors import PlexError

log = logging.getLogger(__name__)
request_log = logging.getLogger("helpr.requests")

MAX_JSON_BODY_BYTES = 16 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_JSON_DEPTH = 16
CORRELATION_HEADER = "X-Correlation-Id"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

_SAFE_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# What the handler learnt about the request, for the one log line each invocation writes.
_outcome: contextvars.ContextVar[str] = contextvars.ContextVar("outcome", default="")
_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def iso_utc(moment: datetime | float | None) -> str | None:
    """A time for JSON: ISO 8601 in UTC with a Z, from a datetime or epoch seconds."""
    if moment is None:
        return None
    when = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int | float) else moment
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def note_outcome(outcome: str) -> None:
    _outcome.set(outcome)


def correlation_id() -> str:
    return _correlation_id.get()


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status_code=status,
        # Content-Language names the language of the messages; Vary keeps caches from mixing languages.
        headers={**SECURITY_HEADERS, "Content-Language": i18n.current(), "Vary": "Accept-Language", **(headers or {})},
        mimetype="application/json",
        charset="utf-8",
    )


def error_response(
    status: int, code: str, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    # The code stays; the message is in the request's language (Accept-Language) when the catalogs have it.
    error: dict[str, str] = {"code": code, "message": i18n.translate(message)}
    if field:
        error["field"] = field
    note_outcome(code)
    return json_response({"error": error}, status, headers)


def read_json_object(req: func.HttpRequest) -> dict[str, Any]:
    content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError(415, "unsupported_media_type", "Send the request as JSON with the header Content-Type: application/json.")
    body = req.get_body() or b""
    if len(body) > MAX_JSON_BODY_BYTES:
        raise RequestError(413, "body_too_large", f"The request body is larger than {MAX_JSON_BODY_BYTES} bytes.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestError(400, "invalid_json", "The request body is not valid UTF-8 text.") from None
    except (ValueError, RecursionError):
        raise RequestError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RequestError(400, "invalid_json", "The request body must be a JSON object.")
    if _depth(data) > MAX_JSON_DEPTH:
        raise RequestError(400, "invalid_json", f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
    allowed = allowed_fields(req.method, req.url)
    unknown = sorted(set(data) - allowed) if allowed is not None else []
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise RequestError(
            400, "unknown_field", f"This request has no field {names}. It takes: {', '.join(sorted(allowed or ()))}.", field=unknown[0][:40]
        )
    return data


def _depth(value: object, level: int = 1) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


def api_endpoint(handler: Callable[[func.HttpRequest], func.HttpResponse]) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """Runs a handler with a correlation id, early rejection of oversized headers, security headers,
    one structured log line, and a JSON error instead of any unexpected exception."""

    @functools.wraps(handler)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        started = time.perf_counter()
        incoming = req.headers.get(CORRELATION_HEADER) or ""
        cid = incoming if _SAFE_CORRELATION_ID.fullmatch(incoming) else uuid.uuid4().hex
        cid_token, outcome_token = _correlation_id.set(cid), _outcome.set("")
        locale_token = i18n.set_current(i18n.negotiate(req.headers.get("Accept-Language")))
        try:
            response = _run(handler, req)
            for name, value in SECURITY_HEADERS.items():
                if name not in response.headers:
                    response.headers[name] = value
            response.headers[CORRELATION_HEADER] = cid
            request_log.info(
                json.dumps(
                    {
                        "event": "request",
                        "correlationId": cid,
                        "function": handler.__name__,
                        "method": req.method,
                        "status": response.status_code,
                        "outcome": _outcome.get() or ("ok" if response.status_code < 400 else "error"),
                        "durationMs": round((time.perf_counter() - started) * 1000, 1),
                    }
                )
            )
            return response
        finally:
            _correlation_id.reset(cid_token)
            _outcome.reset(outcome_token)
            i18n.reset_current(locale_token)

    return wrapper


def _run(handler: Callable[[func.HttpRequest], func.HttpResponse], req: func.HttpRequest) -> func.HttpResponse:
    try:
        if sum(len(name) + len(value) for name, value in req.headers.items()) > MAX_HEADER_BYTES:
            raise RequestError(431, "headers_too_large", f"The request headers are larger than {MAX_HEADER_BYTES} bytes.")
        return handler(req)
    except RequestError as exc:
        return error_response(exc.status, exc.code, exc.message, field=exc.field, headers=exc.headers)
    except PlexError as exc:
        log.warning("Plex failed in %s: %s", handler.__name__, exc.kind)
        return domain_error_response(exc.as_domain_error())
    except DomainError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            log.error("%s in %s: %s", exc.code, handler.__name__, exc.message)
        return domain_error_response(exc)
    except AzureError as exc:
        log.error("Table Storage failed: %s", type(exc).__name__)
        return error_response(
            503,
            "storage_unavailable",
            "The portal can't reach its storage right now. Please try again in a few minutes.",
            headers={"Retry-After": "30"},
        )
    except Exception as exc:
        log.exception("Unhandled error in %s: %s", handler.__name__, type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on our side. Please try again in a minute.")


# The one place a domain error becomes an HTTP status.
STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UNAVAILABLE: 503,
}


def domain_error_response(exc: DomainError) -> func.HttpResponse:
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    elif exc.kind is ErrorKind.UNAVAILABLE and exc.code != "setup_required":
        headers["Retry-After"] = "60"
    if exc.kind is ErrorKind.UNAUTHENTICATED and exc.code == "not_authenticated":
        headers["Set-Cookie"] = cleared_session_cookie()  # the browser's cookie is no good any more
    if isinstance(exc, SignInError) and exc.ends_sign_in:
        headers["Set-Cookie"] = cleared_plex_pin_cookie()  # this Plex sign-in is over; a new one starts afresh
    return error_response(STATUS_BY_KIND[exc.kind], exc.code, exc.message, field=exc.field, headers=headers)


def client_ip(req: func.HttpRequest, trusted_hops: int) -> str:
    """The client address the platform's front end appended to X-Forwarded-For (see
    shared.limits.client_address). Headers a client can set itself, like X-Client-IP, are never read."""
    return client_from_forwarded_for(req.headers.get("X-Forwarded-For") or "", trusted_hops)
