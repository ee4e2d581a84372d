"""The guest's Start watching page (GET /api/onboarding) and the owner's editing of it under manage/onboarding; a
returning guest's status page (POST /api/guest/status) and their request for more time (POST /api/guest/more-time)."""

from __future__ import annotations

import azure.functions as func

from functions.admin_http import admin_only
from functions.cookies import GUEST_PROOF_COOKIE, PLEX_PIN_COOKIE, cleared_plex_pin_cookie, guest_proof_cookie, read_cookie
from functions.http import api_endpoint, client_ip, iso_utc, json_response, read_json_object
from shared import i18n
from shared.admin.sessions import AdminSession
from shared.container import Container, get_container
from shared.errors import DomainError
from shared.guest import onboarding
from shared.guest.onboarding import GuestContext
from shared.guest.status import PROOF_SECONDS, GuestStatus

bp = func.Blueprint()


@bp.route(route="onboarding", methods=["GET"])
@api_endpoint
def guest_onboarding(req: func.HttpRequest) -> func.HttpResponse:
    container = get_container()
    container.request_limits.check_api_call(client_ip(req, container.settings.trusted_proxy_hops))
    content = container.onboarding.get()
    return json_response(onboarding.page(content, GuestContext(container.server_names.known()), i18n.current()))


@bp.route(route="manage/onboarding", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def get_onboarding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    content = get_container().onboarding.get()
    defaults = {
        step: i18n.onboarding_default(step if step == "accept" else f"step.{step}", i18n.DEFAULT_LOCALE) for step in onboarding.STEPS
    }
    return json_response(
        {
            "content": content.as_json(),
            "defaults": defaults,
            "placeholders": onboarding.PLACEHOLDERS,
            "requestApps": onboarding.REQUEST_APPS,
            "locales": i18n.LOCALE_NAMES,
        }
    )


@bp.route(route="manage/onboarding", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def save_onboarding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    content = onboarding.parse(read_json_object(req))  # a broken template is refused here, with the field to fix
    container = get_container()
    known = {tier.id for tier in container.tiers.list()}
    unknown = sorted(set(content.tiers) - known)
    if unknown:
        raise DomainError("unknown_tier", f"There is no tier {unknown[0]!r}: it may have been deleted.", field=f"tiers.{unknown[0]}")
    container.onboarding.save(content)
    return json_response({"content": content.as_json()})


@bp.route(route="manage/onboarding/preview", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, audited=False)  # renders unsaved content, changes nothing: no audit row per keystroke
def preview_onboarding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """The page as a sample guest would see it, from unsaved content: what the dashboard's live preview shows.
    With tierId, as a guest on that tier sees it (its overrides applied)."""
    body = read_json_object(req)
    content = onboarding.parse(body)
    locale = body.get("locale") if body.get("locale") in i18n.LOCALES else i18n.DEFAULT_LOCALE
    tier_id = body.get("tierId") if isinstance(body.get("tierId"), str) else ""
    sample = GuestContext(get_container().server_names.known(), ("Movies", "TV Shows"), i18n.format_day_sample(str(locale)), "Family")
    return json_response(onboarding.page(content.for_tier(str(tier_id)), sample, str(locale)))


@bp.route(route="guest/status", methods=["POST"])
@api_endpoint
def guest_status(req: func.HttpRequest) -> func.HttpResponse:
    """Where a guest's access stands, for {identifier, inviteCode}; with the Start watching page filled in for them."""
    body = read_json_object(req)
    container = get_container()
    found = container.guest_status.status(
        body.get("identifier"), body.get("inviteCode"), client_ip(req, container.settings.trusted_proxy_hops)
    )
    return json_response(_status_body(container, found))


@bp.route(route="guest/status/plex", methods=["POST"])
@api_endpoint
def guest_status_with_plex(req: func.HttpRequest) -> func.HttpResponse:
    """Where a guest's access stands, for the Plex account they just signed in with on the status page (a PIN started
    with purpose "status"); sets a 15-minute proof cookie for asking for more time. Nobody is invited."""
    container = get_container()
    # A SignInError that ends the sign-in (NoAccessForAccount is one) clears the PIN cookie (functions/http.py).
    signed_in = container.guest_status.status_signed_in(
        read_cookie(req, PLEX_PIN_COOKIE), client_ip(req, container.settings.trusted_proxy_hops)
    )
    response = json_response(_status_body(container, signed_in.status), headers={"Set-Cookie": cleared_plex_pin_cookie()})
    response.headers.add("Set-Cookie", guest_proof_cookie(signed_in.proof, PROOF_SECONDS))
    return response


def _status_body(container: Container, found: GuestStatus) -> dict[str, object]:
    locale = i18n.current()
    name = container.server_names.known()
    expires = i18n.format_day(found.expires_at, locale) if found.expires_at else ""
    guest = GuestContext(name, found.libraries, expires, found.tier)
    return {
        "serverName": name,
        "status": found.status,
        "tier": found.tier,
        "libraries": list(found.libraries),
        "expiresAt": iso_utc(found.expires_at),
        "moreTimeRequestedAt": iso_utc(found.more_time_requested_at),
        "canRequestMoreTime": found.can_request_more_time,
        "onboarding": onboarding.page(container.onboarding.get().for_tier(found.tier_id), guest, locale),
    }


@bp.route(route="guest/more-time", methods=["POST"])
@api_endpoint
def guest_more_time(req: func.HttpRequest) -> func.HttpResponse:
    """Records a request for more time (one open request per guest; asking again changes nothing). Without an
    identifier or code, the proof cookie of a guest who checked with Plex stands in for them."""
    body = read_json_object(req)
    container = get_container()
    address = client_ip(req, container.settings.trusted_proxy_hops)
    proof = read_cookie(req, GUEST_PROOF_COOKIE)
    if proof and body.get("identifier") is None and body.get("inviteCode") is None:
        request = container.guest_status.request_more_time_with_proof(proof, address)
    else:
        request = container.guest_status.request_more_time(body.get("identifier"), body.get("inviteCode"), address)
    return json_response({"requestedAt": iso_utc(request.requested_at), "new": request.new}, 201 if request.new else 200)
