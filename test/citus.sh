#!/bin/bash
# touchpoint on a Citus cluster (docs/spec.md §9, issue 14): a coordinator and
# two workers on loopback, each a throwaway cluster of its own.
#
# Checks that nothing touchpoint reads straight from a heap is ever a Citus
# table, whose rows live in shards on the workers (the coordinator's table of
# that name is an empty or stale shell):
#   - merge_calls over the user's distributed sessions and tasks gives, under
#     every merge_strategy, exactly the rows it gives over local copies of
#     the same rows -- also when the shells still hold rows from before they
#     were distributed (create_distributed_table leaves them there);
#   - explain_calls likewise;
#   - touchpoint_internal.pipeline_changes and credit_changes, handed a
#     distributed table as the stored rows, refuse it (0A000) instead of
#     comparing with an empty shell.
#
# Uses the Citus installed for the PostgreSQL on PATH (pg_config); when there
# is none, builds the vendored Citus 12.1.12 (TP_CITUS_TARBALL, default
# ../shared/vendor/citus-12.1.12.tar.gz beside the checkout; Debian's -dev
# packages it needs are installed as root).  Fails loudly -- never skips --
# when neither is possible.
#   bash test/citus.sh             run it
#   bash test/citus.sh --can-run   exit 0 when Citus is installed or can be built
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(pg_config --bindir)
LIB=$(pg_config --pkglibdir)

fail() { echo "citus: FAILED: $*"; exit 1; }

# --- Citus: installed, or built from the vendored source -----------------
# The vendored source: TP_CITUS_TARBALL, or the workplace's shared vendor directory.
citus_tarball() {
    local t
    for t in "${TP_CITUS_TARBALL:-}" "$ROOT/../shared/vendor/citus-12.1.12.tar.gz" /work/shared/vendor/citus-12.1.12.tar.gz; do
        [ -n "$t" ] && [ -f "$t" ] && { echo "$t"; return 0; }
    done
    return 1
}
if [ "${1:-}" = --can-run ]; then   # test/run.sh asks: is Citus installed, or can it be built?
    [ -f "$LIB/citus.so" ] || { [ "$(id -u)" = 0 ] && citus_tarball >/dev/null; }
    exit
fi
if [ ! -f "$LIB/citus.so" ]; then
    TARBALL=$(citus_tarball) || fail "no Citus installed in $LIB and no source (set TP_CITUS_TARBALL to citus-12.1.12.tar.gz)"
    [ "$(id -u)" = 0 ] || fail "no Citus installed in $LIB; building it needs root (Debian's -dev packages)"
    echo "citus: building $(basename "$TARBALL") (once per machine, a few minutes)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends build-essential \
        libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev \
        libpam0g-dev libreadline-dev libxml2-dev libssl-dev zlib1g-dev >/tmp/touchpoint-citus-apt.log 2>&1 ||
        { tail -20 /tmp/touchpoint-citus-apt.log; fail "apt-get install of Citus's build dependencies"; }
    SRC=$(mktemp -d /tmp/touchpoint-citus-src.XXXXXX)
    tar xzf "$TARBALL" -C "$SRC"
    if ! (cd "$SRC"/citus-* && ./configure PG_CONFIG="$(command -v pg_config)" >"$SRC/build.log" 2>&1 &&
          make -j2 with_llvm=no >>"$SRC/build.log" 2>&1 && make install with_llvm=no >>"$SRC/build.log" 2>&1); then
        tail -30 "$SRC/build.log"; fail "building Citus (log: $SRC/build.log)"
    fi
    rm -rf "$SRC"
fi
echo "citus: $(strings "$LIB/citus.so" | grep -oE 'Citus [0-9]+\.[0-9]+\.[0-9]+' | head -1 || echo 'Citus') in $LIB"

