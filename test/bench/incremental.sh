#!/bin/bash
# touchpoint incremental-refresh benchmark (docs/incremental.md, issue 13):
# at each size, on the same generated data in the same run,
#   - a full rebuild, refresh(full => true), nothing changed;
#   - refresh() after an ETL batch touching a share of the BizibleIds
#     (--batch-share, default 0.1 %: new sessions, calls and form fills for
#     those visitors, updates of some of their sessions, deletes of some of
#     their calls), as a ratio of the full rebuild measured in the same round;
#   - refresh() after an empty batch;
#   - COPY of --copy-rows sessions into a table with touchpoint's capture
#     triggers against the same COPY with them disabled (ratio per round).
# Prints medians and ratios; the batch's cost at every size shows whether it
# stays flat as history grows.
#
#   bash test/bench/incremental.sh [--sizes 2000000,20000000] [--reps N]
#                                  [--batch-share F | --batch-ids N] [--copy-rows N] [--keep]
#                                  [--shared-huge-pages]
# --shared-huge-pages: the server's shared memory in huge pages (huge_pages =
# on, test/scripts/huge_pages.sh); without it huge_pages = off.
# --batch-ids: the same number of visitors at every size (is the cost flat as
# history grows?); --batch-share: a share of each size's visitors.
# Sessions:visitors:calls = 4:1:0.4 as in test/bench/run.sh, plus form fills
# (5 % of sessions) and chats (2.5 %).  Its own throwaway cluster (port 54341,
# shared_buffers $TP_BENCH_SHARED_BUFFERS, default 4GB); needs only psql, bash, awk.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SIZES=2000000 REPS=5 SHARE=0.001 BATCH_IDS_FIXED= COPY_ROWS=1000000 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --batch-share) SHARE=$2; shift 2 ;;
        --batch-ids) BATCH_IDS_FIXED=$2; shift 2 ;;
        --copy-rows) COPY_ROWS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --shared-huge-pages) export TP_HUGE_PAGES=on; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bash test/scripts/deps.sh >/dev/null
make -s >/dev/null && make -s install >/dev/null

DIR=${TP_BENCH_DIR:-/tmp/touchpoint-bench-incremental}
PORT=${TP_BENCH_PORT:-54341}
if [ ! -f "$DIR/data/PG_VERSION" ]; then
    bash test/scripts/cluster.sh start "$DIR" "$PORT" >/dev/null
    bash test/scripts/cluster.sh stop "$DIR"
    echo "shared_buffers = '${TP_BENCH_SHARED_BUFFERS:-4GB}'" >>"$DIR/data/postgresql.conf"
    echo "max_wal_size = '8GB'" >>"$DIR/data/postgresql.conf"
fi
bash test/scripts/cluster.sh stop "$DIR"
export TP_HUGE_PAGES=${TP_HUGE_PAGES:-off}
[ "$TP_HUGE_PAGES" = off ] || bash test/scripts/huge_pages.sh "${TP_BENCH_SHARED_BUFFERS:-4GB}"
eval "$(bash test/scripts/cluster.sh start "$DIR" "$PORT")"
[ $KEEP = 1 ] || trap 'bash "$ROOT/test/scripts/cluster.sh" stop "$DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d touchpoint_bench)

