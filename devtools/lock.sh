#!/usr/bin/env bash
# Pins the runtime dependencies in requirements.in, and everything they need, with hashes into requirements.txt:
# the file Flex Consumption's remote build installs (Python 3.11 on Linux x86_64). Pins already in
# requirements.txt are kept; extra arguments go to `uv pip compile`, e.g. `--upgrade` or `--upgrade-package requests`.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_CUSTOM_COMPILE_COMMAND="devtools/lock.sh"
exec .venv/bin/uv pip compile requirements.in --quiet --generate-hashes \
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --output-file requirements.txt "$@"
