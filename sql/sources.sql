-- sources: your own tables all the way through (docs/spec.md §7).
-- touchpoint.use_source registers a user's relation as one input, the view
-- touchpoint.sources shows what each input reads, touchpoint_internal.source()
-- is what the functions' defaults (and refresh) read through.  Salesforce-
-- shaped CRM tables and a web-analytics sessions table, mapped by views and
-- registered, give exactly what loading the same rows into touchpoint's
-- tables gives.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities;

-- try(sql): 'ok <rows>', or the error's SQLSTATE, message, detail and hint.
CREATE FUNCTION pg_temp.try(stmt text, OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE stmt;
    GET DIAGNOSTICS n = ROW_COUNT;
    state := 'ok ' || n;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;
-- the first "SELECT touchpoint.use_source(...);" a hint proposes, with
-- 'new_name' or 'your_view' replaced by the relation the user now has
CREATE FUNCTION pg_temp.hint_call(hint text, new_name text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT replace(replace(substring(hint FROM 'SELECT touchpoint\.use_source\([^;]*\);'),
                           '''new_name''', coalesce(quote_literal(new_name), '''new_name''')),
                   '''your_view''', coalesce(quote_literal(new_name), '''your_view'''))
$$;

-- ===================================================================
-- 1. Nothing registered: every input is touchpoint's own table.
SELECT * FROM touchpoint.sources;
SELECT k, touchpoint_internal.source(k)
FROM unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']) k;
SELECT * FROM touchpoint_internal.check_sources();
SELECT count(*) AS registrations FROM touchpoint_internal.source_registry;

-- ===================================================================
-- 2. The user's own data: a web-analytics sessions table and Salesforce-
-- shaped CRM tables, with their own names and types.  This setup is the
-- one the touchpoints and credit comparison reuses (load_own_tables()
-- copies the same rows into touchpoint's tables).
CREATE SCHEMA web;
CREATE SCHEMA sfdc;
-- web analytics: bigint ids, the start as a timestamp without time zone (UTC)
CREATE TABLE web.visits (
    visit_id bigint PRIMARY KEY, cookie text NOT NULL, visit_start timestamp NOT NULL,
    last_hit timestamptz, channel_grouping text, utm_source text, utm_medium text,
    utm_campaign text, utm_content text, utm_term text, landing_url text, referrer_url text);
INSERT INTO web.visits
SELECT n,
       CASE n % 7 WHEN 0 THEN upper(md5('visitor' || n % 90)) WHEN 1 THEN ' ' || md5('visitor' || n % 90) || ' '
                  ELSE md5('visitor' || n % 90) END,
       timestamp '2026-01-05 08:00' + (n * 97 % 5000) * interval '1 minute',
       CASE WHEN n % 5 <> 0 THEN (timestamp '2026-01-05 08:00' + (n * 97 % 5000) * interval '1 minute') AT TIME ZONE 'UTC'
                                 + (n % 40) * interval '1 minute' END,
       (ARRAY[NULL, 'Paid Search', 'Email', '', 'Organic Search', 'Social'])[n % 6 + 1],
       (ARRAY['google', 'newsletter', NULL, 'linkedin'])[n % 4 + 1],
       (ARRAY['cpc', 'email', NULL, 'social', 'organic'])[n % 5 + 1],
       'campaign-' || n % 9, CASE WHEN n % 3 = 0 THEN 'ad-' || n % 4 END, CASE WHEN n % 2 = 0 THEN 'kw ' || n % 5 END,
       'https://www.example.com/p/' || n % 12, CASE WHEN n % 4 = 1 THEN 'https://referrer.example/' || n END
FROM generate_series(1, 300) n;

-- Salesforce Task: the vendor's call time in a custom field, else CreatedDate;
-- ActivityDate is date-only and must not be used.
CREATE TABLE sfdc."Task" (
    "Id" text PRIMARY KEY, "WhoId" text, "Type" text, "Subject" text, "Phone" text,
    "ActivityDate" date, "CreatedDate" timestamptz NOT NULL, "CTM_Call_Time__c" timestamptz,
    "IsDeleted" boolean NOT NULL DEFAULT false, "bizible2__BizibleId__c" text);
INSERT INTO sfdc."Task"
SELECT '00T' || lpad(n::text, 6, '0'),
       CASE WHEN n % 4 <> 0 THEN '00Q' || lpad((n % 50)::text, 6, '0') END,
       (ARRAY['Call', NULL, ' Inbound Call ', '', 'Phone Call'])[n % 5 + 1],
       'Call ' || n, '+1 555 01' || lpad(n::text, 2, '0'),
       call_at::date,
       call_at + CASE WHEN n % 3 = 0 THEN interval '0' ELSE interval '2 minutes' END,
       CASE WHEN n % 3 <> 0 THEN call_at END,
       n % 17 = 0,
       CASE WHEN n % 11 = 0 THEN NULL WHEN n % 11 = 1 THEN '  ' WHEN n % 13 = 0 THEN md5('nobody' || n)
            WHEN n % 2 = 0 THEN lower(v.cookie) ELSE v.cookie END
FROM generate_series(1, 200) n
JOIN web.visits v ON v.visit_id = n * 3 % 300 + 1
CROSS JOIN LATERAL (SELECT v.visit_start AT TIME ZONE 'UTC' + (n * 13 % 50) * interval '1 minute'
                           - CASE WHEN n % 19 = 0 THEN interval '1 hour' ELSE interval '0' END AS call_at) c;

CREATE TABLE sfdc."Contact" ("Id" text PRIMARY KEY, "AccountId" text, "Email" text);
INSERT INTO sfdc."Contact"
SELECT '00Q' || lpad(n::text, 6, '0'), 'ACC' || n % 12, 'person' || n || '@example.com' FROM generate_series(0, 49) n;
CREATE TABLE sfdc."Opportunity" ("Id" text PRIMARY KEY, "AccountId" text NOT NULL, "Amount" numeric(18,2) NOT NULL,
    "CreatedDate" timestamptz NOT NULL, "CloseDate" timestamptz, "IsClosed" boolean, "IsWon" boolean);
INSERT INTO sfdc."Opportunity"
SELECT '006' || lpad(n::text, 6, '0'), 'ACC' || n % 12, 1000 * n + 0.5, timestamptz '2026-01-06' + n * interval '7 hours',
       CASE WHEN n % 3 <> 0 THEN timestamptz '2026-01-09' + n * interval '5 hours' END, n % 3 <> 0, n % 3 = 1
FROM generate_series(1, 20) n;
CREATE TABLE web.form_fills (fill_id int PRIMARY KEY, cookie text NOT NULL, visit_id bigint, submitted timestamptz NOT NULL,
    url text, lead_id text);
INSERT INTO web.form_fills
SELECT n, v.cookie, CASE WHEN n % 3 = 0 THEN v.visit_id END, v.visit_start AT TIME ZONE 'UTC' + (n % 45) * interval '1 minute',
       'https://www.example.com/form/' || n % 3, CASE WHEN n % 2 = 0 THEN '00Q' || lpad((n % 50)::text, 6, '0') END
FROM generate_series(1, 60) n JOIN web.visits v ON v.visit_id = n * 5 % 300 + 1;
CREATE TABLE web.chat_sessions (chat_key text PRIMARY KEY, cookie text NOT NULL, visit_id bigint, opened timestamptz NOT NULL, lead_id text);
INSERT INTO web.chat_sessions
SELECT 'chat-' || n, v.cookie, CASE WHEN n % 4 = 0 THEN v.visit_id END, v.visit_start AT TIME ZONE 'UTC' + (n % 35) * interval '1 minute',
       CASE WHEN n % 3 = 0 THEN '00Q' || lpad((n % 50)::text, 6, '0') END
FROM generate_series(1, 30) n JOIN web.visits v ON v.visit_id = n * 7 % 300 + 1;

-- The mapping views, as the README shows them.  security_invoker: each role
-- reads the tables as itself (row-level security and grants hold).
CREATE VIEW public.my_sessions WITH (security_invoker = true) AS
SELECT visit_id AS session_id, cookie AS bizible_id, visit_start AT TIME ZONE 'UTC' AS started_at,
       last_hit AS last_activity_at, channel_grouping AS channel, NULL::text AS subchannel,
       utm_source AS source, utm_medium AS medium, utm_campaign AS campaign, utm_content AS ad_content,
       utm_term AS keyword, landing_url AS landing_page, referrer_url AS referrer_page
FROM web.visits;
CREATE VIEW public.my_tasks WITH (security_invoker = true) AS
SELECT "Id" AS task_id, "bizible2__BizibleId__c" AS bizible_id, "Type" AS type, "Subject" AS subject,
       "Phone" AS phone, "WhoId" AS person_id, COALESCE("CTM_Call_Time__c", "CreatedDate") AS occurred_at,
       "IsDeleted" AS is_deleted
FROM sfdc."Task";
CREATE VIEW public.my_form_submits WITH (security_invoker = true) AS
SELECT fill_id::text AS submit_id, cookie AS bizible_id, visit_id::text AS session_id, submitted AS submitted_at,
       url AS form_url, lead_id AS person_id
FROM web.form_fills;
CREATE VIEW public.my_chats WITH (security_invoker = true) AS
SELECT chat_key AS chat_id, cookie AS bizible_id, visit_id::text AS session_id, opened AS started_at, lead_id AS person_id
FROM web.chat_sessions;
CREATE VIEW public.my_people WITH (security_invoker = true) AS
SELECT "Id" AS person_id, "AccountId" AS account_id, "Email" AS email FROM sfdc."Contact";
CREATE VIEW public.my_opportunities WITH (security_invoker = true) AS
SELECT "Id" AS opportunity_id, "AccountId" AS account_id, "Amount" AS amount, "CreatedDate" AS created_at,
       CASE WHEN "IsClosed" THEN "CloseDate" END AS closed_at, "IsWon" AS is_won
FROM sfdc."Opportunity";

-- The same rows loaded into touchpoint's own tables.
CREATE FUNCTION public.load_own_tables() RETURNS void LANGUAGE sql AS $$
    TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
             touchpoint.people, touchpoint.opportunities;
    INSERT INTO touchpoint.sessions SELECT session_id::text, bizible_id, started_at, last_activity_at, channel,
        subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page FROM public.my_sessions;
    INSERT INTO touchpoint.tasks SELECT * FROM public.my_tasks;
    INSERT INTO touchpoint.form_submits SELECT * FROM public.my_form_submits;
    INSERT INTO touchpoint.chats SELECT * FROM public.my_chats;
    INSERT INTO touchpoint.people SELECT * FROM public.my_people;
    INSERT INTO touchpoint.opportunities SELECT * FROM public.my_opportunities;
$$;
SELECT public.load_own_tables();

-- ===================================================================
-- 3. Registering: each kind, with what use_source says.
SELECT touchpoint.use_source('sessions', 'my_sessions');
SELECT touchpoint.use_source('tasks', 'public.my_tasks');
SELECT touchpoint.use_source('form_submits', 'my_form_submits');
SELECT touchpoint.use_source('chats', 'my_chats');
SELECT touchpoint.use_source('people', 'my_people');
SELECT touchpoint.use_source('opportunities', 'my_opportunities');
SELECT kind, relation, is_own_table, change_detection, status, registered_at IS NOT NULL AS registered
FROM touchpoint.sources;
SELECT * FROM touchpoint_internal.check_sources();
-- registering again replaces; the registry holds the qualified name and no reg* column
SELECT touchpoint.use_source('sessions', 'my_sessions');
SELECT kind, relation, relid = relation::regclass::oid AS oid_is_the_relations FROM touchpoint_internal.source_registry ORDER BY kind;
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
WHERE a.attrelid = 'touchpoint_internal.source_registry'::regclass AND a.attnum > 0 ORDER BY a.attnum;

-- ===================================================================
-- 4. The own-tables test: merge_calls(), explain_calls() and explain_call()
-- without arguments read the registered views and give exactly what
-- touchpoint's tables holding the same rows give.
SELECT count(*) AS merged_rows, count(session_id) AS with_session,
       count(DISTINCT touchpoint_type) AS types FROM touchpoint.merge_calls();
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM touchpoint.merge_calls()
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks'))
    UNION ALL
    (SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks')
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls())) d;
SELECT status, count(*) FROM touchpoint.explain_calls() GROUP BY 1 ORDER BY 1;
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM touchpoint.explain_calls()
     EXCEPT ALL SELECT * FROM touchpoint.explain_calls('touchpoint.sessions', 'touchpoint.tasks'))
    UNION ALL
    (SELECT * FROM touchpoint.explain_calls('touchpoint.sessions', 'touchpoint.tasks')
     EXCEPT ALL SELECT * FROM touchpoint.explain_calls())) d;
