#!/usr/bin/env bash
# The production profile on one machine (README "Production"): gunicorn with
# MARKET_WEB_WORKERS processes, MARKET_JOB_WORKERS job workers (RQ) and one scheduler,
# on PostgreSQL (DATABASE_URL) and Redis (MARKET_REDIS_URL), JSON logs on stderr.
# Migrates first. If any process stops, all are stopped (the exit code says so); Ctrl-C or
# TERM stops all of them. On several machines, run the three kinds of process separately:
# the README shows the commands.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgresql://user@db-host/market}"
: "${MARKET_REDIS_URL:?set MARKET_REDIS_URL, e.g. redis://127.0.0.1:6379/0}"
: "${MARKET_SECRET_KEY:?set MARKET_SECRET_KEY to a long random string}"
export MARKET_LOG_FORMAT=${MARKET_LOG_FORMAT:-json}
export FLASK_APP=wsgi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
mkdir -p instance

.venv/bin/flask db upgrade
.venv/bin/flask manifests fonts --quiet

PIDS=()
stop_all() {
  trap - EXIT INT TERM
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 0' INT TERM

.venv/bin/gunicorn -c scripts/gunicorn.conf.py wsgi:app &
PIDS+=($!)
for _ in $(seq 1 "${MARKET_JOB_WORKERS:-2}"); do
  .venv/bin/flask jobs worker &
  PIDS+=($!)
done
.venv/bin/flask jobs scheduler &
PIDS+=($!)
echo "Serving on ${HOST:-127.0.0.1}:${PORT:-8000} (pids ${PIDS[*]}); Ctrl-C stops all." >&2
set +e
wait -n
status=$?
echo "A process stopped (exit $status); stopping the others." >&2
exit "$status"
