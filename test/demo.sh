#!/bin/bash
# touchpoint demo: build and install the extension, start a throwaway
# PostgreSQL cluster, load a generated call-tracking data set (web sessions,
# call tasks, form fills, chats, people, opportunities, channel rules) and
# show what touchpoint makes of it: the calls merged with web sessions, the
# touchpoints and buyer's journeys, and the revenue credited to each channel.
# The cluster is left running for you to explore, reachable over TCP on
# localhost (for BI tools) and through its socket directory.
#
#   bash test/demo.sh          build, (re)start, load and show   (re-runnable)
#   bash test/demo.sh stop     stop the demo cluster
#   bash test/demo.sh --help   this text
#
# Run it as root on Debian 12 with the PostgreSQL 15 server installed; it
# installs what else it needs to build (test/scripts/deps.sh demo: the server
# headers and pg_cron; not the compilers only the tests need).  Environment:
#   TOUCHPOINT_DEMO_DIR    where the cluster lives (default /tmp/touchpoint-demo)
#   TOUCHPOINT_DEMO_PORT   its port, on localhost and the socket (default 54331)
#   TOUCHPOINT_DEMO_BUILD  0: skip the dependency and build steps and use the
#                          touchpoint already installed (default 1)
set -euo pipefail
SELF=$0
cd "$(dirname "$0")/.."
ROOT=$PWD

DIR=${TOUCHPOINT_DEMO_DIR:-/tmp/touchpoint-demo}
PORT=${TOUCHPOINT_DEMO_PORT:-54331}
DB=touchpoint_demo
TZ_DEMO=America/Los_Angeles

# The server runs as postgres, which may not be able to enter this clone (a
# mode-700 directory of root's): cluster commands run from /.
cluster() { (cd / && bash "$ROOT/test/scripts/cluster.sh" "$@"); }

case "${1:-}" in
"") ;;
stop)
    if [ -f "$DIR/data/postmaster.pid" ]; then
        cluster stop "$DIR"
        echo "touchpoint demo: cluster in $DIR stopped (remove the directory to delete it)"
    else
        echo "touchpoint demo: no cluster is running in $DIR"
    fi
    exit 0
    ;;
-h|--help|help)
    # the comment block at the top of this file, whole
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
    exit 0
    ;;
*)
    echo "usage: bash test/demo.sh [stop | --help]" >&2
    exit 2
    ;;
esac

step() { printf '\n>> %s\n' "$*"; }
fail() { echo "touchpoint demo: $*" >&2; exit 1; }

echo "touchpoint demo — call-tracking tasks merged with web sessions, inside PostgreSQL"

step "1/4 dependencies (test/scripts/deps.sh demo)"
if [ "${TOUCHPOINT_DEMO_BUILD:-1}" = 0 ]; then
    echo "skipped (TOUCHPOINT_DEMO_BUILD=0)"
else
    bash test/scripts/deps.sh demo
fi

step "2/4 build and install (make && make install)"
if [ "${TOUCHPOINT_DEMO_BUILD:-1}" = 0 ]; then
    echo "skipped (TOUCHPOINT_DEMO_BUILD=0): using the touchpoint installed in $(pg_config --sharedir)/extension"
else
    BUILD_LOG=$(mktemp /tmp/touchpoint-demo-build.XXXXXX)
    if ! { make -s && make -s install; } >"$BUILD_LOG" 2>&1; then
        cat "$BUILD_LOG" >&2
        rm -f "$BUILD_LOG"
        fail "the build failed (output above)"
    fi
    rm -f "$BUILD_LOG"
    echo "installed touchpoint into $(pg_config --pkglibdir) and $(pg_config --sharedir)/extension"
fi

step "3/4 demo cluster in $DIR, port $PORT (localhost and socket)"
BIN=$(pg_config --bindir)
export PGHOST=$DIR PGPORT=$PORT PGUSER=postgres
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
if "$BIN/pg_isready" -q -d postgres 2>/dev/null; then
    echo "already running: reusing it"
else
    cluster start "$DIR" "$PORT" >/dev/null ||
        fail "the server did not start (see $DIR/server.log; another server on port $PORT? set TOUCHPOINT_DEMO_PORT)"
    echo "started (server log: $DIR/server.log)"