-- with the window argument alone, by name
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM touchpoint.merge_calls(session_window => '45 min')
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks', '45 min'))
    UNION ALL
    (SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks', '45 min')
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls(session_window => '45 min'))) d;
SELECT (SELECT row(e.*)::text FROM touchpoint.explain_call('00T000007') e)
     = (SELECT row(e.*)::text FROM touchpoint.explain_call('00T000007', 'touchpoint.sessions', 'touchpoint.tasks') e)
       AS explain_call_same;
SELECT task_id, status, session_id, detail FROM touchpoint.explain_call('00T000007');

-- Naming a relation still reads that one; a NULL relation is still an error.
TRUNCATE touchpoint.sessions, touchpoint.tasks;
SELECT (SELECT count(*) FROM touchpoint.merge_calls()) AS registered,
       (SELECT count(*) FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks')) AS named_own_tables,
       (SELECT count(*) FROM touchpoint.merge_calls(sessions => 'touchpoint.sessions')) AS named_sessions_only;
SELECT state, message FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls(NULL)');
SELECT state, message FROM pg_temp.try('SELECT * FROM touchpoint.explain_calls(tasks => NULL)');
SELECT state, message FROM pg_temp.try('SELECT * FROM touchpoint.explain_call(''00T000007'', NULL)');
-- a task that is not in the registered tasks
SELECT state, message FROM pg_temp.try('SELECT * FROM touchpoint.explain_call(''no-such-task'')');
SELECT public.load_own_tables();

-- ===================================================================
-- 5. Errors of use_source, each with its SQLSTATE.
CREATE TABLE public.half_sessions (sid text, bid text);
CREATE SEQUENCE public.some_sequence;
CREATE TEMP VIEW temp_sessions AS SELECT * FROM touchpoint.sessions;
CREATE MATERIALIZED VIEW public.unfilled_people AS SELECT * FROM public.my_people WITH NO DATA;
CREATE VIEW public.date_only_tasks AS
SELECT "Id" AS task_id, "bizible2__BizibleId__c" AS bizible_id, "Type" AS type, "Subject" AS subject,
       "Phone" AS phone, "WhoId" AS person_id, "ActivityDate" AS occurred_at, "IsDeleted" AS is_deleted
FROM sfdc."Task";
CREATE VIEW public.text_amounts AS
SELECT opportunity_id, account_id, amount::text AS amount, created_at, closed_at, is_won FROM public.my_opportunities;
\x on
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''visits'', ''my_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(NULL, ''my_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''half_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''my_tasks'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''chats'', ''half_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''people'', ''half_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''opportunities'', ''half_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''form_submits'', ''my_chats'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''tasks'', ''date_only_tasks'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''opportunities'', ''text_amounts'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''some_sequence'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''touchpoint.sessions_pkey'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''temp_sessions'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''people'', ''unfilled_people'')');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''no_such_relation'')');
\x off
-- the template the error proposes, followed: a view with those columns registers
CREATE VIEW public.half_sessions_mapped AS
SELECT sid AS session_id, bid AS bizible_id, now() AS started_at, NULL::timestamptz AS last_activity_at,
       NULL::text AS channel, NULL::text AS subchannel, NULL::text AS source, NULL::text AS medium,
       NULL::text AS campaign, NULL::text AS ad_content, NULL::text AS keyword, NULL::text AS landing_page,
       NULL::text AS referrer_page FROM public.half_sessions;
