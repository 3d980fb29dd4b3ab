-- privileges: every function and every view of the extension reads as the
-- calling role, so table privileges and row-level security on the inputs hold
-- through all of them (issue 6 item 5; security.sql covers merge_calls and the
-- explain functions in depth).  The materialized views are filled as their
-- owner at refresh and are read with grants on them (touchpoint_reader).
SET timezone = 'UTC';
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules;

-- Two regions whose visitors never share a BizibleId: what the EMEA analyst
-- may see is exactly the emea-* rows, and the merge of those rows alone is
-- the merge of all rows restricted to them.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
    ('s-amer-1', 'amer-1', '2026-03-02 09:00', 'Paid Search'),
    ('s-amer-2', 'amer-1', '2026-03-04 09:00', 'Email'),
    ('s-emea-1', 'emea-1', '2026-03-02 10:00', 'Organic Search'),
    ('s-emea-2', 'emea-2', '2026-03-03 10:00', 'Display');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
    ('t-amer-1', 'amer-1', 'Call', 'p-amer', '2026-03-04 09:10'),
    ('t-emea-1', 'emea-1', 'Call', 'p-emea', '2026-03-02 10:05'),
    ('t-emea-2', 'emea-2', NULL, NULL, '2026-03-03 12:00');
INSERT INTO touchpoint.form_submits VALUES
    ('f-amer-1', 'amer-1', NULL, '2026-03-02 09:05', 'https://example.com/demo', 'p-amer'),
    ('f-emea-1', 'emea-1', NULL, '2026-03-05 08:00', 'https://example.com/demo', 'p-emea');
INSERT INTO touchpoint.chats VALUES ('c-emea-1', 'emea-2', NULL, '2026-03-03 10:02', NULL);
INSERT INTO touchpoint.people VALUES ('p-amer', 'AMERCO', NULL), ('p-emea', 'EMEACO', NULL);
INSERT INTO touchpoint.opportunities VALUES
    ('o-amer', 'AMERCO', 100, '2026-03-10', NULL, NULL),
    ('o-emea', 'EMEACO', 200, '2026-03-10', '2026-04-01', true);
SELECT mode, touchpoints FROM touchpoint.refresh();

CREATE ROLE regress_tp_priv_nobody;
CREATE ROLE regress_tp_priv_emea;
CREATE ROLE regress_tp_priv_bi IN ROLE touchpoint_reader;
GRANT USAGE ON SCHEMA touchpoint TO regress_tp_priv_nobody, regress_tp_priv_emea;

-- try(sql): run a statement as the current role; 'ok <rows>' or its SQLSTATE.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE sql;    -- every output column is computed
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN 'ok ' || n;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