fi
"$BIN/pg_isready" -q -d postgres ||
    fail "the server in $DIR does not answer on port $PORT (see $DIR/server.log)"
if [ -z "$("${PSQL[@]}" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" \
        -c "ALTER DATABASE $DB SET timezone = '$TZ_DEMO'"
fi
# BI tools connect over TCP on localhost (initdb -A trust trusts loopback
# only), and pg_cron runs its jobs in the demo database, so that
# touchpoint.schedule_refresh() works there.  Both need a restart, once.
if [ "$("${PSQL[@]}" -d postgres -Atc "SELECT current_setting('listen_addresses') || ' ' ||
        current_setting('cron.database_name')")" != "localhost $DB" ]; then
    "${PSQL[@]}" -d postgres -c "ALTER SYSTEM SET listen_addresses = 'localhost'" \
        -c "ALTER SYSTEM SET cron.database_name = '$DB'"
    cluster stop "$DIR"
    cluster start "$DIR" "$PORT" >/dev/null ||
        fail "the server did not restart (see $DIR/server.log; another server on port $PORT of localhost? set TOUCHPOINT_DEMO_PORT)"
    echo "listening on localhost:$PORT, pg_cron in database $DB (restarted)"
fi
"$BIN/pg_isready" -q -h localhost -d postgres ||
    fail "the server in $DIR does not answer on localhost:$PORT (see $DIR/server.log)"

step "4/4 database $DB: CREATE EXTENSION touchpoint (afresh), test/data/demo_data.sql"
"${PSQL[@]}" -d "$DB" -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION IF NOT EXISTS pg_cron" \
    -c "DROP EXTENSION IF EXISTS touchpoint CASCADE" -c "CREATE EXTENSION touchpoint"
start=$(date +%s%N)
"${PSQL[@]}" -d "$DB" -f test/data/demo_data.sql >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
printf 'demo data loaded in %d.%d s\n' $((ms / 1000)) $((ms % 1000 / 100))

"${PSQL[@]}" -d "$DB" -P footer=off <<'SQL'
\echo
\echo '================================================================================'
\echo ' 1. The data: web sessions, call tasks, form fills, chats, people, opportunities'
\echo '    Times are shown in America/Los_Angeles (the demo database''s time zone).'
\echo '================================================================================'
SELECT 'web sessions' AS "table", count(*) AS rows,
       count(DISTINCT touchpoint.bizible_key(bizible_id)) AS "BizibleIds",
       min(started_at)::date AS "from", max(started_at)::date AS "to"
FROM touchpoint.sessions
UNION ALL
SELECT 'call tasks', count(*), count(DISTINCT touchpoint.bizible_key(bizible_id)),
       min(occurred_at)::date, max(occurred_at)::date
FROM touchpoint.tasks
UNION ALL
SELECT 'form fills', count(*), count(DISTINCT touchpoint.bizible_key(bizible_id)),
       min(submitted_at)::date, max(submitted_at)::date
FROM touchpoint.form_submits
UNION ALL
SELECT 'chats', count(*), count(DISTINCT touchpoint.bizible_key(bizible_id)),
       min(started_at)::date, max(started_at)::date
FROM touchpoint.chats;
\echo 'The call tasks, as CRM data really is:'
SELECT count(*) FILTER (WHERE touchpoint.bizible_key(bizible_id) IS NULL) AS "no BizibleId",
       count(*) FILTER (WHERE bizible_id <> touchpoint.bizible_key(bizible_id))
           AS "BizibleId upper-case/padded",
       count(*) FILTER (WHERE nullif(btrim(type), '') IS NULL) AS "blank type",
       count(*) FILTER (WHERE is_deleted) AS deleted,
       string_agg(DISTINCT btrim(type), ', ') FILTER (WHERE btrim(type) <> '') AS types
FROM touchpoint.tasks;
\echo 'For attribution: the leads and contacts named on them, their accounts, the opportunities:'
SELECT (SELECT count(*) FROM touchpoint.people) AS people,
       (SELECT count(account_id) FROM touchpoint.people) AS "in an account",
       (SELECT count(DISTINCT account_id) FROM touchpoint.people) AS accounts,
       count(*) AS opportunities,
       count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE NOT is_won) AS lost,
       count(*) FILTER (WHERE closed_at IS NULL) AS open,
       to_char(min(amount), 'FM999,999') || ' to ' || to_char(max(amount), 'FM999,999') AS amounts,
       (SELECT count(*) FROM touchpoint.channel_rules) AS "channel rules"
