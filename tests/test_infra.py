"""The Azure deployment: the Bicep parses and passes checkov, it sets exactly the app settings the code reads,
and the shell scripts pass shellcheck. No Bicep compiler runs here, so these checks stand in for it."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
from pycep import BicepParser

from devtools.stack import ROOT
from shared.config.settings import APP_SETTINGS, KEY_VAULT_SECRETS, LOCAL_ONLY_SETTINGS

pytestmark = pytest.mark.infra

INFRA = ROOT / "infra"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))

# App settings the platform or an Azure SDK reads, not the app's own code. Each needs a reason to be here.
PLATFORM_SETTINGS = {
    # The functions host reaches its storage with a managed identity instead of a connection string...
    "AzureWebJobsStorage__credential",
    # ...the user-assigned one (a function app may carry several identities)...
    "AzureWebJobsStorage__clientId",
    # ...and keeps its keys and locks in blobs there.
    "AzureWebJobsStorage__blobServiceUri",
    # DefaultAzureCredential (Key Vault, Tables) picks the user-assigned identity by this client id.
    "AZURE_CLIENT_ID",
    # Where the host sends telemetry...
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    # ...authenticated with the identity, since Application Insights has local (key) auth turned off.
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}


def parse(path: Path) -> dict[str, Any]:
    # pycep's BicepJson is a TypedDict of the whole grammar; the tests walk it as plain JSON.
    return cast("dict[str, Any]", BicepParser().parse(file_path=path))


def resources(kind: str) -> list[tuple[Path, str, dict[str, Any]]]:
    found = []
    for path in BICEP_FILES:
        for symbol, resource in parse(path).get("resources", {}).items():
            if resource["type"] == kind and not resource["existing"]:
                # A conditional resource (`= if (...) {`) nests its body one level down.
                config = resource["config"].get("config", resource["config"])
                found.append((path, symbol, {**resource, "config": config}))
    return found


def test_there_is_bicep_to_check():
    assert INFRA / "main.bicep" in BICEP_FILES
    assert len(BICEP_FILES) > 1


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path):
    parsed = parse(path)
    assert parsed.get("resources") or parsed.get("modules"), f"{path} declares nothing"


def test_the_parser_rejects_broken_bicep():
    # Guards the check above: a parser that accepted anything would prove nothing.
    with pytest.raises(Exception):  # noqa: B017 - lark raises several unrelated exception types
        BicepParser().parse(text="resource site 'Microsoft.Web/sites@2023-12-01' = {\n  name: 'x'\n")


def test_modules_get_exactly_the_params_they_declare_and_expose_the_outputs_main_reads():
    main_text = (INFRA / "main.bicep").read_text()
    modules = parse(INFRA / "main.bicep")["modules"]
    assert modules
    for symbol, module in modules.items():
        target = INFRA / module["detail"]["path"]
        declared = parse(target)
        params = declared.get("parameters", {})
        required = {name for name, param in params.items() if param["default"] is None}
        passed = set(module["config"].get("params", {}))
        assert passed <= set(params), f"{symbol}: {sorted(passed - set(params))} are not params of {target.name}"
        assert required <= passed, f"{symbol}: required params {sorted(required - passed)} of {target.name} are not passed"
        outputs = set(declared.get("outputs", {}))
        used = set(re.findall(rf"\b{symbol}\.outputs\.(\w+)", main_text))
        assert used <= outputs, f"main.bicep reads {sorted(used - outputs)} from {symbol}, which {target.name} does not output"


def test_the_function_app_is_flex_consumption_python_311_with_a_user_assigned_identity():
    [(_, _, plan)] = resources("Microsoft.Web/serverfarms")
    assert plan["config"]["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["config"]["properties"]["reserved"] is True
    [(_, _, site)] = resources("Microsoft.Web/sites")
    config = site["config"]
    assert config["kind"] == "functionapp,linux"
    assert config["identity"]["type"] == "UserAssigned"
    properties = config["properties"]
    app_config = properties["functionAppConfig"]
    assert app_config["runtime"] == {"name": "python", "version": "3.11"}
    assert app_config["scaleAndConcurrency"]["instanceMemoryMB"] == 2048
    assert app_config["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"
    assert properties["httpsOnly"] is True
    site_config = properties["siteConfig"]
    assert site_config["minTlsVersion"] == "1.2"
    assert site_config["ftpsState"] == "Disabled"
    assert "cors" not in site_config
    policies = {
        resource["config"]["name"]: resource["config"]["properties"]
        for _, _, resource in resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    }
    assert policies == {"ftp": {"allow": False}, "scm": {"allow": False}}


def test_storage_vault_and_monitoring_accept_entra_id_only():
    [(_, _, storage)] = resources("Microsoft.Storage/storageAccounts")
    props = storage["config"]["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    [(_, _, vault)] = resources("Microsoft.KeyVault/vaults")
    props = vault["config"]["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert props["sku"]["name"] == "standard"
    assert not (props["enabledForDeployment"] or props["enabledForTemplateDeployment"] or props["enabledForDiskEncryption"])
    [(_, _, insights)] = resources("Microsoft.Insights/components")
    assert insights["config"]["properties"]["DisableLocalAuth"] is True
    [(_, _, swa)] = resources("Microsoft.Web/staticSites")
    assert swa["config"]["sku"]["name"] == "Standard"
    [(_, _, link)] = resources("Microsoft.Web/staticSites/linkedBackends")
    assert set(link["config"]["properties"]) == {"backendResourceId", "region"}


def test_role_assignments_are_named_by_scope_principal_and_role():
    assignments = resources("Microsoft.Authorization/roleAssignments")
    rbac_text = (INFRA / "modules" / "rbac.bicep").read_text()
    roles = {
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor (notification events)
        "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
        "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
    }
    assert roles <= set(re.findall(r"'([0-9a-f-]{36})'", rbac_text))
    assert len(assignments) >= len(roles)
    for _, symbol, resource in assignments:
        name = resource["config"]["name"]["function"]
        assert name["type"] == "guid", symbol
        scope, principal, role = name["parameters"].values()
        assert scope["operator"]["operands"]["operand_2"] == "id", symbol
        assert scope["operator"]["operands"]["operand_1"] == resource["config"]["scope"], f"{symbol}: named after another scope"
        assert principal == resource["config"]["properties"]["principalId"], symbol
        assert role in resource["config"]["properties"]["roleDefinitionId"]["function"]["parameters"].values(), symbol


def test_log_analytics_has_a_daily_cap_so_a_flood_of_refused_requests_costs_a_bounded_amount():
    [(path, _, workspace)] = resources("Microsoft.OperationalInsights/workspaces")
    cap = workspace["config"]["properties"]["workspaceCapping"]["dailyQuotaGb"]
    # Bicep has no decimals: the cap is a string parameter turned into a number with json().
    assert cap["function"]["type"] == "json"
    [module_param] = cap["function"]["parameters"].values()
    assert parse(path)["parameters"][module_param]["default"] is None, "main.bicep must pass the cap"
    main = parse(INFRA / "main.bicep")
    [passed] = [m["config"]["params"][module_param] for m in main["modules"].values() if m["detail"]["path"] == "modules/monitoring.bicep"]
    default = float(main["parameters"][passed]["default"])
    assert 0 < default <= 1, "the default cap bounds a day's logs to at most 1 GB"
    bicepparam = (INFRA / "main.bicepparam").read_text()
    assert re.search(rf"^param {passed} = readEnvironmentVariable\('HELPR_\w+', '{default:g}'\)", bicepparam, re.M)


def test_sampling_never_drops_a_request_or_its_log_line():
    # Every request writes one log line (a trace) that its X-Correlation-Id finds; sampling may thin out
    # only other telemetry. The host samples every type by default, so the exclusions must be explicit.
    host = json.loads((ROOT / "host.json").read_text())
    sampling = host["logging"]["applicationInsights"]["samplingSettings"]
    excluded = set(sampling["excludedTypes"].split(";"))
    assert not sampling["isEnabled"] or {"Request", "Trace", "Exception"} <= excluded


def function_app_settings() -> list[str]:
    assert not resources("Microsoft.Web/sites/config"), "set app settings in the site's siteConfig.appSettings only"
    [(_, _, site)] = resources("Microsoft.Web/sites")
    return [setting["name"] for setting in site["config"]["properties"]["siteConfig"]["appSettings"]]


def test_the_function_app_gets_exactly_the_settings_the_code_reads():
    names = function_app_settings()
    assert len(names) == len(set(names)), "an app setting is set twice"
    expected = set(APP_SETTINGS) - LOCAL_ONLY_SETTINGS - set(KEY_VAULT_SECRETS)
    assert not PLATFORM_SETTINGS & set(APP_SETTINGS), "a setting the code reads is listed as a platform one"
    assert set(names) - PLATFORM_SETTINGS == expected, (
        f"missing from the Bicep: {sorted(expected - set(names))}; "
        f"set by the Bicep but not declared in shared.config.settings: {sorted(set(names) - PLATFORM_SETTINGS - expected)}"
    )
    assert set(names) >= PLATFORM_SETTINGS


def test_secrets_and_local_only_settings_never_become_app_settings():
    names = set(function_app_settings())
    assert not names & set(KEY_VAULT_SECRETS)
    assert not names & LOCAL_ONLY_SETTINGS


def test_the_bicep_declares_the_key_vault_secrets_the_app_reads():
    declared = parse(INFRA / "main.bicep")["variables"]["keyVaultSecretNames"]["value"]
    assert declared == list(KEY_VAULT_SECRETS.values())
    outputs = parse(INFRA / "main.bicep")["outputs"]
    assert outputs["keyVaultSecretNames"]["value"] == "keyVaultSecretNames"
    deploy = (INFRA / "deploy.sh").read_text()
    for name in declared:
        assert f"set_secret {name} " in deploy, f"infra/deploy.sh does not put {name} into Key Vault"


def test_the_parameter_file_and_the_deploy_script_match_main_bicep():
    params = parse(INFRA / "main.bicep")["parameters"]
    bicepparam = (INFRA / "main.bicepparam").read_text()
    assert "using './main.bicep'" in bicepparam
    assigned = set(re.findall(r"^param (\w+) =", bicepparam, re.MULTILINE))
    assert assigned <= set(params), f"main.bicepparam sets unknown params {sorted(assigned - set(params))}"
    required = {name for name, param in params.items() if param["default"] is None}
    assert required <= assigned
    outputs = set(parse(INFRA / "main.bicep")["outputs"])
    read = set(re.findall(r"output_value (\w+)", (INFRA / "deploy.sh").read_text()))
    assert read and read <= outputs, f"infra/deploy.sh reads outputs main.bicep lacks: {sorted(read - outputs)}"


def test_the_code_reads_the_environment_only_through_shared_settings():
    """shared.config.settings is the registry of app settings; reading os.environ elsewhere would bypass it."""
    offenders = []
    sources = [ROOT / "function_app.py", *sorted((ROOT / "shared").rglob("*.py")), *sorted((ROOT / "functions").rglob("*.py"))]
    for path in sources:
        if path == ROOT / "shared" / "config" / "settings.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        os_names = {"os"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
        for node in ast.walk(tree):
            hit = (
                isinstance(node, ast.Attribute)
                and node.attr in {"environ", "environb", "getenv", "getenvb"}
                and isinstance(node.value, ast.Name)
                and node.value.id in os_names
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(alias.name in {"environ", "environb", "getenv", "getenvb"} for alias in node.names)
            )
            if hit:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"read app settings through shared.config.settings, not os.environ: {offenders}"


def test_checkov_finds_nothing_unexplained_in_infra():
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: run `devtools/setup.sh --browser` (devtools/test.sh does)")
    run = subprocess.run(
        [str(CHECKOV), "-d", str(INFRA), "--framework", "bicep", "--compact", "--quiet", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode in (0, 1), run.stderr[-3000:]
    report = json.loads(run.stdout)
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, report
    assert summary["resource_count"] > 0
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    assert run.returncode == 0


def test_every_checkov_suppression_says_why():
    for path in BICEP_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "checkov:skip" in line:
                assert re.search(r"//\s*checkov:skip=CKV2?_AZURE_\d+: \S.{20,}", line), f"{path.name}:{number}: give a reason"


def test_shell_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is missing: run `devtools/setup.sh --browser` (devtools/test.sh does), or apt-get install shellcheck")
    scripts = [INFRA / "deploy.sh", *sorted((ROOT / "devtools").glob("*.sh")), ROOT / ".ci" / "run"]
    run = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_funcignore_keeps_everything_but_the_app_out_of_the_package():
    ignored = set((ROOT / ".funcignore").read_text().split())
    assert {
        ".venv",
        ".venv-checkov",
        "tests",
        "devtools",
        "infra",
        "static_site",
        "node_modules",
        "local.settings.json",
        ".azure",
        "pyproject.toml",
        "requirements.in",
    } <= ignored
    assert not {"shared", "functions", "function_app.py", "host.json", "requirements.txt"} & ignored