-- Every call below, one per function of the extension (the last query checks
-- that none is missing, so a new function must be added here).
CREATE TEMP TABLE calls (function_name text, call text);
INSERT INTO calls VALUES
    ('merge_calls',          'SELECT * FROM touchpoint.merge_calls()'),
    ('explain_calls',        'SELECT * FROM touchpoint.explain_calls()'),
    ('explain_call',         'SELECT * FROM touchpoint.explain_call(''t-emea-1'')'),
    ('refresh',              'SELECT * FROM touchpoint.refresh()'),
    ('refresh_work',         'SELECT * FROM touchpoint_internal.refresh_work()'),
    ('quick_signature',      'SELECT touchpoint_internal.quick_signature()'),
    ('quick_refreshes',      'SELECT touchpoint_internal.quick_refreshes()'),
    -- the extension's helpers (schema touchpoint_internal)
    ('build_touchpoints',    'SELECT touchpoint_internal.build_touchpoints()'),
    ('build_credits',        'SELECT touchpoint_internal.build_credits()'),
    ('read_conversion_events', 'SELECT * FROM touchpoint_internal.read_conversion_events()'),
    ('read_keyless_events',  'SELECT * FROM touchpoint_internal.read_keyless_events()'),
    ('pipeline_touchpoints', 'SELECT * FROM touchpoint_internal.pipeline_touchpoints(''touchpoint.sessions'', ''touchpoint_internal.pipeline_events'', ''touchpoint_internal.pipeline_keyless_events'', NULL, NULL)'),
    ('pipeline_changes',     'SELECT * FROM touchpoint_internal.pipeline_changes(''touchpoint.sessions'', ''touchpoint_internal.pipeline_events'', ''touchpoint_internal.pipeline_keyless_events'', NULL, NULL, ''touchpoint.touchpoints'')'),
    ('pipeline_placements',  'SELECT * FROM touchpoint_internal.pipeline_placements(''touchpoint.sessions'', ''touchpoint_internal.pipeline_events'', ''touchpoint_internal.pipeline_keyless_events'', NULL, NULL)'),
    ('check_custom_model',   'SELECT touchpoint_internal.check_custom_model()'),
    ('build_credits',        'SELECT touchpoint_internal.build_credits()'),
    ('source',               'SELECT touchpoint_internal.source(''people'')'),
    ('channel_rules_array',  'SELECT touchpoint_internal.channel_rules_array()'),
    ('check_refresh_privilege', 'SELECT touchpoint_internal.check_refresh_privilege()'),
    ('warn_empty_inputs',    'SELECT touchpoint_internal.warn_empty_inputs()'),
    ('pg_cron_state',        'SELECT * FROM touchpoint_internal.pg_cron_state()'),
    ('raise_pg_cron_unavailable', 'SELECT touchpoint_internal.raise_pg_cron_unavailable(''not_here'', ''postgres'', ''* * * * *'')'),
    ('schedule_refresh',     'SELECT touchpoint.schedule_refresh()'),
    ('unschedule_refresh',   'SELECT touchpoint.unschedule_refresh()'),
    ('distribute',           'SELECT * FROM touchpoint.distribute()'),
    -- the per-BizibleId stage on Citus (keyed.sql): its tables are the owner's
    ('place_on_workers',     'SELECT * FROM touchpoint_internal.place_on_workers()'),
    ('pipeline_changes_placed', 'SELECT * FROM touchpoint_internal.pipeline_changes_placed(''touchpoint.sessions'', ''touchpoint_internal.keyed_placed_events'', ''touchpoint_internal.pipeline_keyless_events'', NULL, NULL, ''touchpoint.touchpoints'')'),
    ('keyed_stage_queries',  'SELECT count(*) FROM touchpoint_internal.keyed_stage_queries()'),
    ('placed_on_workers',    'SELECT touchpoint_internal.placed_on_workers()'),
    ('is_citus_table',       'SELECT touchpoint_internal.is_citus_table(''touchpoint.sessions'')'),
    ('merge_settings',       'SELECT * FROM touchpoint_internal.merge_settings()'),
    ('place_key_events',     'SELECT touchpoint_internal.place_key_events(''k'', NULL, NULL, NULL, ''{}'', 1, false)'),
    ('place_key_event_positions', 'SELECT touchpoint_internal.place_key_event_positions(''k'', NULL, NULL, NULL, ''{}'', 1, false)'),
    -- the registered sources (sources.sql covers them in depth): only the
    -- extension's owner registers; reading what is registered is harmless
    ('use_source',           'SELECT touchpoint.use_source(''sessions'', NULL)'),
    ('check_source',         'SELECT touchpoint_internal.check_source(''sessions'', ''touchpoint.sessions'')'),
    ('source',               'SELECT touchpoint_internal.source(''sessions'')'),
    ('check_sources',        'SELECT * FROM touchpoint_internal.check_sources()'),
    ('source_status',        'SELECT touchpoint_internal.source_status(''sessions'')'),
    -- functions of their arguments only: nothing to protect
    ('bizible_key',          'SELECT touchpoint.bizible_key('' EMEA-1 '')'),
    ('channel_rule_matches', 'SELECT touchpoint.channel_rule_matches(''*mail*'', ''email'')'),
    ('classify_channel',     'SELECT touchpoint.classify_channel(ARRAY[[''Email'', NULL, ''email'', NULL, NULL, NULL, NULL]], ''email'', NULL, NULL, NULL, NULL)'),
    ('credit_share',         'SELECT touchpoint_internal.credit_share(30, 90, 3)'),
    ('credit_changes',       'SELECT * FROM touchpoint_internal.credit_changes(''touchpoint.opportunities'', ''touchpoint.people'', ''touchpoint.touchpoints'', ARRAY[22.5, 22.5, 22.5, 22.5], ''{}'', ''{}'', ''touchpoint.opportunity_touchpoints'', ''touchpoint_internal.position_credits'')'),
    ('credit_shares',        'SELECT (touchpoint_internal.credit_shares(''o'', now(), true, true, now(), NULL, 100, ARRAY[22.5, 22.5, 22.5, 22.5], ''{}'') OVER ()).position'),
    ('builtin_models',       'SELECT touchpoint_internal.builtin_models()'),
    ('check_position_model', 'SELECT touchpoint_internal.check_position_model(''m'', 22.5, 22.5, 22.5, 22.5, 10)'),
    ('refresh_job_name',     'SELECT touchpoint_internal.refresh_job_name()'),
    -- incremental refresh (incremental.sql covers it): watching needs the
    -- table's owner and EXECUTE on the capture trigger, which PUBLIC lacks;
    -- recomputing writes the owner's tables
    ('watch',                'SELECT touchpoint_internal.watch(''sessions'', ''touchpoint.sessions'')'),
    ('unwatch',              'SELECT touchpoint_internal.unwatch(''touchpoint.sessions'')'),
    ('change_detection',     'SELECT touchpoint_internal.change_detection(''sessions'')'),
    ('inputs_fingerprint',   'SELECT touchpoint_internal.inputs_fingerprint()'),
    ('credit_fingerprint',   'SELECT touchpoint_internal.credit_fingerprint()'),
    ('events_by',            'SELECT * FROM touchpoint_internal.events_by(''key'', ARRAY[''emea-1''])'),
    ('array_minus',          'SELECT touchpoint_internal.array_minus(ARRAY[''a'', ''b''], ARRAY[''b''])'),
    ('sessions_of',          'SELECT touchpoint_internal.sessions_of(ARRAY[''emea-1''])'),
    ('change_closure',       'SELECT * FROM touchpoint_internal.change_closure(ARRAY[''emea-1''], NULL, NULL, NULL, 10)'),
    ('build_touchpoints_of', 'SELECT * FROM touchpoint_internal.build_touchpoints_of(ARRAY[''emea-1''], ''{}'', ''{}'', ''{}'')'),
    ('build_credits_of',     'SELECT touchpoint_internal.build_credits_of(ARRAY[''o-1''], ARRAY[22.5, 22.5, 22.5, 22.5], ''{}'', ''{}'')'),
    ('opportunities_to_credit', 'SELECT touchpoint_internal.opportunities_to_credit(''{}'', ''{}'', ''{}'', ''{}'')'),
    ('publish_all',          'SELECT * FROM touchpoint_internal.publish_all()'),
    -- trigger functions: only their triggers call them
    ('capture_changes',      'SELECT 1 WHERE false'),
    ('custom_model_upsert',  'SELECT 1 WHERE false'),
    ('position_models_check', 'SELECT 1 WHERE false'),
    ('source_registry_resolve', 'SELECT 1 WHERE false');
