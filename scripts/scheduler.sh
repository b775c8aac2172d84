#!/usr/bin/env bash
# The demo's scheduler: every minute (SCHEDULER_SECONDS), the housekeeping commands that a
# production cron would run — close bidding past its deadline, expire listings past their
# end date, retry payments left pending (so the deal page's "tried again automatically"
# holds), flag manifests overdue, send the day's match digests (once per user and business day),
# run the warning rules, expire credit grades. One failing command does not stop the others or the loop.
# run.sh starts it in the background and stops it with the demo; `--once` runs one round.
set -uo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=${FLASK_APP:-wsgi}
FLASK=${FLASK:-.venv/bin/flask}
EVERY=${SCHEDULER_SECONDS:-60}
COMMANDS=("bids close-due" "listings expire" "payments retry" "manifests overdue" "matching digest"
  "warnings run" "credit expire")

round() {
  for cmd in "${COMMANDS[@]}"; do
    # shellcheck disable=SC2086  # the command's words are meant to split
    if ! out=$(timeout 300 "$FLASK" $cmd 2>&1); then
      echo "$(date -u +%FT%TZ) flask $cmd failed: $out" >&2
    else
      echo "$(date -u +%FT%TZ) flask $cmd: $out"
    fi
  done
}

if [ "${1:-}" = "--once" ]; then
  round
  exit 0
fi
trap 'exit 0' TERM INT
while true; do
  round
  sleep "$EVERY" &
  wait $!
done
