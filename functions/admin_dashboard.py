"""Admin dashboard endpoints: stats, the invite log, and the library selection."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import azure.functions as func

from functions import inputs
from functions.admin_http import admin_only, note_change, shown_code
from functions.http import api_endpoint, iso_utc, json_response, read_json_object
from functions.paging import MAX_EXPORT_ROWS, decode_cursor, encode_cursor, page_limit
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.errors import DomainError
from shared.invites.counters import InviteTotals
from shared.invites.export import invites_csv
from shared.invites.log import InviteOutcome, InviteRecord
from shared.plex.libraries import LibraryView
from shared.plex.status import PlexStatus

bp = func.Blueprint()


@bp.route(route="manage/dashboard", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def admin_dashboard(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    data = container.dashboard.build()
    return json_response(
        {
            "totals": {"allTime": _totals(data.all_time), "last24h": _totals(data.last_24h), "last7d": _totals(data.last_7d)},
            "daily": [
                {"date": day.isoformat(), "succeeded": totals.succeeded, "failed": totals.failed}
                for day, totals in sorted(data.daily.items())
            ],
            "recent": [_invite(record) for record in data.recent],
            "libraries": _libraries(data.libraries),
            "plex": _plex(data.plex),
            "inviteCodeRequired": container.invite_service.invite_code_required(),
        }
    )


@bp.route(route="manage/invites", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def admin_invites(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    outcome = (req.params.get("outcome") or "").strip()
    if outcome and outcome not in set(InviteOutcome):
        raise DomainError("invalid_outcome", f"Unknown outcome {outcome[:40]!r}. Use one of: {', '.join(InviteOutcome)}.")
    prefix = (req.params.get("identifier") or "").strip().lower()[:254]
    invite_log = get_container().invite_log
    if req.params.get("format") == "csv":
        records, cursor = invite_log.page(limit=MAX_EXPORT_ROWS, outcome=outcome, identifier_prefix=prefix)
        records = [replace(record, invite_code=shown_code(record.invite_code, session.read_only)) for record in records]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return func.HttpResponse(
            invites_csv(records),
            status_code=200,
            mimetype="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="helpr-invites-{stamp}.csv"', "Cache-Control": "no-store"},
        )
    limit = page_limit(req.params.get("limit"))
    records, cursor = invite_log.page(
        limit=limit, cursor=decode_cursor(req.params.get("cursor")), outcome=outcome, identifier_prefix=prefix
    )
    return json_response({"items": [_invite(record) for record in records], "nextCursor": encode_cursor(cursor)})


@bp.route(route="manage/libraries", methods=["PUT"])
@api_endpoint
@admin_only(changes_state=True)
def admin_select_libraries(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    before = container.runtime_settings.library_selection()
    view = container.library_catalog.select(inputs.library_ids(read_json_object(req)))
    note_change(before={"sectionIds": list(before.section_ids)})
    return json_response({"libraries": _libraries(view)})


@bp.route(route="manage/libraries/refresh", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def admin_refresh_libraries(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    view = container.library_catalog.refresh()
    container.plex_status.current(force_check=True)
    return json_response({"libraries": _libraries(view)})


def _totals(totals: InviteTotals) -> dict[str, object]:
    return {"total": totals.total, "succeeded": totals.succeeded, "failed": totals.failed, "byOutcome": totals.by_outcome}


def _invite(record: InviteRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "createdAt": iso_utc(record.created_at),
        "identifier": record.identifier_submitted.strip(),
        "outcome": str(record.outcome),
        "succeeded": record.outcome.succeeded,
        "errorCode": record.error_code,
        "errorMessage": record.error_message,
        "libraries": list(record.libraries),
    }


def _libraries(view: LibraryView) -> dict[str, object]:
    return {
        "items": [{"id": item.id, "title": item.title, "type": item.type, "selected": item.selected} for item in view.items],
        "fetchedAt": iso_utc(view.fetched_at),
        "sharesAll": view.shares_all,
        "error": view.error,
    }


def _plex(status: PlexStatus) -> dict[str, object]:
    return {
        "serverName": status.server_name,
        "tokenValid": status.token_valid,
        "connection": status.connection,
        "lastError": status.last_error,
        "lastErrorAt": iso_utc(status.last_error_at),
        "checkedAt": iso_utc(status.checked_at),
    }
