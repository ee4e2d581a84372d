#!/usr/bin/env bash
# Sets everything up and runs every test: lint, unit, Azurite and simulator integration, Chromium
# end-to-end and the deployment checks; then the admin app's tsc --noEmit, Biome (lint + format) and node --test.
# Extra arguments go to pytest (e.g. devtools/test.sh -k invites).
# --fast: only the Python virtualenv, ruff, mypy and the unit tests (no Node, apt or browser; seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fast" ]; then
  shift
  bash devtools/setup.sh --fast >/dev/null
  echo "ruff:"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  echo "import layers:"
  .venv/bin/lint-imports --no-cache
  # mypy (about 12 s without its cache) runs beside the unit tests; both must pass.
  mypy_log=$(mktemp)
  .venv/bin/mypy >"$mypy_log" 2>&1 &
  mypy_pid=$!
  status=0
  .venv/bin/python -m pytest -m unit -q -p no:cacheprovider "$@" || status=$?
  echo "mypy:"
  wait "$mypy_pid" || status=$?
  cat "$mypy_log" && rm -f "$mypy_log"
  exit "$status"
fi
bash devtools/setup.sh --browser
echo "ruff:"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "import layers:"
.venv/bin/lint-imports --no-cache
echo "mypy:"
.venv/bin/mypy
echo "admin app: tsc, biome, node --test:"
devtools/node_modules/.bin/tsc -p devtools/tsconfig.json
devtools/node_modules/.bin/biome check
node --test tests/js/ >/dev/null || node --test tests/js/
exec .venv/bin/python -m pytest "$@"
