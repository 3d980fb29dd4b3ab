-- explain: one row for every task, its status and the sentence that says why
-- (docs/spec.md §3.3), on the data merge_rules loaded.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

SELECT task_id, status, session_id, nearest_session_id, nearest_session_started_at, gap
FROM touchpoint.explain_calls()
ORDER BY task_id;

SELECT task_id, detail FROM touchpoint.explain_calls() ORDER BY task_id;

-- every task is explained, and merge_calls makes a row exactly for the
-- merged, no_sessions and outside_window ones
SELECT (SELECT count(*) FROM touchpoint.tasks) AS tasks,
       (SELECT count(*) FROM touchpoint.explain_calls()) AS explained,
       (SELECT count(*) FROM touchpoint.explain_calls()
         WHERE status IN ('merged', 'no_sessions', 'outside_window')) AS should_touch,
       (SELECT count(*) FROM touchpoint.merge_calls()) AS touchpoints;
SELECT e.task_id, e.status, m.session_id
FROM touchpoint.explain_calls() e
FULL JOIN touchpoint.merge_calls() m USING (task_id)
WHERE (e.status = 'merged') IS DISTINCT FROM (m.session_id IS NOT NULL)
   OR (e.status IN ('deleted', 'no_bizible_id')) IS DISTINCT FROM (m.task_id IS NULL);

-- The source's example, one task: 48 minutes after the 12:17 session start.
SELECT * FROM touchpoint.explain_call('t-doc');
-- explain_call agrees with explain_calls on every task
SELECT t.task_id
FROM touchpoint.tasks t, LATERAL touchpoint.explain_call(t.task_id) one
JOIN touchpoint.explain_calls() every USING (task_id)
WHERE (one.*) IS DISTINCT FROM (every.*);
-- named notation works too
SELECT status, gap FROM touchpoint.explain_call(task_id => 't-2959');

-- The sentence uses the caller's time zone for clock times (the gap does not change).
SET timezone = 'America/New_York';
SELECT detail FROM touchpoint.explain_call('t-doc');
SET timezone = 'Asia/Kathmandu';
SELECT detail, gap FROM touchpoint.explain_call('t-doc');
SET timezone = 'UTC';

-- A call at exactly midnight is flagged: a date-only field (ActivityDate) was loaded.
INSERT INTO touchpoint.tasks VALUES
 ('t-midnight', 'aaaa0000000000000000000000000001', 'Call', NULL, NULL, NULL, '2026-03-02 00:00', false);
SELECT status, detail FROM touchpoint.explain_call('t-midnight');
DELETE FROM touchpoint.tasks WHERE task_id = 't-midnight';

-- A call days later shows dates in the sentence.
INSERT INTO touchpoint.tasks VALUES
 ('t-days', 'aaaa0000000000000000000000000001', 'Call', NULL, NULL, NULL, '2026-03-05 09:30', false);
SELECT status, gap, detail FROM touchpoint.explain_call('t-days');
DELETE FROM touchpoint.tasks WHERE task_id = 't-days';

-- explain_call reads the task through its key and the sessions of that one
-- BizibleId through the normalised-id index, never a scan of every row: on
-- 20,000 tasks and 40,000 sessions the statistics of this transaction show
-- index scans and no sequential scan.
CREATE TABLE big_sessions (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE big_tasks (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO big_sessions (session_id, bizible_id, started_at)
SELECT 'bs' || g, md5((g % 20000)::text), timestamptz '2026-01-01' + g * interval '1 minute'
FROM generate_series(1, 40000) g;
INSERT INTO big_tasks (task_id, bizible_id, type, occurred_at)
SELECT 'bt' || g, upper(md5(g::text)), 'Call', timestamptz '2026-01-01' + g * interval '1 minute' + interval '5 minutes'
FROM generate_series(1, 20000) g;
ANALYZE big_sessions;
ANALYZE big_tasks;
-- flush this backend's pending statistics (index builds count as scans)
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT task_id, status, session_id, gap FROM touchpoint.explain_call('bt777', 'big_sessions', 'big_tasks');
SELECT relname, seq_scan, idx_scan > 0 AS used_index
FROM pg_stat_xact_user_tables WHERE relname IN ('big_sessions', 'big_tasks') ORDER BY 1;
COMMIT;
DROP TABLE big_sessions, big_tasks;

-- gap_seconds: the gap as a number of seconds (what a BI tool can load),
-- NULL exactly when gap is, for every row explained above.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE gap_seconds IS NOT DISTINCT FROM extract(epoch FROM gap)::float8) AS agree,
       count(gap_seconds) AS with_gap
FROM touchpoint.explain_calls();
SELECT task_id, gap, gap_seconds FROM touchpoint.explain_calls()
WHERE gap IS NOT NULL ORDER BY task_id LIMIT 5;

-- The sentences name the zone of each clock time, as timestamptz prints it
-- for that instant (the session's TimeZone): UTC, a daylight-saving
-- abbreviation, a numeric offset where the zone has no abbreviation.
SET timezone = 'America/Los_Angeles';
SELECT detail FROM touchpoint.explain_call('t-doc');
SET timezone = 'Asia/Kathmandu';
SELECT detail FROM touchpoint.explain_call('t-doc');
SET timezone = 'UTC';
