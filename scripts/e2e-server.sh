#!/usr/bin/env bash
# Serves the built site over a fresh seeded SQLite database for the Playwright tests,
# and leaves an ingest key for them in end2end/.e2e/key.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3210}
bin=${VIGIL_BIN:-target/release/vigil}
state=end2end/.e2e
rm -rf "$state" && mkdir -p "$state"
export VIGIL_DATABASE_URL="sqlite:$state/vigil.db"
"$bin" seed --events 3000 >/dev/null
"$bin" key create --tenant acme 2>/dev/null >"$state/key"
# A verify on record, as an operator's would be: the Integrity page shows it.
"$bin" verify >/dev/null
exec "$bin" serve --addr "127.0.0.1:$port" --site-root target/site
