#!/bin/bash
# touchpoint demo: build and install the extension, start a throwaway
# PostgreSQL cluster, load a generated call-tracking data set and show what
# touchpoint makes of it.  The cluster is left running for you to explore.
#
#   bash test/demo.sh          build, (re)start, load and show   (re-runnable)
#   bash test/demo.sh stop     stop the demo cluster
#
# Run it as root on Debian 12 with the PostgreSQL 15 server installed; it
# installs what else it needs (test/scripts/deps.sh).  Environment:
#   TOUCHPOINT_DEMO_DIR   where the cluster lives (default /tmp/touchpoint-demo)
set -euo pipefail
SELF=$0
cd "$(dirname "$0")/.."

DIR=${TOUCHPOINT_DEMO_DIR:-/tmp/touchpoint-demo}
PORT=54331
DB=touchpoint_demo
TZ_DEMO=America/Los_Angeles

case "${1:-}" in
"") ;;
stop)
    if [ -f "$DIR/data/postmaster.pid" ]; then
        bash test/scripts/cluster.sh stop "$DIR"
        echo "touchpoint demo: cluster in $DIR stopped (remove the directory to delete it)"
    else
        echo "touchpoint demo: no cluster is running in $DIR"
    fi
    exit 0
    ;;
-h|--help|help)
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
*)
    echo "usage: bash test/demo.sh [stop]" >&2
    exit 2
    ;;
esac

step() { printf '\n>> %s\n' "$*"; }
fail() { echo "touchpoint demo: $*" >&2; exit 1; }

echo "touchpoint demo — call-tracking tasks merged with web sessions, inside PostgreSQL"

step "1/4 dependencies (test/scripts/deps.sh)"
bash test/scripts/deps.sh

step "2/4 build and install (make && make install)"
BUILD_LOG=$(mktemp /tmp/touchpoint-demo-build.XXXXXX)
if ! { make -s && make -s install; } >"$BUILD_LOG" 2>&1; then
    cat "$BUILD_LOG" >&2
    rm -f "$BUILD_LOG"
    fail "the build failed (output above)"
fi
rm -f "$BUILD_LOG"
echo "installed touchpoint into $(pg_config --pkglibdir) and $(pg_config --sharedir)/extension"

step "3/4 demo cluster in $DIR, port $PORT"
BIN=$(pg_config --bindir)
if "$BIN/pg_isready" -q -h "$DIR" -p "$PORT" 2>/dev/null; then
    echo "already running: reusing it"
else
    eval "$(bash test/scripts/cluster.sh start "$DIR" "$PORT")"
    echo "started (server log: $DIR/server.log)"
fi
export PGHOST=$DIR PGPORT=$PORT PGUSER=postgres
"$BIN/pg_isready" -q || fail "the server in $DIR does not answer on port $PORT (see $DIR/server.log)"
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)

step "4/4 database $DB: created afresh, CREATE EXTENSION touchpoint, test/data/demo_data.sql"
"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "ALTER DATABASE $DB SET timezone = '$TZ_DEMO'"
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION touchpoint"
start=$(date +%s%N)
"${PSQL[@]}" -d "$DB" -f test/data/demo_data.sql >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
printf 'demo data loaded in %d.%d s\n' $((ms / 1000)) $((ms % 1000 / 100))

"${PSQL[@]}" -d "$DB" -P footer=off <<'SQL'
\echo
\echo '================================================================================'
\echo ' 1. The data: web sessions (touchpoint.sessions) and call tasks (touchpoint.tasks)'
\echo '    Times are shown in America/Los_Angeles (the demo database''s time zone).'
\echo '================================================================================'
SELECT 'web sessions' AS "table", count(*) AS rows,
       count(DISTINCT touchpoint.bizible_key(bizible_id)) AS "BizibleIds",
       min(started_at)::date AS "from", max(started_at)::date AS "to"
FROM touchpoint.sessions
UNION ALL
SELECT 'call tasks', count(*), count(DISTINCT touchpoint.bizible_key(bizible_id)),
       min(occurred_at)::date, max(occurred_at)::date
FROM touchpoint.tasks;
\echo 'The call tasks, as CRM data really is:'
SELECT count(*) FILTER (WHERE touchpoint.bizible_key(bizible_id) IS NULL) AS "no BizibleId",
       count(*) FILTER (WHERE bizible_id <> touchpoint.bizible_key(bizible_id))
           AS "BizibleId upper-case/padded",
       count(*) FILTER (WHERE nullif(btrim(type), '') IS NULL) AS "blank type",
       count(*) FILTER (WHERE is_deleted) AS deleted,
       string_agg(DISTINCT btrim(type), ', ') FILTER (WHERE btrim(type) <> '') AS types
FROM touchpoint.tasks;

