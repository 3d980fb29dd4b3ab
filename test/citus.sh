#!/bin/bash
# touchpoint on a Citus cluster (docs/spec.md §9, issue 14): a coordinator and
# two workers on loopback, each a throwaway cluster of its own (a third worker
# is added and the shards rebalanced near the end).
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
#   - touchpoint.distribute() puts touchpoint's six inputs on the workers
#     (rows loaded before it move; none stays in the coordinator's heaps; a
#     second call changes nothing), and then every relation and function a
#     user reads gives exactly the rows a plain single-node database with the
#     same data gives: after a full refresh, after a batch of changes, and
#     after a third worker is added and the shards rebalanced onto it.
#
# Uses the Citus installed for the PostgreSQL on PATH (pg_config); when there
# is none, builds the vendored Citus 12.1.12 (TP_CITUS_TARBALL, default
# ../shared/vendor/citus-12.1.12.tar.gz beside the checkout; Debian's -dev
# packages it needs are installed as root).  Fails loudly -- never skips --
# when neither is possible.
#   bash test/citus.sh             run it
#   bash test/citus.sh --can-run   exit 0 when Citus is installed or can be built
#   bash test/citus.sh --install   install it (build the vendored one) if missing, and stop
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
[ "${1:-}" = --install ] && exit 0   # test/bench/citus.sh: only make sure Citus is installed

