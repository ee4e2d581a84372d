"""Admin API keys: list, create (the key is shown once) and revoke. Only a signed-in browser session may
manage keys: a leaked key can't make more keys or keep itself alive."""

from __future__ import annotations

import azure.functions as func

from functions import inputs
from functions.admin_http import admin_only, note_change
from functions.http import api_endpoint, iso_utc, json_response, read_json_object
from shared.admin.api_keys import ApiKey
from shared.admin.sessions import AdminSession
from shared.container import get_container

bp = func.Blueprint()


@bp.route(route="manage/api-keys", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False, session_only=True)
def list_api_keys(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response({"items": [_key(key) for key in get_container().api_keys.list()]})


@bp.route(route="manage/api-keys", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def create_api_key(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    key, secret = get_container().api_keys.create(inputs.text(body, "name", required=True), inputs.text(body, "scope", required=True))
    note_change(after={"id": key.id, "name": key.name, "scope": str(key.scope)})
    return json_response({"key": _key(key), "secret": secret}, status=201)


@bp.route(route="manage/api-keys/{id}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def revoke_api_key(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    key = get_container().api_keys.revoke(req.route_params.get("id") or "")
    note_change(before={"name": key.name, "scope": str(key.scope)})
    return json_response({})


def _key(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "scope": str(key.scope),
        "createdAt": iso_utc(key.created_at),
        "lastUsedAt": iso_utc(key.last_used_at),
    }
