"""The HTTP API through the real SWA emulator in front of the local functions host."""

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devtools.stack import ROOT
from tests.support.constants import HTTP_INVITE_CODE

SHARE_POST = "/api/servers/*/shared_servers"


def post_invite(app, body, *, headers=None, raw=None):
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    data = raw if raw is not None else json.dumps(body)
    return requests.post(f"{app.site_url}/api/invites", data=data, headers=sent_headers, timeout=30)


def log_rows(app):
    return list(app.tables.client("invitelog").list_entities())


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert len(error["message"]) > 20
    return error


def test_invite_is_created_logged_and_returns_201(app):
    response = post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "invited"
    assert body["libraries"] == ["Movies", "TV Shows", "Music", "Kids Movies"]
    assert "app.plex.tv" in body["message"]
    assert [s["username"] for s in app.simulator.state()["shares"]] == ["alice"]
    (row,) = log_rows(app)
    assert (row["IdentifierNormalized"], row["Outcome"], row["InviteCode"]) == ("alice", "invited", "(global code)")
    assert HTTP_INVITE_CODE not in str(row), "the server's invite code is a secret: never stored"


def test_warm_invite_through_the_whole_stack_costs_one_plex_tv_request(app):
    post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    app.simulator.reset_counts()
    assert post_invite(app, {"identifier": "bob", "inviteCode": HTTP_INVITE_CODE}).status_code == 201
    counts = app.simulator.counts()
    assert counts["plexTv"] == 1
    assert counts["pms"] == 0


def test_already_shared_returns_200(app):
    post_invite(app, {"identifier": "carol", "inviteCode": HTTP_INVITE_CODE})
    response = post_invite(app, {"identifier": "carol@example.net", "inviteCode": HTTP_INVITE_CODE})
    assert response.status_code == 200
    assert response.json()["outcome"] == "already_shared"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"identifier": "", "inviteCode": HTTP_INVITE_CODE}, "identifier_required", "identifier"),
        ({"identifier": "bad name!", "inviteCode": HTTP_INVITE_CODE}, "invalid_username", "identifier"),
        ({"identifier": "x@y", "inviteCode": HTTP_INVITE_CODE}, "invalid_email", "identifier"),
        ({"identifier": 12, "inviteCode": HTTP_INVITE_CODE}, "invalid_identifier", "identifier"),
    ],
)
def test_invalid_input_is_400_with_a_reason_and_writes_nothing(app, body, code, field):
    error = assert_error(post_invite(app, body), 400, code)
    assert error["field"] == field
    assert log_rows(app) == []
    assert app.simulator.plex_tv_requests() == 0


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        ('{"identifier": "alice"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"identifier": "\xff\xfe"}', "application/json", 400, "invalid_json"),
    ],
)
def test_malformed_requests_get_json_errors(app, raw, content_type, status, code):
    assert_error(post_invite(app, None, raw=raw, headers={"Content-Type": content_type}), status, code)
    assert log_rows(app) == []


@pytest.mark.parametrize(("code", "error_code"), [(None, "invite_code_required"), ("wrong-code", "invalid_invite_code")])
def test_missing_or_wrong_invite_code_is_403(app, code, error_code):
    error = assert_error(post_invite(app, {"identifier": "alice", "inviteCode": code}), 403, error_code)
    assert error["field"] == "inviteCode"
    assert app.simulator.state()["shares"] == []


def test_unknown_plex_user_is_422_with_a_next_step(app):
    error = assert_error(post_invite(app, {"identifier": "nobody_by_this_name", "inviteCode": HTTP_INVITE_CODE}), 422, "user_not_found")
    assert "verify your email" in error["message"]


def test_share_limit_is_409(app):
    app.simulator.set_owner(shareLimit=0)
    assert_error(post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE}), 409, "share_limit")


def test_plex_rate_limit_longer_than_the_retry_budget_is_503_with_its_retry_after(app):
    post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    app.simulator.add_fault(SHARE_POST, 429, retry_after="42", times=0)
    response = post_invite(app, {"identifier": "bob", "inviteCode": HTTP_INVITE_CODE})
    error = assert_error(response, 503, "plex_rate_limited")
    assert "try again" in error["message"]
    assert response.headers["Retry-After"] == "42"
    assert sorted(row["Outcome"] for row in log_rows(app)) == ["invited", "plex_rate_limited"]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"status": 429}, "plex_rate_limited"),
        ({"status": 500}, "plex_unavailable"),
        ({"status": 503}, "plex_unavailable"),
        ({"status": 520}, "plex_unavailable"),
        # Past the 2 s Plex timeout, and never carried out: each retry times out too.
        ({"status": 504, "delay_seconds": 2.5}, "plex_unavailable"),
    ],
)
def test_persistent_plex_faults_end_as_a_clear_503_with_a_logged_failure(app, fault, code):
    post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    app.simulator.add_fault(SHARE_POST, times=0, **fault)
    response = post_invite(app, {"identifier": "bob", "inviteCode": HTTP_INVITE_CODE})
    error = assert_error(response, 503, code)
    assert "try again" in error["message"].lower()
    assert int(response.headers["Retry-After"]) > 0
    rows = log_rows(app)
    assert sorted(row["Outcome"] for row in rows) == ["invited", code]
    assert app.simulator.counts()["endpoints"]["POST /api/servers/{machineId}/shared_servers"] >= 2, "it was retried"


