#!/usr/bin/env bash
# Runs every check and test: lint, types, JS unit tests, Python tests, browser tests.
# Installs what is missing first (Python deps, npm deps, the JS build, redis-server and
# chromium from Debian's packages). Exits non-zero on the first failure.
set -euo pipefail
export JSSE_SETUP_TEST=1
source "$(dirname "$0")/setup.sh"
apt_install redis-server:redis-server chromium:chromium
cd "$ROOT"

step() { echo; echo "== $*"; }

step "ruff"
"$VENV/bin/ruff" check jupyter_sse tests bench examples scripts
"$VENV/bin/ruff" format --check jupyter_sse tests bench examples scripts

step "mypy --strict"
"$VENV/bin/mypy" --strict jupyter_sse

step "lint-imports: the rooms (wire, kernel, server) and no import cycles"
"$VENV/bin/lint-imports"

step "js: install, type-check, format and import rules, unit tests, build"
# The JupyterLab extension's build runs `jupyter-builder`, which the venv holds.
# `npm install`, not `npm ci`: Paraglide's @lix-js/sdk names optional packages for other
# platforms that the registry does not have, so no lock file can list them and `npm ci`
# refuses the lock; `npm install` installs what the lock pins and skips them.
(cd js && export PATH="$VENV/bin:$PATH" && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm install --no-audit --no-fund; } \
  && npm run --silent check && npm run --silent format:check && npm test --silent \
  && npm run --silent build)

step "hub tests: configurable-http-proxy (npm)"
(cd tests/hub && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; })

step "pytest"
"$VENV/bin/pytest" "$@"
