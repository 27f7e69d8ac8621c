#!/usr/bin/env bash
# Set up .venv on first use, then run tao-tui with the given arguments.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3}
if [ ! -x "$here/.venv/bin/tao-tui" ] || [ "$here/pyproject.toml" -nt "$here/.venv/.installed-run" ]; then
  [ -x "$here/.venv/bin/python" ] || "$PY" -m venv "$here/.venv"
  "$here/.venv/bin/python" -m pip install -q -e "$here" >&2
  touch "$here/.venv/.installed-run"
fi
exec "$here/.venv/bin/tao-tui" "$@"
