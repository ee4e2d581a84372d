"""The audit trail for the owner: filtered pages newest first, or a CSV file."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from functions import inputs
from functions.admin_http import AUDITED_ACTIONS, admin_only
from functions.http import api_endpoint, iso_utc, json_response
from functions.paging import MAX_EXPORT_ROWS, decode_cursor, encode_cursor, page_limit
from shared.admin.sessions import AdminSession
from shared.audit.export import audit_csv
from shared.audit.trail import TIMER, AuditEntry
from shared.container import get_container
from shared.errors import DomainError

bp = func.Blueprint()


@bp.route(route="manage/audit", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def admin_audit(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """?actor= (exact), ?action= (one of the listed actions), ?since= and ?until= (ISO 8601; until excluded),
    ?format=csv for every match. A page also lists the actions and the known actors, for the filters."""
    params = dict(req.params)
    actor, action = inputs.text(params, "actor", max_length=80), inputs.text(params, "action", max_length=80)
    if action and action not in AUDITED_ACTIONS:
        message = f"No action is called {action!r}. Pick one from the Audit view's list (each page's \"actions\")."
        raise DomainError("unknown_action", message, field="action")
    since, until = inputs.moment(params, "since"), inputs.moment(params, "until")
    container = get_container()
    trail = container.audit
    if params.get("format") == "csv":
        entries, _ = trail.page(limit=MAX_EXPORT_ROWS, actor=actor, action=action, since=since, until=until)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return func.HttpResponse(
            audit_csv(entries),
            status_code=200,
            mimetype="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="helpr-audit-{stamp}.csv"', "Cache-Control": "no-store"},
        )
    entries, cursor = trail.page(
        limit=page_limit(params.get("limit")),
        cursor=decode_cursor(params.get("cursor")),
        actor=actor,
        action=action,
        since=since,
        until=until,
    )
    actors = [container.settings.admin_username, TIMER]
    if session.id:  # a browser session; API keys can't list keys (GET /manage/api-keys is session-only), nor here
        actors += sorted(key.actor for key in container.api_keys.list())
    return json_response(
        {
            "items": [_entry(entry) for entry in entries],
            "nextCursor": encode_cursor(cursor),
            "actions": sorted(AUDITED_ACTIONS),
            "actors": actors,
        }
    )


def _entry(entry: AuditEntry) -> dict[str, object]:
    return {
        "at": iso_utc(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
        "outcome": entry.outcome,
        "ipHash": entry.address_hash,
    }
