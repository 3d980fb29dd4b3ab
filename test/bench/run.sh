#!/bin/bash
# touchpoint benchmark: merge_calls against the best plain-SQL formulations of
# the same result, and against the floor (reading the same columns once), on
# the same generated data in the same run.  Prints medians and ratios.
#
#   bash test/bench/run.sh [--sessions N] [--visitors N] [--tasks N] [--forms N] [--chats N] [--in-window F]
#                          [--reps N] [--sweep] [--no-plain] [--no-refresh] [--seed F] [--keep] [--hugepages]
#                          [--shared-huge-pages]
#
#   --sweep     also time every tasks:sessions ratio from 1:10000 to 1:2
#   --no-plain  skip the plain-SQL formulations (for very large runs)
#   --no-refresh  skip refresh() (for very large runs); otherwise --forms form fills
#               and --chats chats are added and a full refresh() is timed against
#               merge_calls over the same events, with its share per stage
#   --hugepages the server's malloc asks for transparent huge pages
#               (GLIBC_TUNABLES=glibc.malloc.hugetlb=1; docs/performance.md)
#   --shared-huge-pages  the server's shared memory in huge pages (huge_pages = on;
#               reserves vm.nr_hugepages as root, test/scripts/huge_pages.sh);
#               without it huge_pages = off, whatever the machine has reserved
# Uses its own throwaway cluster (port 54340, shared_buffers=$TP_BENCH_SHARED_BUFFERS,
# default 4GB; otherwise default settings) and stops it at the end unless --keep.
# Needs only PostgreSQL's own tools (psql), bash and awk.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SESSIONS=2000000 VISITORS=500000 TASKS=200000 FORMS=100000 CHATS=50000 IN_WINDOW=0.8 REPS=5 SEED=0.42
SWEEP=0 PLAIN=1 REFRESH=1 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --sessions) SESSIONS=$2; shift 2 ;;
        --visitors) VISITORS=$2; shift 2 ;;
        --tasks) TASKS=$2; shift 2 ;;
        --forms) FORMS=$2; shift 2 ;;
        --chats) CHATS=$2; shift 2 ;;
        --in-window) IN_WINDOW=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --sweep) SWEEP=1; shift ;;
        --no-plain) PLAIN=0; shift ;;
        --no-refresh) REFRESH=0; shift ;;
        --keep) KEEP=1; shift ;;
        --hugepages) export TP_GLIBC_TUNABLES=glibc.malloc.hugetlb=1; shift ;;
        --shared-huge-pages) export TP_HUGE_PAGES=on; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

bash test/scripts/deps.sh >/dev/null
make -s >/dev/null && make -s install >/dev/null

DIR=${TP_BENCH_DIR:-/tmp/touchpoint-bench}
if [ ! -f "$DIR/data/PG_VERSION" ]; then
    bash test/scripts/cluster.sh start "$DIR" ${TP_BENCH_PORT:-54340} >/dev/null
    bash test/scripts/cluster.sh stop "$DIR"
    echo "shared_buffers = '${TP_BENCH_SHARED_BUFFERS:-4GB}'" >>"$DIR/data/postgresql.conf"
fi
bash test/scripts/cluster.sh stop "$DIR"    # a cluster left running by --keep
export TP_HUGE_PAGES=${TP_HUGE_PAGES:-off}
[ "$TP_HUGE_PAGES" = off ] || bash test/scripts/huge_pages.sh "${TP_BENCH_SHARED_BUFFERS:-4GB}"
eval "$(bash test/scripts/cluster.sh start "$DIR" ${TP_BENCH_PORT:-54340})"
[ $KEEP = 1 ] || trap 'bash "$ROOT/test/scripts/cluster.sh" stop "$DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d touchpoint_bench)
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS touchpoint_bench" -c "CREATE DATABASE touchpoint_bench"
"${PSQL[@]}" -c "CREATE EXTENSION touchpoint"