GRANT SELECT ON calls TO PUBLIC;
SELECT p.proname AS function_not_covered
FROM pg_proc p WHERE p.pronamespace IN ('touchpoint'::regnamespace, 'touchpoint_internal'::regnamespace)
  AND p.proname NOT IN (SELECT function_name FROM calls)
ORDER BY 1;

-- A role with no privilege on the inputs: every function that reads them,
-- and every view, refuses with insufficient_privilege (42501).  refresh()
-- needs ownership of the materialized views; the pg_cron functions say how
-- to install pg_cron (it is not installed in this database) before anything.
SET ROLE regress_tp_priv_nobody;
SELECT function_name, pg_temp.try(call) AS nobody FROM calls ORDER BY 1;
SELECT c.relname AS relation, c.relkind,
       pg_temp.try(format('SELECT * FROM %s', c.oid::regclass)) AS nobody
FROM pg_class c WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
ORDER BY 1;
RESET ROLE;

-- The EMEA analyst may read every input, under row-level security that
-- shows only emea rows, and the live views.  They and the functions then give
-- exactly the emea part of what the owner sees; the materialized
-- opportunity_touchpoints and the report are not granted to it.
GRANT SELECT ON touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
    touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.custom_model
    TO regress_tp_priv_emea;
GRANT SELECT ON touchpoint.touchpoints_live, touchpoint.opportunity_touchpoints_live,
    touchpoint.conversion_events TO regress_tp_priv_emea;