# --- three nodes on loopback ----------------------------------------------
WORK=$(mktemp -d /tmp/touchpoint-citus.XXXXXX)
[ "$(id -u)" = 0 ] && chmod 755 "$WORK"
# TCP on 127.0.0.1 (Citus's nodes connect to each other): fixed ports, so
# two runs of the suite on one machine at once would clash
PORTS=(${TP_CITUS_PORTS:-54350 54351 54352 54353})
[ ${#PORTS[@]} = 4 ] || fail "TP_CITUS_PORTS must name four ports (a coordinator, two workers, a third added later)"
NODES=(coordinator worker1 worker2 worker3)
stop_all() {
    for n in "${NODES[@]}"; do bash "$ROOT/test/scripts/cluster.sh" stop "$WORK/$n" || true; done
}
trap stop_all EXIT
start_node() {   # start_node I: node I, a throwaway cluster with Citus created
    bash test/scripts/citus_node.sh "$WORK/${NODES[$1]}" "${PORTS[$1]}"
}
for i in 0 1 2; do start_node $i; done
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

# --- touchpoint.distribute() and the whole pipeline against one node -------
# The same rows in touchpoint's own tables in two databases of the
# coordinator: "postgres", whose inputs distribute() puts on the workers, and
# "tp_single", a plain database (no Citus in it) that is the single-node
# reference.  Every relation and function a user reads must give the same
# rows in both, after a full refresh and after a batch of changes.
"${C[@]}" -c "CREATE DATABASE tp_single" >/dev/null
S=(psql -X -q -At -h "$WORK/coordinator" -p "${PORTS[0]}" -U postgres -d tp_single -v ON_ERROR_STOP=1)
"${S[@]}" -c "CREATE EXTENSION touchpoint" >/dev/null
PIPELINE_DATA=$(cat <<'SQL'
SET client_min_messages = error;   -- Citus warns that temporary functions stay local
-- load(first, last): visitors' sessions, calls (some without a BizibleId, some
-- deleted), form fills and chats (some naming their session, some without a
-- BizibleId), people in accounts, one opportunity per account; BizibleIds
-- written in upper case or with spaces now and then (the same normalised key)
CREATE OR REPLACE FUNCTION pg_temp.load(first int, last int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM setseed(first / 100000.0);
    INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, subchannel, source, medium, campaign, landing_page)
    SELECT 's' || g, CASE g % 5 WHEN 0 THEN upper(b) WHEN 1 THEN ' ' || b || ' ' ELSE b END,
           timestamptz '2026-02-01' + g * interval '17 minutes',
           (ARRAY['Paid Search', NULL, 'Email', 'Social'])[1 + g % 4], NULL, (ARRAY['google', 'bing', NULL])[1 + g % 3],
           (ARRAY['cpc', 'email', NULL, 'organic'])[1 + g % 4], 'c' || g % 7, '/lp/' || g % 5
    FROM (SELECT g, md5('v' || g % 400) AS b FROM generate_series(first, last) g) x;
    INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, person_id, occurred_at, is_deleted)
    SELECT 't' || g, CASE WHEN g % 11 = 0 THEN NULL ELSE md5('v' || g % 400) END, 'Call', 'Inbound call',
           CASE WHEN g % 3 <> 0 THEN 'p' || (g % 400) / 4 END,
           timestamptz '2026-02-01' + g * interval '17 minutes' + (g % 45) * interval '1 minute', g % 29 = 0
    FROM generate_series(first, last, 3) g;
    INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
    SELECT 'f' || g, CASE WHEN g % 13 = 0 THEN '' ELSE md5('v' || g % 400) END, CASE WHEN g % 2 = 0 THEN 's' || g END,
           timestamptz '2026-02-01' + g * interval '17 minutes' + interval '4 minutes', '/demo', 'p' || (g % 400) / 4
    FROM generate_series(first, last, 7) g;
    INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
    SELECT 'c' || g, CASE WHEN g % 9 = 0 THEN ' ' ELSE md5('v' || g % 400) END, CASE WHEN g % 3 = 0 THEN 's' || g END,
           timestamptz '2026-02-01' + g * interval '17 minutes' + interval '6 minutes', CASE WHEN g % 2 = 0 THEN 'p' || (g % 400) / 4 END
    FROM generate_series(first, last, 11) g;
END
$$;
CREATE OR REPLACE FUNCTION pg_temp.load_accounts() RETURNS void LANGUAGE sql AS $$
    INSERT INTO touchpoint.people (person_id, account_id)
    SELECT 'p' || p, 'a' || p % 25 FROM generate_series(0, 99) p;
    INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
    SELECT 'o' || a, 'a' || a, 1000 + 37 * a, timestamptz '2026-02-10' + a * interval '2 days',
           CASE WHEN a % 3 <> 0 THEN timestamptz '2026-03-01' + a * interval '3 days' END,
           CASE WHEN a % 3 <> 0 THEN a % 2 = 0 END
    FROM generate_series(0, 24) a;
$$;
SQL
)
# every relation and function a user reads, as one text per row
READS=(
    "SELECT t::text FROM touchpoint.touchpoints t"
    "SELECT t::text FROM touchpoint.opportunity_touchpoints t"
    "SELECT t::text FROM touchpoint.credits t"
    "SELECT t::text FROM touchpoint.channel_report t"
    "SELECT t::text FROM touchpoint.revenue_report t"
    "SELECT t::text FROM touchpoint.placements t"
    "SELECT t::text FROM touchpoint.merge_calls() t"
    "SELECT t::text FROM touchpoint.explain_calls() t"
    "SELECT t::text FROM touchpoint.explain_call('t34') t"
    "SELECT t::text FROM touchpoint.explain_call('t100') t"
)
# same_everywhere WHEN: each read gives the same rows in both databases
same_everywhere() {
    local q a b
    for q in "${READS[@]}"; do
        a=$("${C[@]}" -c "SET timezone = 'UTC'" -c "SELECT count(*) || ' ' || md5(COALESCE(string_agg(x, E'\n' ORDER BY x), '')) FROM ($q) r(x)" 2>&1 | tail -1) || true
        b=$("${S[@]}" -c "SET timezone = 'UTC'" -c "SELECT count(*) || ' ' || md5(COALESCE(string_agg(x, E'\n' ORDER BY x), '')) FROM ($q) r(x)" 2>&1 | tail -1) || true
        if [ "$a" = "$b" ] && [ "${a%% *}" -gt 0 ] 2>/dev/null; then echo "ok      $1: ${q#SELECT t::text FROM } (${a%% *} rows)"
        else echo "FAILED  $1: ${q#SELECT t::text FROM }: distributed '$a', one node '$b'"; failures=$((failures + 1)); fi
    done
}
# both SQL [refresh]: SQL (with the data functions) in both databases, then refresh() in each
both() {
    local db
    for db in C S; do
        eval "PSQL_DB=(\"\${$db[@]}\")"
        { echo "$PIPELINE_DATA"; echo "$1"; } | "${PSQL_DB[@]}" >/dev/null
        [ "${2:-}" != refresh ] || "${PSQL_DB[@]}" -c "SELECT mode FROM touchpoint.refresh()" >/dev/null
    done
}
both "SELECT pg_temp.load(1, 1500); SELECT pg_temp.load_accounts();"
# half the rows before distributing (distribute() moves them), half after
distributed=$("${C[@]}" -c "SELECT string_agg(kind || ':' || coalesce(distribution_column, '-') || ':' || (shards > 0) || ':' || action, ' ' ORDER BY kind) FROM touchpoint.distribute(4)" 2>&1 | tail -1) || true
[ "$distributed" = "channel_rules:-:true:made a reference table chats:chat_id:true:distributed form_submits:submit_id:true:distributed keyed_events:key:true:distributed keyed_placements:key:true:distributed keyed_sessions:key:true:distributed opportunities:opportunity_id:true:distributed people:person_id:true:distributed sessions:session_id:true:distributed tasks:task_id:true:distributed" ] &&
    echo "ok      distribute(4): the six inputs and the three keyed stage tables distributed, the channel rules a reference table" || { echo "FAILED  distribute(4): $distributed"; failures=$((failures + 1)); }