FROM touchpoint.opportunities;

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

\echo
\echo '================================================================================'
\echo ' 6. Touchpoints: SELECT * FROM touchpoint.refresh();'
\echo '    touchpoint.touchpoints, the table BI tools read: each session''s'
\echo '    first conversion (form fill, chat or merged call), every call without a session'
\echo '    (Offline) and each journey''s earlier first visit (form fills and chats without'
\echo '    session_id are placed like calls); then touchpoint.opportunity_touchpoints (11).'
\echo '================================================================================'
SELECT mode, touchpoints, opportunity_touchpoints,
       CASE WHEN duration < interval '1 second' THEN 'under 1 s'
            ELSE round(extract(epoch FROM duration)) || ' s' END AS duration
FROM touchpoint.refresh();
\echo 'Again: incremental now, it recomputes only what changed since (here nothing); readers are'
\echo 'never blocked while it runs (pg_cron: touchpoint.schedule_refresh()).'
SELECT mode, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();

\echo
\echo '================================================================================'
\echo ' 7. Channel rules: SELECT * FROM touchpoint.channel_rules ORDER BY priority'
\echo '    A session without a channel takes the first rule that matches (*x* contains, x*'
\echo '    starts with, a;b either; case ignored); else Other with tracking data, else Direct.'
\echo '================================================================================'
WITH unset AS (
    SELECT t.touchpoint_id, t.channel, s.medium, s.source, s.campaign, s.landing_page, s.referrer_page
    FROM touchpoint.touchpoints t JOIN touchpoint.sessions s USING (session_id)
    WHERE coalesce(btrim(s.channel), '') = ''
), matched AS (
    SELECT u.*, (SELECT min(r.priority) FROM touchpoint.channel_rules r
                 WHERE touchpoint.channel_rule_matches(r.medium, u.medium)
                   AND touchpoint.channel_rule_matches(r.source, u.source)
                   AND touchpoint.channel_rule_matches(r.campaign, u.campaign)
                   AND touchpoint.channel_rule_matches(r.landing_page, u.landing_page)
                   AND touchpoint.channel_rule_matches(r.referrer, u.referrer_page)) AS priority
    FROM unset u
)
SELECT priority, channel, subchannel, "when", touchpoints FROM (
    SELECT r.priority AS ord, r.priority::text AS priority, r.channel, r.subchannel,
           concat_ws(', ', 'medium ' || r.medium, 'source ' || r.source, 'campaign ' || r.campaign,
                     'landing page ' || r.landing_page, 'referrer ' || r.referrer) AS "when",
           count(m.touchpoint_id) AS touchpoints
    FROM touchpoint.channel_rules r LEFT JOIN matched m USING (priority)
    GROUP BY r.priority
    UNION ALL
    SELECT NULL, 'no rule', m.channel, NULL,
           CASE m.channel WHEN 'Other' THEN 'tracking data no rule knows (a podcast)'
                          ELSE 'no tracking data at all' END, count(*)
    FROM matched m WHERE m.priority IS NULL GROUP BY m.channel
) x
ORDER BY ord NULLS LAST, channel DESC;

\echo
\echo '================================================================================'
\echo ' 8. Touchpoints by channel and type'
\echo '    SELECT channel, source_kind, count(*) FROM touchpoint.touchpoints GROUP BY 1, 2'
\echo '    phone calls: touchpoints made by a call task (Web Visit when its type is blank);'
\echo '    fewer than in section 3: a call in a session that already converted adds to its'
\echo '    session_conversions instead. Sessions without a channel took one in section 7.'
\echo '================================================================================'
SELECT CASE WHEN grouping(channel) = 1 THEN 'total'
            WHEN channel IS NULL THEN '(channel not set)'
            WHEN channel = 'Offline' THEN 'Offline (no web session)'
            ELSE channel END AS channel,
       count(*) AS touchpoints,
       to_char(100.0 * count(*) / (SELECT count(*) FROM touchpoint.touchpoints), 'FM990.0') || ' %' AS share,
       count(*) FILTER (WHERE source_kind = 'call') AS "phone calls",
       count(*) FILTER (WHERE source_kind = 'form') AS "form fills",
       count(*) FILTER (WHERE source_kind = 'chat') AS chats,
       count(*) FILTER (WHERE source_kind = 'visit') AS "first-touch visits"
