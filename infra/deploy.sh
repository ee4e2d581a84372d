#!/usr/bin/env bash
# Deploys Helpr to Azure: the resource group, the Bicep in infra/, the Key Vault secrets, the functions and
# the guest site, then checks the result from outside. Run it again to update: secrets and settings already
# set are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077

usage() {
  cat <<'EOF'
Usage: infra/deploy.sh -g RESOURCE_GROUP [-l LOCATION] [-n NAME] [--rotate-secrets] [--skip-infra]

  -g, --resource-group NAME  resource group to create or update (required)
  -l, --location REGION      region of the app, storage and vault (default: westeurope);
                             it must offer the Flex Consumption plan
  -n, --name PREFIX          name prefix of every resource (default: helpr); lowercase letters,
                             digits and hyphens
      --rotate-secrets       ask for the Plex token and the admin password again and make a new
                             session signing key, even if the vault has them
      --skip-infra           leave the Azure resources as they are; publish the code and the site
  -h, --help                 show this help

Settings come from the environment when set (otherwise the app's current value is kept):
  HELPR_PLEX_SERVER_NAME, HELPR_SERVER_DISPLAY_NAME, HELPR_ADMIN_USERNAME,
  HELPR_INVITE_CODE (kept in Key Vault as invite-code; an empty value turns the code off),
  HELPR_SITE_ORIGIN (a custom domain, e.g. https://invite.example.com),
  HELPR_STATIC_WEB_APP_LOCATION (westus2, centralus, eastus2, westeurope or eastasia),
  HELPR_MAXIMUM_INSTANCE_COUNT (default 40),
  HELPR_INVITE_LOG_RETENTION_DAYS (days an invite log row is kept, default 365; 0 keeps it forever),
  HELPR_AUDIT_RETENTION_DAYS (days an audit trail row is kept, default 365; 0 keeps it forever),
  HELPR_LOG_DAILY_CAP_GB (the Log Analytics daily cap in GB, 0.5 unless set; -1 for no cap).
EOF
}

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }
need_value() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value (see --help)"; fi; }

resource_group=""
location="${AZURE_LOCATION:-westeurope}"
name="${AZURE_ENV_NAME:-helpr}"
rotate_secrets=0
skip_infra=0
while [ $# -gt 0 ]; do
  case "$1" in
    -g | --resource-group) need_value "$@"; resource_group=$2; shift 2 ;;
    -l | --location) need_value "$@"; location=$2; shift 2 ;;
    -n | --name) need_value "$@"; name=$2; shift 2 ;;
    --rotate-secrets) rotate_secrets=1; shift ;;
    --skip-infra) skip_infra=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ -n "$resource_group" ] || { usage >&2; die "-g/--resource-group is required"; }
[[ "$name" =~ ^[a-z][a-z0-9-]{1,19}$ ]] || die "--name must be 2 to 20 lowercase letters, digits or hyphens, starting with a letter"

deployment_name=$name  # one deployment record per copy, so two copies can share a resource group
work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

# 1. Prerequisites
step "Checking the tools"
command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v func >/dev/null 2>&1 || die "Azure Functions Core Tools (func) 4.0.5530 or later is required: https://learn.microsoft.com/azure/azure-functions/functions-run-local"
func_version=$(func --version 2>/dev/null | tr -d '\r' | head -n 1)
if [ "$(printf '%s\n' 4.0.5530 "$func_version" | sort -V | head -n 1)" != 4.0.5530 ]; then
  die "Core Tools $func_version is too old to publish to Flex Consumption; install 4.0.5530 or later"
fi
py=.venv/bin/python
[ -x "$py" ] || die "$py is missing: run devtools/setup.sh first (it creates the virtualenv that hashes the admin password)"
if command -v swa >/dev/null 2>&1; then
  swa_cmd=(swa)
elif [ -x devtools/node_modules/.bin/swa ]; then
  swa_cmd=(devtools/node_modules/.bin/swa)
elif command -v npx >/dev/null 2>&1; then
  swa_cmd=(npx --yes @azure/static-web-apps-cli)
else
  die "the Static Web Apps CLI is required: run devtools/setup.sh (or install Node.js for npx)"