\echo
\echo '================================================================================'
\echo ' 2. What happened to each call'
\echo '    SELECT status, count(*) FROM touchpoint.explain_calls() GROUP BY status'
\echo '================================================================================'
SELECT e.status, count(*) AS calls,
       to_char(100.0 * count(*) / sum(count(*)) OVER (), 'FM990.0') || ' %' AS share,
       min(m.meaning) AS meaning
FROM touchpoint.explain_calls() e
LEFT JOIN (VALUES
    (1, 'merged',         'a session of its BizibleId started less than 30 min before'),
    (2, 'outside_window', 'its BizibleId has sessions, none in the 30 min before'),
    (3, 'no_sessions',    'no web session carries its BizibleId'),
    (4, 'no_bizible_id',  'the vendor did not fill the BizibleId: no touchpoint'),
    (5, 'deleted',        'deleted in the CRM: no touchpoint')) m(ord, status, meaning)
  ON m.status = e.status
GROUP BY e.status
ORDER BY min(m.ord), e.status;

\echo
\echo '================================================================================'
\echo ' 3. Phone-call touchpoints by channel'
\echo '    SELECT channel, count(*) FROM touchpoint.merge_calls() GROUP BY channel'
\echo '    A merged call takes its web session''s channel; a call with a BizibleId'
\echo '    but no covering session is a touchpoint without web data (Offline).'
\echo '================================================================================'
SELECT CASE WHEN session_id IS NULL THEN 'Offline (no web session)'
            ELSE coalesce(channel, '(channel not set)') END AS channel,
       count(*) AS touchpoints,
       to_char(100.0 * count(*) / sum(count(*)) OVER (), 'FM990.0') || ' %' AS share,
       count(*) FILTER (WHERE touchpoint_type = 'Web Visit') AS "Web Visit (blank type)",
       mode() WITHIN GROUP (ORDER BY campaign) AS "top campaign"
FROM touchpoint.merge_calls()
GROUP BY 1
ORDER BY min(session_id) IS NULL, count(*) DESC;

\echo
\echo '================================================================================'
\echo ' 4. Why? One call of each status, from touchpoint.explain_calls()'
\echo '    DEMO01 is the documentation''s example: ad click at 12:17, call at 13:05.'
\echo '================================================================================'
\pset format unaligned
\pset tuples_only on
SELECT rtrim(format('%s  %-14s  type %-14s  %s', e.task_id, e.status,
                    coalesce(quote_literal(t.type), 'NULL'), 'gap ' || e.gap)) || E'\n' ||
       rtrim(regexp_replace(e.detail, '(.{1,76})( |$)', E'    \\1\n', 'g'), E'\n')
FROM touchpoint.explain_calls() e
JOIN touchpoint.tasks t USING (task_id)
WHERE e.task_id IN ('00T5e0000DEMO01EAS', '00T5e0000DEMO02EAS', '00T5e0000DEMO04EAS',
                    '00T5e0000DEMO05EAS', '00T5e0000DEMO06EAS', '00T5e0000DEMO07EAS')
ORDER BY e.task_id;
\pset format aligned
\pset tuples_only off

\echo
\echo '================================================================================'
\echo ' 5. One call, looked up by its id (uses the primary key):'
\echo '    SELECT * FROM touchpoint.explain_call(''00T5e0000DEMO03EAS'');'
\echo '    Its BizibleId is upper-case and padded, and its type is blank.'
\echo '================================================================================'
\x on
SELECT * FROM touchpoint.explain_call('00T5e0000DEMO03EAS');
\x off
\echo 'and the touchpoint it makes, from touchpoint.merge_calls():'
SELECT quote_literal(t.bizible_id) AS "bizible_id as loaded", m.bizible_id AS "normalised",
       m.touchpoint_type, m.medium, m.channel, m.campaign
FROM touchpoint.merge_calls() m JOIN touchpoint.tasks t USING (task_id)
WHERE task_id = '00T5e0000DEMO03EAS';
SQL

STOP="bash $SELF stop"
[ -n "${TOUCHPOINT_DEMO_DIR:-}" ] && STOP="TOUCHPOINT_DEMO_DIR=$DIR $STOP"
cat <<EOF

================================================================================
 The demo cluster is still running.  Connect with:

   PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER psql -d $DB

 and try:

   SELECT * FROM touchpoint.explain_call('00T5e0000DEMO01EAS');
   SELECT task_id, gap, detail FROM touchpoint.explain_calls()   -- near misses
    WHERE status = 'outside_window' AND gap > '0' ORDER BY gap LIMIT 5;
   SELECT channel, campaign, count(*) AS calls FROM touchpoint.merge_calls()
    WHERE campaign IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC;  -- campaigns that ring
   SET touchpoint.session_window = '1h';            -- or: SET touchpoint.window_anchor
                                                    --     = 'last_activity';
   SELECT status, count(*) FROM touchpoint.explain_calls() GROUP BY 1;

 Stop it with:   $STOP
            (or: bash test/scripts/cluster.sh stop $DIR)
================================================================================
EOF