FROM touchpoint.touchpoints
GROUP BY GROUPING SETS ((channel), ())
ORDER BY grouping(channel), coalesce(channel = 'Offline', false), channel IS NULL, count(*) DESC;

\echo
\echo '================================================================================'
\echo ' 9. Positions on the buyer''s journey'
\echo '    SELECT position, count(*) FROM touchpoint.touchpoints GROUP BY position'
\echo '    A journey is a person (a WhoId, stitched through the BizibleId) or anon:<BizibleId>.'
\echo '    FT: its first touchpoint, LC: its first conversion (lead creation), PostLC: later ones.'
\echo '================================================================================'
SELECT t.position, count(*) AS touchpoints,
       count(*) FILTER (WHERE source_kind = 'call') AS "phone calls",
       count(*) FILTER (WHERE source_kind = 'form') AS "form fills",
       count(*) FILTER (WHERE source_kind = 'chat') AS chats,
       count(*) FILTER (WHERE source_kind = 'visit') AS "first-touch visits",
       min(m.meaning) AS meaning
FROM touchpoint.touchpoints t
LEFT JOIN (VALUES
    (1, 'FT,LC',  'the journey began with its first conversion'),
    (2, 'FT',     'a visit before the first conversion'),
    (3, 'LC',     'the first conversion, after that visit'),
    (4, 'PostLC', 'a later conversion')) m(ord, position, meaning)
  ON m.position = t.position
GROUP BY t.position
ORDER BY min(m.ord), t.position;
\echo 'What call tracking adds (stitched: a call without WhoId given a person by its BizibleId):'
SELECT count(DISTINCT journey_id) AS journeys,
       count(DISTINCT journey_id) FILTER (WHERE person_id IS NULL) AS anonymous,
       format('%s (%s %%)', count(*) FILTER (WHERE is_lead_creation AND source_kind = 'call'),
              round(100.0 * count(*) FILTER (WHERE is_lead_creation AND source_kind = 'call')
                    / count(*) FILTER (WHERE is_lead_creation), 1)) AS "LCs by a call",
       count(*) FILTER (WHERE is_lead_creation AND source_kind = 'call' AND session_id IS NOT NULL)
           AS "merged (web channel)",
       count(DISTINCT journey_id) FILTER (WHERE position = 'PostLC' AND source_kind = 'form'
           AND journey_id IN (SELECT journey_id FROM touchpoint.touchpoints
                              WHERE is_lead_creation AND source_kind = 'call'))
           AS "call LC, form PostLC",
       count(*) FILTER (WHERE source_kind = 'call' AND person_id IS NOT NULL
           AND source_id IN (SELECT task_id FROM touchpoint.tasks
                             WHERE nullif(btrim(person_id), '') IS NULL))
           AS "calls stitched to a person"
FROM touchpoint.touchpoints;

\echo
\echo '================================================================================'
\echo '10. Three journeys'
\echo '    SELECT * FROM touchpoint.touchpoints WHERE journey_id = ''...'' ORDER BY touchpoint_date'
\echo '================================================================================'
PREPARE journey(text) AS
SELECT to_char(touchpoint_date, 'YYYY-MM-DD HH24:MI') AS "date (LA)",
       source_kind || ' ' || source_id AS source, touchpoint_type, channel, campaign, position,
       session_conversions AS "events in session"
FROM touchpoint.touchpoints WHERE journey_id = $1
ORDER BY touchpoint_date, touchpoint_id;
\echo 'a) Before and after, contact 0035e0000DEMO02QAC: an anonymous first visit (FT); a'
\echo '   LinkedIn ad click and a call 12 min later: the call is the LC, so the ad created'
\echo '   the lead; a week later a demo request (PostLC; a chat follows in its session).'
EXECUTE journey('0035e0000DEMO02QAC');
\echo 'b) An anonymous caller: no WhoId, no form, no email in the chat; the journey is'
\echo '   anon:<BizibleId> and person_id is NULL.'
EXECUTE journey('anon:c9f0f895fb98ab9159f51fd0297e236d');
\echo 'c) DEMO01 of section 4: its call came 48 min after the Paid Search ad click, so the LC'
\echo '   is an Offline call. SET touchpoint.session_window = ''1h'', refresh(): now Paid Search.'
EXECUTE journey('00Q5e0000DEMO01IAK');

