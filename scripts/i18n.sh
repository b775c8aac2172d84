#!/usr/bin/env bash
# Re-extract UI strings, merge them into the Chinese catalogue, compile it.
# Babel skips folders starting with "_" unless told otherwise (templates/_macros).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/pybabel" extract -F babel.cfg --ignore-dirs=".* instance node_modules" -k _l -k lazy_gettext \
  -o market/translations/messages.pot --no-location --sort-output . >/dev/null 2>&1
"$BIN/pybabel" update -i market/translations/messages.pot -d market/translations -l zh \
  --no-fuzzy-matching --ignore-obsolete >/dev/null 2>&1
"$BIN/pybabel" compile -d market/translations -l zh --statistics
