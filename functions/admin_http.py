"""The admin_only wrapper: who is calling (a browser session or an API key), what they may do, and an
audit row for every change.

- A session comes only from the session cookie, and a change needs its CSRF header and the site's Origin.
- An API key comes only from the `X-Api-Key` header (never a cookie, so it is never sent by a browser on its
  own, and needs no CSRF or Origin). Azure Static Web Apps replaces the `Authorization` header on its way
  to the functions (Azure/static-web-apps issues #34 and #158), so the key has its own header. A read key
  gets 403 `key_read_only` on any change; routes marked session_only (signing out, two-step sign-in, the
  keys themselves) answer a key 403 `key_not_allowed`, so a leaked key can't mint keys or lock the owner out.
- Every state-changing call is recorded in the audit trail after the handler ran (who, the handler's name,
  the route values, a redacted summary of the body, before/after when the handler notes them, and the
  outcome); a failed audit write is logged and never fails the change. The row is written before the answer
  goes out (one insert, about 3 ms): a write left running after the answer could be lost when the platform
  freezes or recycles the instance, and the trail must not miss a change.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import azure.functions as func

from functions.cookies import SESSION_COOKIE, read_cookie
from functions.http import RequestError, client_ip
from functions.inputs import route_value
from shared.admin.api_keys import ApiKey, KeyScope
from shared.admin.auth import AuthFailure
from shared.admin.sessions import AdminSession
from shared.audit.trail import EXPIRE_ACCESS, OK, SIGN_IN, AuditEntry, is_secret_name, redacted
from shared.container import Container, get_container
from shared.errors import DomainError, ErrorKind
from shared.invites.admissions import GLOBAL_CODE_MARK
from shared.plex.errors import PlexError

CSRF_HEADER = "X-CSRF-Token"
API_KEY_HEADER = "X-Api-Key"
_MAX_BODY_SUMMARY = 16 * 1024

AdminHandler = Callable[[func.HttpRequest, AdminSession], func.HttpResponse]
HttpHandler = Callable[[func.HttpRequest], func.HttpResponse]

# Every action name the audit trail can hold: the audited handlers' names, added as they are decorated (all of
# them by the time function_app is imported), the sign-in and the expiry timer's.
AUDITED_ACTIONS: set[str] = {SIGN_IN, EXPIRE_ACCESS}

# What the running handler noted for its audit row (before/after), per request.
_noted: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar("audit_noted", default=None)


@dataclass(frozen=True)
class AdminAccess:
    """What admin_only was told about a route; tests read it from the handler (`admin_access`)."""

    changes_state: bool
    session_only: bool
    audited: bool


@dataclass(frozen=True)
class _Caller:
    session: AdminSession
    key: ApiKey | None


def note_change(*, before: object = None, after: object = None, outcome: str = "", target: str = "") -> None:
    """Adds what the change did to its audit row: short values, redacted like the request body. `outcome` replaces
    "ok" for an answer that succeeded without doing all it was asked (a bulk change with some people not changed);
    `target` names who a change was for when the route doesn't (a bulk change, a reconciliation fix)."""
    noted = _noted.get()
    if noted is not None:
        if before is not None:
            noted["before"] = redacted(before)
        if after is not None:
            noted["after"] = redacted(after)
        if outcome:
            noted["outcome"] = outcome
        if target:
            noted["target"] = target


def admin_only(*, changes_state: bool, session_only: bool = False, audited: bool = True) -> Callable[[AdminHandler], HttpHandler]:
    """Requires a live session or an API key. A change also needs the CSRF header and the site's Origin (a
    session) or a read-write key, and is recorded in the audit trail unless `audited` is False (only for a
    POST that changes nothing, like a preview). `session_only` refuses keys."""
    access = AdminAccess(changes_state, session_only, audited and changes_state)

    def decorate(handler: AdminHandler) -> HttpHandler:
        if access.audited:
            AUDITED_ACTIONS.add(handler.__name__)

        def wrapper(req: func.HttpRequest) -> func.HttpResponse:
            container = get_container()
            address = client_ip(req, container.settings.trusted_proxy_hops)
            caller = _identify(req, container, address)  # AuthError answers 401/403/429 in api_endpoint
            if not access.audited:
                _authorize(req, container, caller, access)
                return handler(req, caller.session)
            noted: dict[str, object] = {}
            token = _noted.set(noted)

            def change() -> func.HttpResponse:
                _authorize(req, container, caller, access)
                return handler(req, caller.session)

            def record(outcome: str) -> None:
                _noted.reset(token)
                actor = caller.key.actor if caller.key else caller.session.username
                noted_outcome, target = str(noted.pop("outcome", "")), str(noted.pop("target", "")) or _target(req)
                detail = _safe_detail(req, noted)
                outcome = noted_outcome if outcome == OK and noted_outcome else outcome
                entry = AuditEntry(actor=actor, action=handler.__name__, target=target, detail=detail, outcome=outcome)
                container.audit.record(entry, address)

            return _recording_outcome(change, record)

        return _standing_for(handler, wrapper, access)

    return decorate


# What a sign-in can end in once the throttle has counted it (shared.admin.auth.AdminAuth.login).
_THROTTLED_SIGN_IN_OUTCOMES = frozenset(
    {OK, AuthFailure.INVALID_CREDENTIALS, AuthFailure.SECOND_FACTOR_REQUIRED, AuthFailure.INVALID_SECOND_FACTOR}
)