def test_a_transient_plex_fault_is_retried_into_success(app):
    post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    app.simulator.add_fault(SHARE_POST, 503, times=1)
    assert post_invite(app, {"identifier": "bob", "inviteCode": HTTP_INVITE_CODE}).status_code == 201


def test_double_submit_makes_one_plex_post_and_one_log_row(app):
    post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE})
    app.simulator.add_fault(SHARE_POST, None, delay_seconds=0.5)
    app.simulator.reset_counts()
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: post_invite(app, {"identifier": "carol", "inviteCode": HTTP_INVITE_CODE}), range(2)))
    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(r.headers.get("Idempotent-Replayed", "false") for r in responses) == ["false", "true"]
    assert app.simulator.counts()["endpoints"]["POST /api/servers/{machineId}/shared_servers"] == 1
    assert [row["IdentifierNormalized"] for row in log_rows(app)].count("carol") == 1


def test_idempotency_key_header_is_honoured(app):
    headers = {"Idempotency-Key": "order-7f3c"}
    first = post_invite(app, {"identifier": "dave_p", "inviteCode": HTTP_INVITE_CODE}, headers=headers)
    again = post_invite(app, {"identifier": "dave_p", "inviteCode": HTTP_INVITE_CODE}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = post_invite(app, {"identifier": "bob", "inviteCode": HTTP_INVITE_CODE}, headers=headers)
    assert_error(reused, 422, "idempotency_key_reused")


def test_invalid_owner_token_pauses_invites_with_503(app):
    app.simulator.set_owner(token="revoked")
    error = assert_error(post_invite(app, {"identifier": "dave_p", "inviteCode": HTTP_INVITE_CODE}), 503, "invalid_owner_token")
    assert "owner" in error["message"]


def test_page_loads_do_not_call_plex_while_the_token_is_rejected(app):
    app.simulator.set_owner(token="revoked")
    assert post_invite(app, {"identifier": "dave_p", "inviteCode": HTTP_INVITE_CODE}).status_code == 503
    app.simulator.reset_counts()
    for _ in range(3):
        response = requests.get(f"{app.site_url}/api/config", timeout=30)
        assert response.status_code == 200
        assert response.json()["serverName"]
    assert app.simulator.plex_tv_requests() == 0


def test_config_tells_the_form_what_it_needs(app):
    response = requests.get(f"{app.site_url}/api/config", timeout=30)
    assert response.status_code == 200
    assert response.json() == {
        "serverName": "Helpr Demo Server",
        "inviteCodeRequired": True,
        "demoMode": True,
        "signInMode": "plex_or_typed",
        "branding": {"serverName": "", "accent": "", "welcome": "", "logoUrl": ""},
    }


def test_health_reports_storage_and_plex_without_calling_plex_each_time(app):
    assert post_invite(app, {"identifier": "alice", "inviteCode": HTTP_INVITE_CODE}).status_code == 201
    first = requests.get(f"{app.site_url}/api/health", timeout=30)
    assert first.status_code == 200
    assert first.json()["storage"]["status"] == "ok"
    assert first.json()["plex"]["status"] == "ok"
    app.simulator.reset_counts()
    for _ in range(3):
        assert requests.get(f"{app.site_url}/api/health", timeout=30).status_code == 200
    assert app.simulator.plex_tv_requests() == 0


def test_api_responses_are_not_cached_or_sniffed(app):
    response = requests.get(f"{app.site_url}/api/config", timeout=30)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_api_route_is_an_empty_404_with_the_host_headers(app):
    # The Functions host answers an unknown route itself: empty body, with host.json's customHeaders.
    response = requests.get(f"{app.functions_url}/api/nothing-here", timeout=30)
    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_site_serves_the_guest_page_with_a_strict_csp(app):
    response = requests.get(f"{app.site_url}/", timeout=30)
    assert response.status_code == 200
    assert 'id="invite-form"' in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_openapi_description_is_served_and_covers_every_route(app):
    response = requests.get(f"{app.site_url}/api/openapi.json", timeout=30)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    script = (
        "import function_app, json; print(json.dumps([[f.get_trigger().route, [str(m.value) for m in f.get_trigger().methods or []]]"
        " for f in function_app.app.get_functions() if f.get_trigger().type == 'httpTrigger']))"
    )
    served = json.loads(subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    for route, methods in served:
        route = route.replace("tier_id", "tierId")
        # An optional last segment serves two paths; a method must be described on one of them.
        paths = {"/" + re.sub(r"/\{\w+\?\}$", "", route), "/" + re.sub(r"\{(\w+)\?\}", r"{\1}", route)}
        for method in methods:
            assert any((path, method) in documented for path in paths), f"{method} {route} is served but not described"


def test_no_cors_on_the_api(app):
    preflight = requests.options(
        f"{app.functions_url}/api/invites",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = requests.get(f"{app.functions_url}/api/config", headers={"Origin": "https://elsewhere.example"}, timeout=30)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
