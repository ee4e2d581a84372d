"""POST /api/invites: a guest asks for access."""

from __future__ import annotations

import azure.functions as func

from functions.http import api_endpoint, client_ip, error_response, json_response, note_outcome, read_json_object
from shared import i18n
from shared.container import get_container
from shared.errors import DomainError
from shared.invites.log import InviteOutcome
from shared.invites.service import InviteResult, InviteSubmission
from shared.limits.rate_limits import retry_after_header

bp = func.Blueprint()

_STATUS_BY_OUTCOME = {
    InviteOutcome.INVITED: 201,
    InviteOutcome.ALREADY_SHARED: 200,
    InviteOutcome.CODE_REJECTED: 403,
    InviteOutcome.USER_NOT_FOUND: 422,
    InviteOutcome.SHARE_LIMIT: 409,
    # plex.tv's own limits and outages, after retries: the portal can't serve the guest right now.
    InviteOutcome.PLEX_RATE_LIMITED: 503,
    InviteOutcome.PLEX_UNAVAILABLE: 503,
    InviteOutcome.PLEX_UNCONFIRMED: 503,
    InviteOutcome.NOT_RECORDED: 503,
    InviteOutcome.INVALID_OWNER_TOKEN: 503,
    InviteOutcome.PLEX_ERROR: 502,
}
_DEFAULT_RETRY_AFTER_SECONDS = {
    InviteOutcome.PLEX_RATE_LIMITED: 60,
    InviteOutcome.PLEX_UNAVAILABLE: 60,
    InviteOutcome.PLEX_UNCONFIRMED: 120,
    InviteOutcome.NOT_RECORDED: 60,
    InviteOutcome.INVALID_OWNER_TOKEN: 300,
}
MAX_IDEMPOTENCY_KEY_LENGTH = 200


@bp.route(route="invites", methods=["POST"])
@api_endpoint
def create_invite(req: func.HttpRequest) -> func.HttpResponse:
    body = read_json_object(req)
    container = get_container()
    idempotency_key = (req.headers.get("Idempotency-Key") or "").strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise DomainError("invalid_idempotency_key", f"Idempotency-Key may have at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    submission = InviteSubmission(
        body.get("identifier"),
        body.get("inviteCode"),
        client_ip(req, container.settings.trusted_proxy_hops),
        idempotency_key,
    )
    return invite_response(container.invite_service.submit(submission))


def invite_response(result: InviteResult, extra: dict[str, object] | None = None) -> func.HttpResponse:
    """The answer to an invite, typed or signed in with Plex (which adds `extra` to a success)."""
    status = _STATUS_BY_OUTCOME[result.outcome]
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    if result.outcome.succeeded:
        response = json_response(
            {
                "outcome": str(result.outcome),
                "message": i18n.translate(result.message),
                "libraries": list(result.libraries),
                **(extra or {}),
            },
            status,
            headers,
        )
    else:
        retry_after = result.retry_after if result.retry_after is not None else _DEFAULT_RETRY_AFTER_SECONDS.get(result.outcome)
        if retry_after is not None:
            headers["Retry-After"] = retry_after_header(retry_after)
        response = error_response(status, result.error_code, result.message, field=result.field, headers=headers)
    note_outcome(str(result.outcome))  # the log line names the outcome, not only the error code
    return response