fi

if ! subscription=$(az account show --query '[name, id]' -o tsv 2>/dev/null | paste -sd ' '); then
  die "you are not signed in to Azure: run 'az login' (and 'az account set -s <subscription>')"
fi
echo "Subscription: $subscription"

output_value() {
  # Prints one output of the Bicep deployment; lists come out one item per line.
  "$py" -c '
import json, sys
value = json.load(sys.stdin)[sys.argv[1]]["value"]
print("\n".join(value) if isinstance(value, list) else value)' "$1" <"$work_dir/outputs.json"
}

read_outputs() {
  az deployment group show --resource-group "$resource_group" --name "$deployment_name" \
    --query properties.outputs -o json >"$work_dir/outputs.json" 2>/dev/null
}

secret_state() { # NAME -> present | absent; waits while a new role assignment is not in force yet
  local err attempt
  for attempt in $(seq 1 60); do
    if err=$(az keyvault secret show --vault-name "$vault" --name "$1" --query id -o tsv 2>&1 >/dev/null); then
      echo present
      return 0
    fi
    case "$err" in
      *SecretNotFound* | *"was not found"*) echo absent; return 0 ;;
      *Forbidden* | *"not authorized"*)
        [ "$attempt" = 1 ] && echo "Waiting for your Key Vault role to take effect..." >&2
        sleep 10 ;;
      *) printf '%s\n' "$err" >&2; return 1 ;;
    esac
  done
  die "you may not read secrets in $vault: grant yourself 'Key Vault Secrets Officer' on it (az role assignment create --role 'Key Vault Secrets Officer' --assignee <you> --scope <vault id>) and run again"
}

set_secret() { # NAME VALUE; the value goes through a private file, never the command line
  printf '%s' "$2" >"$work_dir/secret"
  az keyvault secret set --vault-name "$vault" --name "$1" --file "$work_dir/secret" --encoding utf-8 --output none
  rm -f "$work_dir/secret"
  echo "Set $1"
}

prompt_secret() { # PROMPT -> the typed value, never echoed
  local value
  [ -t 0 ] || die "a terminal is needed to type secrets; run the script interactively"
  IFS= read -rs -p "$1: " value
  echo >&2
  printf '%s' "$value"
}

invite_code_stored=0
put_invite_code() { # stores HELPR_INVITE_CODE as invite-code when it is given (empty: no code); once per run
  if [ -z "${HELPR_INVITE_CODE+set}" ] || [ "$invite_code_stored" = 1 ]; then
    return 0
  fi
  set_secret invite-code "$HELPR_INVITE_CODE"
  invite_code_stored=1
}