# ms SQL: run SQL once in a new session, print its time in ms
ms() { { echo '\timing on'; echo "$1;"; } | "${PSQL[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}' | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
row() { printf "%-50s %12s %12s %s\n" "$@"; }

echo "touchpoint incremental benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), shared_buffers $(psql -X -At -d postgres -c 'SHOW shared_buffers'), huge_pages $(psql -X -At -d postgres -c 'SHOW huge_pages')"
SUMMARY=""
for SESSIONS in ${SIZES//,/ }; do
    VISITORS=$((SESSIONS / 4)) TASKS=$((SESSIONS / 10)) ACCOUNTS=$((SESSIONS / 400))
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS touchpoint_bench" -c "CREATE DATABASE touchpoint_bench"
    "${PSQL[@]}" -c "CREATE EXTENSION touchpoint"
    start=$(date +%s)
    "${PSQL[@]}" -v sessions="$SESSIONS" -v visitors="$VISITORS" -v tasks="$TASKS" -v in_window=0.8 -v seed=0.42 \
        -f test/bench/generate.sql
    # form fills and chats in visitors' sessions (a third naming their session);
    # people for the calls' persons, in 1 of sessions/400 accounts (5,000 at
    # 2,000,000 sessions: the same people per account at every size), with an
    # opportunity per account created over the 90 days of sessions, three in
    # four closed 10-29 days later (a third of those won), one in four open
    # a call's person is a function of its visitor (about 3 visitors, i.e. cookies, per person
    # at every size: a journey does not grow with the history)
    "${PSQL[@]}" -c "UPDATE touchpoint.tasks SET person_id = 'p-' || (abs(hashtext(touchpoint.bizible_key(bizible_id))) % ($VISITORS / 3))
                     WHERE person_id IS NOT NULL AND touchpoint.bizible_key(bizible_id) IS NOT NULL" -c "DELETE FROM touchpoint_internal.changes" >/dev/null
    "${PSQL[@]}" -c "SELECT setseed(0.42)" -c "
        INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url)
        SELECT 'form-' || s.session_id, s.bizible_id, CASE WHEN random() < 0.33 THEN s.session_id END,
               s.started_at + interval '4 minutes', 'https://www.example.com/demo'
        FROM touchpoint.sessions s WHERE random() < 0.05;
        INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at)
        SELECT 'chat-' || s.session_id, s.bizible_id, CASE WHEN random() < 0.33 THEN s.session_id END,
               s.started_at + interval '7 minutes'
        FROM touchpoint.sessions s WHERE random() < 0.025;" >/dev/null
    "${PSQL[@]}" -v accounts="$ACCOUNTS" -f test/bench/accounts.sql -c "ANALYZE" >/dev/null
    "${PSQL[@]}" -c "SELECT touchpoint.refresh(\"full\" => true)" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
    counts=$("${PSQL[@]}" -At -c "SELECT (SELECT count(*) FROM touchpoint.touchpoints) || ' touchpoints, ' || (SELECT count(*) FROM touchpoint.opportunity_touchpoints) || ' opportunity touchpoints'")
    echo
    echo "== $SESSIONS sessions, $VISITORS visitors, $TASKS calls; $counts (set up in $(( $(date +%s) - start )) s)"
    BATCH_IDS=${BATCH_IDS_FIXED:-$(awk -v v="$VISITORS" -v s="$SHARE" 'BEGIN {printf "%d", v * s}')}

    # rounds: an ETL batch for $BATCH_IDS visitors (new sessions, calls and
    # form fills, updates and deletes), refresh() timed; an empty batch,
    # refresh() timed; a full rebuild timed
    # etl_batch TAG SEED: the ETL batch for $BATCH_IDS visitors (new sessions,
    # calls and form fills, updates and deletes), as SQL
    etl_batch() { echo "SELECT setseed($2);
            CREATE TEMP TABLE batch AS
            SELECT md5('visitor-' || v) AS bz, v FROM (SELECT DISTINCT floor(random() * $VISITORS)::int8 AS v FROM generate_series(1, $BATCH_IDS)) x;
            INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium, source)
            SELECT 'etl-$1-' || v, bz, timestamptz '2026-04-01' + v * interval '1 second', 'Paid Search', 'cpc', 'google' FROM batch;
            INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at)
            SELECT 'etl-$1-' || v, bz, 'Call', CASE WHEN v % 2 = 0 THEN 'p-' || (abs(hashtext(bz)) % ($VISITORS / 3)) END,
                   timestamptz '2026-04-01' + v * interval '1 second' + interval '5 minutes' FROM batch;
            INSERT INTO touchpoint.form_submits (submit_id, bizible_id, submitted_at, form_url)
            SELECT 'etl-$1-' || v, bz, timestamptz '2026-04-01' + v * interval '1 second' + interval '9 minutes', 'https://www.example.com/quote'
            FROM batch WHERE v % 2 = 1;
            UPDATE touchpoint.sessions s SET channel = 'Display' FROM batch b
            WHERE touchpoint.bizible_key(s.bizible_id) COLLATE \"C\" = b.bz AND b.v % 10 = 0;
            DELETE FROM touchpoint.tasks t USING batch b
            WHERE touchpoint.bizible_key(t.bizible_id) COLLATE \"C\" = b.bz AND b.v % 20 = 0 AND t.task_id NOT LIKE 'etl-%';
            DROP TABLE batch;"; }
    # floor_rows: tables floor_tp and floor_ot, the touchpoints and credit
    # rows the last refresh wrote (their xmin is its transaction, which also
    # wrote refresh_state), as SQL
    floor_rows() { echo "SET client_min_messages = warning; DROP TABLE IF EXISTS floor_tp, floor_ot;
            CREATE TABLE floor_tp AS SELECT t.* FROM touchpoint.touchpoints t
            WHERE t.xmin = (SELECT s.xmin FROM touchpoint_internal.refresh_state s);
            CREATE TABLE floor_ot AS SELECT t.* FROM touchpoint.opportunity_touchpoints t
            WHERE t.xmin = (SELECT s.xmin FROM touchpoint_internal.refresh_state s);
            ANALYZE floor_tp, floor_ot;"; }
    # rounds: an ETL batch, refresh() timed in a new session (as pg_cron runs
    # it); an empty batch, the same; another ETL batch refreshed in a session
    # that refreshed before (a loop or a pooled connection); a full rebuild
    rounds=$(for r in $(seq 1 "$REPS"); do
        etl_batch "$r" "0.$r" | "${PSQL[@]}" >/dev/null
        inc=$(ms "SELECT * FROM touchpoint.refresh()")
        floor_rows | "${PSQL[@]}" >/dev/null
        empty=$(ms "SELECT * FROM touchpoint.refresh()")
        # the same in a session that has refreshed before (as a loop or a pooled connection does)
        warm=$({ echo "SET touchpoint.quick_refresh = off; SELECT * FROM touchpoint.refresh(); RESET touchpoint.quick_refresh;"
                 echo '\timing on'; echo "SELECT * FROM touchpoint.refresh();"; } |
               "${PSQL[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}' | tail -1)
        # another batch, refreshed in a session that has refreshed one before
        # (the incremental procedure compiled, its catalog entries cached)
        warm_inc=$({ etl_batch "v$r" "0.7$r"; echo "SELECT * FROM touchpoint.refresh();"
                     etl_batch "w$r" "0.5$r"; echo '\timing on'; echo "SELECT * FROM touchpoint.refresh();"; } |
               "${PSQL[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}' | tail -1)
        full=$(ms "SELECT * FROM touchpoint.refresh(\"full\" => true)")
        # the floor: the rows the batch's refresh inserted (it deleted about
        # as many), deleted and inserted again alone in a new session, rolled back
        floor=$({ echo "BEGIN;"; echo '\timing on'
                  echo "DELETE FROM touchpoint.touchpoints t USING floor_tp f WHERE t.touchpoint_id = f.touchpoint_id;
                        INSERT INTO touchpoint.touchpoints SELECT * FROM floor_tp;
                        DELETE FROM touchpoint.opportunity_touchpoints t USING floor_ot f
                        WHERE t.opportunity_id = f.opportunity_id AND t.touchpoint_id = f.touchpoint_id;
                        INSERT INTO touchpoint.opportunity_touchpoints SELECT * FROM floor_ot;"
                  echo '\timing off'; echo "ROLLBACK;"; } |
                "${PSQL[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {s += $2} END {print s}')
        echo "$inc $empty $full $warm $warm_inc $floor"
    done)
    col() { echo "$rounds" | awk -v c="$1" '{print $c}' | median; }
    ratio() { echo "$rounds" | awk '{printf "%.5f\n", $1 / $3}' | median; }
    inc=$(col 1) empty=$(col 2) full=$(col 3) warm=$(col 4) warm_inc=$(col 5)
    floor=$(col 6)
    floor_ratio() { echo "$rounds" | awk '{printf "%.5f\n", $6 / $3}' | median; }
    floor_size=$("${PSQL[@]}" -At -c "SELECT (SELECT count(*) FROM floor_tp) || ' touchpoints and ' || (SELECT count(*) FROM floor_ot) || ' credit rows'")
    warm_ratio() { echo "$rounds" | awk '{printf "%.5f\n", $5 / $3}' | median; }
    what=$("${PSQL[@]}" -At -F ' ' -c "
        SELECT setseed(0.99);
        CREATE TEMP TABLE batch AS SELECT md5('visitor-' || v) AS bz, v FROM (SELECT DISTINCT floor(random() * $VISITORS)::int8 AS v FROM generate_series(1, $BATCH_IDS)) x;
        INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at) SELECT 'etl-x-' || v, bz, timestamptz '2026-04-01' FROM batch;
        SELECT mode, keys_recomputed, opportunities_recomputed, touchpoints_written FROM touchpoint.refresh()" | tail -1)
    row "what" "median ms" "x full" ""
    row "refresh(full => true), nothing changed" "$full" "1.000" ""
    row "refresh() after a batch of $BATCH_IDS visitors" "$inc" "$(ratio)" "(target: at most 0.02)"
    row "  another such batch, in a session that refreshed" "$warm_inc" "$(warm_ratio)" "(a loop or pooled connection)"
    row "  floor: its rows rewritten alone, new session" "$floor" "$(floor_ratio)" "($floor_size, the last round's)"
    row "refresh() after an empty batch, new session" "$empty" "-" "(target: under 10 ms)"
    row "refresh() after an empty batch, warm session" "$warm" "-" "(target: under 10 ms)"
    echo "  one such batch refreshed: mode, BizibleIds recomputed, opportunities, rows written: $what"
    SUMMARY+="$SESSIONS sessions: batch $inc ms ($(ratio) x full $full ms; in a session that refreshed: $warm_inc ms, $(warm_ratio) x; its rows rewritten alone: $floor ms, $(floor_ratio) x), empty $empty ms (warm session $warm ms)"$'\n'
done

# COPY with and without capture: a table shaped like touchpoint.sessions with
# its indexes, empty before each COPY (the dearest case for the triggers:
# nothing else slows the load), interleaved rounds, ratio per round
echo
echo "== COPY of $COPY_ROWS sessions, with the capture triggers against without"
"${PSQL[@]}" -c "
    CREATE TABLE copy_target (LIKE touchpoint.sessions INCLUDING ALL);
    SELECT touchpoint_internal.watch('sessions', 'copy_target');
    COPY (SELECT 'copy-' || k, md5('visitor-' || (k % ($COPY_ROWS / 4))), timestamptz '2026-04-01' + k * interval '1 second',
                 NULL, 'Paid Search', NULL, 'google', 'cpc', 'campaign', NULL, NULL, 'https://www.example.com/', NULL
          FROM generate_series(1, $COPY_ROWS) k) TO '$DIR/copy.data'" >/dev/null
copies=$(for r in $(seq 1 "$REPS"); do
    # alternate which goes first: a run's position in the round must not decide
    copy_on() {
        "${PSQL[@]}" -c "SELECT touchpoint_internal.watch('sessions', 'copy_target')" -c "TRUNCATE copy_target" \
            -c "DELETE FROM touchpoint_internal.changes" -c "CHECKPOINT" >/dev/null
        ms "COPY copy_target FROM '$DIR/copy.data'"; }
    copy_off() {
        "${PSQL[@]}" -c "ALTER TABLE copy_target DISABLE TRIGGER USER" -c "TRUNCATE copy_target" -c "CHECKPOINT" >/dev/null
        ms "COPY copy_target FROM '$DIR/copy.data'"; }
    if [ $((r % 2)) = 1 ]; then on=$(copy_on); off=$(copy_off); else off=$(copy_off); on=$(copy_on); fi
    echo "$on $off"
done)
con=$(echo "$copies" | awk '{print $1}' | median) coff=$(echo "$copies" | awk '{print $2}' | median)
cr=$(echo "$copies" | awk '{printf "%.4f\n", $1 / $2}' | median)
row "COPY, capture triggers on" "$con" "" ""
row "COPY, capture triggers off" "$coff" "" ""
echo "capture adds $(awk -v r="$cr" 'BEGIN {printf "%.1f", (r - 1) * 100}') % to the COPY (median of per-round ratios $cr; target: at most 15 %)"
rm -f "$DIR/copy.data"
echo
echo "== summary"
printf "%s" "$SUMMARY"
