"""Session cookie, authentication and CSRF checks shared by the admin handlers."""

from __future__ import annotations

import math
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie

import azure.functions as func

from functions.http import error_response
from shared.admin.auth import AuthError, AuthFailure
from shared.admin.devices import DEVICE_LIFETIME_SECONDS
from shared.admin.sessions import AdminSession
from shared.container import get_container

# __Host- makes browsers insist on Secure, Path=/ and no Domain.
SESSION_COOKIE = "__Host-helpr-session"
# Marks a browser that signed in before (see shared.admin.devices); it is not a session.
DEVICE_COOKIE = "__Host-helpr-device"
CSRF_HEADER = "X-CSRF-Token"

_STATUS_BY_FAILURE = {
    AuthFailure.INVALID_CREDENTIALS: 401,
    AuthFailure.SECOND_FACTOR_REQUIRED: 401,
    AuthFailure.INVALID_SECOND_FACTOR: 401,
    AuthFailure.NOT_AUTHENTICATED: 401,
    AuthFailure.TOO_MANY_ATTEMPTS: 429,
    AuthFailure.ORIGIN_MISMATCH: 403,
    AuthFailure.CSRF_TOKEN_INVALID: 403,
}

AdminHandler = Callable[[func.HttpRequest, AdminSession], func.HttpResponse]


def read_cookie(req: func.HttpRequest, name: str) -> str:
    cookie = SimpleCookie()
    try:
        cookie.load(req.headers.get("Cookie") or "")
    except CookieError:
        return ""
    morsel = cookie.get(name)
    return morsel.value if morsel else ""


def session_token(req: func.HttpRequest) -> str:
    return read_cookie(req, SESSION_COOKIE)


def device_cookie(token: str) -> str:
    return f"{DEVICE_COOKIE}={token}; Path=/; Max-Age={DEVICE_LIFETIME_SECONDS}; HttpOnly; Secure; SameSite=Strict"


def session_cookie(token: str, max_age_seconds: int) -> str:
    return f"{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Strict"


def cleared_session_cookie() -> str:
    return session_cookie("", 0)


def auth_error_response(exc: AuthError) -> func.HttpResponse:
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if exc.failure is AuthFailure.NOT_AUTHENTICATED:
        headers["Set-Cookie"] = cleared_session_cookie()
    return error_response(_STATUS_BY_FAILURE[exc.failure], str(exc.failure), exc.message, field=exc.field, headers=headers)


def admin_only(*, changes_state: bool) -> Callable[[AdminHandler], Callable[[func.HttpRequest], func.HttpResponse]]:
    """Requires a live session; a state-changing call also needs the CSRF header and the site's Origin."""

    def decorate(handler: AdminHandler) -> Callable[[func.HttpRequest], func.HttpResponse]:
        def wrapper(req: func.HttpRequest) -> func.HttpResponse:
            auth = get_container().admin_auth
            try:
                session = auth.authenticate(session_token(req))
                if changes_state:
                    auth.authorize_change(
                        session, req.headers.get(CSRF_HEADER) or "", req.headers.get("Origin") or "", req.headers.get("Referer") or ""
                    )
            except AuthError as exc:
                return auth_error_response(exc)
            return handler(req, session)

        # Not functools.wraps: the worker reads inspect.signature, which follows __wrapped__ to
        # handler(req, session), and refuses a parameter that is no binding.
        wrapper.__name__ = wrapper.__qualname__ = handler.__name__
        wrapper.__doc__ = handler.__doc__
        wrapper.__module__ = handler.__module__
        return wrapper

    return decorate
