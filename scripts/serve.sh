#!/usr/bin/env bash
# Builds Vigil, seeds demo data into ./vigil.db on first run, and serves it on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh serve
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
cargo leptos build --release
bin="$CARGO_TARGET_DIR/release/vigil"
export VIGIL_DATABASE_URL=${VIGIL_DATABASE_URL:-sqlite:vigil.db}
addr=${VIGIL_ADDR:-127.0.0.1:3000}
if [ ! -e vigil.db ] || [ "${VIGIL_RESEED:-}" = 1 ]; then
  "$bin" seed --events "${VIGIL_SEED_EVENTS:-5000}"
  echo "ingest key for tenant acme (shown once): $("$bin" key create --tenant acme 2>/dev/null)"
fi
echo "Vigil on http://$addr (sign in as admin@acme.test / vigil-demo)"
exec "$bin" serve --addr "$addr" --site-root target/site
