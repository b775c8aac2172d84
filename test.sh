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
# The dashboard's charts (Apache ECharts) from npm, served locally; without npm the
# dashboard shows its tables only.
if [ ! -f node_modules/echarts/dist/echarts.min.js ] && command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --silent || echo "npm ci failed: the dashboard will show tables without charts." >&2
fi
exec .venv/bin/python -m pytest "$@"
