#!/usr/bin/env bash
# The API contract run: seeds a park, a generator, a recycler with a licence, listings, bids
# and a deal (through the services, paying through the tests' own localstripe), serves the
# app on a loopback port and runs schemathesis over every /api/v1 operation with a token:
# no 5xx, documented statuses, content types and bodies, 405 with Allow, schema-violating
# calls refused. FUZZ_EXAMPLES=N (default 10) bounds the examples per operation and phase;
# TEST_DATABASE_URL picks the database as for test.sh; other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash test.sh -q -p no:cacheprovider -m fuzz tests/functional/test_api_contract.py "$@"