check "distribute(): the channel rules are a reference table, a copy on every node" \
    "SELECT (SELECT partmethod = 'n' FROM pg_dist_partition WHERE logicalrelid = 'touchpoint.channel_rules'::regclass)
        AND (SELECT count(DISTINCT nodeport) >= 2 FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
             WHERE s.logicalrelid = 'touchpoint.channel_rules'::regclass)"
check "distribute(): no row left in the coordinator's own heaps" \
    "SELECT sum(pg_relation_size(format('touchpoint.%I', k)::regclass)) = 0 FROM unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']) k"
check "distribute(): the rows are in the shards" "SELECT count(*) = 1500 FROM touchpoint.sessions"
check "distribute() again changes nothing" \
    "SELECT bool_and(action IN ('already distributed', 'already a reference table')) AND count(*) = 10 FROM touchpoint.distribute()"
check "sources: a distributed input is rebuilt in full" \
    "SELECT bool_and(change_detection LIKE 'full rebuild: a Citus table%') FROM touchpoint.sources"
# and visitors who never convert (no touchpoint of theirs, on either side)
both "SELECT pg_temp.load(1501, 3000);
      INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel)
      SELECT 'quiet-' || g, md5('quiet-visitor-' || (g % 40)), timestamptz '2026-02-01' + g * interval '1 hour', 'Display'
      FROM generate_series(1, 200) g;" refresh
same_everywhere "after a full refresh"
# the per-BizibleId stage ran on the workers (docs/distributed.md): its rows
# are the one-node engine's, and Citus plans it as one task per shard
calls_on_workers=$("${C[@]}" -c "SELECT count(*) || ':' || md5(string_agg(task_id || '>' || coalesce(session_id, '-'), ',' ORDER BY task_id)) FROM touchpoint_internal.keyed_placements WHERE task_id LIKE 'call:%'" 2>&1 | tail -1) || true
calls_one_node=$("${S[@]}" -c "SELECT count(*) || ':' || md5(string_agg('call:' || source_id || '>' || coalesce(session_id, '-'), ',' ORDER BY 'call:' || source_id COLLATE \"C\")) FROM touchpoint.placements WHERE source_kind = 'call'" 2>&1 | tail -1) || true
[ -n "$calls_on_workers" ] && [ "$calls_on_workers" = "$calls_one_node" ] && [ "${calls_on_workers%%:*}" -gt 100 ] &&
    echo "ok      the workers placed every call as one node's engine does (${calls_on_workers%%:*} calls)" ||
    { echo "FAILED  calls placed on the workers $calls_on_workers, on one node $calls_one_node"; failures=$((failures + 1)); }
events_on_workers=$("${C[@]}" -c "SELECT count(*) FROM touchpoint_internal.keyed_placements" 2>&1 | tail -1) || true
events_one_node=$("${S[@]}" -c "SELECT count(*) FROM touchpoint.placements WHERE bizible_key IS NOT NULL" 2>&1 | tail -1) || true
[ "$events_on_workers" = "$events_one_node" ] &&
    echo "ok      the workers placed every event with a BizibleId ($events_on_workers: calls, form fills, chats)" ||
    { echo "FAILED  events placed on the workers $events_on_workers, on one node $events_one_node"; failures=$((failures + 1)); }
PLAN_OF="CREATE FUNCTION pg_temp.plan_of(which text) RETURNS text LANGUAGE plpgsql AS \$f\$
DECLARE q text; line text; plan text := ''; BEGIN
    SELECT k.query INTO q FROM touchpoint_internal.keyed_stage_queries() k WHERE k.step = which;
    FOR line IN EXECUTE 'EXPLAIN ' || q LOOP plan := plan || line || E'\\n'; END LOOP;
    RETURN plan; END \$f\$;"
