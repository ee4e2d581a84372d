"""infra/deploy.sh against stand-ins for az, func, swa and curl: the order of the steps, the settings it keeps,
the secrets it puts in Key Vault (typed on a terminal, never on a command line) and the smoke check's verdict."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.stack import ROOT
from shared.admin.passwords import verify_password
from shared.config.settings import KEY_VAULT_SECRETS

pytestmark = pytest.mark.infra

FUNCTION_APP = "func-helprtest-abc123"
OUTPUTS = {
    "siteUrl": "https://site-helprtest.example.net",
    "staticWebAppName": "stapp-helprtest-abc123",
    "functionAppName": FUNCTION_APP,
    "functionAppHostName": f"{FUNCTION_APP}.azurewebsites.net",
    "keyVaultName": "kv-helprtes-abc123",
    "keyVaultSecretNames": list(KEY_VAULT_SECRETS.values()),
}
WATCHED_ENV = [
    "AZURE_ENV_NAME",
    "AZURE_LOCATION",
    "AZURE_PRINCIPAL_ID",
    "HELPR_PLEX_SERVER_NAME",
    "SWA_CLI_DEPLOYMENT_TOKEN",
]

STUB = r"""
import json, os, pathlib, sys

tool, args = pathlib.Path(sys.argv[0]).name, sys.argv[1:]
state = pathlib.Path(os.environ["STUB_STATE"])
secrets = state / "secrets"
with open(state / "calls.jsonl", "a") as log:
    log.write(json.dumps({"tool": tool, "args": args, "env": {k: os.environ.get(k) for k in WATCHED}}) + "\n")

def arg(flag):
    return args[args.index(flag) + 1]

if tool == "az":
    if args[:2] == ["account", "show"]:
        print("user" if "user.type" in args else "Pay-As-You-Go\t00000000-0000-0000-0000-000000000001")
    elif args[:3] == ["ad", "signed-in-user", "show"]:
        print("11111111-2222-3333-4444-555555555555")
    elif args[:3] == ["deployment", "group", "show"]:
        if not (state / "deployed").exists():
            sys.exit("ERROR: (DeploymentNotFound) Deployment 'helpr' could not be found.")
        print(json.dumps({key: {"type": "String", "value": value} for key, value in OUTPUTS.items()}))
    elif args[:3] == ["deployment", "group", "create"]:
        (state / "deployed").touch()
    elif args[:4] == ["functionapp", "config", "appsettings", "list"]:
        current = state / "appsettings.tsv"
        print(current.read_text() if current.exists() else "PLEX_SERVER_NAME\tLiving Room\nTABLE_PREFIX\thelpr")
    elif args[:3] == ["keyvault", "secret", "show"]:
        if not (secrets / arg("--name")).exists():
            sys.exit(f"ERROR: (SecretNotFound) A secret with (name/id) {arg('--name')} was not found in this key vault.")
        print("https://vault/secrets/" + arg("--name"))
    elif args[:3] == ["keyvault", "secret", "set"]:
        secrets.mkdir(exist_ok=True)
        (secrets / arg("--name")).write_bytes(pathlib.Path(arg("--file")).read_bytes())
    elif args[:3] == ["staticwebapp", "secrets", "list"]:
        print("swa-deployment-token")
elif tool == "func" and args == ["--version"]:
    print("4.0.7030")
elif tool == "curl":
    url, out, fmt = args[-1], arg("-o"), arg("-w")
    if url == OUTPUTS["siteUrl"] + "/api/health":
        pathlib.Path(out).write_text('{"storage": {"status": "ok"}}')
        print("200 application/json; charset=utf-8", end="")
    elif url == OUTPUTS["siteUrl"] + "/api/manage/session":
        status = os.environ.get("STUB_SITE_ADMIN_STATUS", "401")
        body = '{"error": {"code": "not_authenticated", "message": "Sign in."}}' if status == "401" else ""
        pathlib.Path(out).write_text(body)
        print(status, end="")
    elif url.endswith("/api/manage/session"):
        print(os.environ.get("STUB_DIRECT_ADMIN_STATUS", "401"), end="")
    else:
        print("200", end="")
