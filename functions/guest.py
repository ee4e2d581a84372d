"""The guest's Start watching page (GET /api/onboarding) and the owner's editing of it under manage/onboarding."""

from __future__ import annotations

import azure.functions as func

from functions.admin_http import admin_only
from functions.http import api_endpoint, client_ip, json_response, read_json_object
from shared import i18n
from shared.admin.sessions import AdminSession
from shared.container import Container, get_container
from shared.guest import onboarding
from shared.guest.onboarding import GuestContext

bp = func.Blueprint()


def server_name(container: Container) -> str:
    """The name guests know the server by, without asking plex.tv (the invite page warms that)."""
    settings = container.settings
    return settings.server_display_name or container.plex_gateway().state.server_name or settings.plex_server_name or "Plex"


@bp.route(route="onboarding", methods=["GET"])
@api_endpoint
def guest_onboarding(req: func.HttpRequest) -> func.HttpResponse:
    container = get_container()
    container.request_limits.check_api_call(client_ip(req, container.settings.trusted_proxy_hops))
    content = container.onboarding.get()
    return json_response(onboarding.page(content, GuestContext(server_name(container)), i18n.current()))


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
    get_container().onboarding.save(content)
    return json_response({"content": content.as_json()})


@bp.route(route="manage/onboarding/preview", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def preview_onboarding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """The page as a sample guest would see it, from unsaved content: what the dashboard's live preview shows."""
    body = read_json_object(req)
    content = onboarding.parse(body)
    locale = body.get("locale") if body.get("locale") in i18n.LOCALES else i18n.DEFAULT_LOCALE
    sample = GuestContext(server_name(get_container()), ("Movies", "TV Shows"), i18n.format_day_sample(str(locale)), "Family")
    return json_response(onboarding.page(content, sample, str(locale)))