check "the placement per BizibleId is pushed down whole: one task per shard, inserting on the workers" \
    "$PLAN_OF SELECT p LIKE '%Task Count: 4%' AND p LIKE '%Insert on keyed_placements_%' AND p NOT LIKE '%INSERT/SELECT method%' FROM pg_temp.plan_of('place') p"
for step in fill_sessions fill_calls fill_forms fill_chats; do
    check "$step: the keyed rows move between the workers (repartitioned, not through the coordinator)" \
        "$PLAN_OF SELECT p LIKE '%INSERT/SELECT method: repartition%' FROM pg_temp.plan_of('$step') p"
done
# a batch: new rows, a call moved to another visitor and person, a deleted
# call, a re-classified session, a person moved to another account, an
# opportunity closed and won; then the refresh each side does by itself
BATCH="SET client_min_messages = error;
    SELECT pg_temp.load(3001, 3300);
    UPDATE touchpoint.tasks SET bizible_id = md5('v7'), person_id = 'p9' WHERE task_id = 't34';
    DELETE FROM touchpoint.tasks WHERE task_id = 't103';
    UPDATE touchpoint.sessions SET channel = 'Display' WHERE session_id IN ('s12', 's412', 's812');
    UPDATE touchpoint.people SET account_id = 'a3' WHERE person_id = 'p4';
    UPDATE touchpoint.opportunities SET closed_at = timestamptz '2026-03-20', is_won = true WHERE opportunity_id = 'o3';
    -- two sessions of one key starting at the same instant (the smaller id wins), one
    -- whose last activity reaches a call its start does not, a form fill naming an
    -- unknown session and one naming another visitor's
    INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at, channel) VALUES
        ('tie-b', md5('v7'), '2026-02-03 10:00+00', '2026-02-03 10:50+00', 'Email'),
        ('tie-a', md5('v7'), '2026-02-03 10:00+00', NULL, 'Social'),
        ('late', md5('v8'), '2026-02-03 09:00+00', '2026-02-03 11:00+00', NULL),
        ('other', md5('v9'), '2026-01-15 09:00+00', NULL, 'Referral');
    INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted) VALUES
        ('t-tie', md5('v7'), 'Call', NULL, NULL, 'p1', '2026-02-03 10:10+00', false),
        ('t-late', ' ' || upper(md5('v8')), ' Outbound ', NULL, NULL, NULL, '2026-02-03 10:40+00', false);
    INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id) VALUES
        ('f-unknown', md5('v7'), 'no-such-session', '2026-02-03 10:05+00', '/x', 'p1'),
        ('f-other', md5('v7'), 'other', '2026-02-03 10:06+00', '/y', 'p1');"
both "$BATCH"
modes="$("${C[@]}" -c "SELECT mode FROM touchpoint.refresh()" 2>&1 | tail -1) $("${S[@]}" -c "SELECT mode FROM touchpoint.refresh()" 2>&1 | tail -1)" || true
[ "$modes" = "full incremental" ] && echo "ok      after the batch: refresh() full on Citus (no capture), incremental on one node" ||
    { echo "FAILED  after the batch: modes $modes"; failures=$((failures + 1)); }
same_everywhere "after a batch"
# the refresh's own window and anchor reach the workers (they do not have the
# caller's settings): a full refresh anchored on the last activity, 45 minutes
for db in C S; do
    eval "PSQL_DB=(\"\${$db[@]}\")"
    "${PSQL_DB[@]}" -c "SET touchpoint.window_anchor = last_activity" -c "SET touchpoint.session_window = '45min'" \
        -c "SELECT mode FROM touchpoint.refresh(full => true)" >/dev/null
done
READS_ALL=("${READS[@]}")
READS=("SELECT t::text FROM touchpoint.touchpoints t" "SELECT t::text FROM touchpoint.opportunity_touchpoints t")
same_everywhere "refreshed with window_anchor last_activity and a 45-minute window"
check "the last activity's window reached a call its start does not" \
    "SELECT session_id = 'late' FROM touchpoint.touchpoints WHERE touchpoint_id = 'call:t-late'"
