"""The batch endpoints over HTTP through the site: upload and check (dry run too), a file too large, start and
progress until done, the results file, cancel, and the owner's session and CSRF header required."""

from __future__ import annotations

import csv
import io
import time

import requests
import schemathesis

from tests.support.admin_client import COOKIE, Admin


def upload(admin: Admin, body: bytes, **params: str) -> requests.Response:
    headers = {"Origin": admin.app.site_url, "X-CSRF-Token": admin.csrf, "Cookie": f"{COOKIE}={admin.cookie}", "Content-Type": "text/csv"}
    return requests.post(f"{admin.app.site_url}/api/manage/batches", data=body, headers=headers, params=params, timeout=30)


def signed_in(app) -> Admin:
    admin = Admin(app)
    assert admin.login().status_code == 200
    return admin


def test_upload_check_start_and_watch_a_batch_to_the_end_then_download_its_results(app):
    admin = signed_in(app)
    body = "\ufeffemail;tier;days\nann@example.com;;7\nbob@example.com;Gold;\nann@example.com;;\n=HYPERLINK(x);;\n".encode()

    checked = upload(admin, body, dryRun="true")
    assert checked.status_code == 200
    assert [(r["line"], r["status"], r["outcome"]) for r in checked.json()["rows"]] == [
        (2, "ok", ""),
        (3, "skipped", "unknown_tier"),
        (4, "skipped", "duplicate"),
        (5, "skipped", "bad_identifier"),
    ]
    assert admin.call("GET", "manage/batches").json() == {"items": []}, "a dry run stores nothing"

    created = upload(admin, body, name="team.csv")
    assert created.status_code == 201
    batch_id = created.json()["batch"]["id"]
    assert created.json()["batch"]["state"] == "review"
    assert admin.call("POST", f"manage/batches/{batch_id}/start").json()["batch"]["state"] == "running"

    deadline = time.monotonic() + 30
    while (progress := admin.call("GET", f"manage/batches/{batch_id}", params={"rows": "none"}).json())["batch"]["state"] == "running":
        assert time.monotonic() < deadline, progress
        time.sleep(0.3)
    assert progress["counts"] == {"total": 4, "done": 1, "failed": 0, "skipped": 3, "pending": 0}
    assert progress["percent"] == 100 and progress["rows"] == []
    assert [share["invited_email"] for share in app.simulator.state()["shares"]] == ["ann@example.com"]
    schema = schemathesis.openapi.from_url(f"{app.site_url}/api/openapi.json")
    full = admin.call("GET", f"manage/batches/{batch_id}")
    listing = admin.call("GET", "manage/batches")
    schema["/manage/batches/{batchId}"]["GET"].validate_response(full)
    schema["/manage/batches"]["GET"].validate_response(listing)
    assert [row["status"] for row in full.json()["rows"]] == ["done", "skipped", "skipped", "skipped"]
    [listed] = listing.json()["items"]
    assert (listed["id"], listed["name"], listed["state"]) == (batch_id, "team.csv", "done")

    results = admin.call("GET", f"manage/batches/{batch_id}", params={"format": "csv"})
    assert results.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in results.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(results.text)))
    assert [(r["line"], r["identifier"], r["status"], r["outcome"]) for r in rows] == [
        ("2", "ann@example.com", "done", "invited"),
        ("3", "bob@example.com", "skipped", "unknown_tier"),
        ("4", "ann@example.com", "skipped", "duplicate"),
        ("5", "'=HYPERLINK(x)", "skipped", "bad_identifier"),
    ]
    again = admin.call("POST", f"manage/batches/{batch_id}/start")
    assert again.status_code == 409 and again.json()["error"]["code"] == "batch_not_in_review"


def test_a_file_too_large_or_unreadable_is_refused_with_what_to_do(app):
    admin = signed_in(app)
    large = upload(admin, b"x@example.com\n" * 20000)
    assert large.status_code == 413
    assert large.json()["error"]["code"] == "file_too_large" and "Split it" in large.json()["error"]["message"]
    empty = upload(admin, b"\n")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_file"


def test_cancelling_a_batch_under_review_skips_every_row_and_nothing_is_sent(app):
    admin = signed_in(app)
    batch_id = upload(admin, b"carl@example.com\ndora@example.com\n").json()["batch"]["id"]
    cancelled = admin.call("POST", f"manage/batches/{batch_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["counts"] == {"total": 2, "done": 0, "failed": 0, "skipped": 2, "pending": 0}
    assert admin.call("POST", f"manage/batches/{batch_id}/start").status_code == 409
    assert app.simulator.state()["shares"] == []
    assert admin.call("GET", "manage/batches/nosuchbatch").status_code == 404


def test_batches_need_the_session_and_changes_the_csrf_header(app):
    admin = signed_in(app)
    assert Admin(app).call("GET", "manage/batches").status_code == 401
    csrf, admin.csrf = admin.csrf, ""
    assert upload(admin, b"eve@example.com\n").status_code == 403
    admin.csrf = csrf
    assert upload(admin, b"eve@example.com\n").status_code == 201
