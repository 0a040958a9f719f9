#!/usr/bin/env bash
# Publishing needs no Python: POST JSON to sse/publish with a token.
# JUPYTER_SSE_URL is the server's base URL (ending in /); JUPYTER_SSE_TOKEN a publish
# token (a kernel has both in its environment) or a Jupyter token.
set -euo pipefail
curl -sf -X POST "${JUPYTER_SSE_URL}sse/publish" \
  -H "Authorization: token ${JUPYTER_SSE_TOKEN}" \
  -H "Content-Type: application/json" \
  -d '[{"channel": "examples/shell", "type": "status", "data": {"key": "backup", "value": "running", "variant": "info"}},
       {"channel": "examples/shell", "type": "log", "data": {"text": "backup of /data started"}}]'
echo