edges=$("${C[@]}" -c "SELECT string_agg(touchpoint_id || '>' || coalesce(session_id, '-'), ' ' ORDER BY touchpoint_id) FROM touchpoint.touchpoints WHERE touchpoint_id IN ('call:t-tie', 'form:f-other', 'form:f-unknown')" 2>&1 | tail -1) || true
[ "$edges" = "call:t-tie>tie-a form:f-other>other form:f-unknown>-" ] &&
    echo "ok      the batch's edge cases took their turn: a tie to the smaller id, a named session, an unknown one" ||
    { echo "FAILED  the batch's edge cases: $edges"; failures=$((failures + 1)); }
# a channel rule added (the reference table written through Citus, on every
# node): the next refresh is full on both sides and the same
for db in C S; do
    eval "PSQL_DB=(\"\${$db[@]}\")"
    "${PSQL_DB[@]}" -c "INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium) VALUES (0, 'Rule Channel', 'from a rule', '*')" \
        -c "SELECT mode FROM touchpoint.refresh()" >/dev/null
done
same_everywhere "a channel rule added to the reference table"
check "the channel rule reached the touchpoints" \
    "SELECT count(*) > 0 FROM touchpoint.touchpoints WHERE channel = 'Rule Channel'"
for db in C S; do
    eval "PSQL_DB=(\"\${$db[@]}\")"
    "${PSQL_DB[@]}" -c "DELETE FROM touchpoint.channel_rules WHERE priority = 0" >/dev/null
done
READS=("${READS_ALL[@]}")
for db in C S; do
    eval "PSQL_DB=(\"\${$db[@]}\")"
    "${PSQL_DB[@]}" -c "SELECT mode FROM touchpoint.refresh(full => true)" >/dev/null
done

# --- a third worker, the shards rebalanced onto it: every answer kept ---------
start_node 3
"${C[@]}" -c "SELECT citus_add_node('127.0.0.1', ${PORTS[3]})" \
          -c "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')" >/dev/null 2>&1 ||
    { echo "FAILED  adding a third worker and rebalancing"; failures=$((failures + 1)); }
check "a third worker holds shards of touchpoint's inputs after the rebalance" \
    "SELECT count(*) > 0 FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
     WHERE p.nodeport = ${PORTS[3]} AND s.logicalrelid = 'touchpoint.sessions'::regclass"
both "SELECT pg_temp.load(3301, 3500);" refresh
same_everywhere "on three workers"

# --- a registered sessions source that repeats a session_id within a key ----
# (touchpoint's own sessions cannot: their primary key; a user's table can).
# On the workers the placement names the session by its position, so the
# row whose start wins keeps its own columns; rows identical in key, id and
# start are taken once, as one node does.  A user's table, distributed on
# Citus by its own id as a user would.
DUP_SOURCE="SET client_min_messages = error;
    CREATE TABLE dup_sessions AS SELECT * FROM touchpoint.sessions;
    INSERT INTO dup_sessions (session_id, bizible_id, started_at, last_activity_at, channel) VALUES
        ('dup', md5('v7'), '2026-02-04 10:00+00', NULL, 'Email'),
        ('dup', md5('v7'), '2026-02-04 10:05+00', NULL, 'Display'),
        ('twin', md5('v8'), '2026-02-04 09:00+00', NULL, 'Referral'),
        ('twin', md5('v8'), '2026-02-04 09:00+00', NULL, 'Referral'),
        ('solo', md5('v-solo'), '2026-02-05 09:00+00', NULL, 'Paid Social'),
        ('solo', md5('v-solo'), '2026-02-05 09:00+00', NULL, 'Paid Social');
    INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted) VALUES
        ('t-dup', md5('v7'), 'Call', NULL, NULL, 'p1', '2026-02-04 10:07+00', false),
        ('t-twin', md5('v8'), 'Call', NULL, NULL, 'p2', '2026-02-04 09:10+00', false),
        ('t-solo', md5('v-solo'), 'Call', NULL, NULL, 'p-solo', '2026-02-05 09:10+00', false);"
both "$DUP_SOURCE"
"${C[@]}" -c "SELECT create_distributed_table('dup_sessions', 'session_id', shard_count => 4)" >/dev/null
for db in C S; do
    eval "PSQL_DB=(\"\${$db[@]}\")"
    "${PSQL_DB[@]}" -c "SELECT touchpoint.use_source('sessions', 'dup_sessions')" \
        -c "SELECT mode FROM touchpoint.refresh(full => true)" >/dev/null
