-- inputs: any relation with the needed columns works, found by name — a view
-- over a CRM's own tables, other column types, materialized views,
-- partitioned tables, names that need quoting (SPEC §3.3).
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
