#!/bin/bash
# touchpoint on one node against a Citus cluster (docs/distributed.md, issue 14):
# the same generated data (test/bench/generate.sql: sessions and calls, plus
# people in accounts and an opportunity per account as in incremental.sh) in
# two databases of one coordinator — a plain one (the single node) and one
# whose inputs touchpoint.distribute() put on two workers, all on loopback on
# this machine — then, interleaved, in new sessions:
#   - refresh(full => true), nothing changed;
#   - SELECT count(*) FROM touchpoint.merge_calls();
# each timed, with the CPU time each node's processes spent (the postmaster's
# cutime + cstime, which gathers its exited backends': each run is one psql
# session, whose backends and the workers' connections end with it).
# Prints medians, the distributed / single ratio, and the workers' share.
#
#   bash test/bench/citus.sh [--sessions N] [--tasks N] [--reps N] [--shards N] [--keep]
# --tasks: the calls (default a tenth of the sessions); fixed while the
# sessions grow, it shows what the coordinator's memory grows with.
# Its own nodes in $TP_BENCH_DIR (default /tmp/touchpoint-bench-citus),
# ports 54360-54362, shared_buffers 1GB each; builds the vendored Citus when
# none is installed (test/citus.sh --install, as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SESSIONS=2000000 TASKS= REPS=3 SHARDS=8 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --sessions) SESSIONS=$2; shift 2 ;;
        --tasks) TASKS=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --shards) SHARDS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
VISITORS=$((SESSIONS / 4)) TASKS=${TASKS:-$((SESSIONS / 10))} ACCOUNTS=$((TASKS / 40))

bash test/scripts/deps.sh >/dev/null
bash test/citus.sh --install
make -s >/dev/null && make -s install >/dev/null

DIR=${TP_BENCH_DIR:-/tmp/touchpoint-bench-citus}
PORTS=(54360 54361 54362)
NODES=(coordinator worker1 worker2)
stop_all() { for n in "${NODES[@]}"; do bash "$ROOT/test/scripts/cluster.sh" stop "$DIR/$n" || true; done; }
[ $KEEP = 1 ] || trap stop_all EXIT
# fresh nodes every run: dropping the extension of an earlier run would leave
# its shards on the workers (docs/distributed.md)
stop_all
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chmod 755 "$DIR"
for i in 0 1 2; do
    bash test/scripts/citus_node.sh "$DIR/${NODES[$i]}" "${PORTS[$i]}" "shared_buffers = '1GB'" "max_wal_size = '8GB'"
done
export PGOPTIONS="-c client_min_messages=warning"
C=(psql -X -q -At -h "$DIR/coordinator" -p "${PORTS[0]}" -U postgres -v ON_ERROR_STOP=1)
"${C[@]}" -d postgres -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORTS[0]})" \
    -c "SELECT citus_add_node('127.0.0.1', ${PORTS[1]})" -c "SELECT citus_add_node('127.0.0.1', ${PORTS[2]})" >/dev/null

echo "touchpoint on one node against Citus — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL $("${C[@]}" -d postgres -c 'SHOW server_version'), $("${C[@]}" -d postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'" | sed 's/^/Citus /'); a coordinator and two workers on loopback, shared_buffers 1GB each"
start=$(date +%s)
"${C[@]}" -d postgres -c "CREATE EXTENSION touchpoint" \
    -c "SELECT count(*) FROM touchpoint.distribute($SHARDS)" >/dev/null
"${C[@]}" -d postgres -c "CREATE DATABASE tp_single" >/dev/null
"${C[@]}" -d tp_single -c "CREATE EXTENSION touchpoint" >/dev/null
for db in postgres tp_single; do
    "${C[@]}" -d $db -v sessions="$SESSIONS" -v visitors="$VISITORS" -v tasks="$TASKS" -v in_window=0.8 -v seed=0.42 \
        -f test/bench/generate.sql >/dev/null
    "${C[@]}" -d $db -v accounts="$ACCOUNTS" -f test/bench/accounts.sql >/dev/null
    "${C[@]}" -d $db -c "VACUUM ANALYZE" -c "SELECT count(*) FROM touchpoint.refresh(\"full\" => true)" >/dev/null
done
counts() { "${C[@]}" -d "$1" -c "SELECT (SELECT count(*) FROM touchpoint.sessions) || ' sessions, ' || (SELECT count(*) FROM touchpoint.tasks) || ' calls, ' ||
    (SELECT count(*) FROM touchpoint.touchpoints) || ' touchpoints, ' || (SELECT count(*) FROM touchpoint.opportunity_touchpoints) || ' opportunity touchpoints'"; }
echo "single node: $(counts tp_single)"
echo "distributed: $(counts postgres) ($("${C[@]}" -d postgres -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'touchpoint.sessions'::regclass") shards per input; set up in $(( $(date +%s) - start )) s)"

