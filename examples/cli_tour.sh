#!/usr/bin/env bash
# The terminal's way in: publish, list channels, tail, check the set-up.
# In a terminal of a Jupyter server, `jupyter sse ...` finds the server by itself; here
# the URL and a Jupyter token are given (JUPYTER_SSE_URL, JUPYTER_TOKEN).
set -euo pipefail
server=(--url "${JUPYTER_SSE_URL}" --token "${JUPYTER_TOKEN}")

# One event: prints its id.
first=$(jupyter sse publish examples/cli status '{"key": "backup", "value": "running", "variant": "info"}' "${server[@]}")

# JSON lines from stdin: each line the data of one event.
printf '%s\n' '{"text": "copied 120 files"}' '{"text": "copied 240 files"}' \
  | jupyter sse publish examples/cli log "${server[@]}"

jupyter sse channels "${server[@]}"

# Everything after the first event, as JSON lines, then stop (without --count: follow).
jupyter sse tail examples/cli --json --since "$first" --count 2 "${server[@]}"

# Each check of the set-up, with its fix (exit code 3 when one fails).
jupyter sse doctor "${server[@]}" || true