SELECT touchpoint.use_source('sessions', 'half_sessions_mapped');
-- a failed registration changed nothing; touchpoint's own table means the default
SELECT touchpoint.use_source('sessions', 'touchpoint.sessions');
SELECT kind, relation, is_own_table FROM touchpoint.sources WHERE kind = 'sessions';
SELECT touchpoint.use_source('sessions', 'my_sessions');
SELECT touchpoint.use_source('people', NULL);
SELECT kind, relation, is_own_table, registered_at FROM touchpoint.sources WHERE kind = 'people';
SELECT count(*) AS registrations FROM touchpoint_internal.source_registry;
SELECT touchpoint.use_source('people', 'my_people');

-- ===================================================================
-- 6. A registered source renamed, dropped, or losing a column: a clear
-- error at the next use (never an empty result), whose hint works.
ALTER VIEW public.my_sessions RENAME TO web_sessions;
\x on
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls()');
\x off
SELECT kind, status FROM touchpoint.sources WHERE status <> 'ok';
SELECT pg_temp.hint_call(hint) AS followed FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls()') \gset
SELECT :'followed';
:followed
SELECT count(*) AS merged_rows FROM touchpoint.merge_calls();
ALTER VIEW public.web_sessions RENAME TO my_sessions;
SELECT touchpoint.use_source('sessions', 'my_sessions');