echo "touchpoint benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), shared_buffers $(psql -X -At -d postgres -c 'SHOW shared_buffers'), other settings default; huge_pages $(psql -X -At -d postgres -c 'SHOW huge_pages'), server GLIBC_TUNABLES: ${TP_GLIBC_TUNABLES:-none} (transparent huge pages: $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown))"
echo "data: $SESSIONS sessions, $VISITORS visitors, $TASKS tasks, $IN_WINDOW of calls in a session's window, seed $SEED"

generate() {   # generate SESSIONS TASKS [only_tasks]
    local extra=()
    [ -n "${3:-}" ] && extra=(-v only_tasks=1)
    "${PSQL[@]}" -v sessions="$1" -v visitors="$VISITORS" -v tasks="$2" -v in_window="$IN_WINDOW" \
        -v seed="$SEED" "${extra[@]}" -f test/bench/generate.sql
    # write the new data out now, not during the next timings (whichever ran first paid for it),
    # and vacuumed as autovacuum leaves an insert-only table (hint bits, visibility map)
    "${PSQL[@]}" -c "VACUUM ANALYZE" -c "CHECKPOINT"
}
start=$(date +%s)
generate "$SESSIONS" "$TASKS"
# the plain-SQL formulations get the index a careful user would build
"${PSQL[@]}" -c "CREATE INDEX bench_sessions_norm ON touchpoint.sessions (lower(btrim(bizible_id)), started_at)" \
             -c "ANALYZE touchpoint.sessions"
echo "generated in $(( $(date +%s) - start )) s"
echo

# The plain-SQL formulations, each producing merge_calls' rows.
read -r -d '' TASKS_CTE <<'SQL' || true
WITH t AS (SELECT task_id, lower(btrim(bizible_id)) AS k, NULLIF(btrim(type), '') AS ty,
                  person_id, phone, subject, occurred_at
           FROM touchpoint.tasks
           WHERE NOT is_deleted AND NULLIF(lower(btrim(bizible_id)), '') IS NOT NULL)
SQL
COLS="t.task_id, t.k AS bizible_id, t.person_id, s.session_id,
       COALESCE(t.ty, CASE WHEN s.session_id IS NOT NULL THEN 'Web Visit' ELSE 'Phone Call' END) AS touchpoint_type,
       COALESCE(t.ty, CASE WHEN s.session_id IS NOT NULL THEN s.medium ELSE 'Phone Call' END) AS medium,
       t.occurred_at AS touchpoint_date, s.started_at AS session_started_at, s.channel, s.subchannel,
       s.source, s.campaign, s.ad_content, s.keyword, s.landing_page, s.referrer_page, t.phone, t.subject"
JOIN_ON="lower(btrim(s.bizible_id)) = t.k AND s.started_at <= t.occurred_at
         AND s.started_at > t.occurred_at - interval '30 minutes'"
declare -A QUERY
QUERY[merge_calls]="SELECT * FROM touchpoint.merge_calls()"
QUERY[plain_lateral]="$TASKS_CTE SELECT $COLS FROM t LEFT JOIN LATERAL (
    SELECT * FROM touchpoint.sessions s WHERE $JOIN_ON
    ORDER BY s.started_at DESC, s.session_id COLLATE \"C\" LIMIT 1) s ON true"
QUERY[plain_distinct_on]="$TASKS_CTE SELECT DISTINCT ON (t.task_id) $COLS FROM t
    LEFT JOIN touchpoint.sessions s ON $JOIN_ON
    ORDER BY t.task_id, s.started_at DESC NULLS LAST, s.session_id COLLATE \"C\""
