"""Admin sign-in endpoints: login, logout, session, and second-factor enrolment."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from functions import inputs
from functions.admin_http import admin_only, audited_sign_in
from functions.cookies import DEVICE_COOKIE, cleared_session_cookie, device_cookie, read_cookie, session_cookie
from functions.http import api_endpoint, client_ip, iso_utc, json_response, read_json_object
from shared.admin.auth import LoginAttempt
from shared.admin.sessions import AdminSession
from shared.container import get_container

bp = func.Blueprint()


def _session_body(session: AdminSession, totp_enabled: bool) -> dict[str, object]:
    return {
        "username": session.username,
        "csrfToken": session.csrf_token,
        "expiresAt": iso_utc(session.expires_at),
        "totpEnabled": totp_enabled,
    }


@bp.route(route="manage/login", methods=["POST"])
@api_endpoint
@audited_sign_in
def admin_login(req: func.HttpRequest) -> func.HttpResponse:
    body = read_json_object(req)
    container = get_container()
    attempt = LoginAttempt(
        username=inputs.text(body, "username", required=True),
        password=inputs.secret(body, "password", required=True),
        totp_code=inputs.text(body, "totpCode"),
        recovery_code=inputs.secret(body, "recoveryCode"),
        client_ip=client_ip(req, container.settings.trusted_proxy_hops),
        device_token=read_cookie(req, DEVICE_COOKIE),
    )
    signed_in = container.admin_auth.login(attempt, req.headers.get("Origin") or "", req.headers.get("Referer") or "")
    session = signed_in.session
    max_age = max(0, int((session.expires_at - datetime.now(UTC)).total_seconds()))
    response = json_response(
        _session_body(session, signed_in.second_factor.enabled), headers={"Set-Cookie": session_cookie(signed_in.session_token, max_age)}
    )
    if signed_in.device_token:
        response.headers.add("Set-Cookie", device_cookie(signed_in.device_token))
    return response


@bp.route(route="manage/logout", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def admin_logout(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    get_container().admin_auth.logout(session)
    return json_response({}, headers={"Set-Cookie": cleared_session_cookie()})


@bp.route(route="manage/sign-out-everywhere", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def admin_sign_out_everywhere(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    get_container().admin_auth.sign_out_everywhere(session)
    return json_response({}, headers={"Set-Cookie": cleared_session_cookie()})


@bp.route(route="manage/session", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False, session_only=True)
def admin_session(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response(_session_body(session, get_container().admin_auth.second_factor_enabled()))


@bp.route(route="manage/totp/setup", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def admin_totp_setup(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    # While two-step sign-in is on, setting up a new authenticator needs a current or recovery code.
    code = inputs.secret(read_json_object(req), "code") if req.get_body() else ""
    enrolment = get_container().admin_auth.start_totp_enrolment(session, code)
    return json_response({"secret": enrolment.secret, "otpauthUri": enrolment.uri, "qrSvg": enrolment.qr_svg})


@bp.route(route="manage/totp/confirm", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def admin_totp_confirm(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    code = inputs.text(read_json_object(req), "code", required=True)
    recovery_codes, _ = get_container().admin_auth.confirm_totp_enrolment(session, code)
    return json_response({"recoveryCodes": recovery_codes})


@bp.route(route="manage/totp/disable", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True, session_only=True)
def admin_totp_disable(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    code = inputs.secret(read_json_object(req), "code", required=True)
    get_container().admin_auth.disable_totp(session, code)
    return json_response({})
