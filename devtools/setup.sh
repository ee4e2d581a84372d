#!/usr/bin/env bash
# Installs what Helpr needs locally: a Python 3.11 virtualenv with the app's locked packages and the dev group,
# Azurite and the Static Web Apps CLI from npm, and (with --browser) Debian's Chromium for the page tests.
# --fast: only the Python virtualenv (enough for the unit tests: no Node, apt, Chromium or checkov).
# Safe to run again: each step is skipped when it is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

want_browser=0
python_only=0
case "${1:-}" in
  --browser) want_browser=1 ;;
  --fast) python_only=1 ;;
  "") ;;
  *) echo "usage: devtools/setup.sh [--browser | --fast]" >&2; exit 2 ;;
esac

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# Python packages
py=$(find_python)
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $py"
  "$py" -m venv .venv
fi
# The app's locked requirements.txt (hashes checked), then pyproject.toml's dev group, which needs pip 25.1 or later.
pip_version=26.3
dev_group=$(.venv/bin/python -c 'import json, tomllib; print(json.dumps(tomllib.load(open("pyproject.toml", "rb"))["dependency-groups"]))')
req_hash=$( (echo "pip==$pip_version"; cat requirements.txt; echo "$dev_group") | sha256sum | cut -d' ' -f1)
if ! stamp_ok .venv/.helpr-requirements "$req_hash"; then
  echo "Installing Python packages"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==$pip_version"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --group dev
  echo "$req_hash" > .venv/.helpr-requirements
fi

if [ "$python_only" = 1 ]; then
  echo "Setup complete in $root (Python only)"
  exit 0
fi

# The Python worker's indexing code in .venv-worker (azure-functions-runtime needs Python 3.13). The local
# host runs it at start-up (devtools/worker_index.py) so that it loads functions as Azure does.
find_python313() {
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  local candidate
  for candidate in "${PYTHON313:-}" python3.13 "$pyenv_root"/versions/3.13*/bin/python3.13; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if py313=$(find_python313); then
  worker_hash=$(cat requirements.txt devtools/requirements-worker.txt | sha256sum | cut -d' ' -f1)
  if ! stamp_ok .venv-worker/.helpr-requirements "$worker_hash"; then
    echo "Installing the Functions worker's indexing code into .venv-worker with $py313"
    [ -x .venv-worker/bin/python ] || "$py313" -m venv .venv-worker
    # --ignore-requires-python: azure-functions 1.26.0 (the app's pin) declares Python < 3.13, yet imports there.
    .venv-worker/bin/pip install --quiet --disable-pip-version-check --ignore-requires-python -r requirements.txt
    .venv-worker/bin/pip install --quiet --disable-pip-version-check --no-deps -r devtools/requirements-worker.txt
    .venv-worker/bin/python -c 'import azure.functions, azure_functions_runtime.loader, azure_functions_runtime.functions'
    echo "$worker_hash" > .venv-worker/.helpr-requirements
  fi
else
  echo "WARNING: Python 3.13 was not found, so the local host cannot check that the Functions worker indexes the app." >&2
  echo "  Install Python 3.13 (e.g. 'pyenv install 3.13', or Debian's python3.13 and python3.13-venv), or set" >&2
  echo "  PYTHON313=/path/to/python3.13, then run devtools/setup.sh again." >&2
fi

# npm packages (--ignore-scripts: the SWA CLI's optional native keychain build is not needed)
if ! command -v npm >/dev/null 2>&1; then
  echo "Node.js 20 and npm are required for Azurite and the Static Web Apps emulator." >&2
  exit 1
fi
lock_hash=$(sha256sum devtools/package-lock.json | cut -d' ' -f1)
if ! stamp_ok devtools/node_modules/.helpr-lock "$lock_hash"; then
  echo "Installing Azurite and the Static Web Apps CLI"
  (cd devtools && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > devtools/node_modules/.helpr-lock
fi

# Chromium for the browser tests
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# Deployment checks, only with --browser (the test run): Debian's shellcheck for the shell scripts, and
# checkov for infra/ in its own virtualenv because it pins an older `packaging` than pytest accepts.
if [ "$want_browser" = 1 ]; then
  if ! command -v shellcheck >/dev/null 2>&1; then
    echo "Installing Debian's shellcheck for the deployment tests"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq shellcheck >/dev/null
  fi
  checkov_hash=$(sha256sum devtools/requirements-checkov.txt | cut -d' ' -f1)
  if ! stamp_ok .venv-checkov/.helpr-requirements "$checkov_hash"; then
    echo "Installing checkov into .venv-checkov"
    [ -x .venv-checkov/bin/python ] || "$py" -m venv .venv-checkov
    .venv-checkov/bin/pip install --quiet --disable-pip-version-check -r devtools/requirements-checkov.txt
    echo "$checkov_hash" > .venv-checkov/.helpr-requirements
  fi
fi

if [ ! -f local.settings.json ]; then
  cp local.settings.example.json local.settings.json
  echo "Created local.settings.json from local.settings.example.json"
fi
echo "Setup complete in $root"