-- a dropped tasks view
ALTER VIEW public.my_tasks RENAME TO my_tasks_kept;
CREATE VIEW public.my_tasks AS SELECT * FROM public.my_tasks_kept;
SELECT touchpoint.use_source('tasks', 'my_tasks');
DROP VIEW public.my_tasks;
\x on
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint.explain_calls()');
\x off
SELECT pg_temp.hint_call(hint, 'my_tasks_kept') AS followed FROM pg_temp.try('SELECT * FROM touchpoint.explain_calls()') \gset
:followed
ALTER VIEW public.my_tasks_kept RENAME TO my_tasks;
SELECT touchpoint.use_source('tasks', 'my_tasks');
SELECT count(*) AS explained_rows FROM touchpoint.explain_calls();

-- a view replaced by one that lost columns; then one with a wrong type
ALTER VIEW public.my_people RENAME TO my_people_kept;
CREATE VIEW public.my_people AS SELECT person_id FROM public.my_people_kept;
\x on
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint_internal.check_sources()');
\x off
SELECT kind, status FROM touchpoint.sources WHERE status <> 'ok';
DROP VIEW public.my_people;
CREATE VIEW public.my_people AS SELECT person_id, account_id, 42 AS email FROM public.my_people_kept;
\x on
SELECT * FROM pg_temp.try('SELECT touchpoint_internal.source(''people'')');
\x off
-- a lost column of the sessions: merge_calls says which, with the template
DROP VIEW public.my_sessions;
CREATE VIEW public.my_sessions WITH (security_invoker = true) AS
SELECT visit_id AS session_id, cookie AS bizible_id, visit_start AT TIME ZONE 'UTC' AS started_at FROM web.visits;
\x on
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls()');
-- two sources broken at once: one error names both
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint_internal.check_sources()');
\x off
SELECT kind, status FROM touchpoint.sources WHERE status <> 'ok';
-- the hint's way back: touchpoint's own tables
SELECT pg_temp.hint_call(substring(hint FROM 'go back.*')) AS followed
FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls()') \gset
SELECT :'followed';
:followed
SELECT count(*) AS merged_rows FROM touchpoint.merge_calls();
-- restore the full views and registrations
DROP VIEW public.my_people;
ALTER VIEW public.my_people_kept RENAME TO my_people;
SELECT touchpoint.use_source('people', 'my_people');
CREATE OR REPLACE VIEW public.my_sessions WITH (security_invoker = true) AS
SELECT visit_id AS session_id, cookie AS bizible_id, visit_start AT TIME ZONE 'UTC' AS started_at,
       last_hit AS last_activity_at, channel_grouping AS channel, NULL::text AS subchannel,
       utm_source AS source, utm_medium AS medium, utm_campaign AS campaign, utm_content AS ad_content,
       utm_term AS keyword, landing_url AS landing_page, referrer_url AS referrer_page
