"""POST /api/signin/plex and POST /api/signin/plex/complete: a guest signs in with Plex and is invited as that account."""

from __future__ import annotations

import azure.functions as func

from functions.cookies import PLEX_PIN_COOKIE, cleared_plex_pin_cookie, plex_pin_cookie, read_cookie
from functions.http import api_endpoint, client_ip, json_response, read_json_object
from functions.invites import invite_response
from shared.container import get_container
from shared.errors import DomainError
from shared.invites.plex_sign_in import PURPOSE_INVITE, PURPOSE_STATUS, SIGN_IN_SECONDS

bp = func.Blueprint()

# Where app.plex.tv sends the guest back: the guest page, which then completes the sign-in.
RETURN_PATH = "/?signin=plex"
# The status page's check with Plex comes back to the status page (POST /api/guest/status/plex finishes it).
STATUS_RETURN_PATH = "/status?signin=plex"


@bp.route(route="signin/plex", methods=["POST"])
@api_endpoint
def start_plex_sign_in(req: func.HttpRequest) -> func.HttpResponse:
    body = read_json_object(req)
    container = get_container()
    origin = container.settings.site_origin or (req.headers.get("Origin") or "").rstrip("/")
    if not origin.startswith(("https://", "http://")):
        raise DomainError("origin_required", "Send this request from the portal's page.")
    # The purpose goes into the signed cookie, never the URL: "status" invites nobody (see shared.guest.status).
    purpose = PURPOSE_STATUS if body.get("purpose") == PURPOSE_STATUS else PURPOSE_INVITE
    started = container.plex_sign_in.start(
        body.get("inviteCode"),
        client_ip(req, container.settings.trusted_proxy_hops),
        origin + (STATUS_RETURN_PATH if purpose == PURPOSE_STATUS else RETURN_PATH),
        purpose,
    )
    return json_response({"authUrl": started.auth_url}, 200, {"Set-Cookie": plex_pin_cookie(started.cookie_value, SIGN_IN_SECONDS)})


@bp.route(route="signin/plex/complete", methods=["POST"])
@api_endpoint
def complete_plex_sign_in(req: func.HttpRequest) -> func.HttpResponse:
    container = get_container()
    # A SignInError that ends the sign-in clears the cookie (functions/http.py domain_error_response).
    signed_in = container.plex_sign_in.complete(read_cookie(req, PLEX_PIN_COOKIE), client_ip(req, container.settings.trusted_proxy_hops))
    extra = {"accepted": signed_in.accepted, "username": signed_in.username, "signedIn": True}
    response = invite_response(signed_in.invite, extra)
    response.headers["Set-Cookie"] = cleared_plex_pin_cookie()
    return response
