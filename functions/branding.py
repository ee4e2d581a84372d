"""The guest pages' branding: the owner's GET/PUT /api/manage/branding and logo upload, and the logo guests load."""

from __future__ import annotations

import azure.functions as func

from functions.admin_http import admin_only
from functions.http import SECURITY_HEADERS, RequestError, api_endpoint, json_response, read_json_object
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.guest import branding
from shared.guest.branding import Branding

bp = func.Blueprint()


def _answer(current: Branding) -> func.HttpResponse:
    return json_response(
        {
            "branding": current.as_json(),
            "minContrast": branding.MIN_CONTRAST,
            "contrastAgainst": {"buttonText": branding.WHITE, "page": branding.PAGE_BACKGROUND},
            "maxLogoBytes": branding.MAX_LOGO_BYTES,
            "logoTypes": ["image/png", "image/jpeg", "image/webp"],
        }
    )


@bp.route(route="manage/branding", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def get_branding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return _answer(get_container().branding.get())


@bp.route(route="manage/branding", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def save_branding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    store = get_container().branding
    updated = branding.parse(read_json_object(req), store.get())  # too little contrast is refused here
    store.save(updated)
    return _answer(updated)


@bp.route(route="manage/branding/logo", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def upload_logo(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """The image itself is the body (PNG, JPEG or WebP, at most 200 KB); its first bytes decide its type."""
    body = req.get_body() or b""
    if len(body) > branding.MAX_LOGO_BYTES:
        raise RequestError(413, "logo_too_large", f"The logo is {len(body)} bytes; at most {branding.MAX_LOGO_BYTES} are allowed.")
    return _answer(get_container().branding.save_logo(body))


@bp.route(route="manage/branding/logo", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def delete_logo(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return _answer(get_container().branding.delete_logo())


@bp.route(route="branding/logo", methods=["GET"])
@api_endpoint
def branding_logo(req: func.HttpRequest) -> func.HttpResponse:
    """The uploaded logo with the type its bytes show; its address carries the version, so it may be cached."""
    found = get_container().branding.logo()
    if found is None:
        raise RequestError(404, "no_logo", "There is no logo.")
    kind, data = found
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400", "Content-Disposition": "inline"}
    return func.HttpResponse(data, status_code=200, headers=headers, mimetype=kind)
