#!/bin/bash
# A throwaway PostgreSQL cluster set up as a Citus node on loopback (used by
# test/citus.sh and test/bench/citus.sh):
#   citus_node.sh DIR PORT [SETTING...]   start it (initdb the first time),
#                                         CREATE EXTENSION citus in postgres
# Extra settings (e.g. "shared_buffers = '2GB'") go to postgresql.conf.
# Stop it with test/scripts/cluster.sh stop DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1 port=$2
shift 2
if [ ! -f "$dir/data/PG_VERSION" ]; then
    bash "$ROOT/test/scripts/cluster.sh" start "$dir" "$port" >/dev/null
    bash "$ROOT/test/scripts/cluster.sh" stop "$dir"
    # Citus connects between nodes over TCP; later lines win in postgresql.conf
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'citus'
max_connections = 60
max_prepared_transactions = 100
CONF
    for setting in "$@"; do echo "$setting" >>"$dir/data/postgresql.conf"; done
    echo "host all all 127.0.0.1/32 trust" >>"$dir/data/pg_hba.conf"
fi
bash "$ROOT/test/scripts/cluster.sh" start "$dir" "$port" >/dev/null
psql -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS citus"
