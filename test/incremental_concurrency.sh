#!/bin/bash
# Incremental refresh under concurrent writers (docs/incremental.md, SPEC §8:
# a change committed while a refresh runs is never lost).  Two pgbench
# clients commit random batches (new, moved, changed and deleted sessions,
# calls, form fills, people and opportunities) for $TP_CONCURRENCY_SECONDS
# seconds while a third runs refresh() in a loop — so batches commit before,
# during and after the refreshes' snapshots.  Then the writers stop, one
# more refresh() runs, and the stored relations must equal a full rebuild:
# refresh(full => true) writes nothing and touchpoints, credits and
# opportunity_touchpoints are unchanged by it (EXCEPT ALL both ways).
# Runs against the cluster of PGHOST/PGPORT/PGUSER (test/run.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${TP_CONCURRENCY_SECONDS:-20}
DB=touchpoint_concurrency
PGBENCH=$(dirname "$(command -v psql)")/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(pg_config --bindir)/pgbench
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d $DB)
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"${PSQL[@]}" <<'SQL'
CREATE EXTENSION touchpoint;
SET timezone = 'UTC';
-- one random batch of 1-4 changes, drawn from 40 BizibleIds, 15 persons, 5 accounts
CREATE PROCEDURE w_batch() LANGUAGE plpgsql AS $$
DECLARE
    i int;
    x float8;
    n text;
    k text;
    t timestamptz;
BEGIN
    FOR i IN 1 .. 1 + floor(random() * 4)::int LOOP
        x := random();
        n := md5(random()::text);
        k := 'k' || floor(random() * 40)::int;
        t := timestamptz '2024-05-01' + floor(random() * 4 * 24 * 12) * interval '5 minutes';
        IF x < 0.25 THEN
            INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel)
            VALUES (n, k, t, (ARRAY['Paid Search', NULL, 'Email'])[1 + floor(random() * 3)::int]);
        ELSIF x < 0.35 THEN
            UPDATE touchpoint.sessions SET bizible_id = k, started_at = started_at + interval '7 minutes'
            WHERE session_id = (SELECT session_id FROM touchpoint.sessions ORDER BY random() LIMIT 1);
        ELSIF x < 0.40 THEN
            DELETE FROM touchpoint.sessions WHERE session_id = (SELECT session_id FROM touchpoint.sessions ORDER BY random() LIMIT 1);
        ELSIF x < 0.60 THEN
            INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at)
            SELECT n, s.bizible_id, 'Call', CASE WHEN random() < 0.5 THEN 'p' || floor(random() * 15)::int END,
                   s.started_at + floor(random() * 40) * interval '1 minute'
            FROM touchpoint.sessions s ORDER BY random() LIMIT 1;
        ELSIF x < 0.68 THEN
            UPDATE touchpoint.tasks SET person_id = 'p' || floor(random() * 15)::int, bizible_id = k
            WHERE task_id = (SELECT task_id FROM touchpoint.tasks ORDER BY random() LIMIT 1);
        ELSIF x < 0.72 THEN
            DELETE FROM touchpoint.tasks WHERE task_id = (SELECT task_id FROM touchpoint.tasks ORDER BY random() LIMIT 1);
        ELSIF x < 0.82 THEN
            INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, person_id)
            SELECT n, CASE WHEN random() < 0.1 THEN '' ELSE k END,
                   CASE WHEN random() < 0.3 THEN s.session_id END, s.started_at + interval '3 minutes',
                   CASE WHEN random() < 0.5 THEN 'p' || floor(random() * 15)::int END
            FROM touchpoint.sessions s ORDER BY random() LIMIT 1;
        ELSIF x < 0.90 THEN
            INSERT INTO touchpoint.people (person_id, account_id)
            VALUES ('p' || floor(random() * 15)::int, 'a' || floor(random() * 5)::int)
            ON CONFLICT (person_id) DO UPDATE SET account_id = EXCLUDED.account_id;
        ELSE
            INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
            VALUES ('o' || floor(random() * 30)::int, 'a' || floor(random() * 5)::int, 1000 + floor(random() * 9000), t,
                    CASE WHEN random() < 0.5 THEN t + interval '2 days' END, random() < 0.5)
            ON CONFLICT (opportunity_id) DO UPDATE SET amount = EXCLUDED.amount, closed_at = EXCLUDED.closed_at,
                                                      is_won = EXCLUDED.is_won, account_id = EXCLUDED.account_id;
        END IF;
    END LOOP;
END $$;
CALL w_batch();
DO $$ BEGIN FOR i IN 1 .. 200 LOOP CALL w_batch(); END LOOP; END $$;
SELECT mode FROM touchpoint.refresh();
SQL
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo 'CALL w_batch();' >"$WORK/writer.sql"
echo 'SELECT mode FROM touchpoint.refresh();' >"$WORK/refresher.sql"
"$PGBENCH" -n -c 2 -T "$SECONDS_TO_RUN" -f "$WORK/writer.sql" $DB >"$WORK/writers.log" 2>&1 &
writers=$!
"$PGBENCH" -n -c 1 -T "$SECONDS_TO_RUN" -f "$WORK/refresher.sql" $DB >"$WORK/refresher.log" 2>&1 || { cat "$WORK/refresher.log"; exit 1; }
wait $writers || { cat "$WORK/writers.log"; exit 1; }
batches=$(awk '/number of transactions actually processed/ {print $NF}' "$WORK/writers.log" | cut -d/ -f1)
refreshes=$(awk '/number of transactions actually processed/ {print $NF}' "$WORK/refresher.log" | cut -d/ -f1)
result=$("${PSQL[@]}" -At -F ' ' <<'SQL'
SELECT mode FROM touchpoint.refresh() \gset last_
CREATE TEMP TABLE k_tp AS SELECT * FROM touchpoint.touchpoints;
CREATE TEMP TABLE k_credits AS SELECT * FROM touchpoint.credits;
CREATE TEMP TABLE k_ot AS SELECT * FROM touchpoint.opportunity_touchpoints;
SELECT touchpoints_written AS full_written FROM touchpoint.refresh("full" => true) \gset
SELECT :'last_mode',
       (SELECT count(*) FROM k_tp),
       :full_written,
       (SELECT count(*) FROM ((SELECT * FROM k_tp EXCEPT ALL SELECT * FROM touchpoint.touchpoints)
                              UNION ALL (SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM k_tp)) d)
     + (SELECT count(*) FROM ((SELECT * FROM k_credits EXCEPT ALL SELECT * FROM touchpoint.credits)
                              UNION ALL (SELECT * FROM touchpoint.credits EXCEPT ALL SELECT * FROM k_credits)) d)
     + (SELECT count(*) FROM ((SELECT * FROM k_ot EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints)
                              UNION ALL (SELECT * FROM touchpoint.opportunity_touchpoints EXCEPT ALL SELECT * FROM k_ot)) d);
SQL
)
read -r mode touchpoints written differences <<<"$result"
echo "incremental_concurrency: $batches writer batches committed during $refreshes refreshes in ${SECONDS_TO_RUN} s;" \
     "then refresh() ($mode): $touchpoints touchpoints, a full rebuild wrote $written rows, $differences differences"
psql -X -q -d postgres -c "DROP DATABASE $DB"
if [ "$mode" = incremental ] && [ "$written" = 0 ] && [ "$differences" = 0 ] && [ "${batches:-0}" -ge 20 ] && [ "${refreshes:-0}" -ge 2 ]; then
    echo "incremental_concurrency: ok"
else
    echo "incremental_concurrency: FAILED"
    exit 1
fi
