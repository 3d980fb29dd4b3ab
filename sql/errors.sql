-- errors: every bad input of docs/spec.md §4 gets a clear ERROR with a specific
-- SQLSTATE (never XX000) and, where it helps, a HINT.
SET timezone = 'UTC';
\set VERBOSITY default

-- try(sql): run a statement, report its SQLSTATE, message and hint.
CREATE FUNCTION regress_try(stmt text, OUT state text, OUT message text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    state := 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END $$;

CREATE TABLE e_seq_src (x int);
CREATE SEQUENCE e_seq;
CREATE INDEX e_idx ON e_seq_src (x);
CREATE TYPE e_comp AS (a int);
-- a view with a CRM's names but missing occurred_at
CREATE VIEW e_no_time AS SELECT task_id, bizible_id, type, subject, phone, person_id, is_deleted FROM touchpoint.tasks;
-- a view whose occurred_at is a date-only field / a timestamp without time zone
CREATE VIEW e_date_time AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at::date AS occurred_at, is_deleted FROM touchpoint.tasks;
CREATE VIEW e_naive_time AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at::timestamp AS occurred_at, is_deleted FROM touchpoint.tasks;
CREATE VIEW e_int_deleted AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at, is_deleted::int AS is_deleted FROM touchpoint.tasks;
CREATE VIEW e_array_id AS SELECT ARRAY[session_id] AS session_id, bizible_id, started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page FROM touchpoint.sessions;
CREATE VIEW e_no_channel AS SELECT session_id, bizible_id, started_at, last_activity_at,
    subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page FROM touchpoint.sessions;

SELECT stmt, (regress_try(stmt)).*
FROM (VALUES
  -- unknown relation
  ($$SELECT * FROM touchpoint.merge_calls('no_such_table')$$),
  ($$SELECT * FROM touchpoint.merge_calls(0::oid::regclass)$$),
  -- NULL relation
  ($$SELECT * FROM touchpoint.merge_calls(NULL, 'touchpoint.tasks')$$),
  ($$SELECT * FROM touchpoint.explain_calls('touchpoint.sessions', NULL)$$),
  ($$SELECT * FROM touchpoint.explain_call('t-doc', NULL)$$),
  -- relations that hold no rows of their own
  ($$SELECT * FROM touchpoint.merge_calls('e_seq')$$),
  ($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_idx')$$),
  ($$SELECT * FROM touchpoint.merge_calls('e_comp')$$),
  -- missing and ill-typed columns
  ($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_no_time')$$),
  ($$SELECT * FROM touchpoint.explain_calls('e_no_channel')$$),
  ($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_date_time')$$),
  ($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_naive_time')$$),
  ($$SELECT * FROM touchpoint.explain_calls('touchpoint.sessions', 'e_int_deleted')$$),
  ($$SELECT * FROM touchpoint.explain_calls('e_array_id')$$),
  -- the window: <= 0, a month part
  ($$SELECT * FROM touchpoint.merge_calls(session_window => interval '0')$$),
  ($$SELECT * FROM touchpoint.merge_calls(session_window => interval '-30 minutes')$$),
  ($$SELECT * FROM touchpoint.explain_calls(session_window => interval '1 day -24 hours')$$),
  ($$SELECT * FROM touchpoint.explain_call('t-doc', session_window => interval '-1 microsecond')$$),
  ($$SELECT * FROM touchpoint.merge_calls(session_window => interval '1 month')$$),
  ($$SELECT * FROM touchpoint.merge_calls(session_window => interval '1 day 2 hours')$$),
  -- explain_call on a task that does not exist, or a NULL id
  ($$SELECT * FROM touchpoint.explain_call('no-such-task')$$),
  ($$SELECT * FROM touchpoint.explain_call(NULL)$$),
  -- bad setting values
  ($$SET touchpoint.session_window = 0$$),
  ($$SET touchpoint.session_window = 'soon'$$),
  ($$SET touchpoint.window_anchor = 'last_click'$$)
) AS t(stmt);

-- The same errors in full, as a user sees them.
SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_no_time');
SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_date_time');
SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_naive_time');
SELECT * FROM touchpoint.merge_calls(session_window => interval '-30 minutes');
SELECT * FROM touchpoint.merge_calls(session_window => interval '1 month');
SELECT * FROM touchpoint.explain_call('no-such-task');

-- NULLs that a view can return where our tables forbid them.
CREATE VIEW e_null_time AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    CASE WHEN task_id = 't-doc' THEN NULL ELSE occurred_at END AS occurred_at, is_deleted FROM touchpoint.tasks;
CREATE VIEW e_null_deleted AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at, CASE WHEN task_id = 't-doc' THEN NULL ELSE is_deleted END AS is_deleted FROM touchpoint.tasks;
CREATE VIEW e_null_start AS SELECT session_id, bizible_id,
    CASE WHEN session_id = 's-doc' THEN NULL ELSE started_at END AS started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page FROM touchpoint.sessions;
SELECT stmt, (regress_try(stmt)).state
FROM (VALUES ($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_null_time')$$),
             ($$SELECT * FROM touchpoint.explain_calls('touchpoint.sessions', 'e_null_deleted')$$),
             ($$SELECT * FROM touchpoint.merge_calls('e_null_start')$$)) AS t(stmt);
SELECT count(*) FROM touchpoint.merge_calls('touchpoint.sessions', 'e_null_time');
SELECT count(*) FROM touchpoint.explain_calls('touchpoint.sessions', 'e_null_deleted');
SELECT count(*) FROM touchpoint.merge_calls('e_null_start');
-- a NULL occurred_at on a task that needs no time (no BizibleId) is no error
SELECT status FROM touchpoint.explain_call('t-null-id', 'touchpoint.sessions',
    (SELECT 'e_null_time'::regclass)) ;

-- The same NULLs in plain tables (no NOT NULL constraints), which merge_calls
-- reads straight from the heap (the page-batched scan, the direct index probe,
-- the direct read of the tasks): the same errors, whichever way it reads.
CREATE TABLE e_plain_sessions AS SELECT * FROM touchpoint.sessions;
CREATE INDEX ON e_plain_sessions (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
CREATE TABLE e_plain_tasks AS SELECT * FROM touchpoint.tasks;
ANALYZE e_plain_sessions, e_plain_tasks;
UPDATE e_plain_sessions SET started_at = NULL WHERE session_id = 's-doc';
CREATE TABLE e_plain_tasks_null_time AS SELECT * FROM e_plain_tasks;
UPDATE e_plain_tasks_null_time SET occurred_at = NULL WHERE task_id = 't-doc';
CREATE TABLE e_plain_tasks_null_deleted AS SELECT * FROM e_plain_tasks;
UPDATE e_plain_tasks_null_deleted SET is_deleted = NULL WHERE task_id = 't-doc';
CREATE TABLE e_plain_tasks_null_id AS SELECT * FROM e_plain_tasks;
UPDATE e_plain_tasks_null_id SET task_id = NULL WHERE task_id = 't-doc';
CREATE TEMP TABLE e_plain_results (strategy text, stmt text, state text, message text);
CREATE FUNCTION e_plain_try(strategy text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('touchpoint.merge_strategy', strategy, false);
    INSERT INTO e_plain_results
    SELECT strategy, t.stmt, r.state, r.message
    FROM (VALUES ($q$SELECT * FROM touchpoint.merge_calls('e_plain_sessions', 'e_plain_tasks')$q$),
                 ($q$SELECT * FROM touchpoint.merge_calls('e_null_start')$q$),
                 ($q$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_plain_tasks_null_time')$q$),
                 ($q$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_plain_tasks_null_deleted')$q$),
                 ($q$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_plain_tasks_null_id')$q$)) AS t(stmt),
         LATERAL regress_try(t.stmt) AS r;
END $$;
SELECT e_plain_try('scan');
SELECT e_plain_try('probe');
SELECT e_plain_try('scan_executor');
SELECT * FROM e_plain_results ORDER BY strategy, stmt;
-- (the probe reads only the sessions that can cover a call, but looks for a
-- called id's sessions without a start too, directly or through SPI for the view)
RESET touchpoint.merge_strategy;
-- a NULL start on a session of an id no call carries is no error
UPDATE e_plain_sessions SET started_at = now(), bizible_id = 'nobody-calls-this-id' WHERE session_id = 's-doc';
INSERT INTO e_plain_sessions (session_id, bizible_id, started_at) VALUES ('s-null-start', 'nobody-calls-either', NULL);
SELECT count(*) FROM touchpoint.merge_calls('e_plain_sessions', 'e_plain_tasks');
DROP TABLE e_plain_sessions, e_plain_tasks, e_plain_tasks_null_time, e_plain_tasks_null_deleted,
    e_plain_tasks_null_id;
DROP FUNCTION e_plain_try(text);

-- Every missing column at once, each with a line of the mapping view of
-- the right type (a NULL of that type, false for is_deleted, a real column
-- where touchpoint needs a value in every row).
CREATE VIEW e_few_task_cols AS SELECT task_id, bizible_id, type, occurred_at FROM touchpoint.tasks;
CREATE VIEW e_few_session_cols AS SELECT bizible_id, channel FROM touchpoint.sessions;
SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_few_task_cols');
SELECT * FROM touchpoint.explain_calls('e_few_session_cols', 'touchpoint.tasks');
-- an ill-typed column still gets its own error (relation, column, both types)
CREATE VIEW e_few_and_bad AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at::date AS occurred_at, is_deleted FROM touchpoint.tasks;
SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'e_few_and_bad');

-- Arguments in the wrong order (tasks first): recognised, with the call in
-- the right order, for each function.
SELECT * FROM touchpoint.merge_calls('touchpoint.tasks', 'touchpoint.sessions');
SELECT * FROM touchpoint.explain_calls('touchpoint.tasks', 'touchpoint.sessions', interval '45 minutes');
SELECT * FROM touchpoint.explain_call('t-doc', 'touchpoint.tasks', 'touchpoint.sessions');
-- the tasks given alone, as the sessions (the tasks argument then defaults
-- to touchpoint.tasks): both relations are tasks, so swapping would not
-- help; the missing columns are named
SELECT * FROM touchpoint.merge_calls('touchpoint.tasks');
SELECT state, message FROM regress_try($$SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.sessions')$$);
DROP VIEW e_few_task_cols, e_few_session_cols, e_few_and_bad;

-- distribute() without Citus (docs/spec.md §9): a clear error whose hint says
-- how to get Citus, checked before the arguments; nothing is changed (the
-- inputs keep their capture triggers).  test/citus.sh runs it on Citus.
SELECT * FROM regress_try($$SELECT * FROM touchpoint.distribute()$$);
SELECT * FROM regress_try($$SELECT * FROM touchpoint.distribute(0)$$);
SELECT kind, change_detection FROM touchpoint.sources ORDER BY kind;

DROP VIEW e_no_time, e_date_time, e_naive_time, e_int_deleted, e_array_id, e_no_channel,
    e_null_time, e_null_deleted, e_null_start;
DROP TABLE e_seq_src;
DROP SEQUENCE e_seq;
DROP TYPE e_comp;
DROP FUNCTION regress_try(text);
