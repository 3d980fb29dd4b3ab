-- quick_refresh: an incremental refresh() that has nothing to do answers at
-- once, without running its procedure (src/tp_refresh.c) -- with the
-- procedure's answer, and only when the procedure would find nothing to do:
-- every input, setting, rule, model, registration, trigger, column and
-- privilege the procedure compares makes the next refresh run it again.
-- Runs after incremental (its tables hold rows).
\set VERBOSITY terse
UPDATE touchpoint.custom_model SET weight = 22.5;
DELETE FROM touchpoint.position_models;
SELECT mode FROM touchpoint.refresh("full" => true);

-- quick(): refresh(), and whether it answered at once
CREATE FUNCTION quick(OUT quick bool, OUT mode text, OUT reason text) LANGUAGE plpgsql AS $$
DECLARE
    before int8 := touchpoint_internal.quick_refreshes();
    r record;
BEGIN
    r := touchpoint.refresh();
    quick := touchpoint_internal.quick_refreshes() = before + 1;
    mode := r.mode;
    reason := r.reason;
END $$;

-- nothing changed: at once, and again
SELECT * FROM quick();
SELECT * FROM quick();
-- the answer is the procedure's, column by column (durations aside)
CREATE TEMP TABLE answers AS
SELECT 'quick' AS path, mode, touchpoints, opportunity_touchpoints, touchpoints_written,
       keys_recomputed, opportunities_recomputed, reason
FROM touchpoint.refresh();
SET touchpoint.quick_refresh = off;
INSERT INTO answers
SELECT 'procedure', mode, touchpoints, opportunity_touchpoints, touchpoints_written,
       keys_recomputed, opportunities_recomputed, reason
FROM touchpoint.refresh();
SELECT * FROM quick();    -- off: never at once
RESET touchpoint.quick_refresh;
SELECT path, mode, touchpoints = (SELECT count(*) FROM touchpoint.touchpoints) AS touchpoints_right,
       opportunity_touchpoints = (SELECT count(*) FROM touchpoint.opportunity_touchpoints) AS credit_rows_right,
       touchpoints_written, keys_recomputed, opportunities_recomputed, reason
FROM answers ORDER BY path;
SELECT count(DISTINCT (mode, touchpoints, opportunity_touchpoints, touchpoints_written,
                       keys_recomputed, opportunities_recomputed, reason)) = 1 AS same_answer
FROM answers;
-- it writes nothing: refresh_state keeps the last refresh that ran the procedure
SELECT refreshed_at AS ran_at, xmin AS version FROM touchpoint_internal.refresh_state \gset
SELECT * FROM quick();
SELECT refreshed_at = :'ran_at' AS same_time, xmin = :'version' AS same_row_version
FROM touchpoint_internal.refresh_state;
-- full => true always runs the procedure
SELECT mode, reason FROM touchpoint.refresh("full" => true);
SELECT * FROM quick();

