"""Admin endpoints for invite links, tiers and the people who got access."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from functions.admin_http import admin_only
from functions.http import RequestError, api_endpoint, iso_utc, json_response, read_json_object
from shared.access.grants import Grant
from shared.access.tiers import Tier, TierError
from shared.access.users import PortalUser, UserAccessError
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.invites.links import InviteLink, InviteLinkError
from shared.plex.gateway import SharingPermissions

bp = func.Blueprint()


# -- invite links ---------------------------------------------------------------


@bp.route(route="manage/invite-links", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_invite_links(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    tier_names = {tier.id: tier.name for tier in container.tiers.list()}
    return json_response(
        {
            "codeRequired": container.invite_service.invite_code_required(),
            "globalCodeSet": bool(container.secrets.read("INVITE_CODE")),
            "items": [_link(link, tier_names) for link in container.invite_links.list()],
        }
    )


@bp.route(route="manage/invite-links", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def create_invite_link(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    container = get_container()
    tier_id = _text(body, "tierId") or "default"
    try:
        tier = container.tiers.get(tier_id)
        link = container.invite_links.create(
            tier_id=tier.id,
            max_uses=_int(body, "maxUses", 1),
            expires_at=_datetime(body, "expiresAt"),
            access_days=_int(body, "accessDays", 0),
            note=_text(body, "note"),
            code=_text(body, "code"),
        )
    except (InviteLinkError, TierError) as exc:
        raise RequestError(400, exc.code, exc.message, field=getattr(exc, "field", None)) from None
    return json_response(_link(link, {tier.id: tier.name}), 201)


@bp.route(route="manage/invite-links/{code}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def delete_invite_link(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    get_container().invite_links.delete(req.route_params.get("code", ""))
    return json_response({})


@bp.route(route="manage/code-required", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def set_code_required(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    required = read_json_object(req).get("required")
    if not isinstance(required, bool):
        raise RequestError(400, "invalid_field", "required must be true or false.", field="required")
    container = get_container()
    container.runtime_settings.set_invite_code_required(required)
    return json_response({"codeRequired": container.invite_service.invite_code_required()})


# -- tiers ---------------------------------------------------------------------------


@bp.route(route="manage/tiers", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_tiers(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response({"items": [_tier(tier) for tier in get_container().tiers.list()]})


@bp.route(route="manage/tiers/{tier_id?}", methods=["POST", "PUT"])
@api_endpoint
@admin_only(changes_state=True)
def save_tier(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    section_ids = body.get("sectionIds")
    if not isinstance(section_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in section_ids):
        raise RequestError(400, "invalid_section_ids", "sectionIds must be a list of library ids.", field="sectionIds")
    container = get_container()
    known = {library.id for library in container.library_catalog.view().items}
    if known and not set(section_ids) <= known:
        raise RequestError(400, "unknown_library", "Some of those libraries aren't on the server. Refresh the list and choose again.")
    permissions = SharingPermissions(
        allow_sync=body.get("allowSync") is True,
        allow_camera_upload=body.get("allowCameraUpload") is True,
        allow_channels=body.get("allowChannels") is True,
    )
    tier_id = req.route_params.get("tier_id") or ""
    if req.method == "PUT" and not tier_id:
        raise RequestError(400, "tier_id_required", "Say which tier to change: PUT /api/manage/tiers/{id}.")
    try:
        tier = container.tiers.save(_text(body, "name"), section_ids, permissions, tier_id=tier_id)
    except TierError as exc:
        raise RequestError(400, exc.code, exc.message) from None
    return json_response(_tier(tier), 200 if tier_id else 201)


@bp.route(route="manage/tiers/{tier_id}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def delete_tier(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    try:
        get_container().tiers.delete(req.route_params.get("tier_id", ""))
    except TierError as exc:
        raise RequestError(400, exc.code, exc.message) from None
    return json_response({})


# -- users -------------------------------------------------------------------------


@bp.route(route="manage/users", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_users(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    listed = get_container().user_access.list_users()
    return json_response({"items": [_user(user) for user in listed.users], "plexError": listed.plex_error})


@bp.route(route="manage/users/{identifier}/revoke", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def revoke_user(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    try:
        grant = get_container().user_access.revoke(req.route_params.get("identifier", ""))
    except UserAccessError as exc:
        raise RequestError(409, exc.code, exc.message) from None
    return json_response(_grant(grant))


@bp.route(route="manage/users/{identifier}", methods=["PATCH"])
@api_endpoint
@admin_only(changes_state=True)
def change_user(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    identifier = req.route_params.get("identifier", "")
    access = get_container().user_access
    try:
        grant = None
        if "tierId" in body:
            grant = access.change_tier(identifier, _text(body, "tierId"))
        if "extendDays" in body:
            grant = access.extend(identifier, _int(body, "extendDays", 0))
    except (UserAccessError, TierError) as exc:
        raise RequestError(409, exc.code, exc.message) from None
    if grant is None:
        raise RequestError(400, "nothing_to_change", "Send tierId, extendDays, or both.")
    return json_response(_grant(grant))


# -- shapes ------------------------------------------------------------------------


def _text(body: dict[str, object], name: str) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or len(value) > 500:
        raise RequestError(400, "invalid_field", f"{name} must be text of at most 500 characters.", field=name)
    return value.strip()


def _int(body: dict[str, object], name: str, default: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1_000_000:
        raise RequestError(400, "invalid_field", f"{name} must be a whole number of 0 or more.", field=name)
    return value


def _datetime(body: dict[str, object], name: str) -> datetime | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RequestError(400, "invalid_field", f"{name} must be a date and time like 2026-12-31T23:59:00Z.", field=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _link(link: InviteLink, tier_names: dict[str, str]) -> dict[str, object]:
    now = datetime.now(UTC)
    status = "expired" if link.expired_at(now) else "used_up" if link.used_up else "active"
    origin = get_container().settings.site_origin
    return {
        "code": link.code,
        "url": f"{origin}/j/{link.code}" if origin else f"/j/{link.code}",
        "tierId": link.tier_id,
        "tierName": tier_names.get(link.tier_id, "(deleted tier)"),
        "maxUses": link.max_uses,
        "uses": link.uses,
        "expiresAt": iso_utc(link.expires_at),
        "accessDays": link.access_days,
        "note": link.note,
        "createdAt": iso_utc(link.created_at),
        "status": status,
    }


def _tier(tier: Tier) -> dict[str, object]:
    return {
        "id": tier.id,
        "name": tier.name,
        "sectionIds": list(tier.section_ids),
        "allowSync": tier.permissions.allow_sync,
        "allowCameraUpload": tier.permissions.allow_camera_upload,
        "allowChannels": tier.permissions.allow_channels,
        "isDefault": tier.is_default,
    }


def _grant(grant: Grant) -> dict[str, object]:
    return {
        "identifier": grant.identifier,
        "tierId": grant.tier_id,
        "inviteCode": grant.invite_code,
        "grantedAt": iso_utc(grant.granted_at),
        "expiresAt": iso_utc(grant.expires_at),
        "status": str(grant.status),
        "removedAt": iso_utc(grant.removed_at),
        "removalNote": grant.removal_note,
    }


def _user(user: PortalUser) -> dict[str, object]:
    return _grant(user.grant) | {"tierName": user.tier_name, "plexStatus": user.plex_status}