FROM web.visits;
SELECT touchpoint.use_source('sessions', 'my_sessions');
SELECT kind, relation, status FROM touchpoint.sources;
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM touchpoint.merge_calls()
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks'))
    UNION ALL
    (SELECT * FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks')
     EXCEPT ALL SELECT * FROM touchpoint.merge_calls())) d;

-- ===================================================================
-- 7. Privileges.  Only the extension's owner registers; merge_calls through
-- a registered view reads as the caller (grants and row-level security hold).
CREATE ROLE regress_src_nobody;
CREATE ROLE regress_src_analyst;
GRANT USAGE ON SCHEMA touchpoint TO regress_src_nobody, regress_src_analyst;
GRANT USAGE ON SCHEMA web, sfdc TO regress_src_analyst;
GRANT SELECT ON web.visits, sfdc."Task", public.my_sessions, public.my_tasks TO regress_src_analyst;
ALTER TABLE web.visits ENABLE ROW LEVEL SECURITY;
CREATE POLICY analyst_first_half ON web.visits FOR SELECT TO regress_src_analyst USING (visit_id <= 150);
SET ROLE regress_src_nobody;
\x on
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', NULL)');
SELECT * FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''my_sessions'')');
SELECT * FROM pg_temp.try('SELECT * FROM touchpoint.merge_calls()');
\x off
SELECT state FROM pg_temp.try('SELECT * FROM touchpoint.explain_calls()');
SELECT state FROM pg_temp.try('SELECT * FROM touchpoint.explain_call(''00T000007'')');
SELECT state FROM pg_temp.try('SELECT * FROM touchpoint.sources');
RESET ROLE;
SET ROLE regress_src_analyst;
SELECT state FROM pg_temp.try('SELECT touchpoint.use_source(''sessions'', ''my_sessions'')');
CREATE TEMP TABLE analyst_merge AS SELECT * FROM touchpoint.merge_calls();
RESET ROLE;
-- the analyst's merge is the merge of the sessions the policy lets it see
CREATE VIEW public.first_half_sessions AS SELECT * FROM public.my_sessions WHERE session_id <= 150;
SELECT (SELECT count(session_id) FROM analyst_merge) AS analyst_merged,
       (SELECT count(session_id) FROM touchpoint.merge_calls()) AS owner_merged,
       (SELECT count(*) FROM analyst_merge WHERE session_id::int > 150) AS analyst_merged_with_hidden_sessions,
       (SELECT count(*) FROM (
            (SELECT * FROM analyst_merge EXCEPT ALL SELECT * FROM touchpoint.merge_calls('first_half_sessions', 'my_tasks'))
            UNION ALL
            (SELECT * FROM touchpoint.merge_calls('first_half_sessions', 'my_tasks') EXCEPT ALL SELECT * FROM analyst_merge)) d)
       AS differing_rows;