QUERY[plain_window]="$TASKS_CTE SELECT task_id, bizible_id, person_id, session_id, touchpoint_type, medium,
    touchpoint_date, session_started_at, channel, subchannel, source, campaign, ad_content, keyword,
    landing_page, referrer_page, phone, subject
    FROM (SELECT $COLS, row_number() OVER (PARTITION BY t.task_id
                 ORDER BY s.started_at DESC NULLS LAST, s.session_id COLLATE \"C\") AS rn
          FROM t LEFT JOIN touchpoint.sessions s ON $JOIN_ON) x WHERE rn = 1"
FLOOR="SELECT (SELECT count(*) FROM touchpoint.sessions s WHERE num_nonnulls(s.session_id, s.bizible_id,
    s.started_at, s.last_activity_at, s.channel, s.subchannel, s.source, s.medium, s.campaign,
    s.ad_content, s.keyword, s.landing_page, s.referrer_page) >= 0)
  + (SELECT count(*) FROM touchpoint.tasks t WHERE num_nonnulls(t.task_id, t.bizible_id, t.type,
    t.subject, t.phone, t.person_id, t.occurred_at, t.is_deleted) >= 0)"

# median_ms REPS SQL: run SQL REPS times in one session (after one warm-up), median in ms
median_ms() {
    local reps=$1 sql=$2 out
    out=$( { echo '\timing on'; for _ in $(seq 0 "$reps"); do echo "$sql;"; done; } |
           "${PSQL[@]}" -o /dev/null 2>&1 | awk '/^Time:/ {print $2}' | tail -n +2 | sort -n)
    echo "$out" | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
# first_and_second_ms SQL: SQL run twice in one fresh session: both times in ms
first_and_second_ms() {
    { echo '\timing on'; echo "$1;"; echo "$1;"; } | "${PSQL[@]}" -o /dev/null 2>&1 |
        awk '/^Time:/ {printf "%s ", $2} END {print ""}'
}
count_of() { "${PSQL[@]}" -At -c "SELECT count(*) FROM ($1) x"; }
same_rows() {   # same_rows SQL: does it give exactly merge_calls' rows?
    "${PSQL[@]}" -At -c "SELECT count(*) = 0 FROM ((SELECT * FROM touchpoint.merge_calls() EXCEPT ALL SELECT * FROM ($1) a)
        UNION ALL (SELECT * FROM ($1) b EXCEPT ALL SELECT * FROM touchpoint.merge_calls())) d" |
        sed 's/^t$/yes/; s/^f$/NO/'
}
row() { printf "%-34s %12s %10s %10s %s\n" "$@"; }

