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
\set SHOW_CONTEXT errors
CREATE EXTENSION pg_cron;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
 ('cs1', 'cron-visitor', '2026-06-01 09:00+00', 'Paid Search');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 ('ct1', 'cron-visitor', 'Call', 'p-cron', '2026-06-01 09:10+00');

-- empty until the job runs
SELECT relispopulated FROM pg_class WHERE oid = 'touchpoint.touchpoints'::regclass;
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
SELECT relispopulated FROM pg_class WHERE oid = 'touchpoint.touchpoints'::regclass;
SELECT touchpoint_id, journey_id, session_id, channel, position FROM touchpoint.touchpoints ORDER BY 1;

SELECT touchpoint.unschedule_refresh() AS removed;
SELECT touchpoint.unschedule_refresh() AS removed_again;
SELECT count(*) AS jobs_left FROM cron.job;

DROP EXTENSION touchpoint;
DROP EXTENSION pg_cron;
\c contrib_regression
