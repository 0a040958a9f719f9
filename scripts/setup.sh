# Sourced by scripts/demo.sh and scripts/test.sh: installs whatever this machine lacks.
# Idempotent: a second run only checks. Set JSSE_SETUP_TEST=1 for the test extras.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

apt_install() {
  # Debian packages, installed only when their command is missing.
  local missing=()
  for pair in "$@"; do
    local cmd="${pair%%:*}" pkg="${pair##*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} from Debian's packages"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

command -v node >/dev/null 2>&1 || apt_install node:nodejs npm:npm

if [ ! -x "$PY" ]; then
  echo "setup: creating $VENV"
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
fi

# The editable install builds js/ through hatch-jupyter-builder (npm ci + vite build).
extras="redis"
[ "${JSSE_SETUP_TEST:-0}" = "1" ] && extras="redis,test,bench"
stamp="$VENV/.jupyter-sse-installed"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ROOT/js/package-lock.json" -nt "$stamp" ] \
  || ! grep -qx "$extras" "$stamp"; then
  echo "setup: installing jupyter-sse[$extras] and JupyterLab into $VENV"
  "$PY" -m pip install -q -e "$ROOT[$extras]" jupyterlab
  echo "$extras" > "$stamp"
fi

# An editable install leaves the JupyterLab extension where js/ builds it
# (jupyter_sse/labextension); JupyterLab finds it through a link in the environment's
# share/, the one `jupyter labextension develop` makes, so every `npm run build` is live.
labext="$VENV/share/jupyter/labextensions/jupyter-sse"
if [ -f "$ROOT/jupyter_sse/labextension/package.json" ] && [ ! -L "$labext" ]; then
  mkdir -p "$(dirname "$labext")"
  rm -rf "$labext"
  ln -s "$ROOT/jupyter_sse/labextension" "$labext"
fi