def audited_sign_in(handler: HttpHandler) -> HttpHandler:
    """Records a sign-in's outcome. The actor is the admin's name when that is what was typed, else
    "(other name)", so a password typed into the name field never lands in the trail. Only attempts the
    sign-in throttle counted are recorded (a success or a checked password or second factor): a request
    refused before that (too many attempts, a wrong Origin, a malformed body) is free to send, so a
    stranger's flood of them must not fill the trail."""

    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        container = get_container()

        def record(outcome: str) -> None:
            if outcome not in _THROTTLED_SIGN_IN_OUTCOMES:
                return
            typed = _json_body(req).get("username")
            admin = container.settings.admin_username
            actor = admin if isinstance(typed, str) and typed.strip().lower() == admin.strip().lower() else "(other name)"
            address = client_ip(req, container.settings.trusted_proxy_hops)
            container.audit.record(AuditEntry(actor=actor, action=SIGN_IN, outcome=outcome), address)

        return _recording_outcome(lambda: handler(req), record)

    return _standing_for(handler, wrapper, AdminAccess(changes_state=True, session_only=True, audited=True))


def shown_code(code: str, read_only: bool) -> str:
    """An invite link's code as a caller may see it: a read-only key gets its first 4 characters, as the audit
    trail keeps them, and nothing of a code of 6 or fewer (4 would leave too few to guess); the whole code would
    let anyone in."""
    if not read_only or not code or code == GLOBAL_CODE_MARK:
        return code
    return code[:4] + "…" if len(code) > 6 else "…"


def _recording_outcome(call: Callable[[], func.HttpResponse], record: Callable[[str], None]) -> func.HttpResponse:
    """Runs the call and then records how it ended: "ok", "http_<status>", or the code of the error it raised
    (which api_endpoint turns into the answer)."""
    outcome = "internal_error"
    try:
        response = call()
        outcome = OK if response.status_code < 400 else f"http_{response.status_code}"
        return response
    except Exception as exc:
        outcome = _error_code(exc)
        raise
    finally:
        record(outcome)


def _standing_for(handler: Callable[..., func.HttpResponse], wrapper: HttpHandler, access: AdminAccess) -> HttpHandler:
    # Not functools.wraps: the worker reads inspect.signature, which follows __wrapped__ to
    # handler(req, session), and refuses a parameter that is no binding.
    wrapper.__name__ = wrapper.__qualname__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    wrapper.__module__ = handler.__module__
    wrapper.admin_access = access  # type: ignore[attr-defined]
    return wrapper


def _error_code(exc: Exception) -> str:
    """The code the caller gets for an exception (functions/http.py turns it into the answer)."""
    if isinstance(exc, PlexError):
        return exc.as_domain_error().code
    if isinstance(exc, DomainError | RequestError):
        return exc.code
    return "internal_error"


def _identify(req: func.HttpRequest, container: Container, address: str) -> _Caller:
    presented = req.headers.get(API_KEY_HEADER)
    if presented is not None:
        # The header alone decides: a cookie sent beside it is ignored, and a key is never read from a cookie.
        key = container.api_keys.verify(presented, address)
        read_only = key.scope is not KeyScope.WRITE
        return _Caller(AdminSession(id="", username=key.actor, csrf_token="", expires_at=datetime.now(UTC), read_only=read_only), key)
    return _Caller(container.admin_auth.authenticate(read_cookie(req, SESSION_COOKIE)), None)


def _authorize(req: func.HttpRequest, container: Container, caller: _Caller, access: AdminAccess) -> None:
    if caller.key is not None:
        if access.session_only:
            raise DomainError(
                "key_not_allowed",
                "API keys can't do this: sign in on the admin page to manage keys, sign out or change two-step sign-in.",
                kind=ErrorKind.FORBIDDEN,
            )
        if access.changes_state and caller.key.scope is not KeyScope.WRITE:
            raise DomainError(
                "key_read_only",
                "This API key can only read. Create a read-write key in Settings → API keys to make changes.",
                kind=ErrorKind.FORBIDDEN,
            )
        return
    if access.changes_state:
        container.admin_auth.authorize_change(
            caller.session, req.headers.get(CSRF_HEADER) or "", req.headers.get("Origin") or "", req.headers.get("Referer") or ""
        )


def _target(req: func.HttpRequest) -> str:
    # A secret-named route value (an invite link's code) is shown as to a read-only key, which reads the trail too.
    return " ".join(
        f"{name}={shown_code(value, read_only=True) if is_secret_name(name) else value}"
        for name, value in ((name, route_value(req, name)) for name in sorted(req.route_params))
    )


def _safe_detail(req: func.HttpRequest, noted: dict[str, object]) -> str:
    """The row's detail; a body that can't be summarised must not cost the change its audit row."""
    try:
        return _detail(req, noted)
    except (ValueError, TypeError, RecursionError):
        return "(unreadable body)"


def _detail(req: func.HttpRequest, noted: dict[str, object]) -> str:
    body = _json_body(req)
    summary: dict[str, object] = {"method": req.method}
    if body:
        summary["body"] = redacted(body)
    elif req.get_body():
        kind = (req.headers.get("Content-Type") or "").split(";")[0].strip()[:60]
        summary["body"] = f"{kind or 'bytes'}, {len(req.get_body())} bytes"
    summary |= noted
    text = json.dumps(summary, ensure_ascii=False, separators=(",", ":"))
    if len(text) > 600 and "body" in summary:
        # Before/after say more than the body; keep them whole when the row would be too long.
        summary["body"] = "(long)"
        text = json.dumps(summary, ensure_ascii=False, separators=(",", ":"))
    return text


def _json_body(req: func.HttpRequest) -> dict[str, object]:
    raw = req.get_body() or b""
    content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if not raw or len(raw) > _MAX_BODY_SUMMARY or content_type != "application/json":
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
