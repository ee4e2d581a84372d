"""Admin endpoints for everyone who has access: the list (search, filters, sort, pages), one person's changes,
adopting a share the portal doesn't manage, changes to many people at once, and reconciliation with plex.tv."""

from __future__ import annotations

from datetime import datetime

import azure.functions as func

from functions import inputs
from functions.admin_http import admin_only, note_change, shown_code
from functions.http import api_endpoint, iso_utc, json_response, read_json_object
from shared.access.bulk import BulkOutcome
from shared.access.directory import DEFAULT_PAGE_SIZE, Person, SortKey, UserQuery
from shared.access.grants import Grant
from shared.access.reconciliation import DEFAULT_STALE_DAYS, Finding, parse_fix
from shared.access.users import EndDate
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.errors import DomainError

bp = func.Blueprint()

_SORTS = ", ".join(str(key) for key in SortKey)
_STATUSES = ("", "active", "ended", "unmanaged")
_PLEX_STATUSES = ("", "pending", "accepted", "missing", "unknown")


@bp.route(route="manage/users", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_users(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    container = get_container()
    found = container.directory.query(_query(req.params, session.read_only))
    return json_response(
        {
            "items": [_person(person, session.read_only) for person in found.items],
            "plexError": found.plex_error,
            "total": found.total,
            "page": found.page,
            "pageSize": found.page_size,
            "snapshot": found.snapshot,
            "facets": found.facets,
        }
    )


@bp.route(route="manage/users/{identifier}/revoke", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def revoke_user(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    grant = get_container().user_access.revoke(inputs.route_value(req, "identifier"))
    return json_response(_grant(grant))


@bp.route(route="manage/users/{identifier}/adopt", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def adopt_user(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    grant = get_container().directory.adopt(
        inputs.route_value(req, "identifier"), inputs.text(body, "tierId") or "default", inputs.moment(body, "expiresAt")
    )
    return json_response(_grant(grant))


@bp.route(route="manage/users/{identifier}", methods=["PATCH"])
@api_endpoint
@admin_only(changes_state=True)
def change_user(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    identifier = inputs.route_value(req, "identifier")
    container = get_container()
    access = container.user_access
    before = container.grants.get(identifier.strip().lower())
    tier_id = inputs.text(body, "tierId") if "tierId" in body else None
    extend_days = inputs.whole_number(body, "extendDays", 0) if "extendDays" in body else None
    if body.get("expiresAt") == "":
        raise DomainError("invalid_field", "expiresAt must be a date and time, or null for access that doesn't end.", field="expiresAt")
    ends = EndDate(inputs.moment(body, "expiresAt")) if "expiresAt" in body else None
    grant = access.change(identifier, tier_id=tier_id, extend_days=extend_days, ends=ends)
    note_change(before=_tier_and_end(before), after=_tier_and_end(grant))
    return json_response(_grant(grant))


@bp.route(route="manage/users/bulk", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def change_users(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    identifiers = body.get("identifiers")
    if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
        raise DomainError("invalid_field", "identifiers must be a list of usernames or emails.", field="identifiers")
    outcomes = get_container().bulk_changes.run(
        inputs.text(body, "action", required=True),
        identifiers,
        tier_id=inputs.text(body, "tierId"),
        days=inputs.whole_number(body, "days", 0),
    )
    changed = sum(o.ok for o in outcomes)
    not_changed = {o.identifier: o.code for o in outcomes if not o.ok}
    people = ", ".join(o.identifier for o in outcomes)
    note_change(
        after={"changed": changed, "notChanged": not_changed},
        outcome="" if not not_changed else "none_changed" if not changed else "partly_changed",
        target=f"identifiers={people[:150]}{'…' if len(people) > 150 else ''}",
    )
    return json_response({"results": [_outcome(outcome) for outcome in outcomes], "changed": changed})


@bp.route(route="manage/reconciliation", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_findings(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    days = _whole(req.params.get("staleDays"), "staleDays", DEFAULT_STALE_DAYS)
    findings = get_container().reconciliation.findings(days)
    return json_response({"staleDays": days, "items": [_finding(finding, session.read_only) for finding in findings]})


@bp.route(route="manage/reconciliation/fix", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def fix_finding(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    body = read_json_object(req)
    fix = parse_fix(inputs.text(body, "kind", required=True))
    identifier = inputs.text(body, "identifier", required=True)
    note_change(target=f"identifier={identifier}")
    done = get_container().reconciliation.fix(fix, identifier)
    return json_response({"identifier": done.identifier, "kind": str(done.fix), "message": done.message, "grant": _grant(done.grant)})


# -- reading the list's query --------------------------------------------------------------------------------


def _query(params: dict[str, str], read_only: bool) -> UserQuery:
    sort = (params.get("sort") or str(SortKey.GRANTED)).strip()
    if sort not in {str(key) for key in SortKey}:
        raise DomainError("invalid_sort", f"sort must be one of: {_SORTS}.", field="sort")
    order = (params.get("order") or "").strip()
    if order not in ("", "asc", "desc"):
        raise DomainError("invalid_order", "order must be asc or desc.", field="order")
    status = _choice(params, "status", _STATUSES)
    plex_status = _choice(params, "plexStatus", _PLEX_STATUSES)
    return UserQuery(
        search=(params.get("q") or "").strip()[:254],
        # A read-only key sees a link's code shortened: searching by code would give it back a letter at a time.
        search_codes=not read_only,
        tier_id=(params.get("tier") or "").strip(),
        status=status,
        plex_status=plex_status,
        ending_soon=_yes(params, "endingSoon"),
        more_time=_yes(params, "moreTime"),
        sort=SortKey(sort),
        # Newest grants first by default; names, tiers and end dates from A and the soonest.
        descending=order == "desc" or (not order and sort == SortKey.GRANTED),
        page=_whole(params.get("page"), "page", 1),
        page_size=_whole(params.get("pageSize"), "pageSize", DEFAULT_PAGE_SIZE),
        snapshot=(params.get("snapshot") or "").strip()[:64],
    )


def _choice(params: dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = (params.get(name) or "").strip()
    if value not in allowed:
        raise DomainError(f"invalid_{name}", f"{name} must be one of: {', '.join(a for a in allowed if a)}.", field=name)
    return value


def _yes(params: dict[str, str], name: str) -> bool:
    return (params.get(name) or "").strip().lower() in ("1", "true", "yes")


def _whole(value: str | None, name: str, default: int) -> int:
    if value is None or not value.strip():
        return default
    if not (value.strip().isascii() and value.strip().isdigit()) or int(value) < 1:
        raise DomainError("invalid_field", f"{name} must be a whole number of 1 or more.", field=name)
    return min(int(value), 1_000_000)


# -- shapes ------------------------------------------------------------------------------------------------


def _grant(grant: Grant, read_only: bool = False) -> dict[str, object]:
    return {
        "identifier": grant.identifier,
        "tierId": grant.tier_id,
        "inviteCode": shown_code(grant.invite_code, read_only),
        "grantedAt": iso_utc(grant.granted_at),
        "expiresAt": iso_utc(grant.expires_at),
        "status": str(grant.status),
        "removedAt": iso_utc(grant.removed_at),
        "removalNote": grant.removal_note,
    }


def _person(person: Person, read_only: bool) -> dict[str, object]:
    grant, share = person.grant, person.share
    base: dict[str, object] = (
        _grant(grant, read_only)
        if grant is not None
        else {
            "identifier": person.identifier,
            "tierId": "",
            "inviteCode": "",
            "grantedAt": None,
            "expiresAt": None,
            "status": "unmanaged",
            "removedAt": None,
            "removalNote": "",
        }
    )
    asked: datetime | None = person.more_time_requested_at
    return base | {
        "tierName": person.tier_name,
        "plexStatus": person.plex_status,
        "moreTimeRequestedAt": iso_utc(asked),
        "managed": person.managed,
        "displayName": share.display_name if share else "",
        "username": share.username if share else "",
        "email": share.email if share else "",
        "thumb": share.thumb if share else "",
        "libraries": list(share.library_titles) if share else [],
        "shareId": share.id if share else None,
    }


def _outcome(outcome: BulkOutcome) -> dict[str, object]:
    return {
        "identifier": outcome.identifier,
        "ok": outcome.ok,
        "code": outcome.code,
        "message": outcome.message,
        "grant": _grant(outcome.grant) if outcome.grant is not None else None,
    }


def _finding(finding: Finding, read_only: bool) -> dict[str, object]:
    return {
        "kind": str(finding.kind),
        "identifier": finding.grant.identifier,
        "tierId": finding.grant.tier_id,
        "tierName": finding.tier_name,
        "inviteCode": shown_code(finding.grant.invite_code, read_only),
        "grantedAt": iso_utc(finding.grant.granted_at),
        "detail": finding.detail,
        "fixes": [str(fix) for fix in finding.fixes],
    }


def _tier_and_end(grant: Grant | None) -> dict[str, object] | None:
    """What a change to one person's access did, for the audit trail."""
    return {"tierId": grant.tier_id, "expiresAt": iso_utc(grant.expires_at)} if grant else None
