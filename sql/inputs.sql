-- inputs: any relation with the needed columns works, found by name — a view
-- over a CRM's own tables, other column types, materialized views,
-- partitioned tables, names that need quoting (docs/spec.md §3.3).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- A Salesforce-shaped Task table and a web-analytics export, as synced by an ETL.
CREATE SCHEMA "Salesforce Sync";
CREATE TABLE "Salesforce Sync"."Task" (
    "Id" varchar(18) PRIMARY KEY,
    "WhoId" varchar(18),
    "Subject" varchar(255),
    "Type" varchar(40),
    "Phone__c" varchar(40),
    "bizible2__BizibleId__c" varchar(255),
    "bizible2__Touchpoint_Date__c" timestamptz,
    "CreatedDate" timestamptz NOT NULL,
    "ActivityDate" date,
    "IsDeleted" boolean NOT NULL DEFAULT false
);
CREATE TABLE "Salesforce Sync".web_sessions (
    id bigint PRIMARY KEY,
    cookie_id uuid NOT NULL,
    event_date timestamptz NOT NULL,
    last_page_view timestamptz,
    channel varchar(60), web_source text, utm_medium text, utm_campaign text,
    utm_content text, utm_term text, landing_page text, referrer_page text
);
INSERT INTO "Salesforce Sync".web_sessions VALUES
 (1001, '08c1063c-b0a6-4349-ad0d-2d862f5cc700', '2026-03-02 12:17', '2026-03-02 12:30', 'Paid Search.Google', 'google', 'cpc', 'spring', 'Call us', 'call tracking', 'https://example.com/pricing', 'https://www.google.com/'),
 (1002, '08c1063c-b0a6-4349-ad0d-2d862f5cc700', '2026-03-03 09:00', NULL, 'Email', 'newsletter', 'email', 'march', NULL, NULL, 'https://example.com/', NULL);
INSERT INTO "Salesforce Sync"."Task" VALUES
 ('00T000000000001AAA', '00Q000000000001AAA', 'Inbound call (CTM)', 'Call', '+14155550134',
  '08C1063C-B0A6-4349-AD0D-2D862F5CC700', '2026-03-02 12:40', '2026-03-02 12:41', '2026-03-02', false),
 -- the vendor's touchpoint date is missing: CreatedDate is used, never ActivityDate
 ('00T000000000002AAA', '003000000000001AAA', 'Inbound call (CTM)', 'Call', '+14155550134',
  '08c1063c-b0a6-4349-ad0d-2d862f5cc700', NULL, '2026-03-03 09:10', '2026-03-03', false),
 ('00T000000000003AAA', '003000000000001AAA', 'Follow-up', 'Email', NULL,
  NULL, NULL, '2026-03-03 10:00', '2026-03-03', false);

-- The mapping views, with the names touchpoint reads.
CREATE VIEW "Salesforce Sync".tp_tasks AS
SELECT "Id" AS task_id, "bizible2__BizibleId__c" AS bizible_id, "Type" AS type,
       "Subject" AS subject, "Phone__c" AS phone, "WhoId" AS person_id,
       coalesce("bizible2__Touchpoint_Date__c", "CreatedDate") AS occurred_at,
       "IsDeleted" AS is_deleted
FROM "Salesforce Sync"."Task";
CREATE VIEW "Salesforce Sync".tp_sessions AS
SELECT id AS session_id, cookie_id AS bizible_id, event_date AS started_at,
       last_page_view AS last_activity_at,
       split_part(channel, '.', 1) AS channel, nullif(split_part(channel, '.', 2), '') AS subchannel,
       web_source AS source, utm_medium AS medium, utm_campaign AS campaign, utm_content AS ad_content,
       utm_term AS keyword, landing_page, referrer_page
FROM "Salesforce Sync".web_sessions;

SELECT task_id, bizible_id, person_id, session_id, touchpoint_type, medium, touchpoint_date,
       channel, subchannel, source, campaign, keyword
