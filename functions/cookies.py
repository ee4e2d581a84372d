"""The admin's cookies: the session, and the mark of a browser that signed in before."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

import azure.functions as func

from shared.admin.devices import DEVICE_LIFETIME_SECONDS

# __Host- makes browsers insist on Secure, Path=/ and no Domain.
SESSION_COOKIE = "__Host-helpr-session"
# Marks a browser that signed in before (see shared.admin.devices); it is not a session.
DEVICE_COOKIE = "__Host-helpr-device"
# A guest's Plex sign-in in progress: the signed PIN id (see shared.invites.plex_sign_in). Lax, not Strict: the guest
# comes back from app.plex.tv by a top-level navigation; nothing reads it on a cross-site request anyway (POST only).
PLEX_PIN_COOKIE = "__Host-helpr-plex-pin"
# A guest who checked their status with Plex: a signed proof naming their grant (see shared.guest.status), so the page
# can ask for more time without the invite code. Strict: only the portal's own page sends it.
GUEST_PROOF_COOKIE = "__Host-helpr-guest-proof"


def read_cookie(req: func.HttpRequest, name: str) -> str:
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(req.headers.get("Cookie") or "")
    except CookieError:
        return ""
    morsel = cookie.get(name)
    return morsel.value if morsel else ""


def session_cookie(token: str, max_age_seconds: int) -> str:
    return f"{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Strict"


def cleared_session_cookie() -> str:
    return session_cookie("", 0)


def device_cookie(token: str) -> str:
    return f"{DEVICE_COOKIE}={token}; Path=/; Max-Age={DEVICE_LIFETIME_SECONDS}; HttpOnly; Secure; SameSite=Strict"


def plex_pin_cookie(value: str, max_age_seconds: int) -> str:
    return f"{PLEX_PIN_COOKIE}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax"


def cleared_plex_pin_cookie() -> str:
    return plex_pin_cookie("", 0)


def guest_proof_cookie(value: str, max_age_seconds: int) -> str:
    return f"{GUEST_PROOF_COOKIE}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Strict"