-- a member of the owner's role may register
SELECT r.rolname AS owner FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
WHERE c.oid = 'touchpoint_internal.source_registry'::regclass \gset
GRANT :"owner" TO regress_src_analyst;
SET ROLE regress_src_analyst;
SELECT touchpoint.use_source('people', 'my_people');
RESET ROLE;
REVOKE :"owner" FROM regress_src_analyst;

-- ===================================================================
-- refresh() reads the registered sources all the way through (docs/spec.md
-- §7): the touchpoints, placements and credit it makes from the mapping
-- views are exactly those it makes from the same rows loaded into
-- touchpoint's own tables.
SELECT kind, relation FROM touchpoint.sources ORDER BY kind;
-- touchpoint's own tables empty meanwhile: nothing can come from them
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities;
SELECT mode, touchpoints > 100 AS touchpoints, opportunity_touchpoints > 10 AS credits FROM touchpoint.refresh();
CREATE TEMP TABLE views_touchpoints AS SELECT * FROM touchpoint.touchpoints;
CREATE TEMP TABLE views_credits AS SELECT * FROM touchpoint.opportunity_touchpoints;
CREATE TEMP TABLE views_placements AS SELECT * FROM touchpoint.placements;
-- what the data holds: merged and unmerged calls, form fills and chats in a
-- session of their own naming or by the window, first-touch visits, stitched persons
SELECT source_kind, session_id IS NOT NULL AS in_a_session, count(*) > 0 AS some
FROM views_touchpoints GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE person_id IS NOT NULL) > 0 AS persons,
       count(*) FILTER (WHERE journey_id LIKE 'anon:%') > 0 AS anonymous,
       count(DISTINCT touchpoint_type) > 3 AS several_types
