-- cron: schedule_refresh() makes a real pg_cron job that really refreshes
-- the view.  The test cluster preloads pg_cron with cron.database_name =
-- 'postgres', so this test works in database postgres and cleans up after.
\c postgres
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS touchpoint CASCADE;
DROP EXTENSION IF EXISTS pg_cron CASCADE;
RESET client_min_messages;
-- Before pg_cron is installed here, the error says how to install it.
CREATE EXTENSION touchpoint;
\set SHOW_CONTEXT never
SELECT touchpoint.schedule_refresh();
SELECT touchpoint.unschedule_refresh();
-- (on a server that does not load pg_cron at all, the error says how to install it)
SELECT touchpoint_internal.raise_pg_cron_unavailable('missing', NULL, '*/15 * * * *');
\set SHOW_CONTEXT errors
CREATE EXTENSION pg_cron;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
 ('cs1', 'cron-visitor', '2026-06-01 09:00+00', 'Paid Search');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 ('ct1', 'cron-visitor', 'Call', 'p-cron', '2026-06-01 09:10+00');

-- empty until the job runs
SELECT EXISTS (SELECT FROM touchpoint.touchpoints) AS relispopulated;
-- a bad schedule is refused by pg_cron
SELECT touchpoint.schedule_refresh('every minute') > 0 AS scheduled;
-- schedule every minute; scheduling again replaces the job (same name)
SELECT touchpoint.schedule_refresh('*/5 * * * *') > 0 AS scheduled;
SELECT touchpoint.schedule_refresh('* * * * *') > 0 AS scheduled;
SELECT jobname, schedule, command, database, username, active FROM cron.job ORDER BY jobid;

-- Wait for the job to run (pg_cron starts it at the next minute).
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '150 seconds';
BEGIN
    LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                          WHERE j.jobname = 'touchpoint-refresh' AND d.status IN ('succeeded', 'failed'));
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the scheduled refresh did not run within 150 seconds';
        END IF;
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT d.status, d.return_message
FROM cron.job_run_details d JOIN cron.job j USING (jobid)
WHERE j.jobname = 'touchpoint-refresh' ORDER BY d.runid LIMIT 1;
-- the job filled the view
SELECT EXISTS (SELECT FROM touchpoint.touchpoints) AS relispopulated;
SELECT touchpoint_id, journey_id, session_id, channel, position FROM touchpoint.touchpoints ORDER BY 1;

SELECT touchpoint.unschedule_refresh() AS removed;
SELECT touchpoint.unschedule_refresh() AS removed_again;
SELECT count(*) AS jobs_left FROM cron.job;

DROP EXTENSION touchpoint;
DROP EXTENSION pg_cron;

-- From any other database, schedule_refresh() cannot reach pg_cron: its error
-- gives the statements to run in pg_cron's database.  Followed word for word
-- there, they make a job that refreshes this database; unschedule_refresh()
-- then says how to remove it, and that works too.
CREATE DATABASE regress_tp_cron_other;
\c regress_tp_cron_other
CREATE EXTENSION touchpoint;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
 ('os1', 'other-visitor', '2026-06-01 09:00+00', 'Email');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 ('ot1', 'other-visitor', 'Call', 'p-other', '2026-06-01 09:05+00');
CREATE TABLE hints (call text, hint text);
DO $$
DECLARE
    h text;
BEGIN
    BEGIN
        PERFORM touchpoint.schedule_refresh('* * * * *');
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
        INSERT INTO hints VALUES ('schedule', h);
    END;
    BEGIN
        PERFORM touchpoint.unschedule_refresh();
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
        INSERT INTO hints VALUES ('unschedule', h);
    END;
END $$;
SELECT call, hint FROM hints ORDER BY call;
SELECT substring(hint from 'run: (.*)$') AS schedule_statements FROM hints WHERE call = 'schedule' \gset
SELECT substring(hint from 'run: (.*)$') AS unschedule_statements FROM hints WHERE call = 'unschedule' \gset
SELECT EXISTS (SELECT FROM touchpoint.touchpoints) AS relispopulated;
\c postgres
:schedule_statements
SELECT jobname, schedule, command, database, username, active FROM cron.job ORDER BY jobid;
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '150 seconds';
BEGIN
    LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                          WHERE j.database = 'regress_tp_cron_other' AND d.status IN ('succeeded', 'failed'));
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the scheduled refresh did not run within 150 seconds';
        END IF;
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT d.status, d.return_message
FROM cron.job_run_details d JOIN cron.job j USING (jobid)
WHERE j.database = 'regress_tp_cron_other' ORDER BY d.runid LIMIT 1;
\c regress_tp_cron_other
-- the job refreshed this database
SELECT touchpoint_id, journey_id, session_id, channel, position FROM touchpoint.touchpoints ORDER BY 1;
\c postgres
:unschedule_statements
SELECT count(*) AS jobs_left FROM cron.job;
DROP EXTENSION pg_cron;
DROP DATABASE regress_tp_cron_other WITH (FORCE);
\c contrib_regression