-- opportunity_touchpoints_live credits the materialized touchpoints (filled
-- by their owner, all rows): granted here so that the analyst's row-level
-- security on people and opportunities shows through it.
GRANT SELECT ON touchpoint.touchpoints TO regress_tp_priv_emea;
ALTER TABLE touchpoint.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.form_submits ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.people ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.opportunities ENABLE ROW LEVEL SECURITY;
CREATE POLICY emea ON touchpoint.sessions TO regress_tp_priv_emea USING (bizible_id LIKE 'emea-%');
CREATE POLICY emea ON touchpoint.tasks TO regress_tp_priv_emea USING (bizible_id LIKE 'emea-%');
CREATE POLICY emea ON touchpoint.form_submits TO regress_tp_priv_emea USING (bizible_id LIKE 'emea-%');
CREATE POLICY emea ON touchpoint.chats TO regress_tp_priv_emea USING (bizible_id LIKE 'emea-%');
CREATE POLICY emea ON touchpoint.people TO regress_tp_priv_emea USING (person_id LIKE 'p-emea%');
CREATE POLICY emea ON touchpoint.opportunities TO regress_tp_priv_emea USING (account_id = 'EMEACO');

-- What the owner sees, kept for comparison.
CREATE TEMP TABLE owner_live AS SELECT * FROM touchpoint.touchpoints_live;
CREATE TEMP TABLE owner_credit AS SELECT * FROM touchpoint.opportunity_touchpoints_live;
CREATE TEMP TABLE owner_merge AS SELECT * FROM touchpoint.merge_calls();
CREATE TEMP TABLE owner_explain AS SELECT * FROM touchpoint.explain_calls();
CREATE TEMP TABLE owner_events AS SELECT * FROM touchpoint.conversion_events;
GRANT SELECT ON owner_live, owner_credit, owner_merge, owner_explain, owner_events TO regress_tp_priv_emea;
SELECT touchpoint_id, journey_id, position, channel FROM owner_live ORDER BY touchpoint_id COLLATE "C";

SET ROLE regress_tp_priv_emea;
SELECT function_name, pg_temp.try(call) AS emea FROM calls ORDER BY 1;
SELECT c.relname AS relation, c.relkind,
       pg_temp.try(format('SELECT * FROM %s', c.oid::regclass)) AS emea
FROM pg_class c WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
ORDER BY 1;
-- each result equals the owner's restricted to emea (EXCEPT ALL both ways is empty)
SELECT 'touchpoints_live' AS result, count(*) AS rows,
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.touchpoints_live
                               EXCEPT ALL SELECT * FROM owner_live WHERE bizible_id LIKE 'emea-%')
                              UNION ALL
                              (SELECT * FROM owner_live WHERE bizible_id LIKE 'emea-%'
                               EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)) d) AS differences