FROM views_touchpoints;
-- the same rows in touchpoint's tables, nothing registered
SELECT touchpoint.use_source(k, NULL)
FROM unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']) k;
SELECT public.load_own_tables();
SELECT mode FROM touchpoint.refresh();
SELECT (SELECT count(*) FROM touchpoint.touchpoints) AS touchpoints,
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM views_touchpoints)
        UNION ALL (SELECT * FROM views_touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d) AS touchpoints_diff,
       (SELECT count(*) FROM touchpoint.opportunity_touchpoints) AS credits,
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.opportunity_touchpoints EXCEPT ALL SELECT * FROM views_credits)
        UNION ALL (SELECT * FROM views_credits EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints)) d) AS credits_diff,
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.placements EXCEPT ALL SELECT * FROM views_placements)
        UNION ALL (SELECT * FROM views_placements EXCEPT ALL SELECT * FROM touchpoint.placements)) d) AS placements_diff;
-- ids of another type (integers, as some CRMs and warehouses keep them) are read as text
CREATE VIEW public.int_people AS
SELECT "Id" AS person_id, substr("AccountId", 4)::int AS account_id, "Email" AS email FROM sfdc."Contact";
CREATE VIEW public.int_opportunities AS
SELECT substr("Id", 4)::bigint AS opportunity_id, substr("AccountId", 4)::int AS account_id, "Amount" AS amount,
       "CreatedDate" AS created_at, CASE WHEN "IsClosed" THEN "CloseDate" END AS closed_at, "IsWon" AS is_won
FROM sfdc."Opportunity";
SELECT touchpoint.use_source('people', 'public.int_people'), touchpoint.use_source('opportunities', 'public.int_opportunities');
SELECT opportunity_touchpoints AS credits FROM touchpoint.refresh();
SELECT count(*) AS credits_diff FROM (
    (SELECT ltrim(substr(opportunity_id, 4), '0'), touchpoint_id, first_touch_pct, w_shaped_revenue FROM views_credits
     EXCEPT ALL SELECT opportunity_id, touchpoint_id, first_touch_pct, w_shaped_revenue FROM touchpoint.opportunity_touchpoints)
    UNION ALL
    (SELECT opportunity_id, touchpoint_id, first_touch_pct, w_shaped_revenue FROM touchpoint.opportunity_touchpoints
     EXCEPT ALL SELECT ltrim(substr(opportunity_id, 4), '0'), touchpoint_id, first_touch_pct, w_shaped_revenue FROM views_credits)) d;
SELECT touchpoint.use_source('people', NULL), touchpoint.use_source('opportunities', NULL);
DROP VIEW public.int_people, public.int_opportunities;
-- a source that disappears is an error at refresh, never an empty result
SELECT touchpoint.use_source('chats', 'my_chats');
ALTER VIEW public.my_chats RENAME TO my_chats_renamed;
\set VERBOSITY terse
SELECT mode FROM touchpoint.refresh();
\set VERBOSITY default
ALTER VIEW public.my_chats_renamed RENAME TO my_chats;
SELECT touchpoint.use_source('chats', NULL);
-- (empty again, as the next test expects)
TRUNCATE touchpoint.touchpoints, touchpoint.opportunity_touchpoints;
DROP TABLE views_touchpoints, views_credits, views_placements;

