#!/usr/bin/env bash
# Every test of Vigil: formatting, lints (ssr and hydrate), unit and API tests on
# SQLite and a throw-away PostgreSQL, then Playwright against the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# Compiled dependencies outlive the clone, so reruns (and CI on this machine) are faster.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
# binaryen's wasm-opt for the release build (see scripts/setup.sh).
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "no two modules import each other"
python3 scripts/module-cycles.py app/src server/src

step "clippy: server and app (ssr), app alone, frontend (hydrate, wasm32)"
cargo clippy -p server --all-targets --locked -- -D warnings
cargo clippy -p app --all-targets --locked -- -D warnings
# The store's unit tests (its pinned SQL among them) exist only with `ssr`.
cargo clippy -p app --features ssr --all-targets --locked -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

step "the Python bundle verifier's own tests"
python3 -m unittest scripts/test_verify_bundle.py

step "PostgreSQL"
. scripts/pg.sh

step "unit and API tests (SQLite and PostgreSQL)"
cargo test -p app --locked
cargo test -p app --features ssr --lib --locked
cargo test -p server --locked

step "schemathesis: the HTTP API against its OpenAPI description (SQLite, PostgreSQL)"
VIGIL_TEST_PG_URL= scripts/schemathesis.sh "$CARGO_TARGET_DIR/debug/vigil"
scripts/schemathesis.sh "$CARGO_TARGET_DIR/debug/vigil"

step "release build (server + hydrate WASM)"
cargo leptos build --release
wasm=target/site/pkg/vigil.wasm
echo "hydrate WASM: $(stat -c %s "$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzip"
# Size guard: the gzipped hydrate WASM may not grow past what it was cut down to
# (erase_components, no strftime, no serde_qs deserializer, one decoder per type, one
# view type per Suspend, reactive child and Show, no keyed For; figures in
# BENCHMARKS.md).
wasm_gzip=$(gzip -9c "$wasm" | wc -c)
wasm_gzip_limit=$((389 * 1024))
if [ "$wasm_gzip" -gt "$wasm_gzip_limit" ]; then
  echo "hydrate WASM is $wasm_gzip bytes gzipped, over the $wasm_gzip_limit limit" >&2
  exit 1
fi

step "Playwright (Debian chromium) against the release build"
export VIGIL_BIN="$CARGO_TARGET_DIR/release/vigil"
(cd end2end && npx playwright test)
echo
echo "all tests passed"
