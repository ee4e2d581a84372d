#!/usr/bin/env bash
# Benchmark on the real local stack: plex.tv requests and latency per operation, against the old app's way.
# Flags: --quick, --latency-ms MS (100), --requests N, --out DIR. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash devtools/setup.sh
exec .venv/bin/python -m devtools.benchmark "$@"
