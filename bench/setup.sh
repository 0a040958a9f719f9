#!/usr/bin/env bash
# Installs what bench/run.py needs; the bench itself installs nothing. Idempotent.
#   bash bench/setup.sh
# Debian: nginx with nchan (the C reference), redis-server (the Redis figures), taskset,
# chromium (the kernel-to-pixel figure). Python: the `bench` extra (sse-starlette,
# uvicorn[standard], tqdm, psutil, py-spy, uvloop, ipywidgets, jupyterlab, playwright).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"

missing=()
[ -e /usr/lib/nginx/modules/ngx_nchan_module.so ] || missing+=(nginx-light libnginx-mod-nchan)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null
  # The package starts a system nginx on port 80; the bench runs its own.
  $sudo service nginx stop >/dev/null 2>&1 || true
fi

[ -x "$PY" ] || python3 -m venv "$ROOT/.venv"
"$PY" -m pip install -q -e "$ROOT[bench,redis]"
