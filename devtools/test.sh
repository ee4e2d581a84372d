#!/usr/bin/env bash
# Sets everything up and runs every test: lint, unit, Azurite and simulator integration, and Chromium end-to-end.
# Extra arguments go to pytest (e.g. devtools/test.sh -k invites).
set -euo pipefail
cd "$(dirname "$0")/.."
bash devtools/setup.sh --browser
echo "ruff:"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "mypy:"
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