# --- three nodes on loopback ----------------------------------------------
WORK=$(mktemp -d /tmp/touchpoint-citus.XXXXXX)
[ "$(id -u)" = 0 ] && chmod 755 "$WORK"
# TCP on 127.0.0.1 (Citus's nodes connect to each other): fixed ports, so
# two runs of the suite on one machine at once would clash
PORTS=(${TP_CITUS_PORTS:-54350 54351 54352})
[ ${#PORTS[@]} = 3 ] || fail "TP_CITUS_PORTS must name three ports"
NODES=(coordinator worker1 worker2)
stop_all() {
    for n in "${NODES[@]}"; do bash "$ROOT/test/scripts/cluster.sh" stop "$WORK/$n" || true; done
}
trap stop_all EXIT
for i in 0 1 2; do
    dir=$WORK/${NODES[$i]}
    bash test/scripts/cluster.sh start "$dir" "${PORTS[$i]}" >/dev/null
    bash test/scripts/cluster.sh stop "$dir"
    # Citus connects between nodes over TCP; later lines win in postgresql.conf
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'citus'
max_connections = 60
max_prepared_transactions = 100
CONF
    echo "host all all 127.0.0.1/32 trust" >>"$dir/data/pg_hba.conf"
    bash test/scripts/cluster.sh start "$dir" "${PORTS[$i]}" >/dev/null
    psql -X -q -h "$dir" -p "${PORTS[$i]}" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "CREATE EXTENSION citus"
done
export PGOPTIONS="-c client_min_messages=warning"
C=(psql -X -q -At -h "$WORK/coordinator" -p "${PORTS[0]}" -U postgres -d postgres -v ON_ERROR_STOP=1)
"${C[@]}" -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORTS[0]})" \
          -c "SELECT citus_add_node('127.0.0.1', ${PORTS[1]})" \
          -c "SELECT citus_add_node('127.0.0.1', ${PORTS[2]})" >/dev/null
"${C[@]}" -c "CREATE EXTENSION touchpoint" >/dev/null
echo "citus: coordinator :${PORTS[0]}, workers :${PORTS[1]} :${PORTS[2]} ($("${C[@]}" -c "SELECT count(*) FROM pg_dist_node") nodes)"

# --- the user's tables, distributed by a normalised key column -------------
# Rows first loaded into the tables before they are distributed stay in the
# coordinator's shells (Citus copies them into the shards and leaves them);
# rows loaded after go to the shards only.  Local copies get every row.
"${C[@]}" <<'SQL' >/dev/null
SELECT setseed(0.5);
SET citus.shard_count = 8;
CREATE TABLE ws (session_id text, bizible_id text, started_at timestamptz, last_activity_at timestamptz,
                 channel text, subchannel text, source text, medium text, campaign text, ad_content text,
                 keyword text, landing_page text, referrer_page text, k text NOT NULL);
CREATE TABLE wt (task_id text, bizible_id text, type text, subject text, phone text, person_id text,
                 occurred_at timestamptz, is_deleted boolean, k text NOT NULL);
CREATE FUNCTION load(first int, last int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ws SELECT 's' || g, b, timestamptz '2026-03-01' + g * interval '7 minutes', NULL,
                          (ARRAY['Paid Search', NULL, 'Email'])[1 + g % 3], NULL, 'google', 'cpc', 'c' || g % 5,
                          NULL, NULL, '/lp/' || g % 7, NULL, touchpoint.bizible_key(b)
    FROM (SELECT g, CASE WHEN g % 4 = 0 THEN upper(md5('v' || g % 300)) ELSE ' ' || md5('v' || g % 300) END AS b
          FROM generate_series(first, last) g) x;
    INSERT INTO wt SELECT 't' || g, b, 'Call', 'Inbound call', NULL, 'p' || g % 50,
                          timestamptz '2026-03-01' + g * interval '7 minutes' + (g % 40) * interval '1 minute',
                          g % 29 = 0, touchpoint.bizible_key(b)
    FROM (SELECT g, md5('v' || g % 300) AS b FROM generate_series(first, last, 3) g) x;
END
$$;
SELECT load(1, 3000);
SELECT create_distributed_table('ws', 'k');
SELECT create_distributed_table('wt', 'k', colocate_with => 'ws');
SELECT load(3001, 6000);
CREATE TABLE ls AS SELECT * FROM ws;
CREATE TABLE lt AS SELECT * FROM wt;
SQL
echo "citus: ws and wt distributed by k ($("${C[@]}" -c "SELECT count(*) FROM ws") sessions, $("${C[@]}" -c "SELECT count(*) FROM wt") tasks; $("${C[@]}" -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'ws'::regclass") shards each)"

