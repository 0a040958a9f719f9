#!/usr/bin/env bash
# The demo: installs what is missing, then starts a Jupyter server with jupyter-sse and
# streams a fake training run into it. Prints the URLs to open. Ctrl-C stops.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
exec "$PY" "$ROOT/examples/demo.py" "$@"
