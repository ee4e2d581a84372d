#!/usr/bin/env bash
# Writes the admin app's API types, static_site/admin/types/api.d.ts, from functions/openapi.json with
# openapi-typescript. Run it after changing the spec; tests/test_admin_app.py fails while the file is stale.
# An argument writes to that path instead (the test's comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
devtools/node_modules/.bin/openapi-typescript functions/openapi.json --output "${1:-static_site/admin/types/api.d.ts}" >/dev/null 2>&1
