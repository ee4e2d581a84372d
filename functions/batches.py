"""Batch invitations from a CSV: upload and check, review, start, watch, cancel, download the results; and the
queue-triggered function that sends a batch's rows a chunk at a time."""

from __future__ import annotations

import json
import logging

import azure.functions as func

from functions.admin_http import admin_only
from functions.http import SECURITY_HEADERS, RequestError, api_endpoint, iso_utc, json_response
from shared.admin.sessions import AdminSession
from shared.container import get_container
from shared.invites import batch_csv
from shared.invites.batch_csv import CheckedRow
from shared.invites.batch_rows import BatchRow
from shared.invites.batches import QUEUE_NAME, Batch, Progress, read_message, results_csv

bp = func.Blueprint()
log = logging.getLogger("helpr.batches")


# One message sends one chunk of a batch and puts the next chunk's message on the queue; a message the host
# hands out again (its instance died) resumes where the rows' stored states say.
@bp.queue_trigger(arg_name="message", queue_name=QUEUE_NAME, connection="AzureWebJobsStorage")
def run_batch(message: func.QueueMessage) -> None:
    body = read_message(message.get_body().decode("utf-8"))
    did = get_container().batches.run(body.batch_id, body.chain)
    log.info(json.dumps({"event": "batch", "batch": body.batch_id, "try": message.dequeue_count, "did": did}))


@bp.route(route="manage/batches", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def create_batch(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """The CSV file is the body. With ?dryRun=true the rows are only checked; otherwise they are stored as a batch
    to review, and nothing is sent until it is started."""
    body = req.get_body() or b""
    if len(body) > batch_csv.MAX_BYTES:
        raise RequestError(
            413,
            "file_too_large",
            f"The file is {len(body):,} bytes; at most {batch_csv.MAX_BYTES // 1024} KB. Split it and upload each part.",
        )
    batches = get_container().batches
    if (req.params.get("dryRun") or "").lower() == "true":
        checked = batches.check(body)
        rows = checked.rows
        return json_response(
            {
                "rows": [_checked(row) for row in rows],
                "valid": sum(row.ok for row in rows),
                "total": len(rows),
                "plexError": checked.plex_error,
            }
        )
    return json_response(_progress(batches.create(req.params.get("name") or "", body)), 201)


@bp.route(route="manage/batches", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def list_batches(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response({"items": [_batch(batch) for batch in get_container().batches.recent()]})


@bp.route(route="manage/batches/{batchId}", methods=["GET"])
@api_endpoint
@admin_only(changes_state=False)
def get_batch(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    """Counts and per-row results; ?rows=none leaves the rows out (for polling), ?format=csv is the results file."""
    batch_id = req.route_params.get("batchId", "")
    batches = get_container().batches
    if req.params.get("format") == "csv":
        progress = batches.progress(batch_id)
        return func.HttpResponse(
            results_csv(progress),
            status_code=200,
            mimetype="text/csv",
            charset="utf-8",
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="helpr-batch-{batch_id}-results.csv"'},
        )
    return json_response(_progress(batches.progress(batch_id, with_rows=req.params.get("rows") != "none")))


@bp.route(route="manage/batches/{batchId}/start", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def start_batch(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response(_progress(get_container().batches.start(req.route_params.get("batchId", ""))))


@bp.route(route="manage/batches/{batchId}/cancel", methods=["POST"])
@api_endpoint
@admin_only(changes_state=True)
def cancel_batch(req: func.HttpRequest, session: AdminSession) -> func.HttpResponse:
    return json_response(_progress(get_container().batches.cancel(req.route_params.get("batchId", ""))))


def _batch(batch: Batch) -> dict[str, object]:
    return {
        "id": batch.id,
        "name": batch.name,
        "state": str(batch.state),
        "createdAt": iso_utc(batch.created_at),
        "startedAt": iso_utc(batch.started_at),
        "finishedAt": iso_utc(batch.finished_at),
        "total": batch.total,
        "counts": batch.counts,
    }


def _progress(progress: Progress) -> dict[str, object]:
    return {
        "batch": _batch(progress.batch),
        "counts": progress.counts,
        "percent": progress.percent,
        "rows": [_row(row) for row in progress.rows],
        "plexError": progress.plex_error,
    }


def _row(row: BatchRow) -> dict[str, object]:
    return {
        "line": row.line,
        "identifier": row.identifier,
        "tier": row.tier,
        "days": row.days,
        "status": str(row.state),
        "outcome": row.outcome or row.check,
        "message": row.message,
    }


def _checked(row: CheckedRow) -> dict[str, object]:
    return {
        "line": row.line,
        "identifier": row.identifier,
        "tier": row.tier,
        "days": row.days,
        "status": "ok" if row.ok else "skipped",
        "outcome": row.error_code,
        "message": row.error,
    }
