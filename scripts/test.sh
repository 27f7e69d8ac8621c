#!/usr/bin/env bash
# The one test command (README, CI): sets up .venv, starts a container engine when it can,
# then runs lint, the layer contracts and every test. Needs no stdin.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  # pip's own output goes to a log; it is shown only when the install fails
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e '.[test]'; } \
      >.venv/install.log 2>&1; then
    grep -v '^WARNING: Location' .venv/install.log >&2
    echo "installing the test tools failed (log: .venv/install.log)" >&2
    exit 2
  fi
  touch .venv/.installed
fi
# A real Docker engine for tests/engine: started here when we are root and none answers.
# Elsewhere the engine tests skip, saying how to enable them (never under CI=true).
if [ "$(id -u)" = 0 ]; then
  eval "$(bash scripts/start-engine.sh)"
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true needs root to start the Docker engine (scripts/start-engine.sh)" >&2
  exit 2
fi
.venv/bin/ruff check tao_tui tests bench scripts
.venv/bin/lint-imports
.venv/bin/pytest -q "$@"
