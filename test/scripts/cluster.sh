#!/bin/bash
# A throwaway PostgreSQL cluster for tests and the demo, runnable as root.
#   cluster.sh start DIR [PORT]   initdb (as postgres) and start; prints env to source
#   cluster.sh stop DIR           stop it (the directory is left for inspection)
# TP_GLIBC_TUNABLES, when set, is the server's GLIBC_TUNABLES (the benchmark's
# --hugepages: glibc.malloc.hugetlb=1, docs/performance.md).  TP_HUGE_PAGES,
# when set, is the server's huge_pages setting (the benchmarks pass off, or on
# with --shared-huge-pages, so that a run does not depend on whether this
# machine happens to have vm.nr_hugepages reserved).
# The server runs as the postgres user with a private socket directory and no
# TCP listener, so it never clashes with another server on this machine.
set -euo pipefail

BIN=$(pg_config --bindir)
cmd=${1:?usage: cluster.sh start|stop DIR [PORT]}
dir=${2:?usage: cluster.sh start|stop DIR [PORT]}
port=${3:-54329}
# An absolute path: the server's commands below run from /.
dir=$(realpath -m -- "$dir")

# As root, run as the postgres user -- from /, since the checkout may sit in a
# directory postgres cannot enter (a clone under /root or in a `mktemp -d`,
# mode 700): initdb, pg_ctl and postgres resolve their own path from the
# current directory and fail with "could not change directory" otherwise.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    # A server left running in this directory by an earlier, interrupted
    # run: stop it first (the start below would fail on its lock file).
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_postgres "$BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_prepared_transactions = 4
CONF
    fi
    # -t 300: under load (another core busy, valgrind elsewhere) a start can
    # take longer than pg_ctl's default 60 s wait
    as_postgres env ${TP_GLIBC_TUNABLES:+GLIBC_TUNABLES=$TP_GLIBC_TUNABLES} \
        "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 300 \
        ${TP_HUGE_PAGES:+-o "-c huge_pages=$TP_HUGE_PAGES"} start >/dev/null
    echo "export PGHOST=$dir PGPORT=$port PGUSER=postgres"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 300 stop >/dev/null
    fi
    ;;
*)
    echo "usage: cluster.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