# cpu_ms NODE: CPU time of NODE's exited processes so far, in ms
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", ($16 + $17) * 1000 / hz}' "/proc/$(head -1 "$DIR/$1/data/postmaster.pid")/stat"; }
# timed DB SQL: wall ms, then CPU ms of the coordinator and of the two workers
timed() {
    local c0 w0 c1 w1 ms
    c0=$(cpu_ms coordinator) w0=$(( $(cpu_ms worker1) + $(cpu_ms worker2) ))
    ms=$({ echo '\timing on'; echo "$2;"; } | "${C[@]}" -d "$1" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}' | tail -1)
    [ -n "$ms" ] || { echo "citus bench: $2 failed in $1" >&2; exit 1; }
    sleep 1   # the session's backends, and the workers' connections, exit and are counted
    c1=$(cpu_ms coordinator) w1=$(( $(cpu_ms worker1) + $(cpu_ms worker2) ))
    echo "$ms $((c1 - c0)) $((w1 - w0))"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-44s %12s %10s %10s %10s\n" "what (median of $REPS, interleaved)" "wall ms" "coord cpu" "workers" "x single"
for what in "SELECT * FROM touchpoint.refresh(\"full\" => true)" "SELECT count(*) FROM touchpoint.merge_calls()"; do
    rounds=$(for r in $(seq 1 "$REPS"); do echo "$(timed tp_single "$what") $(timed postgres "$what")"; done)
    col() { echo "$rounds" | awk -v c="$1" '{print $c}' | median; }
    ratio=$(echo "$rounds" | awk '{printf "%.3f\n", $4 / $1}' | median)
    label=${what#SELECT }
    printf "%-44s %12s %10s %10s %10s\n" "${label:0:44} one node" "$(col 1)" "$(col 2)" "$(col 3)" "1.000"
    printf "%-44s %12s %10s %10s %10s\n" "  on Citus (2 workers)" "$(col 4)" "$(col 5)" "$(col 6)" "$ratio"
done
echo "coord cpu / workers: CPU ms spent by the coordinator's and by the two workers' processes during the run"
# peak_mb DB SQL: the coordinator backend's peak private memory while SQL ran, in MB
# (VmHWM less the shared and file pages still mapped at the end: those only grow)
peak_mb() {
    { echo "$2;"; echo 'SELECT pg_backend_pid() AS pid \gset'; echo '\setenv TP_PID :pid'
      echo "\\! awk '/^(VmHWM|RssShmem|RssFile):/ {v[\$1] = \$2} END {printf \"%d\\n\", (v[\"VmHWM:\"] - v[\"RssShmem:\"] - v[\"RssFile:\"]) / 1024}' /proc/\$TP_PID/status"
    } | "${C[@]}" -d "$1" 2>&1 | tail -1
}
refresh_sql="SELECT count(*) FROM touchpoint.refresh(\"full\" => true)"
echo "coordinator backend's peak private memory in a full refresh: one node $(peak_mb tp_single "$refresh_sql") MB, on Citus $(peak_mb postgres "$refresh_sql") MB"
# Where a full refresh's time goes on Citus: each statement of the stage on
# the workers (keyed_stage_queries(): the four repartitioning fills and the
# per-shard placement), then the coordinator's part from the placed events
# (stages 2 and the comparison with the stored touchpoints) — one session,
# one transaction, rolled back.  The per-row rates are what docs/distributed.md's
# plan for larger clusters is computed from.
echo "a full refresh on Citus, step by step (wall ms, one transaction, rolled back):"
{ echo "SET client_min_messages = warning;"; echo "BEGIN;"
  echo "TRUNCATE touchpoint_internal.keyed_sessions, touchpoint_internal.keyed_events, touchpoint_internal.keyed_placements;"
  echo '\timing on'
  for step in fill_sessions fill_calls fill_forms fill_chats place; do
      echo "\\echo step $step"
      echo "SELECT query FROM touchpoint_internal.keyed_stage_queries() WHERE step = '$step' \\gexec"
  done
  echo "\\echo step coordinator"
  echo "SELECT count(*) FROM touchpoint_internal.pipeline_changes_placed(touchpoint_internal.source('sessions'),
        'touchpoint_internal.keyed_placed_events', 'touchpoint_internal.pipeline_keyless_events',
        touchpoint_internal.channel_rules_array(), NULL, 'touchpoint.touchpoints');"
  echo '\timing off'
  echo "SELECT 'rows ' || (SELECT count(*) FROM touchpoint_internal.keyed_sessions) || ' ' || (SELECT count(*) FROM touchpoint_internal.keyed_events) || ' ' || (SELECT count(*) FROM touchpoint_internal.keyed_placements);"
  echo "ROLLBACK;"
} | "${C[@]}" -d postgres 2>&1 | awk '
    /^step / {step = $2; next}
    /^Time:/ {if ($2 > ms[step]) ms[step] = $2; next}   # \gexec: the statement, and the query that gave it
    /^rows [0-9]/ {sessions = $2; events = $3; placed = $4}
    END {
        split("fill_sessions fill_calls fill_forms fill_chats place coordinator", order, " ")
        for (i = 1; i <= 6; i++) printf "  %-14s %10.0f ms\n", order[i], ms[order[i]]
        printf "  rows: %d sessions and %d events repartitioned by BizibleId, %d events placed\n", sessions, events, placed
        if (ms["fill_sessions"] > 0) printf "  repartition: %.0f sessions/s; placement: %.0f events/s (all shards)\n", sessions * 1000 / ms["fill_sessions"], placed * 1000 / ms["place"]
    }'