FROM touchpoint.merge_calls('"Salesforce Sync".tp_sessions', '"Salesforce Sync".tp_tasks')
ORDER BY task_id;
SELECT task_id, status, session_id, gap
FROM touchpoint.explain_calls('"Salesforce Sync".tp_sessions', '"Salesforce Sync".tp_tasks')
ORDER BY task_id;
-- explain_call on a view: the task key is compared in the column's own type
SELECT task_id, status FROM touchpoint.explain_call('00T000000000002AAA',
    '"Salesforce Sync".tp_sessions', '"Salesforce Sync".tp_tasks');

-- An integer task key: explain_call takes its text form.
CREATE TABLE int_tasks (task_id bigint PRIMARY KEY, bizible_id text, type text, subject text,
    phone text, person_id bigint, occurred_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
INSERT INTO int_tasks VALUES (42, '08c1063cb0a64349ad0d2d862f5cc700-x', 'Call', NULL, NULL, 7, '2026-03-02 12:40', false);
SELECT task_id, person_id, touchpoint_type FROM touchpoint.merge_calls('"Salesforce Sync".tp_sessions', 'int_tasks');
SELECT task_id, status FROM touchpoint.explain_call('42', '"Salesforce Sync".tp_sessions', 'int_tasks');

-- A materialized view and a partitioned table as inputs.
CREATE MATERIALIZED VIEW mv_sessions AS SELECT * FROM touchpoint.sessions;
CREATE TABLE part_tasks (LIKE touchpoint.tasks) PARTITION BY RANGE (occurred_at);
CREATE TABLE part_tasks_2026_03 PARTITION OF part_tasks FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
CREATE TABLE part_tasks_other PARTITION OF part_tasks DEFAULT;
INSERT INTO part_tasks SELECT * FROM touchpoint.tasks;
SELECT (SELECT count(*) FROM touchpoint.merge_calls('mv_sessions', 'part_tasks')) AS from_mv_and_partitions,
       (SELECT count(*) FROM touchpoint.merge_calls()) AS from_own_tables,
       (SELECT count(*) FROM (SELECT * FROM touchpoint.merge_calls('mv_sessions', 'part_tasks')
                              EXCEPT ALL SELECT * FROM touchpoint.merge_calls()) d) AS differences;

-- Names that need quoting: spaces, quotes, semicolons, mixed case.
CREATE SCHEMA "we""ird; schema";
CREATE TABLE "we""ird; schema"."Sessions; DROP TABLE x" (LIKE touchpoint.sessions);
CREATE TABLE "we""ird; schema"."Tasks ""2026""" (LIKE touchpoint.tasks);
INSERT INTO "we""ird; schema"."Sessions; DROP TABLE x" SELECT * FROM touchpoint.sessions;
INSERT INTO "we""ird; schema"."Tasks ""2026""" SELECT * FROM touchpoint.tasks;
SELECT count(*) AS touchpoints
FROM touchpoint.merge_calls('"we""ird; schema"."Sessions; DROP TABLE x"', '"we""ird; schema"."Tasks ""2026"""');

-- Column types: domains over timestamptz and text, and citext-like varchar.
CREATE DOMAIN call_time AS timestamptz CHECK (VALUE > '2000-01-01');
CREATE DOMAIN crm_id AS varchar(18);
CREATE TABLE dom_tasks (task_id crm_id PRIMARY KEY, bizible_id char(32), type varchar, subject text,
    phone text, person_id crm_id, occurred_at call_time NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
INSERT INTO dom_tasks VALUES ('00T1', 'AAAA0000000000000000000000000001', 'Call', NULL, NULL, NULL, '2026-03-02 12:40', false);
SELECT task_id, session_id, touchpoint_type FROM touchpoint.merge_calls('touchpoint.sessions', 'dom_tasks');

-- The input can change between calls: a dropped view is an error, a
-- re-created one is read afresh.
CREATE VIEW flip_tasks AS SELECT * FROM touchpoint.tasks WHERE task_id = 't-doc';
SELECT task_id, status FROM touchpoint.explain_calls('touchpoint.sessions', 'flip_tasks');
CREATE OR REPLACE VIEW flip_tasks AS SELECT * FROM touchpoint.tasks WHERE task_id = 't-doc-in';
SELECT task_id, status FROM touchpoint.explain_calls('touchpoint.sessions', 'flip_tasks');
DROP VIEW flip_tasks;
SELECT task_id, status FROM touchpoint.explain_calls('touchpoint.sessions', 'flip_tasks');

DROP SCHEMA "Salesforce Sync" CASCADE;
DROP SCHEMA "we""ird; schema" CASCADE;
DROP TABLE int_tasks, part_tasks, dom_tasks;
DROP MATERIALIZED VIEW mv_sessions;
DROP DOMAIN call_time, crm_id;

-- Edge cases every way of reading the sessions must agree on (found in review):
-- a session that started at -infinity covers, under the last_activity anchor,
-- every call until its last activity + window; and a called id's session with a
-- NULL session_id is an error even far from the call.  Plain tables (NOT NULL,
-- then nullable), with and without the (bizible_key, started_at) index, so the
-- direct probe, the SPI probe, the batched heap scan and the sorted merge all run.
CREATE TABLE edge_sessions (session_id text, bizible_id text, started_at timestamptz,
    last_activity_at timestamptz, channel text, subchannel text, source text, medium text,
    campaign text, ad_content text, keyword text, landing_page text, referrer_page text);
CREATE TABLE edge_tasks (task_id text, bizible_id text, type text, subject text, phone text,
    person_id text, occurred_at timestamptz, is_deleted boolean);
INSERT INTO edge_sessions (session_id, bizible_id, started_at, last_activity_at) VALUES
 ('s-inf',  'edge-a', '-infinity', '2026-03-02 11:50+00'),
 ('s-b',    'edge-b', '2026-03-02 11:55+00', NULL),
 ('s-c',    'edge-c', '2026-03-02 11:59+00', NULL),
 ('s-pinf', 'edge-c', 'infinity', NULL);
-- and calls at +-infinity: a window from an infinite start or anchor is empty
INSERT INTO edge_tasks (task_id, bizible_id, occurred_at, is_deleted) VALUES
 ('t-a',    'EDGE-A', '2026-03-02 12:00+00', false),
 ('t-b',    'edge-b', '2026-03-02 12:00+00', false),
 ('t-c',    'edge-c', '2026-03-02 12:00+00', false),
 ('t-ninf', 'edge-a', '-infinity', false),
 ('t-pinf', 'edge-c', 'infinity', false);
CREATE FUNCTION edge_run(p_index boolean) RETURNS TABLE (anchor text, strategy text, result text)
LANGUAGE plpgsql AS $$
DECLARE
    a text;
    s text;
BEGIN
    IF p_index THEN
        CREATE INDEX edge_sessions_key ON edge_sessions
            (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
    END IF;
    FOREACH a IN ARRAY ARRAY['session_start', 'last_activity'] LOOP
        FOREACH s IN ARRAY ARRAY['scan', 'probe', 'scan_executor', 'sorted'] LOOP
            PERFORM set_config('touchpoint.window_anchor', a, true);
            PERFORM set_config('touchpoint.merge_strategy', s, true);
            anchor := a;
            strategy := s;
            BEGIN
                SELECT string_agg(m.task_id || '=' || COALESCE(m.session_id, '-'), ' ' ORDER BY m.task_id)
                INTO result FROM touchpoint.merge_calls('edge_sessions', 'edge_tasks') m;
            EXCEPTION WHEN OTHERS THEN
                result := SQLSTATE || ' ' || SQLERRM;
            END;
            RETURN NEXT;
        END LOOP;
    END LOOP;
    IF p_index THEN
        DROP INDEX edge_sessions_key;
    END IF;
END $$;
-- s-inf wins t-a and t-ninf only under last_activity (active until 11:50,
-- window 30 min); t-pinf is never merged;
-- with NOT NULL columns the direct probe reads each id's range of starts
ALTER TABLE edge_sessions ALTER session_id SET NOT NULL, ALTER started_at SET NOT NULL;
SELECT * FROM edge_run(false);
SELECT * FROM edge_run(true);
-- a NULL session_id on edge-b's session a year before the call: an error everywhere
-- (the columns allow NULL now, so the direct probe reads each id whole)
ALTER TABLE edge_sessions ALTER session_id DROP NOT NULL, ALTER started_at DROP NOT NULL;
INSERT INTO edge_sessions (session_id, bizible_id, started_at) VALUES (NULL, 'edge-b', '2025-01-01 00:00+00');
SELECT * FROM edge_run(false);
SELECT * FROM edge_run(true);
RESET touchpoint.window_anchor;
RESET touchpoint.merge_strategy;
DROP FUNCTION edge_run(boolean);
DROP TABLE edge_sessions, edge_tasks;

-- A user's sessions table with many rows, few calls, and only an index on
-- the raw bizible_id: merge_calls and explain_calls read every session and
-- say so once, with the exact CREATE INDEX that lets them read only the
-- sessions of the called ids.  After it, the probe walks that index (no
-- sequential scan of the table) and nothing is said.
CREATE TABLE my_sessions (session_id text PRIMARY KEY, bizible_id text NOT NULL,
    started_at timestamptz NOT NULL, last_activity_at timestamptz, channel text, subchannel text,
    source text, medium text, campaign text, ad_content text, keyword text, landing_page text,
    referrer_page text);
CREATE INDEX my_sessions_raw_id ON my_sessions (bizible_id);
INSERT INTO my_sessions (session_id, bizible_id, started_at)
SELECT 'ms' || g, 'mb' || (g % 5000), timestamptz '2026-01-01 00:00+00' + g * interval '1 minute'
FROM generate_series(1, 20000) g;
CREATE TABLE my_tasks (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO my_tasks (task_id, bizible_id, type, occurred_at)
SELECT 'mt' || g, 'MB' || g, 'Call', timestamptz '2026-01-01 00:05+00' + g * interval '1 minute'
FROM generate_series(1, 3) g;
ANALYZE my_sessions;
ANALYZE my_tasks;
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT task_id, session_id FROM touchpoint.merge_calls('my_sessions', 'my_tasks') ORDER BY task_id;
SELECT task_id, status, session_id FROM touchpoint.explain_calls('my_sessions', 'my_tasks') ORDER BY task_id;
SELECT seq_scan > 0 AS read_whole_table FROM pg_stat_xact_user_tables WHERE relname = 'my_sessions';
COMMIT;
-- not when the strategy is forced, nor for a view over the same table
SET touchpoint.merge_strategy = 'probe';
SELECT count(session_id) AS merged FROM touchpoint.merge_calls('my_sessions', 'my_tasks');
RESET touchpoint.merge_strategy;
CREATE VIEW my_sessions_v AS SELECT * FROM my_sessions;
SELECT count(session_id) AS merged FROM touchpoint.merge_calls('my_sessions_v', 'my_tasks');
-- nor for a small table (below 10,000 estimated rows)
CREATE TABLE my_small_sessions AS SELECT * FROM my_sessions ORDER BY session_id LIMIT 5000;
ANALYZE my_small_sessions;
SELECT count(session_id) AS merged FROM touchpoint.merge_calls('my_small_sessions', 'my_tasks');
DROP TABLE my_small_sessions;
-- the statement of the NOTICE, as printed
CREATE INDEX ON public.my_sessions ((touchpoint.bizible_key(bizible_id) COLLATE "C"), started_at);
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT task_id, session_id FROM touchpoint.merge_calls('my_sessions', 'my_tasks') ORDER BY task_id;
SELECT task_id, status, session_id FROM touchpoint.explain_calls('my_sessions', 'my_tasks') ORDER BY task_id;
SELECT seq_scan AS seq_scans, idx_scan > 0 AS probed_by_index
FROM pg_stat_xact_user_tables WHERE relname = 'my_sessions';
COMMIT;
-- touchpoint's own tables ship with the index: no NOTICE for them, even
-- when their statistics say they are large (faked here, rolled back)
BEGIN;
UPDATE pg_class SET reltuples = 1e6 WHERE oid = 'touchpoint.sessions'::regclass;
SELECT count(*) > 0 AS merged_some FROM touchpoint.merge_calls();
SELECT count(*) > 0 AS explained_some FROM touchpoint.explain_calls();
ROLLBACK;
DROP VIEW my_sessions_v;
DROP TABLE my_sessions, my_tasks;
