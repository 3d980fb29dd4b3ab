-- settings: the window by argument and by setting, the last_activity anchor,
-- and bad values of both settings (docs/spec.md §3.1.4, §3.2).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

CREATE TABLE w_sessions (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE w_tasks (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO w_sessions (session_id, bizible_id, started_at, last_activity_at, channel) VALUES
 ('ws1', 'w1', '2026-05-01 12:00', '2026-05-01 12:40', 'Paid Search'),
 ('ws2', 'w2', '2026-05-01 12:00', NULL, 'Email'),
 ('ws3', 'w3', '2026-05-01 12:00', '2026-05-01 12:20', 'Display'),
 ('ws3b','w3', '2026-05-01 12:30', '2026-05-01 12:31', 'Referral');
INSERT INTO w_tasks (task_id, bizible_id, type, occurred_at) VALUES
 ('c35', 'w1', 'Call', '2026-05-01 12:35'),   -- 35 min after start, before last activity
 ('c69', 'w1', 'Call', '2026-05-01 13:09:59.999999'),  -- last activity + 29:59.999999
 ('c70', 'w1', 'Call', '2026-05-01 13:10'),    -- last activity + 30:00
 ('n20', 'w2', 'Call', '2026-05-01 12:20'),    -- no last activity: falls back to start
 ('n45', 'w2', 'Call', '2026-05-01 12:45'),
 ('e11', 'w1', 'Call', '2026-05-01 11:59:59'), -- before the start: never merged
 ('x45', 'w3', 'Call', '2026-05-01 12:45');    -- ws3 (12:00, active until 12:20) and ws3b (12:30)

-- Default: 30 min after the start.
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks') ORDER BY task_id;

-- The window by argument overrides the setting; NULL means the setting.
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks', interval '45 minutes') ORDER BY task_id;
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks', NULL) ORDER BY task_id;
-- a window of 35 min 0.000001 s reaches c35 (exactly 35 min after the start)
SELECT task_id, status, gap FROM touchpoint.explain_calls('w_sessions', 'w_tasks', interval '35 min 0.000001 s') WHERE task_id = 'c35';
SELECT task_id, status, gap FROM touchpoint.explain_calls('w_sessions', 'w_tasks', interval '35 min') WHERE task_id = 'c35';
-- days are 24 hours
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks', interval '1 day') ORDER BY task_id;

-- The window by setting, with units.
SET touchpoint.session_window = '1h';
SHOW touchpoint.session_window;
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks') ORDER BY task_id;
SELECT detail FROM touchpoint.explain_call('n45', 'w_sessions', 'w_tasks');
SET touchpoint.session_window = '15 minutes';  -- any interval spelling
SHOW touchpoint.session_window;
SELECT task_id, session_id FROM touchpoint.merge_calls('w_sessions', 'w_tasks') ORDER BY task_id;
RESET touchpoint.session_window;
SHOW touchpoint.session_window;

-- Anchored on the last activity: a session stretches from its start to
-- 30 min after its last page view; without one, the start is the anchor; a
-- call before the start is still never merged.
SET touchpoint.window_anchor = 'last_activity';
SELECT task_id, status, session_id, nearest_session_id, gap
FROM touchpoint.explain_calls('w_sessions', 'w_tasks') ORDER BY task_id;
SELECT task_id, detail FROM touchpoint.explain_calls('w_sessions', 'w_tasks') ORDER BY task_id;
SELECT task_id, session_id, touchpoint_type FROM touchpoint.merge_calls('w_sessions', 'w_tasks') ORDER BY task_id;
RESET touchpoint.window_anchor;

-- Settings per role and per function call site.
CREATE ROLE regress_tp_window_role;
ALTER ROLE regress_tp_window_role SET touchpoint.session_window = '2h';
SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'regress_tp_window_role'::regrole;
DROP ROLE regress_tp_window_role;
BEGIN;
SET LOCAL touchpoint.session_window = '50min';
SELECT count(*) FILTER (WHERE session_id IS NOT NULL) AS merged FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
COMMIT;
SHOW touchpoint.session_window;

-- More spellings: seconds with their unit, ISO 8601 and hh:mm:ss work;
-- SHOW prints the length with its units whatever the spelling, in a form
-- that reads back as the same interval.
SET touchpoint.session_window = '900s';
SHOW touchpoint.session_window;
SELECT count(session_id) AS merged_in_15min FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
SET touchpoint.session_window = 'PT45M';
SHOW touchpoint.session_window;
SELECT count(session_id) AS merged_in_45min FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
SET touchpoint.session_window = '00:35:00.000001';
SHOW touchpoint.session_window;
SELECT current_setting('touchpoint.session_window')::interval = interval '00:35:00.000001' AS reads_back;
SELECT count(session_id) AS merged_in_35min_and_1us FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
SET touchpoint.session_window = '1 day 26 hours 90 min 1.5 s';
SHOW touchpoint.session_window;
SELECT current_setting('touchpoint.session_window')::interval = interval '1 day 26 hours 90 min 1.5 s' AS reads_back;
RESET touchpoint.session_window;

-- A bare number has no unit: refused (as an interval it would silently be
-- seconds), with the unit to write in the hint; the old value stays.
SET touchpoint.session_window = '30';
SET touchpoint.session_window = 30;
SET touchpoint.session_window = ' 1.5 ';
SHOW touchpoint.session_window;
-- the function argument is an interval, not a setting: unchanged (a bare
-- number there is seconds, as SQL's interval input says)
SELECT count(session_id) AS merged_in_25min,
       count(session_id) = (SELECT count(session_id) FROM touchpoint.merge_calls('w_sessions', 'w_tasks', interval '25 min')) AS same_as_25min
FROM touchpoint.merge_calls('w_sessions', 'w_tasks', '1500');

-- Bad values are refused, the old value stays.
SET touchpoint.session_window = 0;
SET touchpoint.session_window = '-5min';
SET touchpoint.session_window = 'half an hour';
SET touchpoint.session_window = '1 month';
SET touchpoint.session_window = '1 day -24 hours';
SET touchpoint.window_anchor = 'last_click';
SET touchpoint.window_anchor = '';
SET touchpoint.no_such_setting = 1;
SHOW touchpoint.session_window;
SHOW touchpoint.window_anchor;

-- A bad value set before the library is loaded in a session can only be
-- warned about by PostgreSQL; touchpoint then refuses to run with it.
\c
SET touchpoint.session_window = '-5min';
SET touchpoint.window_anchor = 'last_click';
SELECT count(*) FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
SET touchpoint.session_window = '40min';
SELECT count(*) FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
RESET touchpoint.window_anchor;
SELECT count(session_id) AS merged_in_40min FROM touchpoint.merge_calls('w_sessions', 'w_tasks');
-- a good value set early is simply used
\c
SET touchpoint.session_window = '1 hour';
SET touchpoint.window_anchor = 'LAST_ACTIVITY';
SELECT count(session_id) AS merged_in_1h_by_activity FROM touchpoint.merge_calls('w_sessions', 'w_tasks');

DROP TABLE w_sessions, w_tasks;
