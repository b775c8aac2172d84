#!/usr/bin/env bash
# The test command: install into .venv with the test extras, then run pytest.
# SQLite by default; TEST_DATABASE_URL=postgresql://... runs the same suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
exec .venv/bin/python -m pytest "$@"