\echo
\echo '================================================================================'
\echo '11. One opportunity: SELECT * FROM touchpoint.opportunity_touchpoints WHERE opportunity_id'
\echo '    = ''0065e0000DEMO02AAQ'': its account''s touchpoints up to the close. FT the first, LC'
\echo '    the first lead creation (Dana''s call of 10a), OC the last before the opportunity was'
\echo '    created, Closed the last before the close; the demo request is a middle conversion.'
\echo '================================================================================'
SELECT format('Harborview Freight (%s), %s %s: created %s, closed %s',
              string_agg(split_part(p.email, '@', 1), ' and ' ORDER BY p.email),
              CASE WHEN min(o.is_won::int) = 1 THEN 'won' ELSE 'lost' END,
              to_char(min(o.amount), 'FM999,999.00'),
              to_char(min(o.created_at), 'YYYY-MM-DD'), to_char(min(o.closed_at), 'YYYY-MM-DD'))
FROM touchpoint.opportunities o JOIN touchpoint.people p USING (account_id)
WHERE o.opportunity_id = '0065e0000DEMO02AAQ' \gset opp_
\pset title :opp_format
SELECT CASE WHEN grouping(ot.touchpoint_id) = 1 THEN 'total'
            ELSE to_char(min(ot.touchpoint_date), 'YYYY-MM-DD HH24:MI') END AS "date (LA)",
       CASE WHEN grouping(ot.touchpoint_id) = 0 THEN split_part(min(p.email), '@', 1) END AS person,
       CASE WHEN grouping(ot.touchpoint_id) = 0 THEN min(ot.touchpoint_type) END AS touchpoint_type,
       CASE WHEN grouping(ot.touchpoint_id) = 0 THEN min(ot.channel) END AS channel,
       CASE WHEN grouping(ot.touchpoint_id) = 0 THEN min(ot.subchannel) END AS subchannel,
       CASE WHEN grouping(ot.touchpoint_id) = 0 THEN min(ot.position) END AS position,
       to_char(sum(ot.u_shaped_pct), 'FM990.0') AS "U-shaped %",
       to_char(sum(ot.w_shaped_pct), 'FM990.0') AS "W-shaped %",
       to_char(sum(ot.full_path_pct), 'FM990.0') AS "full path %",
       to_char(sum(ot.time_decay_pct), 'FM990.0') AS "time decay %"
FROM touchpoint.opportunity_touchpoints ot
JOIN touchpoint.people p ON p.person_id = ot.journey_id
WHERE ot.opportunity_id = '0065e0000DEMO02AAQ'
GROUP BY GROUPING SETS ((ot.touchpoint_id), ())
ORDER BY grouping(ot.touchpoint_id), min(ot.touchpoint_date);
\pset title
\echo 'U: 40 FT, 40 LC, 20 to conversions between (none: 50/50). W: 30 FT, LC, OC, 10 to middle'
\echo 'ones up to OC. Full path: 22.5 FT, LC, OC, Closed, 10 to the middle. Time decay: halves weekly.'

