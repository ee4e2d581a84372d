"""GET /api/config and GET /api/health: what the guest page and probes need."""

from __future__ import annotations

from pathlib import Path

import azure.functions as func

from functions.http import api_endpoint, client_ip, json_response
from shared.container import get_container

bp = func.Blueprint()

_OPENAPI = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")


@bp.route(route="config", methods=["GET"])
@api_endpoint
def site_config(req: func.HttpRequest) -> func.HttpResponse:
    container = get_container()
    settings = container.settings
    container.request_limits.check_api_call(client_ip(req, settings.trusted_proxy_hops))
    branding = container.branding.for_guests()
    return json_response(
        {
            "serverName": container.server_names.warming_plex(),
            "inviteCodeRequired": container.invite_service.invite_code_required(),
            # "plex" (sign in with Plex only), "plex_or_typed" or "typed" (a username or email only).
            "signInMode": str(container.runtime_settings.sign_in_mode()),
            "demoMode": bool(settings.plex_api_base_url),
            # The owner's accent colour (contrast-checked at save), welcome line and logo address; "" when unset.
            "branding": branding.as_json(),
        }
    )


@bp.route(route="health", methods=["GET"])
@api_endpoint
def health(req: func.HttpRequest) -> func.HttpResponse:
    report = get_container().health.report()
    return json_response(
        {
            "status": report.status,
            "storage": {"status": report.storage.status, "detail": report.storage.detail},
            "plex": {"status": report.plex.status, "detail": report.plex.detail},
        },
        200 if report.storage.status == "ok" else 503,
    )


@bp.route(route="openapi.json", methods=["GET"])
@api_endpoint
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(_OPENAPI, status_code=200, mimetype="application/json", charset="utf-8")
