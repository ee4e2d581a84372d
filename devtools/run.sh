#!/usr/bin/env bash
# Sets everything up and runs Helpr locally: http://127.0.0.1:4280
# Without a PLEX_TOKEN (in local.settings.json or the environment) it runs in demo mode against the Plex simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash devtools/setup.sh
exec .venv/bin/python -m devtools.stack "$@"
