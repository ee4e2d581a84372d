"""Request parsing and JSON responses shared by the HTTP handlers."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.settings import SetupRequired

log = logging.getLogger(__name__)

MAX_JSON_BODY_BYTES = 16 * 1024


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status_code=status,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", **(headers or {})},
        mimetype="application/json",
        charset="utf-8",
    )


def error_response(
    status: int, code: str, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    error: dict[str, str] = {"code": code, "message": message}
    if field:
        error["field"] = field
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
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise RequestError(400, "invalid_json", "The request body must be a JSON object.")
    return data


def client_ip(req: func.HttpRequest) -> str:
    # The platform appends the caller's address last; earlier entries are the client's own claims.
    forwarded = [part.strip() for part in (req.headers.get("X-Forwarded-For") or "").split(",") if part.strip()]
    address = forwarded[-1] if forwarded else (req.headers.get("X-Client-IP") or "").strip()
    if address.count(":") == 1 and "." in address:
        address = address.rsplit(":", 1)[0]  # "1.2.3.4:5678" as Azure sends it
    return address[:64]


def handle_errors(handler: Callable[[func.HttpRequest], func.HttpResponse]) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """Turns every failure into a JSON error; no stack trace reaches the caller."""

    @functools.wraps(handler)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return handler(req)
        except RequestError as exc:
            return error_response(exc.status, exc.code, exc.message, field=exc.field)
        except SetupRequired as exc:
            log.error("Setup required: missing %s", ", ".join(exc.missing))
            return error_response(503, "setup_required", exc.message)
        except Exception as exc:
            log.exception("Unhandled error in %s: %s", handler.__name__, type(exc).__name__)
            return error_response(500, "internal_error", "Something went wrong on our side. Please try again in a minute.")

    return wrapper