\echo
\echo '================================================================================'
\echo '12. Won revenue by channel and model: SELECT * FROM touchpoint.channel_report'
\echo '    <model>_revenue (all opportunities: <model>_pipeline), web and phone calls apart,'
\echo '    rounded; custom: touchpoint.custom_model, here FT 15, LC 35, OC 30, Closed 10.'
\echo '================================================================================'
WITH r AS (
    SELECT channel,
           CASE WHEN touchpoint_type IN ('Web Visit', 'Web Form', 'Web Chat') THEN 'web' ELSE 'phone call' END AS via,
           first_touch_revenue AS ft, lead_creation_revenue AS lc, u_shaped_revenue AS u,
           w_shaped_revenue AS w, full_path_revenue AS fp, linear_revenue AS lin,
           time_decay_revenue AS td, custom_revenue AS cus
    FROM touchpoint.channel_report
), g AS (
    SELECT channel, via, grouping(channel, via) AS g,
           sum(ft) AS ft, sum(lc) AS lc, sum(u) AS u, sum(w) AS w, sum(fp) AS fp,
           sum(lin) AS lin, sum(td) AS td, sum(cus) AS cus
    FROM r
    GROUP BY GROUPING SETS ((channel, via), (via), ())
    UNION ALL
    -- the check: the amount of the won opportunities that have touchpoints
    SELECT 'won amount', count(*) || ' opps', 4, sum(amount), sum(amount), sum(amount),
           sum(amount), sum(amount), sum(amount), sum(amount), sum(amount)
    FROM touchpoint.opportunities o
    WHERE is_won AND EXISTS (SELECT 1 FROM touchpoint.opportunity_touchpoints ot
                             WHERE ot.opportunity_id = o.opportunity_id)
)
SELECT CASE g WHEN 0 THEN channel WHEN 2 THEN 'all channels' WHEN 3 THEN 'total' ELSE channel END AS channel,
       via,
       to_char(round(ft), '9,999,999') AS "first touch", to_char(round(lc), '9,999,999') AS "lead creation",
       to_char(round(u), '9,999,999') AS "U-shaped", to_char(round(w), '9,999,999') AS "W-shaped",
       to_char(round(fp), '9,999,999') AS "full path", to_char(round(lin), '9,999,999') AS linear,
       to_char(round(td), '9,999,999') AS "time decay", to_char(round(cus), '9,999,999') AS custom
FROM g
WHERE g > 0 OR ft + lc + u + w + fp + lin + td + cus > 0
ORDER BY g, sum(fp) OVER (PARTITION BY g, channel) DESC, channel, via DESC;
SQL

STOP="bash $SELF stop"
[ -n "${TOUCHPOINT_DEMO_DIR:-}${TOUCHPOINT_DEMO_PORT:-}" ] &&
    STOP="TOUCHPOINT_DEMO_DIR=$DIR $STOP"
cat <<EOF

================================================================================
 The demo cluster is still running.  Connect with psql:

   psql postgresql://postgres@localhost:$PORT/$DB
   (or through its socket: psql -h $DIR -p $PORT -U postgres -d $DB)

 or point a BI tool (Metabase, Superset, Grafana, Evidence...) at

   postgresql://postgres@localhost:$PORT/$DB
   (host localhost, port $PORT, database $DB, user postgres, no password:
   the demo trusts connections from this machine only)

 and try:

   SELECT * FROM touchpoint.explain_call('00T5e0000DEMO01EAS');
   SELECT task_id, gap, detail FROM touchpoint.explain_calls()   -- near misses
    WHERE status = 'outside_window' AND gap > '0' ORDER BY gap LIMIT 5;
   SELECT channel, campaign, count(*) AS calls FROM touchpoint.merge_calls()
    WHERE campaign IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC;  -- campaigns that ring
   SET touchpoint.session_window = '1h';            -- or: SET touchpoint.window_anchor
                                                    --     = 'last_activity';
   SELECT status, count(*) FROM touchpoint.explain_calls() GROUP BY 1;
   SELECT mode, touchpoints FROM touchpoint.refresh();   -- the window applies here too
   SELECT channel, count(*) FILTER (WHERE is_lead_creation) AS leads,    -- for BI tools
          count(*) FILTER (WHERE is_lead_creation AND source_kind = 'call') AS by_phone
     FROM touchpoint.touchpoints GROUP BY 1 ORDER BY 2 DESC;
   SELECT channel, sum(phone_calls) AS calls, round(sum(w_shaped_revenue)) AS won,
          round(sum(w_shaped_pipeline)) AS pipeline         -- W-shaped, per channel
     FROM touchpoint.channel_report GROUP BY 1 ORDER BY 3 DESC;
   SELECT touchpoint.schedule_refresh();    -- pg_cron: refresh every 15 minutes
   SELECT jobid, status, start_time FROM cron.job_run_details
    ORDER BY start_time DESC LIMIT 3;       -- its runs
   SELECT touchpoint.unschedule_refresh();  -- stop it

 Stop it with:   $STOP
            (or: bash test/scripts/cluster.sh stop $DIR)
================================================================================
EOF
