#!/usr/bin/env bash
# One command: install into .venv, start the local payment server (localstripe),
# migrate, load the demo once, build the PDF fonts once, start the scheduler (bidding
# deadlines, expiry, payment retries, overdue manifests, match digests, warning rules, grade
# expiry every minute), serve on
# 127.0.0.1:5000. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
mkdir -p instance
# The dashboard's charts (Apache ECharts) from npm, served locally; without npm the
# dashboard shows its tables only.
if [ ! -f node_modules/echarts/dist/echarts.min.js ] && command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --silent || echo "npm ci failed: the dashboard will show tables without charts." >&2
fi

PIDS=()
stop_all() {
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

STRIPE_PORT=${STRIPE_PORT:-8420}
export MARKET_STRIPE_API_BASE=${MARKET_STRIPE_API_BASE:-http://127.0.0.1:$STRIPE_PORT}
if ! .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $STRIPE_PORT), 1)" 2>/dev/null; then
  .venv/bin/python -m localstripe --port "$STRIPE_PORT" >instance/localstripe.log 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do
    .venv/bin/python -c "import socket; socket.create_connection(('127.0.0.1', $STRIPE_PORT), 1)" 2>/dev/null && break
    sleep 0.2
  done
fi

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed demo --if-empty
.venv/bin/flask manifests fonts --quiet  # the PDF's CJK fonts, built once per machine
bash scripts/scheduler.sh >instance/scheduler.log 2>&1 &
PIDS+=($!)
echo "Scheduler running (log: instance/scheduler.log)."
.venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
