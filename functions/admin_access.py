"""Admin endpoints for invite links and tiers (the people who have access: functions/admin_users.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from functions import inputs
from functions.admin_http import admin_only, note_change, shown_code
from functions.http import api_endpoint, iso_utc, json_response, read_json_object
from shared.access.tiers import Tier
from shared.admin.sessions import AdminSession
from shared.config.runtime_settings import SignInMode
from shared.container import get_container
from shared.errors import DomainError
from shared.invites.links import InviteLink
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
            "signInMode": str(container.runtime_settings.sign_in_mode()),
            "items": [_link(link, tier_names, session.read_only) for link in container.invite_links.list()],
        }
    )


@bp.route(route="manage/invite-links", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def create_invite_link(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    container = get_container()
    tier = container.tiers.get(inputs.text(body, "tierId") or "default")
    link = container.invite_links.create(
        tier_id=tier.id,
        max_uses=inputs.whole_number(body, "maxUses", 1),
        expires_at=inputs.moment(body, "expiresAt"),
        access_days=inputs.whole_number(body, "accessDays", 0),
        note=inputs.text(body, "note"),
        code=inputs.text(body, "code"),
        requires_sign_in=body.get("requiresSignIn") is True,
    )
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
    required = inputs.flag(read_json_object(req), "required")
    container = get_container()
    note_change(before={"required": container.runtime_settings.invite_code_required()})
    container.runtime_settings.set_invite_code_required(required)
    return json_response({"codeRequired": container.invite_service.invite_code_required()})


@bp.route(route="manage/sign-in-mode", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def get_sign_in_mode(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response({"mode": str(get_container().runtime_settings.sign_in_mode())})


@bp.route(route="manage/sign-in-mode", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def set_sign_in_mode(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    raw = inputs.text(read_json_object(req), "mode", required=True)
    try:
        mode = SignInMode(raw)
    except ValueError:
        choices = ", ".join(str(m) for m in SignInMode)
        raise DomainError("invalid_sign_in_mode", f"mode must be one of: {choices}.", field="mode") from None
    runtime_settings = get_container().runtime_settings
    note_change(before={"mode": str(runtime_settings.sign_in_mode())})
    runtime_settings.set_sign_in_mode(mode)
    return json_response({"mode": str(mode)})


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
    section_ids = inputs.library_ids(body)
    container = get_container()
    known = {library.id for library in container.library_catalog.view().items}
    if known and not set(section_ids) <= known:
        raise DomainError(
            "unknown_library", "Some of those libraries aren't on the server. Refresh the list and choose again.", field="sectionIds"
        )
    permissions = SharingPermissions(
        allow_sync=body.get("allowSync") is True,
        allow_camera_upload=body.get("allowCameraUpload") is True,
        allow_channels=body.get("allowChannels") is True,
    )
    tier_id = req.route_params.get("tier_id") or ""
    if req.method == "PUT" and not tier_id:
        raise DomainError("tier_id_required", "Say which tier to change: PUT /api/manage/tiers/{id}.")
    before = _tier(container.tiers.get(tier_id)) if tier_id else None
    tier = container.tiers.save(
        inputs.text(body, "name"),
        section_ids,
        permissions,
        tier_id=tier_id,
        sync_watch_state=body.get("syncWatchState") is True,
        opt_out_online_media=body.get("optOutOnlineMedia") is True,
    )
    note_change(before=before, after=_tier(tier))
    return json_response(_tier(tier), 200 if tier_id else 201)


@bp.route(route="manage/tiers/{tier_id}", methods=["DELETE"])
@api_endpoint
@admin_only(changes_state=True)
def delete_tier(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    get_container().tiers.delete(req.route_params.get("tier_id", ""))
    return json_response({})


# -- shapes ------------------------------------------------------------------------


def _link(link: InviteLink, tier_names: dict[str, str], read_only: bool = False) -> dict[str, object]:
    now = datetime.now(UTC)
    status = "expired" if link.expired_at(now) else "used_up" if link.used_up else "active"
    origin = get_container().settings.site_origin
    return {
        # A read-only key gets the code's start only (enough to tell links apart) and no URL: either would let it in.
        "code": shown_code(link.code, read_only),
        "url": "" if read_only else f"{origin}/j/{link.code}" if origin else f"/j/{link.code}",
        "tierId": link.tier_id,
        "tierName": tier_names.get(link.tier_id, "(deleted tier)"),
        "maxUses": link.max_uses,
        "uses": link.uses,
        "expiresAt": iso_utc(link.expires_at),
        "accessDays": link.access_days,
        "note": link.note,
        "createdAt": iso_utc(link.created_at),
        "status": status,
        "requiresSignIn": link.requires_sign_in,
    }


def _tier(tier: Tier) -> dict[str, object]:
    return {
        "id": tier.id,
        "name": tier.name,
        "sectionIds": list(tier.section_ids),
        "allowSync": tier.permissions.allow_sync,
        "allowCameraUpload": tier.permissions.allow_camera_upload,
        "allowChannels": tier.permissions.allow_channels,
        "syncWatchState": tier.sync_watch_state,
        "optOutOnlineMedia": tier.opt_out_online_media,
        "isDefault": tier.is_default,
    }
