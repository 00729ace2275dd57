#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI description with schemathesis: a fresh
# database (SQLite, or PostgreSQL when VIGIL_TEST_PG_URL names a server), the demo
# seed, an ingest key, `vigil serve`, then every operation with generated requests.
# Fails on a 5xx or on any response the description does not allow.
#   usage: scripts/schemathesis.sh VIGIL_BIN [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
examples=${2:-100}
st=.tools/venv/bin/schemathesis
work=$(mktemp -d /tmp/vigil-schemathesis.XXXXXX)
if [ -n "${VIGIL_TEST_PG_URL:-}" ]; then
  db="vigil_st_$$"
  psql_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
  "$psql_bin" "$VIGIL_TEST_PG_URL" -qc "CREATE DATABASE $db"
  export VIGIL_DATABASE_URL="${VIGIL_TEST_PG_URL%/*}/$db"
else
  export VIGIL_DATABASE_URL="sqlite:$work/vigil.db"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" seed --events 500 >/dev/null
key=$("$bin" key create --tenant acme 2>/dev/null)
operator=$("$bin" operator-token create --name schemathesis 2>/dev/null)
VIGIL_SIGNING_KEY="$work/signing.key" "$bin" serve --addr "127.0.0.1:$port" \
  --site-root target/site >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; cp "$work/serve.log" /tmp/vigil-schemathesis-serve.log 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
spec="http://127.0.0.1:$port/api/v1/openapi.json"
# Each credential on the operations it opens: the ingest key on the ingest API, the
# operator token on the operator API (each is refused, 401, on the other's).
"$st" run "$spec" -H "Authorization: Bearer $key" --exclude-path-regex '^/api/v1/admin/' \
  --checks "$checks" --max-examples "$examples" --seed 1 --no-color
"$st" run "$spec" -H "Authorization: Bearer $operator" --include-path-regex '^/api/v1/admin/' \
  --checks "$checks" --max-examples "$examples" --seed 1 --no-color