if [ "$skip_infra" = 0 ]; then
  # The deploying identity gets Key Vault Secrets Officer on the vault so it can put the secrets in.
  user_type=$(az account show --query user.type -o tsv)
  if [ "$user_type" = user ]; then
    principal_id=$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)
    principal_type=User
  else
    principal_id=$(az ad sp show --id "$(az account show --query user.name -o tsv)" --query id -o tsv 2>/dev/null || true)
    principal_type=ServicePrincipal
  fi
  [ -n "$principal_id" ] || echo "warning: could not look up your object id; grant yourself 'Key Vault Secrets Officer' on the vault before the secrets step" >&2

  # 2. Resource group
  step "Resource group $resource_group in $location"
  az group create --name "$resource_group" --location "$location" --tags app=helpr --output none

  # Settings not given in the environment keep the value the app already has (the deployment replaces them all).
  if read_outputs; then
    existing_app=$(output_value functionAppName)
    az functionapp config appsettings list --resource-group "$resource_group" --name "$existing_app" \
      --query "[].[name, value]" -o tsv >"$work_dir/current-settings.tsv" 2>/dev/null || true
  fi
  keep_current() { # VARIABLE APP_SETTING
    if [ -z "${!1+set}" ] && [ -s "$work_dir/current-settings.tsv" ]; then
      local value
      value=$(awk -F '\t' -v key="$2" '$1 == key { sub(/^[^\t]*\t/, ""); print; exit }' "$work_dir/current-settings.tsv")
      export "$1=$value"
    fi
  }
  keep_current HELPR_PLEX_SERVER_NAME PLEX_SERVER_NAME
  keep_current HELPR_SERVER_DISPLAY_NAME SERVER_DISPLAY_NAME
  keep_current HELPR_ADMIN_USERNAME ADMIN_USERNAME
  keep_current HELPR_SITE_ORIGIN SITE_ORIGIN
  keep_current HELPR_INVITE_LOG_RETENTION_DAYS INVITE_LOG_RETENTION_DAYS
  keep_current HELPR_AUDIT_RETENTION_DAYS AUDIT_RETENTION_DAYS
  if [ -s "$work_dir/current-settings.tsv" ]; then
    # Earlier versions kept the invite code as an app setting, and this deployment removes it: move it into
    # the vault first, so guests are never let in without it in between.
    if [ -z "${HELPR_INVITE_CODE+set}" ] && awk -F '\t' '$1 == "INVITE_CODE" { found = 1 } END { exit !found }' "$work_dir/current-settings.tsv"; then
      HELPR_INVITE_CODE=$(awk -F '\t' '$1 == "INVITE_CODE" { sub(/^[^\t]*\t/, ""); print; exit }' "$work_dir/current-settings.tsv")
    fi
    vault=$(output_value keyVaultName)
    put_invite_code
  fi

  # 3. Bicep (infra/main.bicepparam reads these variables)
  step "Deploying infra/main.bicep (a few minutes)"
  export AZURE_ENV_NAME="$name" AZURE_LOCATION="$location"
  export AZURE_PRINCIPAL_ID="$principal_id" AZURE_PRINCIPAL_TYPE="$principal_type"
  az deployment group create --resource-group "$resource_group" --name "$deployment_name" \
    --template-file infra/main.bicep --parameters infra/main.bicepparam --output none
fi

read_outputs || die "no deployment named '$deployment_name' in $resource_group: run without --skip-infra first"
function_app=$(output_value functionAppName)
function_host=$(output_value functionAppHostName)
vault=$(output_value keyVaultName)
static_web_app=$(output_value staticWebAppName)
site_url=$(output_value siteUrl)
expected_secrets=$'plex-token\nsession-signing-key\ndata-encryption-key\nadmin-password-hash\ninvite-code'
[ "$(output_value keyVaultSecretNames)" = "$expected_secrets" ] ||
  die "infra/main.bicep declares other Key Vault secrets than this script puts in; update both together"

# 4. Secrets
step "Key Vault secrets in $vault"
wanted() { # NAME -> true when the secret must be (re)set
  local state
  [ "$rotate_secrets" = 1 ] && return 0
  state=$(secret_state "$1") || exit 1
  [ "$state" = absent ] && return 0
  echo "Keeping $1 (already set; --rotate-secrets replaces it)"
  return 1
}

if wanted plex-token; then
  echo "The Plex token of the server owner's account (see https://support.plex.tv/articles/204059436)."
  plex_token=$(prompt_secret "Plex token")
  [ -n "$plex_token" ] || die "the Plex token cannot be empty"
  set_secret plex-token "$plex_token"
  unset plex_token
fi

if wanted session-signing-key; then
  set_secret session-signing-key "$("$py" -c 'import secrets; print(secrets.token_hex(32))')"
fi

# Made once and never rotated: the admin's TOTP secret in Table Storage is encrypted with it.
encryption_key_state=$(secret_state data-encryption-key) || exit 1
if [ "$encryption_key_state" = absent ]; then
  set_secret data-encryption-key "$("$py" -c 'import secrets; print(secrets.token_hex(32))')"
else
  echo "Keeping data-encryption-key (never rotated: it encrypts the two-step sign-in secret)"
fi

if wanted admin-password-hash; then
  password_hash=""
  for _ in 1 2 3; do
    password=$(prompt_secret "New admin password (12 characters or more)")
    again=$(prompt_secret "Again")
    if [ "$again" != "$password" ]; then
      echo "The passwords differ; try again." >&2
      continue
    fi
    if password_hash=$(printf '%s' "$password" | "$py" -m devtools.hash_password); then
      break
    fi
    password_hash=""
  done
  unset password again
  [ -n "$password_hash" ] || die "no admin password was set"
  set_secret admin-password-hash "$password_hash"
