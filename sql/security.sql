-- security: inputs are read as the caller, so table and column privileges
-- and row-level security hold (docs/spec.md §3.3, §4); nothing runs as a definer.
SET timezone = 'UTC';

CREATE ROLE regress_tp_analyst;
CREATE ROLE regress_tp_nobody;
CREATE ROLE regress_tp_columns;
GRANT USAGE ON SCHEMA touchpoint TO regress_tp_analyst, regress_tp_nobody, regress_tp_columns;
GRANT SELECT ON touchpoint.sessions, touchpoint.tasks TO regress_tp_analyst;

-- No function of the extension is SECURITY DEFINER.
SELECT count(*) AS security_definer_functions
FROM pg_proc WHERE pronamespace = 'touchpoint'::regnamespace AND prosecdef;

-- A role without SELECT gets a permission error naming the table, whichever
-- way the sessions would be read (the direct heap scan and the direct index
-- probe check first too).
SET ROLE regress_tp_nobody;
SELECT count(*) FROM touchpoint.merge_calls();
SET touchpoint.merge_strategy = 'scan';
SELECT count(*) FROM touchpoint.merge_calls();
SET touchpoint.merge_strategy = 'probe';
SELECT count(*) FROM touchpoint.merge_calls();
RESET touchpoint.merge_strategy;
SELECT count(*) FROM touchpoint.explain_calls();
SELECT * FROM touchpoint.explain_call('t-doc');
-- the SQLSTATE is insufficient_privilege
DO $$
BEGIN
    PERFORM count(*) FROM touchpoint.merge_calls();
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END $$;
RESET ROLE;

-- SELECT on the tasks only is not enough either.
GRANT SELECT ON touchpoint.tasks TO regress_tp_nobody;
SET ROLE regress_tp_nobody;
SELECT count(*) FROM touchpoint.merge_calls();
RESET ROLE;
REVOKE SELECT ON touchpoint.tasks FROM regress_tp_nobody;

-- Column privileges: SELECT on exactly the columns touchpoint reads is enough;
-- one column short is refused.
GRANT SELECT ON touchpoint.tasks TO regress_tp_columns;
GRANT SELECT (session_id, bizible_id, started_at, last_activity_at, channel, subchannel, source,
              medium, campaign, ad_content, keyword, landing_page, referrer_page)
    ON touchpoint.sessions TO regress_tp_columns;
SET ROLE regress_tp_columns;
SELECT count(*) AS touchpoints FROM touchpoint.merge_calls();
RESET ROLE;
REVOKE SELECT (referrer_page) ON touchpoint.sessions FROM regress_tp_columns;
SET ROLE regress_tp_columns;
SELECT count(*) AS touchpoints FROM touchpoint.merge_calls();
RESET ROLE;

-- A role with SELECT reads everything.
SET ROLE regress_tp_analyst;
SELECT count(*) AS touchpoints, count(session_id) AS merged FROM touchpoint.merge_calls();
RESET ROLE;

-- Row-level security: each region's analyst sees only its own tasks and
-- sessions, and gets only the touchpoints of rows it may see.
CREATE TABLE rls_sessions (LIKE touchpoint.sessions INCLUDING ALL, region text NOT NULL);
CREATE TABLE rls_tasks (LIKE touchpoint.tasks INCLUDING ALL, region text NOT NULL);
INSERT INTO rls_sessions (session_id, bizible_id, started_at, channel, region) VALUES
 ('emea-s1', 'v1', '2026-03-02 10:00', 'Paid Search', 'emea'),
 ('amer-s1', 'v1', '2026-03-02 10:10', 'Email', 'amer'),
 ('amer-s2', 'v2', '2026-03-02 11:00', 'Display', 'amer');
INSERT INTO rls_tasks (task_id, bizible_id, type, occurred_at, region) VALUES
 ('emea-t1', 'v1', 'Call', '2026-03-02 10:15', 'emea'),
 ('amer-t1', 'v1', 'Call', '2026-03-02 10:20', 'amer'),
 ('amer-t2', 'v2', 'Call', '2026-03-02 11:05', 'amer');
ALTER TABLE rls_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rls_tasks ENABLE ROW LEVEL SECURITY;
CREATE ROLE regress_tp_emea;
CREATE POLICY region_sessions ON rls_sessions USING (region = 'emea' OR current_user <> 'regress_tp_emea');
CREATE POLICY region_tasks ON rls_tasks USING (region = 'emea' OR current_user <> 'regress_tp_emea');
GRANT SELECT ON rls_sessions, rls_tasks TO regress_tp_emea, regress_tp_analyst;
GRANT USAGE ON SCHEMA touchpoint TO regress_tp_emea;

-- The table owner (superuser here) sees every row: the emea call goes to the
-- later amer session that also covers it.
SELECT task_id, session_id, channel FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
-- The emea analyst sees its own task, merged with the only session it may see.
SET ROLE regress_tp_emea;
SELECT task_id, session_id, channel FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
-- whichever way merge_calls reads the sessions: a table under row-level
-- security is always read through the executor
SET touchpoint.merge_strategy = 'scan';
SELECT task_id, session_id, channel FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
SET touchpoint.merge_strategy = 'probe';
SELECT task_id, session_id, channel FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
SET touchpoint.merge_strategy = 'sorted';
SELECT task_id, session_id, channel FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
RESET touchpoint.merge_strategy;
SELECT task_id, status, session_id, nearest_session_id FROM touchpoint.explain_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
SELECT task_id, status, session_id FROM touchpoint.explain_call('emea-t1', 'rls_sessions', 'rls_tasks');
-- a task it may not see does not exist for it
SELECT task_id, status FROM touchpoint.explain_call('amer-t2', 'rls_sessions', 'rls_tasks');
RESET ROLE;
-- Another analyst the policy lets through sees all rows again.
SET ROLE regress_tp_analyst;
SELECT task_id, session_id FROM touchpoint.merge_calls('rls_sessions', 'rls_tasks') ORDER BY task_id;
RESET ROLE;

DROP TABLE rls_sessions, rls_tasks;
REVOKE ALL ON touchpoint.sessions, touchpoint.tasks FROM regress_tp_analyst, regress_tp_columns;
REVOKE ALL ON SCHEMA touchpoint FROM regress_tp_analyst, regress_tp_nobody, regress_tp_columns, regress_tp_emea;
DROP ROLE regress_tp_analyst, regress_tp_nobody, regress_tp_columns, regress_tp_emea;
