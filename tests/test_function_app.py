"""The app indexes like the real worker does, and the local host serves what it indexes."""

import json
import os
import subprocess
import sys
from collections.abc import Callable

import azure.functions as func
import pytest
from azure.functions.decorators.http import HttpTrigger

from devtools.host_rules import RouteTemplate
from devtools.local_host import load_local_settings
from devtools.stack import ROOT
from functions.http import client_ip


@pytest.mark.integration  # a fresh Python process
def test_function_app_imports_with_no_settings_and_lists_every_route():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEX_", "AzureWebJobs", "TABLE", "INVITE"))}
    script = (
        "import function_app, json;"
        "print(json.dumps(sorted("
        "[f.get_trigger().type, getattr(f.get_trigger(), 'route', None) or f.get_function_name(),"
        " sorted(str(m.value) for m in (getattr(f.get_trigger(), 'methods', None) or []))]"
        " for f in function_app.app.get_functions())))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    http = [(route, methods) for kind, route, methods in json.loads(out.stdout) if kind == "httpTrigger"]
    assert http == [
        ("branding/logo", ["GET"]),
        ("config", ["GET"]),
        ("guest/more-time", ["POST"]),
        ("guest/status", ["POST"]),
        ("guest/status/plex", ["POST"]),
        ("health", ["GET"]),
        ("invites", ["POST"]),
        ("manage/api-keys", ["GET"]),
        ("manage/api-keys", ["POST"]),
        ("manage/api-keys/{id}", ["DELETE"]),
        ("manage/audit", ["GET"]),
        ("manage/batches", ["GET"]),
        ("manage/batches", ["POST"]),
        ("manage/batches/{batchId}", ["GET"]),
        ("manage/batches/{batchId}/cancel", ["POST"]),
        ("manage/batches/{batchId}/start", ["POST"]),
        ("manage/branding", ["GET"]),
        ("manage/branding", ["PUT"]),
        ("manage/branding/logo", ["DELETE"]),
        ("manage/branding/logo", ["PUT"]),
        ("manage/code-required", ["PUT"]),
        ("manage/dashboard", ["GET"]),
        ("manage/invite-links", ["GET"]),
        ("manage/invite-links", ["POST"]),
        ("manage/invite-links/{code}", ["DELETE"]),
        ("manage/invites", ["GET"]),
        ("manage/libraries", ["PUT"]),
        ("manage/libraries/refresh", ["POST"]),
        ("manage/login", ["POST"]),
        ("manage/logout", ["POST"]),
        ("manage/notifications", ["GET"]),
        ("manage/notifications/channels", ["POST"]),
        ("manage/notifications/channels/{channelId}", ["DELETE"]),
        ("manage/notifications/channels/{channelId}", ["PUT"]),
        ("manage/notifications/channels/{channelId}/test", ["POST"]),
        ("manage/notifications/given-up/resend", ["POST"]),
        ("manage/notifications/templates/{kind}", ["DELETE"]),
        ("manage/notifications/templates/{kind}", ["PUT"]),
        ("manage/onboarding", ["GET"]),
        ("manage/onboarding", ["PUT"]),
        ("manage/onboarding/preview", ["POST"]),
        ("manage/reconciliation", ["GET"]),
        ("manage/reconciliation/fix", ["POST"]),
        ("manage/session", ["GET"]),
        ("manage/sign-in-mode", ["GET"]),
        ("manage/sign-in-mode", ["PUT"]),
        ("manage/sign-out-everywhere", ["POST"]),
        ("manage/tiers", ["GET"]),
        ("manage/tiers/{tier_id?}", ["POST", "PUT"]),
        ("manage/tiers/{tier_id}", ["DELETE"]),
        ("manage/totp/confirm", ["POST"]),
        ("manage/totp/disable", ["POST"]),
        ("manage/totp/setup", ["POST"]),
        ("manage/users", ["GET"]),
        ("manage/users/bulk", ["POST"]),
        ("manage/users/{identifier}", ["PATCH"]),
        ("manage/users/{identifier}/adopt", ["POST"]),
        ("manage/users/{identifier}/revoke", ["POST"]),
        ("onboarding", ["GET"]),
        ("openapi.json", ["GET"]),
        ("signin/plex", ["POST"]),
        ("signin/plex/complete", ["POST"]),
    ]
    timers = [route for kind, route, _ in json.loads(out.stdout) if kind == "timerTrigger"]
    assert sorted(timers) == ["check_plex_connection", "delete_expired_rows", "expire_access"]
    queues = [route for kind, route, _ in json.loads(out.stdout) if kind == "queueTrigger"]
    assert sorted(queues) == ["deliver_event", "run_batch"]


def test_route_templates_match_like_the_functions_host():
    invites = RouteTemplate.parse("api/invites")
    assert invites.match("/api/invites") == {}
    assert invites.match("/API/Invites/") == {}, "literals ignore case; one trailing / is fine"
    assert invites.match("/api/invites/extra") is None
    users = RouteTemplate.parse("api/manage/users/{id:int}/{action?}")
    assert users.match("/api/manage/users/12") == {"id": "12"}, "an unmatched optional is absent"
    assert users.match("/api/manage/users/12/revoke") == {"id": "12", "action": "revoke"}
    assert users.match("/api/manage/users/abc") is None


def test_local_settings_fill_in_but_never_override_the_environment(tmp_path):
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"Values": {"PLEX_TOKEN": "from-file", "INVITE_CODE": "file-code"}}))
    environ = {"PLEX_TOKEN": "from-env"}
    load_local_settings(settings, environ)
    assert environ == {"PLEX_TOKEN": "from-env", "INVITE_CODE": "file-code"}