# peak anonymous memory of the backend that runs SQL (RssAnon, polled every 20 ms)
peak_memory_mb() {
    local sql=$1 pid peak=0 rss
    "${PSQL[@]}" -v ON_ERROR_STOP=1 -c "SET application_name = 'tp_bench_mem'" -c "SELECT pg_sleep(0.5)" \
        -c "SELECT count(*) FROM ($sql) x" >/dev/null &
    local client=$!
    # the client sleeps 0.5 s before its query; on a busy machine it may take
    # longer to connect: wait for it up to 30 s
    for _ in $(seq 1 1500); do
        pid=$(psql -X -At -d touchpoint_bench -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'tp_bench_mem'" || true)
        [ -n "$pid" ] && break
        kill -0 $client 2>/dev/null || break
        sleep 0.02
    done
    while kill -0 $client 2>/dev/null; do
        rss=$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$peak" ] && peak=$rss
        sleep 0.02
    done
    wait $client
    echo "$peak" | awk '{printf "%.1f", $1/1024}'
}

echo "== merge_calls and the plain-SQL formulations (median of $REPS runs, output consumed by count(*))"
row "query" "rows" "median ms" "x merge" "same rows as merge_calls"
m=$(median_ms "$REPS" "SELECT count(*) FROM (${QUERY[merge_calls]}) x")
row merge_calls "$(count_of "${QUERY[merge_calls]}")" "$m" "1.00" "-"
best_plain=""
if [ $PLAIN = 1 ]; then
    for q in plain_lateral plain_distinct_on plain_window; do
        t=$(median_ms "$REPS" "SELECT count(*) FROM (${QUERY[$q]}) x")
        row "$q" "$(count_of "${QUERY[$q]}")" "$t" "$(awk -v a="$t" -v b="$m" 'BEGIN {printf "%.2f", a/b}')" "$(same_rows "${QUERY[$q]}")"
        if [ -z "$best_plain" ] || awk -v a="$t" -v b="$best_plain" 'BEGIN {exit !(a < b)}'; then best_plain=$t; fi
    done
fi
f=$(median_ms "$REPS" "$FLOOR")
row "floor: read the same columns" "-" "$f" "$(awk -v a="$f" -v b="$m" 'BEGIN {printf "%.2f", a/b}')" "-"
f1=$(median_ms "$REPS" "SET max_parallel_workers_per_gather = 0; $FLOOR")
row "floor, one process" "-" "$f1" "$(awk -v a="$f1" -v b="$m" 'BEGIN {printf "%.2f", a/b}')" "-"
echo
[ -n "$best_plain" ] && echo "merge_calls is $(awk -v a="$best_plain" -v b="$m" 'BEGIN {printf "%.2f", a/b}')x faster than the fastest plain-SQL formulation"
echo "merge_calls takes $(awk -v a="$m" -v b="$f" 'BEGIN {printf "%.2f", a/b}')x the floor ($(awk -v a="$m" -v b="$f1" 'BEGIN {printf "%.2f", a/b}')x the one-process floor)"
echo

task=$("${PSQL[@]}" -At -c "SELECT task_id FROM touchpoint.tasks ORDER BY task_id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM touchpoint.tasks)")
e=$(median_ms 21 "SELECT * FROM touchpoint.explain_call('$task')")
echo "explain_call('$task'): median $e ms over 21 runs"
echo "peak memory of the backend during merge_calls: $(peak_memory_mb "${QUERY[merge_calls]}") MB anonymous (RssAnon); idle backend: $(peak_memory_mb "SELECT 1") MB"
if [ $REFRESH = 1 ]; then
    # The pipeline (docs/pipeline.md) also places form fills and chats: add
    # $FORMS form fills and $CHATS chats in visitors' sessions (a third naming
    # their session_id, the rest placed by the window rule), then time a full
    # refresh() against the one merge_calls pass over the same events.
    "${PSQL[@]}" -c "SELECT setseed($SEED)" -c "
        INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url)
        SELECT 'form-' || s.session_id, s.bizible_id, CASE WHEN random() < 0.33 THEN s.session_id END,
               s.started_at + interval '4 minutes', 'https://www.example.com/demo'
        FROM touchpoint.sessions s WHERE random() < $FORMS::float8 / $SESSIONS;
        INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at)
        SELECT 'chat-' || s.session_id, s.bizible_id, CASE WHEN random() < 0.33 THEN s.session_id END,
               s.started_at + interval '7 minutes'
        FROM touchpoint.sessions s WHERE random() < $CHATS::float8 / $SESSIONS;
        -- stage 3's inputs: the calls' persons in pairs per account, one or
        -- two opportunities per account created over the sessions' 90 days,
        -- amounts with 2 decimals, a third open, the rest closed 10-29 days
        -- later (half of those won)
        INSERT INTO touchpoint.people (person_id, account_id)
        SELECT p.person_id, 'acct-' || (row_number() OVER (ORDER BY p.person_id) / 2)
        FROM (SELECT DISTINCT t.person_id FROM touchpoint.tasks t WHERE t.person_id IS NOT NULL) p;
        INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
        SELECT 'opp-' || a.account_id || '-' || k, a.account_id, round((1000 + random() * 99000)::numeric, 2),
               timestamptz '2026-01-01' + random() * interval '90 days' AS created_at,
               CASE WHEN random() >= 0.33 THEN timestamptz '2026-01-01' + random() * interval '90 days' + (10 + random() * 19) * interval '1 day' END,
               random() < 0.5
        FROM (SELECT DISTINCT account_id FROM touchpoint.people) a
        CROSS JOIN LATERAL generate_series(1, 1 + (abs(hashtext(a.account_id)) % 2)) k;
        UPDATE touchpoint.opportunities SET is_won = NULL WHERE closed_at IS NULL;
        ANALYZE;" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    events=$("${PSQL[@]}" -At -c "SELECT (SELECT count(*) FROM touchpoint.tasks) || ' calls, ' || (SELECT count(*) FROM touchpoint.form_submits) || ' form fills, ' || (SELECT count(*) FROM touchpoint.chats) || ' chats; ' || (SELECT count(*) FROM touchpoint.people) || ' people, ' || (SELECT count(*) FROM touchpoint.opportunities) || ' opportunities'")
    echo
    echo "== refresh() (full rebuild of the pipeline) against merge_calls, $events"
    MERGE_EVENTS="SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.conversion_events')"
    PIPE_ARGS="touchpoint_internal.source('sessions'), 'touchpoint_internal.pipeline_events', 'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL"
    REFRESH_SQL="SELECT round(extract(epoch FROM duration) * 1000), round(extract(epoch FROM touchpoints_duration) * 1000),
                        round(extract(epoch FROM credits_duration) * 1000), touchpoints, opportunity_touchpoints,
                        touchpoints_written FROM touchpoint.refresh(\"full\" => true)"
    r1=$("${PSQL[@]}" -At -c "SELECT round(extract(epoch FROM duration) * 1000) FROM touchpoint.refresh(\"full\" => true)")
    # Interleaved rounds, ratios per round.  Each times merge_calls; a
    # refresh with nothing changed over compact tables; a refresh after
    # every stored touchpoint was made different (an untimed
    # UPDATE and VACUUM: the refresh then deletes and inserts them all, as
    # after a change of the window or the channel rules); and, after an
    # untimed VACUUM, a refresh with nothing changed since (it computes
    # everything and writes nothing, reading tables that rewrite left at
    # twice their size).
    rounds=$(for _ in $(seq 1 "$REPS"); do
        # compact tables (untimed VACUUM FULL), as a table that was never
        # rewritten whole is: a refresh with nothing changed reads them once each
        "${PSQL[@]}" -c "VACUUM FULL touchpoint.touchpoints, touchpoint.opportunity_touchpoints" \
                     -c "VACUUM ANALYZE touchpoint.touchpoints, touchpoint.opportunity_touchpoints" -c "CHECKPOINT"
        # each side twice in a fresh session: the first run pays for the
        # backend's fresh memory (page faults), the second reuses it
        read -r m1 m2 < <(first_and_second_ms "SELECT count(*) FROM ($MERGE_EVENTS) x")
        { read -r ct _ _ _ _ cw; read -r ct2 _; } < <("${PSQL[@]}" -At -F ' ' -c "$REFRESH_SQL" -c "$REFRESH_SQL")
        "${PSQL[@]}" -c "UPDATE touchpoint.touchpoints SET session_conversions = -1" \
                     -c "VACUUM touchpoint.touchpoints, touchpoint.opportunity_touchpoints" -c "CHECKPOINT"
        read -r rt rj rc nt no nw < <("${PSQL[@]}" -At -F ' ' -c "$REFRESH_SQL")
        # the dead rows it left vacuumed (untimed), as autovacuum would:
        # otherwise autovacuum runs during the next timings, at random; and
        # each untimed step's writes checkpointed, not flushed during a timing
        "${PSQL[@]}" -c "VACUUM touchpoint.touchpoints, touchpoint.opportunity_touchpoints" -c "CHECKPOINT"
        read -r bt bj _ _ _ bw < <("${PSQL[@]}" -At -F ' ' -c "$REFRESH_SQL")
        echo "$m1 $rt $rj $rc $nt $no $bt $nw $bw $ct $cw $m2 $ct2"
    done)
    med() { echo "$rounds" | awk -v c="$1" '{print $c}' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
    # ratio_med C [D]: median over the rounds of column C / column D (default 1:
    # merge_calls' first run in its session)
    ratio_med() { echo "$rounds" | awk -v c="$1" -v d="${2:-1}" '{printf "%.4f\n", $c / $d}' | sort -n | awk '{a[NR]=$1} END {printf "%.2f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
    me=$(med 1); rt=$(med 2); rj=$(med 3); rc=$(med 4); nt=$(med 5); no=$(med 6); bt=$(med 7); nw=$(med 8); bw=$(med 9)
    ct=$(med 10); cw=$(med 11); m2=$(med 12); ct2=$(med 13)
    # the C pass without writing, and stage 1 alone
    pc=$(median_ms "$REPS" "SELECT count(*) FROM touchpoint_internal.pipeline_touchpoints($PIPE_ARGS)")
    p1=$(median_ms "$REPS" "SELECT count(*) FROM touchpoint.placements")
    np=$(count_of "SELECT * FROM touchpoint.placements")
    pct() { awk -v a="$1" -v b="$rt" 'BEGIN {printf "%.0f%%", 100 * a / b}'; }
    x() { awk -v a="$1" -v b="$m2" 'BEGIN {printf "%.2f", a/b}'; }
    row "merge_calls over every event" "$(count_of "$MERGE_EVENTS")" "$me" "1.00" "first run in a fresh session"
    row "  again in that session" "-" "$m2" "1.00" "second run: the ratios below marked 'warm' are against it"
    row "refresh(), nothing changed" "$nt" "$ct" "$(ratio_med 10)" "$cw rows written; compact tables; first run in a session"
    row "  again in that session (warm)" "$nt" "$ct2" "$(ratio_med 13 12)" "against merge_calls' second run"
    row "refresh(), every row changed" "$nt" "$rt" "$(ratio_med 2)" "$nw rows written; first run (empty table) $r1 ms"
    row "  stages 1+2: C pass + write" "$nt" "$rj" "$(ratio_med 3)" "$(pct "$rj") of refresh"
    row "  stage 3 credit" "$no" "$rc" "$(ratio_med 4)" "$(pct "$rc") of refresh"
    row "refresh(), nothing changed" "$nt" "$bt" "$(ratio_med 7)" "$bw rows written; just after every row was rewritten"
    row "stages 1+2 computed, not written" "$nt" "$pc" "$(x "$pc")" "pipeline_touchpoints() alone; warm"
    row "stage 1 alone (placements view)" "$np" "$p1" "$(x "$p1")" "pipeline_placements() alone; warm"
    echo "refresh() takes $(ratio_med 10)x merge_calls over the same events when nothing changed, both first in a fresh session ($(ratio_med 13 12)x both second; $(ratio_med 7)x just after a rewrite of every row), $(ratio_med 2)x when every row changed (target: at most 3x)"
    echo "peak memory of the backend during refresh(): $(peak_memory_mb "SELECT * FROM touchpoint.refresh(\"full\" => true)") MB anonymous (RssAnon)"
    "${PSQL[@]}" -c "CHECKPOINT"
fi

if [ $SWEEP = 1 ]; then
    echo
    echo "== every tasks:sessions ratio (median of 3 runs, of 15 where a run takes milliseconds; ms)"
    printf "%-10s %9s %12s %12s %12s %12s %9s\n" ratio tasks merge_calls lateral distinct_on window "best/merge"
    for div in 10000 1000 100 10 2; do
        n=$(( SESSIONS / div ))
        generate "$SESSIONS" "$n" only_tasks
        reps=3
        [ "$div" -ge 1000 ] && reps=15    # short runs: more of them, or the noise decides
        mm=$(median_ms $reps "SELECT count(*) FROM (${QUERY[merge_calls]}) x")
        best=""; cells=()
        for q in plain_lateral plain_distinct_on plain_window; do
            t=$(median_ms $reps "SELECT count(*) FROM (${QUERY[$q]}) x")
            cells+=("$t")
            if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$t; fi
        done
        printf "%-10s %9s %12s %12s %12s %12s %9s\n" "1:$div" "$n" "$mm" "${cells[0]}" "${cells[1]}" "${cells[2]}" \
            "$(awk -v a="$best" -v b="$mm" 'BEGIN {printf "%.2f", a/b}')"
    done
fi
