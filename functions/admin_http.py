"""The admin_only wrapper: a live session for every admin call, and CSRF and Origin checks on changes."""

from __future__ import annotations

from collections.abc import Callable

import azure.functions as func

from functions.cookies import SESSION_COOKIE, read_cookie
from shared.admin.sessions import AdminSession
from shared.container import get_container

CSRF_HEADER = "X-CSRF-Token"

AdminHandler = Callable[[func.HttpRequest, AdminSession], func.HttpResponse]


def admin_only(*, changes_state: bool) -> Callable[[AdminHandler], Callable[[func.HttpRequest], func.HttpResponse]]:
    """Requires a live session; a state-changing call also needs the CSRF header and the site's Origin."""

    def decorate(handler: AdminHandler) -> Callable[[func.HttpRequest], func.HttpResponse]:
        def wrapper(req: func.HttpRequest) -> func.HttpResponse:
            auth = get_container().admin_auth
            session = auth.authenticate(read_cookie(req, SESSION_COOKIE))  # AuthError answers 401/403 in api_endpoint
            if changes_state:
                auth.authorize_change(
                    session, req.headers.get(CSRF_HEADER) or "", req.headers.get("Origin") or "", req.headers.get("Referer") or ""
                )
            return handler(req, session)

        # Not functools.wraps: the worker reads inspect.signature, which follows __wrapped__ to
        # handler(req, session), and refuses a parameter that is no binding.
        wrapper.__name__ = wrapper.__qualname__ = handler.__name__
        wrapper.__doc__ = handler.__doc__
        wrapper.__module__ = handler.__module__
        return wrapper

    return decorate