def test_client_ip_trusts_only_the_entry_the_platform_appended():
    request = func.HttpRequest("POST", "http://x/api/invites", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9:52311"}, body=b"")
    assert client_ip(request, 1) == "203.0.113.9"
    assert client_ip(request, 2) == "6.6.6.6"
    spoofed = func.HttpRequest("POST", "http://x/", headers={"X-Client-IP": "1.2.3.4"}, body=b"")
    assert client_ip(spoofed, 1) == "", "a header the client sets itself is never read"


_HANDLERS: dict[str, Callable[..., func.HttpResponse]] = {}


def _call(route: str, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None) -> func.HttpResponse:
    if not _HANDLERS:
        import function_app

        # get_functions() validates and indexes once per app, as the worker does.
        for f in function_app.app.get_functions():
            trigger = f.get_trigger()
            if isinstance(trigger, HttpTrigger) and trigger.route:
                _HANDLERS[trigger.route] = f.get_user_function()
    handler = _HANDLERS[route]
    return handler(func.HttpRequest(method, f"http://localhost/api/{route}", headers=headers or {}, body=body))


@pytest.mark.integration  # storage is tried at the development address
def test_missing_plex_token_gets_a_setup_required_answer_naming_it(monkeypatch):
    from shared.container import reset_container

    monkeypatch.delenv("PLEX_TOKEN", raising=False)
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    reset_container()
    try:
        response = _call("config")
        invite = _call("invites", "POST", b'{"identifier": "alice"}', {"Content-Type": "application/json"})
    finally:
        reset_container()
    for answer in (response, invite):
        assert answer.status_code == 503
        error = json.loads(answer.get_body())["error"]
        assert error["code"] == "setup_required"
        assert "PLEX_TOKEN" in error["message"]
        assert "Traceback" not in answer.get_body().decode()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"ADMIN_PASSWORD_HASH": "scrypt:32768:8:1$salt$abc"}, "SITE_ORIGIN"),
        ({"SITE_ORIGIN": "http://portal.test"}, "ADMIN_PASSWORD_HASH"),
    ],
)
def test_admin_sign_in_names_the_missing_setting(monkeypatch, env, missing):
    from shared.container import reset_container

    for name in ("SITE_ORIGIN", "ADMIN_PASSWORD_HASH", "KEY_VAULT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_container()
    try:
        response = _call(
            "manage/login",
            "POST",
            b'{"username": "admin", "password": "pw"}',
            {"Content-Type": "application/json", "Origin": "http://portal.test"},
        )
    finally:
        reset_container()
    assert response.status_code == 503
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "setup_required"
    assert missing in error["message"]