FROM touchpoint.touchpoints_live
UNION ALL
SELECT 'opportunity_touchpoints_live', count(*),
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.opportunity_touchpoints_live
                               EXCEPT ALL SELECT * FROM owner_credit WHERE account_id = 'EMEACO')
                              UNION ALL
                              (SELECT * FROM owner_credit WHERE account_id = 'EMEACO'
                               EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints_live)) d)
FROM touchpoint.opportunity_touchpoints_live
UNION ALL
SELECT 'merge_calls', count(*),
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.merge_calls()
                               EXCEPT ALL SELECT * FROM owner_merge WHERE bizible_id LIKE 'emea-%')
                              UNION ALL
                              (SELECT * FROM owner_merge WHERE bizible_id LIKE 'emea-%'
                               EXCEPT ALL SELECT * FROM touchpoint.merge_calls())) d)
FROM touchpoint.merge_calls()
UNION ALL
SELECT 'explain_calls', count(*),
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.explain_calls()
                               EXCEPT ALL SELECT * FROM owner_explain WHERE task_id LIKE 't-emea-%')
                              UNION ALL
                              (SELECT * FROM owner_explain WHERE task_id LIKE 't-emea-%'
                               EXCEPT ALL SELECT * FROM touchpoint.explain_calls())) d)
FROM touchpoint.explain_calls()
UNION ALL
SELECT 'conversion_events', count(*),
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.conversion_events
                               EXCEPT ALL SELECT * FROM owner_events WHERE bizible_id LIKE 'emea-%')
                              UNION ALL
                              (SELECT * FROM owner_events WHERE bizible_id LIKE 'emea-%'
                               EXCEPT ALL SELECT * FROM touchpoint.conversion_events)) d)
FROM touchpoint.conversion_events;
-- an amer task does not exist for the analyst
SELECT pg_temp.try('SELECT * FROM touchpoint.explain_call(''t-amer-1'')') AS explain_amer_task;
RESET ROLE;

-- touchpoint_reader (what BI logins get): the materialized views and the
-- report, nothing of the inputs.
SET ROLE regress_tp_priv_bi;
SELECT c.relname AS relation, c.relkind,
       pg_temp.try(format('SELECT * FROM %s', c.oid::regclass)) AS touchpoint_reader
FROM pg_class c WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
ORDER BY 1;
SELECT function_name, pg_temp.try(call) AS touchpoint_reader
FROM calls WHERE function_name IN ('merge_calls', 'explain_calls', 'refresh') ORDER BY 1;
RESET ROLE;

-- Clean up.
DROP POLICY emea ON touchpoint.sessions;
DROP POLICY emea ON touchpoint.tasks;
DROP POLICY emea ON touchpoint.form_submits;
DROP POLICY emea ON touchpoint.chats;
DROP POLICY emea ON touchpoint.people;
DROP POLICY emea ON touchpoint.opportunities;
ALTER TABLE touchpoint.sessions DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.tasks DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.form_submits DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.chats DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.people DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.opportunities DISABLE ROW LEVEL SECURITY;
DROP TABLE owner_live, owner_credit, owner_merge, owner_explain, owner_events;
REVOKE ALL ON touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
    touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.custom_model,
    touchpoint.touchpoints_live, touchpoint.opportunity_touchpoints_live, touchpoint.conversion_events,
    touchpoint.touchpoints
    FROM regress_tp_priv_emea;
REVOKE USAGE ON SCHEMA touchpoint FROM regress_tp_priv_nobody, regress_tp_priv_emea;
DROP ROLE regress_tp_priv_nobody, regress_tp_priv_emea, regress_tp_priv_bi;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities;
-- leave the stored relations as a fresh install has them (empty)
DELETE FROM touchpoint.opportunity_touchpoints;
DELETE FROM touchpoint_internal.position_credits;
DELETE FROM touchpoint.touchpoints;