"""


@pytest.fixture
def stubs(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    source = f"#!{sys.executable}\nOUTPUTS = {OUTPUTS!r}\nWATCHED = {WATCHED_ENV!r}\n{STUB}"
    for tool in ("az", "func", "swa", "curl"):
        (bin_dir / tool).write_text(source)
        (bin_dir / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPR_", "AZURE_", "SWA_CLI_"))}
    env.update(PATH=f"{bin_dir}:{env['PATH']}", STUB_STATE=str(state))
    return env, state


def put_all_secrets(state: Path) -> None:
    (state / "secrets").mkdir(exist_ok=True)
    for name in KEY_VAULT_SECRETS.values():
        (state / "secrets" / name).write_text("already-there")


def calls(state: Path) -> list[dict]:
    return [json.loads(line) for line in (state / "calls.jsonl").read_text().splitlines()]


def deploy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "infra/deploy.sh", "-g", "rg-helpr", "-n", "helprtest", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_deployment_runs_every_step_in_order_and_passes_the_smoke_check(stubs):
    env, state = stubs
    put_all_secrets(state)
    run = deploy(env, "-l", "swedencentral")
    assert run.returncode == 0, run.stdout + run.stderr
    steps = [" ".join([c["tool"], *c["args"]]) for c in calls(state)]

    def index(prefix: str) -> int:
        return next(i for i, step in enumerate(steps) if step.startswith(prefix))

    assert index("az group create --name rg-helpr --location swedencentral") < index("az deployment group create")
    create = calls(state)[index("az deployment group create")]
    assert "--template-file infra/main.bicep --parameters infra/main.bicepparam" in " ".join(create["args"])
    assert create["env"]["AZURE_ENV_NAME"] == "helprtest"
    assert create["env"]["AZURE_LOCATION"] == "swedencentral"
    assert create["env"]["AZURE_PRINCIPAL_ID"] == "11111111-2222-3333-4444-555555555555"
    assert (
        index("az deployment group create")
        < index(f"func azure functionapp publish {FUNCTION_APP} --python")
        < index("swa deploy static_site")
    )
    swa = calls(state)[index("swa deploy")]
    assert swa["env"]["SWA_CLI_DEPLOYMENT_TOKEN"] == "swa-deployment-token"
    assert "swa-deployment-token" not in swa["args"]
    assert not any(step.startswith("az keyvault secret set") for step in steps), "existing secrets must be kept"
    assert "PASS  https://site-helprtest.example.net/api/health answers 200 with JSON" in run.stdout
    assert "PASS  a direct call" in run.stdout and "(401)" in run.stdout


def test_a_redeployment_keeps_the_settings_not_given_and_takes_the_ones_given(stubs):
    env, state = stubs
    put_all_secrets(state)
    assert deploy(env).returncode == 0
    assert deploy({**env, "HELPR_PLEX_SERVER_NAME": "Attic"}).returncode == 0
    assert deploy(env).returncode == 0
    creates = [c for c in calls(state) if c["args"][:3] == ["deployment", "group", "create"]]
    assert creates[0]["env"]["HELPR_PLEX_SERVER_NAME"] is None  # nothing to keep yet: the Bicep default applies
    assert creates[1]["env"]["HELPR_PLEX_SERVER_NAME"] == "Attic"
    assert creates[2]["env"]["HELPR_PLEX_SERVER_NAME"] == "Living Room"


def secret_sets(state: Path, name: str) -> list[int]:
    """Where in the calls the secret was set."""
    return [i for i, c in enumerate(calls(state)) if c["args"][:3] == ["keyvault", "secret", "set"] and name in c["args"]]


def test_the_invite_code_goes_into_key_vault_never_into_the_deployment(stubs):
    env, state = stubs
    put_all_secrets(state)
    (state / "secrets" / "invite-code").unlink()
    run = deploy({**env, "HELPR_INVITE_CODE": "open-sesame-77"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert (state / "secrets" / "invite-code").read_text() == "open-sesame-77"
    assert "open-sesame-77" not in (state / "calls.jsonl").read_text(), "the code reached a command line"
    assert "HELPR_INVITE_CODE" not in (ROOT / "infra" / "main.bicepparam").read_text()

    # Not given again: the vault's code is kept as it is.
    (state / "calls.jsonl").unlink()
    run = deploy(env)
    assert run.returncode == 0 and not secret_sets(state, "invite-code")
    assert "Keeping invite-code" in run.stdout
    assert (state / "secrets" / "invite-code").read_text() == "open-sesame-77"

    # Given empty: an empty code, which the app reads as no code.
    assert deploy({**env, "HELPR_INVITE_CODE": ""}).returncode == 0
    assert (state / "secrets" / "invite-code").read_text() == ""


def test_an_invite_code_app_setting_moves_into_the_vault_before_the_deployment_removes_it(stubs):
    env, state = stubs
    put_all_secrets(state)
    (state / "secrets" / "invite-code").unlink()
    (state / "deployed").touch()  # a deployment from before, with the code as an app setting
    (state / "appsettings.tsv").write_text("INVITE_CODE\tkept-code\nPLEX_SERVER_NAME\tLiving Room\n")
    run = deploy(env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (state / "secrets" / "invite-code").read_text() == "kept-code"
    create = next(i for i, c in enumerate(calls(state)) if c["args"][:3] == ["deployment", "group", "create"])
    assert secret_sets(state, "invite-code") and secret_sets(state, "invite-code")[0] < create, "no moment without the code"
    assert len(secret_sets(state, "invite-code")) == 1


def test_skip_infra_publishes_to_what_the_last_deployment_made(stubs):
    env, state = stubs
    put_all_secrets(state)
    run = deploy(env, "--skip-infra")
    assert run.returncode != 0 and "run without --skip-infra first" in run.stderr
    (state / "deployed").touch()
    (state / "calls.jsonl").unlink()
    assert deploy(env, "--skip-infra").returncode == 0
    steps = [" ".join([c["tool"], *c["args"]]) for c in calls(state)]
    assert not any(step.startswith(("az group create", "az deployment group create")) for step in steps)
    assert any(step.startswith(f"func azure functionapp publish {FUNCTION_APP}") for step in steps)


def test_the_smoke_check_fails_when_the_function_app_answers_admin_calls_directly(stubs):
    env, state = stubs
    put_all_secrets(state)
    run = deploy({**env, "STUB_DIRECT_ADMIN_STATUS": "200"})
    assert run.returncode != 0
    assert f"FAIL  a direct call to https://{FUNCTION_APP}.azurewebsites.net/api/manage/session answered '200'" in run.stdout


@pytest.mark.parametrize("direct", ["404", "500", "000"])
def test_the_smoke_check_fails_unless_a_direct_admin_call_is_refused(stubs, direct):
    env, state = stubs
    put_all_secrets(state)
    run = deploy({**env, "STUB_DIRECT_ADMIN_STATUS": direct})
    assert run.returncode != 0
    assert "not 401/403" in run.stdout


def test_the_smoke_check_fails_when_the_admin_api_is_not_served_through_the_site(stubs):
    # A host that refused the admin routes answers an empty 404: the deploy must not say "Deployed."
    env, state = stubs
    put_all_secrets(state)
    run = deploy({**env, "STUB_SITE_ADMIN_STATUS": "404"})
    assert run.returncode != 0
    assert f"FAIL  {OUTPUTS['siteUrl']}/api/manage/session answered '404'" in run.stdout
    assert "Deployed." not in run.stdout


def test_the_smoke_check_passes_on_a_guarded_admin_api(stubs):
    env, state = stubs
    put_all_secrets(state)
    run = deploy(env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"PASS  {OUTPUTS['siteUrl']}/api/manage/session answers 401" in run.stdout


def test_missing_secrets_need_a_terminal(stubs):
    env, state = stubs
    run = deploy(env)
    assert run.returncode != 0
    assert "a terminal is needed" in run.stderr
    assert not (state / "secrets").exists()


def run_on_terminal(args: list[str], env: dict[str, str], answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Runs a command with a pseudo-terminal as its input and output, answering each prompt in turn."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True)
    os.close(secondary)
    output, answered_up_to, pending = b"", 0, list(answers)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closes when the script ends
                break
            output += chunk
            if pending and pending[0][0].encode() in output[answered_up_to:]:
                answered_up_to = len(output)
                os.write(primary, pending.pop(0)[1].encode() + b"\n")
        else:
            proc.kill()
            pytest.fail(f"timed out; output so far:\n{output.decode(errors='replace')}")
        return proc.wait(timeout=30), output.decode(errors="replace")
    finally:
        os.close(primary)


def test_secrets_are_typed_without_echo_and_never_reach_a_command_line(stubs):
    env, state = stubs
    token, password = "plex-owner-token-9f8e7d", "correct horse battery staple"
    answers = [("Plex token: ", token), ("New admin password (12 characters or more): ", password), ("Again: ", password)]
    code, output = run_on_terminal(["bash", "infra/deploy.sh", "-g", "rg-helpr", "-n", "helprtest"], env, answers)
    assert code == 0, output
    stored = {path.name: path.read_text() for path in (state / "secrets").iterdir()}
    assert set(stored) == set(KEY_VAULT_SECRETS.values()) - {"invite-code"}, "the invite code is optional and never asked for"
    assert stored["plex-token"] == token
    assert len(stored["session-signing-key"]) == 64 and int(stored["session-signing-key"], 16) >= 0
    assert len(stored["data-encryption-key"]) == 64 and stored["data-encryption-key"] != stored["session-signing-key"]
    assert verify_password(stored["admin-password-hash"], password)
    assert token not in output and password not in output, "a typed secret was echoed"
    logged = (state / "calls.jsonl").read_text()
    for value in stored.values():
        assert value not in logged, "a secret reached a command line or the environment of a command"


def test_rotating_secrets_never_replaces_the_data_encryption_key(stubs):
    # It encrypts the admin's TOTP secret in storage: a new key would lock the admin out.
    env, state = stubs
    put_all_secrets(state)
    token, password = "plex-owner-token-1234", "another long password"
    answers = [("Plex token: ", token), ("New admin password (12 characters or more): ", password), ("Again: ", password)]
    code, output = run_on_terminal(["bash", "infra/deploy.sh", "-g", "rg-helpr", "-n", "helprtest", "--rotate-secrets"], env, answers)
    assert code == 0, output
    assert (state / "secrets" / "data-encryption-key").read_text() == "already-there"
    assert (state / "secrets" / "plex-token").read_text() == token
