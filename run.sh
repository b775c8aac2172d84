#!/usr/bin/env bash
# One command: install into .venv, migrate, load the demo once, serve on 127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed demo --if-empty
exec .venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