-- ===================================================================
-- A registered table carries touchpoint's capture triggers, so refresh()
-- stays incremental and equals a full rebuild; a disabled trigger or a
-- registered view makes every refresh full, with its reason; registering
-- another relation takes the triggers off the table.
SELECT public.load_own_tables();
CREATE TABLE public.etl_tasks (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO public.etl_tasks SELECT * FROM touchpoint.tasks;
SELECT touchpoint.use_source('tasks', 'public.etl_tasks');
SELECT kind, change_detection FROM touchpoint.sources WHERE kind IN ('sessions', 'tasks');
SELECT t.tgname, t.tgenabled FROM pg_trigger t WHERE t.tgrelid = 'public.etl_tasks'::regclass ORDER BY 1;
SELECT mode, reason FROM touchpoint.refresh();
UPDATE public.etl_tasks SET occurred_at = occurred_at + interval '3 minutes', person_id = '00Q000002'
WHERE task_id = (SELECT min(task_id) FROM public.etl_tasks WHERE bizible_id IS NOT NULL);
DELETE FROM public.etl_tasks WHERE task_id = (SELECT max(task_id) FROM public.etl_tasks WHERE bizible_id IS NOT NULL);
SELECT mode, keys_recomputed > 0 AS recomputed, reason FROM touchpoint.refresh();
CREATE TEMP TABLE incremental_touchpoints AS SELECT * FROM touchpoint.touchpoints;
CREATE TEMP TABLE incremental_credits AS SELECT * FROM touchpoint.credits;
SELECT mode, touchpoints_written AS full_rebuild_wrote FROM touchpoint.refresh("full" => true);
SELECT (SELECT count(*) FROM ((SELECT * FROM incremental_touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints)
        UNION ALL (SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM incremental_touchpoints)) d) AS touchpoints_diff,
       (SELECT count(*) FROM ((SELECT * FROM incremental_credits EXCEPT ALL SELECT * FROM touchpoint.credits)
        UNION ALL (SELECT * FROM touchpoint.credits EXCEPT ALL SELECT * FROM incremental_credits)) d) AS credits_diff;
-- a capture trigger disabled by hand: the table is no longer watched
ALTER TABLE public.etl_tasks DISABLE TRIGGER touchpoint_capture_update;
SELECT kind, change_detection FROM touchpoint.sources WHERE kind = 'tasks';
SELECT mode, reason FROM touchpoint.refresh();
SELECT mode, reason FROM touchpoint.refresh();
-- registered again, it is watched again (and the next refresh is full once)
SELECT touchpoint.use_source('tasks', 'public.etl_tasks');
SELECT mode, reason FROM touchpoint.refresh();
SELECT mode, reason FROM touchpoint.refresh();
-- a view as an input cannot be watched: every refresh is full
SELECT touchpoint.use_source('people', 'my_people');
SELECT kind, change_detection FROM touchpoint.sources WHERE kind = 'people';
SELECT mode, reason FROM touchpoint.refresh();
SELECT mode, reason FROM touchpoint.refresh();
SELECT touchpoint.use_source('people', NULL);
-- back to touchpoint's table: the triggers are taken off etl_tasks
SELECT touchpoint.use_source('tasks', NULL);
SELECT count(*) AS triggers_left FROM pg_trigger t WHERE t.tgrelid = 'public.etl_tasks'::regclass
  AND t.tgfoid = 'touchpoint_internal.capture_changes()'::regprocedure;
DROP TABLE public.etl_tasks, incremental_touchpoints, incremental_credits;
TRUNCATE touchpoint.touchpoints, touchpoint.opportunity_touchpoints;

-- ===================================================================
-- Clean up: back to touchpoint's own tables, nothing of ours left.
SELECT touchpoint.use_source(k, NULL)
FROM unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']) k;
SELECT count(*) AS registrations FROM touchpoint_internal.source_registry;
DROP FUNCTION public.load_own_tables();
DROP VIEW public.first_half_sessions, public.date_only_tasks, public.text_amounts, public.half_sessions_mapped,
          public.my_sessions, public.my_tasks, public.my_form_submits, public.my_chats, public.my_opportunities;
DROP MATERIALIZED VIEW public.unfilled_people;
DROP VIEW public.my_people;
DROP SCHEMA web, sfdc CASCADE;
DROP TABLE public.half_sessions;
DROP SEQUENCE public.some_sequence;
DROP OWNED BY regress_src_nobody, regress_src_analyst;
DROP ROLE regress_src_nobody, regress_src_analyst;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities;
