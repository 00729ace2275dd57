#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 and a free port.
# Source it: `. scripts/pg.sh` exports VIGIL_TEST_PG_URL and stops the cluster on exit.
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=$(mktemp -d /tmp/vigil-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# PostgreSQL refuses to run as root: use the postgres user Debian's package creates.
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  run_pg() { runuser -u postgres -- "$@"; }
else
  run_pg() { "$@"; }
fi
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=400" start >/dev/null
export VIGIL_TEST_PG_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
stop_pg() { run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $VIGIL_TEST_PG_URL"