failures=0
check() {   # check NAME SQL: SQL must return exactly 't'
    local got
    got=$("${C[@]}" -c "$2" 2>&1 | tail -1) || true
    if [ "$got" = t ]; then echo "ok      $1"; else echo "FAILED  $1: $got"; failures=$((failures + 1)); fi
}
same() {    # same A B: the two queries give the same rows (EXCEPT ALL both ways)
    echo "SELECT count(*) = 0 FROM (($1 EXCEPT ALL $2) UNION ALL ($2 EXCEPT ALL $1)) d"
}

expected=$("${C[@]}" -c "SELECT count(*) FROM touchpoint.merge_calls('ls', 'lt') WHERE session_id IS NOT NULL")
[ "${expected:-0}" -gt 100 ] || fail "the local copies merge only ${expected:-0} calls; the data is wrong"
echo "citus: $expected calls merged over the local copies"
for strategy in auto scan probe scan_executor sorted; do
    check "merge_calls, merge_strategy $strategy, over distributed tables = over local copies" \
        "SET touchpoint.merge_strategy = $strategy; $(same "SELECT * FROM touchpoint.merge_calls('ws', 'wt')" \
                                                           "SELECT * FROM touchpoint.merge_calls('ls', 'lt')")"
done
check "explain_calls over distributed tables = over local copies" \
    "$(same "SELECT * FROM touchpoint.explain_calls('ws', 'wt')" "SELECT * FROM touchpoint.explain_calls('ls', 'lt')")"

# touchpoint's stored rows read straight from the heap: a distributed table is refused
"${C[@]}" -c "CREATE TABLE tp_dist (LIKE touchpoint.touchpoints)" \
          -c "SELECT create_distributed_table('tp_dist', 'journey_id')" >/dev/null
refused() {   # refused NAME SQL: SQL fails with SQLSTATE 0A000 naming Citus
    local out
    out=$("${C[@]}" -c "\\set VERBOSITY verbose" -c "$2" 2>&1) && { echo "FAILED  $1: no error"; failures=$((failures + 1)); return; }
    if grep -q '0A000' <<<"$out" && grep -q 'distributed by Citus' <<<"$out"; then echo "ok      $1"
    else echo "FAILED  $1: $out"; failures=$((failures + 1)); fi
}
refused "pipeline_changes refuses a distributed table as its stored rows" \
    "SELECT count(*) FROM touchpoint_internal.pipeline_changes('touchpoint.sessions', 'touchpoint_internal.pipeline_events',
        'touchpoint_internal.pipeline_keyless_events', NULL, NULL, 'tp_dist')"
refused "credit_changes refuses a distributed table as its stored rows" \
    "SELECT count(*) FROM touchpoint_internal.credit_changes('touchpoint.opportunities', 'touchpoint.people', 'tp_dist',
        ARRAY[22.5, 22.5, 22.5, 22.5], '{}', '{}', 'touchpoint.opportunity_touchpoints', 'touchpoint_internal.position_credits')"

if [ $failures != 0 ]; then fail "$failures check(s) (nodes' logs in $WORK)"; fi
trap - EXIT
stop_all
rm -rf "$WORK"
echo "citus: ok"