-- Each of these makes the next refresh run the procedure; the one after it
-- is quick again.
-- a change of an input (the change log)
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at) VALUES ('q-1', 'q-visitor', '2026-01-01');
SELECT * FROM quick();
SELECT * FROM quick();
-- a change rolled back logs nothing
BEGIN;
DELETE FROM touchpoint.sessions WHERE session_id = 'q-1';
ROLLBACK;
SELECT * FROM quick();
-- the window and the anchor settings
SET touchpoint.session_window = '45min';
SELECT * FROM quick();
SELECT * FROM quick();
RESET touchpoint.session_window;
SELECT * FROM quick();
SET touchpoint.window_anchor = 'last_activity';
SELECT * FROM quick();
RESET touchpoint.window_anchor;
SELECT * FROM quick();
SELECT * FROM quick();
-- the channel rules: a rule added, then taken away again
INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium) VALUES (1, 'Paid Search', 'Quick', 'cpc');
SELECT * FROM quick();
SELECT * FROM quick();
DELETE FROM touchpoint.channel_rules WHERE subchannel = 'Quick';
SELECT * FROM quick();
SELECT * FROM quick();
-- the custom model's weights (the credit alone is full), and weights that no
-- longer sum to 90 are the procedure's error, not an answer
UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'FT' THEN 30 WHEN 'LC' THEN 30 ELSE 15 END;
SELECT * FROM quick();
SELECT * FROM quick();
UPDATE touchpoint.custom_model SET weight = 40 WHERE position = 'FT';
SELECT * FROM quick();
UPDATE touchpoint.custom_model SET weight = 22.5;
SELECT * FROM quick();
SELECT * FROM quick();
-- a position model
INSERT INTO touchpoint.position_models VALUES ('quick_check', 40, 40, 10, 5, 5);
SELECT * FROM quick();
DELETE FROM touchpoint.position_models WHERE model = 'quick_check';
SELECT * FROM quick();
SELECT * FROM quick();
-- a capture trigger disabled: that input cannot be watched, every refresh is
-- full (stages 1 and 2 for chats; the credit alone for people)
ALTER TABLE touchpoint.chats DISABLE TRIGGER touchpoint_capture_insert;
SELECT * FROM quick();
SELECT * FROM quick();
ALTER TABLE touchpoint.chats ENABLE ALWAYS TRIGGER touchpoint_capture_insert;
SELECT * FROM quick();
SELECT * FROM quick();
ALTER TABLE touchpoint.people DISABLE TRIGGER touchpoint_capture_update;
SELECT * FROM quick();
SELECT * FROM quick();
ALTER TABLE touchpoint.people ENABLE ALWAYS TRIGGER touchpoint_capture_update;
SELECT * FROM quick();
SELECT * FROM quick();
-- a column added to an input, then dropped
ALTER TABLE touchpoint.people ADD COLUMN quick_check int;
SELECT * FROM quick();
SELECT * FROM quick();
ALTER TABLE touchpoint.people DROP COLUMN quick_check;
SELECT * FROM quick();
-- a column of an input renamed (then back)
ALTER TABLE touchpoint.people RENAME COLUMN account_id TO account;
SELECT * FROM quick();
ALTER TABLE touchpoint.people RENAME COLUMN account TO account_id;
SELECT * FROM quick();
SELECT * FROM quick();
-- a privilege on an input
CREATE ROLE quick_reader;
GRANT SELECT ON touchpoint.tasks TO quick_reader;
SELECT * FROM quick();
REVOKE SELECT ON touchpoint.tasks FROM quick_reader;
SELECT * FROM quick();
SELECT * FROM quick();
-- an input's owner
ALTER TABLE touchpoint.tasks OWNER TO quick_reader;
SELECT * FROM quick();
ALTER TABLE touchpoint.tasks OWNER TO CURRENT_USER;
SELECT * FROM quick();
SELECT * FROM quick();
-- a settings table's privileges
GRANT SELECT ON touchpoint.custom_model TO quick_reader;
SELECT * FROM quick();
REVOKE SELECT ON touchpoint.custom_model FROM quick_reader;
SELECT * FROM quick();
SELECT * FROM quick();
-- row-level security on an input: the procedure applies its policies, every time
ALTER TABLE touchpoint.form_submits ENABLE ROW LEVEL SECURITY;
SELECT * FROM quick();
SELECT * FROM quick();
ALTER TABLE touchpoint.form_submits DISABLE ROW LEVEL SECURITY;
SELECT * FROM quick();
SELECT * FROM quick();
-- REPEATABLE READ: one snapshot for the transaction, so the procedure runs
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM quick();
COMMIT;
SELECT * FROM quick();
-- a read-only transaction gets the procedure's error, not an answer
BEGIN READ ONLY;
SELECT * FROM quick();
ROLLBACK;
-- a role without the owner's privileges gets the procedure's error, not an answer
SET ROLE quick_reader;
SELECT * FROM quick();
RESET ROLE;
-- touchpoints never analyzed (as after a restore): the procedure analyzes it
UPDATE pg_class SET reltuples = -1 WHERE oid = 'touchpoint.touchpoints'::regclass;
SELECT * FROM quick();
SELECT reltuples >= 0 AS analyzed FROM pg_class WHERE oid = 'touchpoint.touchpoints'::regclass;
SELECT * FROM quick();
-- a registered source: the procedure checks it every time
CREATE TABLE quick_people AS SELECT * FROM touchpoint.people;
SELECT touchpoint.use_source('people', 'quick_people');
SELECT * FROM quick();
SELECT * FROM quick();
SELECT touchpoint.use_source('people', NULL);
SELECT * FROM quick();
SELECT * FROM quick();
DROP TABLE quick_people;
-- a truncated input: full, then quick
TRUNCATE touchpoint.chats;
SELECT * FROM quick();
SELECT * FROM quick();
-- every input empty: the procedure warns each time (no touchpoints to keep)
BEGIN;
SET LOCAL client_min_messages = warning;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;
SELECT * FROM quick();
SELECT * FROM quick();
ROLLBACK;
SELECT * FROM quick();
DROP ROLE quick_reader;
DROP FUNCTION quick();