done
same_everywhere "a sessions source repeating session_ids"
check "a repeated session_id: the call takes the row whose start wins, with its own channel; identical rows once" \
    "SELECT string_agg(touchpoint_id || '>' || session_id || ':' || channel, ' ' ORDER BY touchpoint_id) =
            'call:t-dup>dup:Display call:t-solo>solo:Paid Social call:t-twin>twin:Referral'
     FROM touchpoint.touchpoints WHERE touchpoint_id IN ('call:t-dup', 'call:t-twin', 'call:t-solo')"
# two events with one id are refused on Citus as on one node
DUP_TASKS="CREATE TABLE dup_tasks AS SELECT * FROM touchpoint.tasks;
    INSERT INTO dup_tasks SELECT * FROM touchpoint.tasks WHERE task_id = 't-dup';
    SELECT touchpoint.use_source('tasks', 'dup_tasks');"
both "$DUP_TASKS"
dup_errors="$("${C[@]}" -c "SELECT mode FROM touchpoint.refresh(full => true)" 2>&1 | grep ERROR) / $("${S[@]}" -c "SELECT mode FROM touchpoint.refresh(full => true)" 2>&1 | grep ERROR)" || true
[ "$dup_errors" = "ERROR:  two conversion events have the id 'call:t-dup' / ERROR:  two conversion events have the id 'call:t-dup'" ] &&
    echo "ok      a tasks source repeating a task id: the same error on Citus as on one node" ||
    { echo "FAILED  a tasks source repeating a task id: $dup_errors"; failures=$((failures + 1)); }
both "SELECT touchpoint.use_source('sessions', NULL); SELECT touchpoint.use_source('tasks', NULL);" refresh
# a user's table registered before it is distributed carries the capture
# triggers, which Citus refuses: README's order (register again after
# distributing, which leaves it unwatched: a full rebuild)
"${C[@]}" -c "CREATE TABLE own_chats AS SELECT * FROM touchpoint.chats" \
          -c "SELECT touchpoint.use_source('chats', 'own_chats')" >/dev/null
refused_distribute=$("${C[@]}" -c "SELECT create_distributed_table('own_chats', 'chat_id', colocate_with => 'none')" 2>&1 | grep -c "ERROR:.*trigger") || true
reregistered=$("${C[@]}" -c "SELECT touchpoint.use_source('chats', NULL)" \
                        -c "SELECT create_distributed_table('own_chats', 'chat_id', colocate_with => 'none')" \
                        -c "SELECT touchpoint.use_source('chats', 'own_chats')" \
                        -c "SELECT mode FROM touchpoint.refresh()" 2>&1 | tail -1) || true
check "a registered user's table: Citus refuses to distribute it while it is watched, then README's order works" \
    "SELECT $refused_distribute = 1 AND '$reregistered' = 'full'
        AND (SELECT change_detection LIKE 'full rebuild: a Citus table%' FROM touchpoint.sources WHERE kind = 'chats')
        AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'own_chats'::regclass
                        AND tgfoid = 'touchpoint_internal.capture_changes()'::regprocedure)
        AND (SELECT count(*) FROM touchpoint.use_source('chats', NULL)) = 1"

# --- DROP EXTENSION on a distributed database, and CREATE again ------------
# Dropping the extension drops the coordinator's tables but leaves their
# shards on the workers (Citus does not drop the shards of an extension's
# tables); README gives the command that drops them, run here (the schema
# stays: Citus keeps track of it).  CREATE EXTENSION works again after.
"${C[@]}" -c "DROP EXTENSION touchpoint CASCADE" >/dev/null
"${C[@]}" >/dev/null <<'SQL'
SELECT count(*) FROM run_command_on_workers($cmd$SET citus.enable_ddl_propagation TO off;
DO $d$ DECLARE r record; BEGIN
    FOR r IN SELECT c.oid::regclass AS t FROM pg_class c
             WHERE c.relnamespace::regnamespace::text IN ('touchpoint', 'touchpoint_internal')
               AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', r.t);
    END LOOP;
END $d$$cmd$);
SQL
check "DROP EXTENSION, then the shards it leaves dropped on the workers: none left" \
    "SELECT bool_and(result = '0') FROM run_command_on_workers(\$\$SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('touchpoint', 'touchpoint_internal')\$\$)"
check "CREATE EXTENSION again on a cluster that had touchpoint distributed" \
    "CREATE EXTENSION touchpoint; SELECT count(*) = 10 FROM touchpoint.distribute(4)"

if [ $failures != 0 ]; then fail "$failures check(s) (nodes' logs in $WORK)"; fi
trap - EXIT
stop_all
rm -rf "$WORK"
echo "citus: ok"
