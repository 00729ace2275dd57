#!/usr/bin/env bash
# Installs what Vigil's build and tests need, skipping whatever is already there.
# Debian with Rust (rustup) is assumed; run as root or with sudo available.
# `setup.sh serve` skips what only the tests need (chromium, PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-test}

CARGO_LEPTOS_VERSION=0.3.10
# Must equal the wasm-bindgen crate version pinned in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '\033[1m== %s\033[0m\n' "$*"; }

missing=()
command -v node >/dev/null || missing+=(nodejs npm)
command -v python3 >/dev/null || missing+=(python3)
# scripts/verify_bundle.py checks checkpoint signatures (Ed25519) with it.
python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
if [ "$purpose" = test ]; then
  # schemathesis runs in a virtual environment of its own (.tools/venv).
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  command -v chromium >/dev/null || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes on 2 cores)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile names a crate version the registry may lack.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Playwright (driving Debian's chromium; no browser download) and binaryen's
# wasm-opt for release builds (Debian's older wasm-opt breaks hydration).
if [ ! -x end2end/node_modules/.bin/playwright ] || [ ! -x end2end/node_modules/.bin/wasm-opt ]; then
  say "npm ci in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
# schemathesis (PyPI) fuzzes the HTTP API against its OpenAPI description.
SCHEMATHESIS_VERSION=4.32.5
if [ "$purpose" = test ] && ! .tools/venv/bin/schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "pip install schemathesis $SCHEMATHESIS_VERSION (into .tools/venv)"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
say "tools ready"
