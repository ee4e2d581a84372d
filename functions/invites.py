"""POST /api/invites: a guest asks for access."""

from __future__ import annotations

import math

import azure.functions as func

from functions.http import api_endpoint, client_ip, error_response, json_response, read_json_object
from shared.container import get_container
from shared.invite_log import InviteOutcome
from shared.invite_service import InviteResult, InviteSubmission
from shared.validation import InvalidInput

bp = func.Blueprint()

_STATUS_BY_OUTCOME = {
    InviteOutcome.INVITED: 201,
    InviteOutcome.ALREADY_SHARED: 200,
    InviteOutcome.CODE_REJECTED: 403,
    InviteOutcome.USER_NOT_FOUND: 422,
    InviteOutcome.SHARE_LIMIT: 409,
    InviteOutcome.PLEX_RATE_LIMITED: 429,
    InviteOutcome.PLEX_UNAVAILABLE: 503,
    InviteOutcome.INVALID_OWNER_TOKEN: 503,
    InviteOutcome.PLEX_ERROR: 502,
}
_DEFAULT_RETRY_AFTER_SECONDS = {InviteOutcome.PLEX_RATE_LIMITED: 30, InviteOutcome.PLEX_UNAVAILABLE: 60}


@bp.route(route="invites", methods=["POST"])
@api_endpoint
def create_invite(req: func.HttpRequest) -> func.HttpResponse:
    body = read_json_object(req)
    submission = InviteSubmission(body.get("identifier"), body.get("inviteCode"), client_ip(req))
    try:
        result = get_container().invite_service.submit(submission)
    except InvalidInput as exc:
        return error_response(400, exc.code, exc.message, field=exc.field)
    return _response_for(result)


def _response_for(result: InviteResult) -> func.HttpResponse:
    status = _STATUS_BY_OUTCOME[result.outcome]
    if result.outcome.succeeded:
        return json_response({"outcome": str(result.outcome), "message": result.message, "libraries": list(result.libraries)}, status)
    headers = {}
    retry_after = result.retry_after if result.retry_after is not None else _DEFAULT_RETRY_AFTER_SECONDS.get(result.outcome)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return error_response(status, result.error_code, result.message, field=result.field, headers=headers)