fi

if [ -n "${HELPR_INVITE_CODE+set}" ]; then
  put_invite_code
else
  echo "Keeping invite-code as it is (HELPR_INVITE_CODE sets it; an empty value turns the code off)"
fi

# 5. Functions. Flex Consumption installs requirements.txt with a remote build.
step "Publishing the functions to $function_app"
published=0
for attempt in 1 2 3; do
  if func azure functionapp publish "$function_app" --python --build remote; then
    published=1
    break
  fi
  # Right after the first deployment the app's storage role may not be in force yet.
  [ "$attempt" = 3 ] || { echo "Publishing failed; trying again in 60 s" >&2; sleep 60; }
done
[ "$published" = 1 ] || die "publishing the functions failed"

# 6. Guest site
step "Deploying static_site/ to $static_web_app"
SWA_CLI_DEPLOYMENT_TOKEN=$(az staticwebapp secrets list --name "$static_web_app" --resource-group "$resource_group" \
  --query properties.apiKey -o tsv)
export SWA_CLI_DEPLOYMENT_TOKEN
"${swa_cmd[@]}" deploy static_site --env production --no-use-keychain
unset SWA_CLI_DEPLOYMENT_TOKEN

# 7. Smoke check
step "Checking the deployment from outside"
failures=0
health_status=""
for _ in $(seq 1 20); do
  health_status=$(curl -sS -o "$work_dir/health.json" -w '%{http_code} %{content_type}' --max-time 30 \
    "$site_url/api/health" 2>/dev/null || true)
  if [ "${health_status%% *}" = 200 ] && [[ "$health_status" == *json* ]]; then
    break
  fi
  sleep 15
done
if [ "${health_status%% *}" = 200 ] && [[ "$health_status" == *json* ]]; then
  echo "PASS  $site_url/api/health answers 200 with JSON"
else
  echo "FAIL  $site_url/api/health answered '${health_status:-nothing}'; body: $(head -c 500 "$work_dir/health.json" 2>/dev/null || true)"
  failures=$((failures + 1))
fi

# The admin API must be loaded and guarded: through the site, an anonymous session call answers 401 with
# the JSON error shape. A 404 here means the host refused or skipped the functions.
admin_status=$(curl -sS -o "$work_dir/session.json" -w '%{http_code}' --max-time 30 "$site_url/api/manage/session" 2>/dev/null || true)
if [ "$admin_status" = 401 ] && "$py" -c 'import json, sys; e = json.load(open(sys.argv[1]))["error"]; sys.exit(e["code"] != "not_authenticated")' \
  "$work_dir/session.json" 2>/dev/null; then
  echo "PASS  $site_url/api/manage/session answers 401 with the not_authenticated error"
else
  echo "FAIL  $site_url/api/manage/session answered '${admin_status:-nothing}' (want 401 with a JSON error); body: $(head -c 300 "$work_dir/session.json" 2>/dev/null || true)"
  failures=$((failures + 1))
fi

direct=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "https://$function_host/api/manage/session" 2>/dev/null || true)
if [ "$direct" = 401 ] || [ "$direct" = 403 ]; then
  echo "PASS  a direct call to https://$function_host/api/manage/session is refused ($direct)"
else
  echo "FAIL  a direct call to https://$function_host/api/manage/session answered '${direct:-nothing}', not 401/403"
  failures=$((failures + 1))
fi

direct_health=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "https://$function_host/api/health" 2>/dev/null || true)
if [ "$direct_health" = 200 ]; then
  echo "NOTE  the function app also answers direct calls (https://$function_host/api/health is 200): the"
  echo "      Static Web App link does not fence it off on this plan, so the admin API's own checks guard it."
fi

echo
echo "Site:      $site_url"
echo "Admin:     $site_url/admin/"
echo "Functions: $function_app    Key Vault: $vault    Resource group: $resource_group"
[ "$failures" = 0 ] || die "$failures smoke check(s) failed; see above, and the function app's logs in Application Insights"
echo "Deployed."
