/*
 * touchpoint 1.2 -> 1.3:
 * - internal helpers move to schema touchpoint_internal, out of the user's
 *   way; the scheduling helpers are rewritten (jobs across databases, hints
 *   that work when followed);
 * - refresh() and schedule_refresh() refuse, with what to do, a role that
 *   cannot refresh the stored relations;
 * - explain_calls / explain_call gain gap_seconds (the gap as a number);
 * - comments on the schema and on every column; table comments point at
 *   docs/spec.md.
 * Must leave the catalog of a fresh 1.3 install (test/upgrade.sh).
 */
\echo Use "ALTER EXTENSION touchpoint UPDATE TO '1.3'" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS
'touchpoint: call-tracking tasks merged with web sessions, touchpoints, journeys and revenue attribution (see the README)';

/*
 * Helpers the extension's own functions and views call, kept out of the
 * user's way (\df touchpoint.* lists only what users call).  CREATE SCHEMA
 * fails if a schema of that name already exists, whoever owns it, so no role
 * can prepare it for us.  Everyone may look names up in it: each helper is
 * harmless or checks its caller, and refresh() and schedule_refresh() run as
 * their caller and call into it.
 */
CREATE SCHEMA touchpoint_internal;
COMMENT ON SCHEMA touchpoint_internal IS
'touchpoint''s internal helpers; not an interface: they change between versions';
GRANT USAGE ON SCHEMA touchpoint_internal TO PUBLIC;

-- The helpers that keep their definition move; the ones rewritten below go.
ALTER FUNCTION @extschema@.custom_model_upsert() SET SCHEMA touchpoint_internal;
ALTER FUNCTION @extschema@.channel_rules_array() SET SCHEMA touchpoint_internal;
ALTER FUNCTION @extschema@.credit_share(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.int8) SET SCHEMA touchpoint_internal;
ALTER FUNCTION @extschema@.refresh_view(pg_catalog.regclass) SET SCHEMA touchpoint_internal;
ALTER FUNCTION @extschema@.check_custom_model() SET SCHEMA touchpoint_internal;
DROP FUNCTION @extschema@.refresh_job_name();
DROP FUNCTION @extschema@.require_pg_cron(pg_catalog.text);

-- Table comments name docs/spec.md.
COMMENT ON TABLE @extschema@.sessions IS 'web sessions, one row per session (docs/spec.md §2)';
COMMENT ON TABLE @extschema@.tasks IS 'CRM tasks (calls) with the BizibleId the call-tracking vendor read (docs/spec.md §2)';
COMMENT ON TABLE @extschema@.form_submits IS 'web form fills (docs/spec.md §5)';
COMMENT ON TABLE @extschema@.chats IS 'web chats (docs/spec.md §5)';
COMMENT ON TABLE @extschema@.people IS 'leads and contacts with their account (docs/spec.md §6)';
COMMENT ON TABLE @extschema@.opportunities IS 'opportunities; open while closed_at IS NULL (docs/spec.md §6)';
COMMENT ON TABLE @extschema@.channel_rules IS
'ordered channel rules for sessions without a channel: *x* contains, x* starts with, *x ends with, * anything, a;b either (docs/spec.md §6)';

-- explain_calls and explain_call gain gap_seconds: a new result type.
DROP FUNCTION @extschema@.explain_calls(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval);
DROP FUNCTION @extschema@.explain_call(pg_catalog.text, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval);

-- explain_calls: one row for every task, with its status and why.
CREATE FUNCTION @extschema@.explain_calls(
    sessions pg_catalog.regclass DEFAULT '@extschema@.sessions',
    tasks pg_catalog.regclass DEFAULT '@extschema@.tasks',
    session_window pg_catalog.interval DEFAULT NULL,
    OUT task_id pg_catalog.text,
    OUT status pg_catalog.text,
    OUT session_id pg_catalog.text,
    OUT nearest_session_id pg_catalog.text,
    OUT nearest_session_started_at pg_catalog.timestamptz,
    OUT gap pg_catalog.interval,
    OUT detail pg_catalog.text,
    OUT gap_seconds pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tp_explain_calls'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10000;

COMMENT ON FUNCTION @extschema@.explain_calls(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval) IS
'for every task: merged, deleted, no_bizible_id, no_sessions or outside_window, and why';

-- explain_call: the same for one task, found through the tasks' key.
CREATE FUNCTION @extschema@.explain_call(
    task_id pg_catalog.text,
    sessions pg_catalog.regclass DEFAULT '@extschema@.sessions',
    tasks pg_catalog.regclass DEFAULT '@extschema@.tasks',
    session_window pg_catalog.interval DEFAULT NULL,
    OUT task_id pg_catalog.text,
    OUT status pg_catalog.text,
    OUT session_id pg_catalog.text,
    OUT nearest_session_id pg_catalog.text,
    OUT nearest_session_started_at pg_catalog.timestamptz,
    OUT gap pg_catalog.interval,
    OUT detail pg_catalog.text,
    OUT gap_seconds pg_catalog.float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tp_explain_call'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;

COMMENT ON FUNCTION @extschema@.explain_call(pg_catalog.text, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval) IS
'why one task was or was not merged with a web session';

/*
 * Only a role with the privileges of the stored relations' owner may refresh
 * them (REFRESH MATERIALIZED VIEW requires ownership).  Say so, and what to
 * do, before anything fails deep inside with a bare "permission denied".
 */
CREATE FUNCTION touchpoint_internal.check_refresh_privilege()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    owner_name pg_catalog.name;
BEGIN
    SELECT r.rolname INTO owner_name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
    WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.touchpoints'::pg_catalog.regclass;
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, owner_name, 'USAGE') THEN
        RAISE EXCEPTION 'role "%" cannot refresh touchpoint: only the owner of its stored relations can', CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('touchpoint.touchpoints and touchpoint.opportunity_touchpoints are owned by role "%s"; reading them needs only SELECT, refreshing them needs that role.', owner_name),
                  HINT = pg_catalog.format('Run SELECT touchpoint.refresh() as role "%s", or let pg_cron run it as that role: connected as "%s", SELECT touchpoint.schedule_refresh();', owner_name, owner_name);
    END IF;
END
$$;

-- refresh(): the touchpoints, then the opportunities' credit; says what it did.
CREATE OR REPLACE FUNCTION @extschema@.refresh(
    OUT mode pg_catalog.text,
    OUT touchpoints pg_catalog.int8,
    OUT opportunity_touchpoints pg_catalog.int8,
    OUT duration pg_catalog.interval)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    caller_work_mem text := pg_catalog.current_setting('work_mem');
BEGIN
    PERFORM touchpoint_internal.check_refresh_privilege();
    /*
     * The refresh sorts and compares a few hundred thousand wide rows; below
     * 64MB of work_mem those sorts and the CONCURRENTLY comparison spill to
     * disk.  Raised while refresh() runs, only when lower (never lowered).
     */
    IF pg_catalog.pg_size_bytes(caller_work_mem) OPERATOR(pg_catalog.<) 67108864 THEN  -- 64MB
        PERFORM pg_catalog.set_config('work_mem', '64MB', true);
    END IF;
    PERFORM touchpoint_internal.check_custom_model();
    mode := touchpoint_internal.refresh_view('@extschema@.touchpoints');
    PERFORM touchpoint_internal.refresh_view('@extschema@.opportunity_touchpoints');
    SELECT pg_catalog.count(*) INTO touchpoints FROM @extschema@.touchpoints;
    SELECT pg_catalog.count(*) INTO opportunity_touchpoints FROM @extschema@.opportunity_touchpoints;
    duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started;
    PERFORM pg_catalog.set_config('work_mem', caller_work_mem, true);
END
$$;
COMMENT ON FUNCTION @extschema@.refresh() IS
'refresh touchpoint.touchpoints and touchpoint.opportunity_touchpoints (plain the first time, then CONCURRENTLY); returns mode, rows and duration';

/*
 * The pg_cron job's name: 'touchpoint-refresh' when pg_cron lives in this
 * database, 'touchpoint-refresh:<database>' when it runs the job from its own
 * database (cron.database_name), where jobs of several databases meet.
 */
CREATE FUNCTION touchpoint_internal.refresh_job_name(cross_database pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN cross_database THEN 'touchpoint-refresh:' OPERATOR(pg_catalog.||) pg_catalog.current_database()
                ELSE 'touchpoint-refresh' END
$$;

/*
 * Where pg_cron stands, seen from this database:
 *   here     the pg_cron extension is created in this database
 *   not_here pg_cron is loaded and keeps its jobs in another database,
 *            cron.database_name: jobs must be made there
 *   hidden   pg_cron is loaded, but only a superuser (or pg_read_all_settings)
 *            may read cron.database_name, so which database is unknown
 *   create   pg_cron is loaded for this database but not created in it
 *   missing  pg_cron's library is not loaded in this server
 * Returns the state and pg_cron's database when known.
 */
CREATE FUNCTION touchpoint_internal.pg_cron_state(OUT state pg_catalog.text, OUT cron_database pg_catalog.text)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        state := 'here';
        RETURN;
    END IF;
    BEGIN
        cron_database := pg_catalog.current_setting('cron.database_name', true);
    EXCEPTION WHEN insufficient_privilege THEN
        state := 'hidden';   -- pg_cron marks the setting superuser-only
        RETURN;
    END;
    IF cron_database IS NULL THEN
        state := 'missing';
    ELSIF cron_database OPERATOR(pg_catalog.<>) pg_catalog.current_database() THEN
        state := 'not_here';
    ELSE
        state := 'create';
    END IF;
END
$$;

-- The error that says how to get pg_cron where schedule_refresh() can use it.
CREATE FUNCTION touchpoint_internal.raise_pg_cron_unavailable(state pg_catalog.text, cron_database pg_catalog.text,
                                                             schedule pg_catalog.text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pg_major int := pg_catalog.current_setting('server_version_num')::int OPERATOR(pg_catalog./) 10000;
BEGIN
    IF state OPERATOR(pg_catalog.=) 'hidden' THEN
        RAISE EXCEPTION 'the pg_cron extension is not created in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'pg_cron keeps its jobs in the database named by cron.database_name, which only a superuser can read (SHOW cron.database_name).',
                  HINT = pg_catalog.format('Connected to that database as the role that owns touchpoint''s relations here, run: '
                                           'CREATE EXTENSION IF NOT EXISTS pg_cron; SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           touchpoint_internal.refresh_job_name(true), schedule,
                                           'SELECT @extschema@.refresh()', pg_catalog.current_database());
    ELSIF state OPERATOR(pg_catalog.=) 'not_here' THEN
        RAISE EXCEPTION 'pg_cron runs its jobs from database "%", not from "%"', cron_database, pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'cron.database_name names the one database where pg_cron keeps its jobs; a job there can run in any database.',
                  HINT = pg_catalog.format('Connected to database "%s" as the role that owns touchpoint''s relations here, run: '
                                           'CREATE EXTENSION IF NOT EXISTS pg_cron; SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           cron_database, touchpoint_internal.refresh_job_name(true), schedule,
                                           'SELECT @extschema@.refresh()', pg_catalog.current_database());
    ELSIF state OPERATOR(pg_catalog.=) 'create' THEN
        RAISE EXCEPTION 'the pg_cron extension is not created in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The server loads pg_cron, and cron.database_name names this database.',
                  HINT = pg_catalog.format('Run CREATE EXTENSION pg_cron; then SELECT touchpoint.schedule_refresh(%L);', schedule);
    END IF;
    RAISE EXCEPTION 'pg_cron is not installed'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'touchpoint schedules its refresh with the pg_cron extension, which this server does not load.',
              HINT = pg_catalog.format('Install the package postgresql-%s-cron (apt-get install postgresql-%s-cron), '
                     'set shared_preload_libraries = ''pg_cron'' and cron.database_name = ''%s'' in postgresql.conf, '
                     'restart the server, run CREATE EXTENSION pg_cron in this database and call touchpoint.schedule_refresh() again. '
                     'Any other scheduler can run SELECT touchpoint.refresh() instead.',
                     pg_major, pg_major, pg_catalog.current_database());
END
$$;

-- schedule_refresh(): a pg_cron job that runs refresh() on a cron schedule.
CREATE OR REPLACE FUNCTION @extschema@.schedule_refresh(schedule pg_catalog.text DEFAULT '*/15 * * * *')
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron record;
    jobid bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a cron schedule such as ''*/15 * * * *'' (every 15 minutes).';
    END IF;
    -- the job runs refresh() as this role: refuse a role that cannot refresh
    PERFORM touchpoint_internal.check_refresh_privilege();
    cron := touchpoint_internal.pg_cron_state();
    IF cron.state OPERATOR(pg_catalog.<>) 'here' THEN
        PERFORM touchpoint_internal.raise_pg_cron_unavailable(cron.state, cron.cron_database, schedule);
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
        INTO jobid
        USING touchpoint_internal.refresh_job_name(), schedule, 'SELECT @extschema@.refresh()'::text;
    RETURN jobid;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_refresh(pg_catalog.text) IS
'schedule touchpoint.refresh() with pg_cron (job touchpoint-refresh, run as the calling role); returns the job id';

-- unschedule_refresh(): remove the job; false when there was none.
CREATE OR REPLACE FUNCTION @extschema@.unschedule_refresh()
RETURNS pg_catalog.bool
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron record;
    removed bigint;
BEGIN
    cron := touchpoint_internal.pg_cron_state();
    IF cron.state OPERATOR(pg_catalog.=) ANY (ARRAY['not_here', 'hidden']) THEN
        RAISE EXCEPTION 'pg_cron keeps its jobs in database %, where this database cannot see them',
                        COALESCE('"' OPERATOR(pg_catalog.||) cron.cron_database OPERATOR(pg_catalog.||) '"', '(cron.database_name)')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('Connected to %s, run: SELECT cron.unschedule(jobid) FROM cron.job '
                                           'WHERE jobname IN (%L, %L) AND database = %L;',
                                           COALESCE('database "' OPERATOR(pg_catalog.||) cron.cron_database OPERATOR(pg_catalog.||) '"',
                                                    'the database that SHOW cron.database_name names'),
                                           touchpoint_internal.refresh_job_name(),
                                           touchpoint_internal.refresh_job_name(true), pg_catalog.current_database());
    ELSIF cron.state OPERATOR(pg_catalog.<>) 'here' THEN
        RETURN false;     -- without pg_cron in this database no job can exist
    END IF;
    -- this role's refresh jobs for this database, under either name
    EXECUTE 'SELECT pg_catalog.count(cron.unschedule(j.jobid)) FROM cron.job j
             WHERE j.jobname OPERATOR(pg_catalog.=) ANY ($1) AND j.database OPERATOR(pg_catalog.=) $2
               AND j.username OPERATOR(pg_catalog.=) CURRENT_USER'
        INTO removed
        USING ARRAY[touchpoint_internal.refresh_job_name(), touchpoint_internal.refresh_job_name(true)],
              pg_catalog.current_database();
    RETURN removed OPERATOR(pg_catalog.>) 0;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_refresh() IS
'remove the pg_cron job that schedule_refresh() created; false when there was none';

/*
 * A comment on every column a user or a BI tool sees, from one glossary: a
 * column means the same wherever it appears unless a relation has its own
 * entry (a *_live view shares its stored copy's).  The install fails if a
 * column of a relation in the schema has no entry, so a column added later
 * cannot go without one.
 */
DO $$
DECLARE
    models pg_catalog.text[] := ARRAY['first_touch', 'lead_creation', 'u_shaped', 'w_shaped',
                                      'full_path', 'linear', 'time_decay', 'custom'];
    model_names pg_catalog.text[] := ARRAY['first-touch', 'lead-creation', 'U-shaped', 'W-shaped',
                                           'full-path', 'linear', 'time-decay', 'custom'];
    col record;
BEGIN
    FOR col IN
        WITH glossary(rel, col, note) AS (
            VALUES
            -- inputs (docs/spec.md §2, §5, §6)
            ('sessions', 'session_id', 'the web session''s id (primary key)'),
            ('sessions', 'bizible_id', 'the visitor''s BizibleId cookie (compared trimmed and case-insensitively)'),
            ('sessions', 'started_at', 'the session''s first page view (ad click or landing); the window starts here'),
            ('sessions', 'last_activity_at', 'the last page view or form submit; the window''s anchor under touchpoint.window_anchor = last_activity (NULL: started_at)'),
            ('sessions', 'channel', 'marketing channel from web tracking (e.g. Paid Search); NULL or blank: classified by touchpoint.channel_rules'),
            ('*', 'subchannel', 'marketing subchannel (e.g. Google)'),
            ('*', 'source', 'traffic source of the session (e.g. google)'),
            ('sessions', 'medium', 'traffic medium (e.g. cpc, email)'),
            ('*', 'campaign', 'campaign of the session'),
            ('*', 'ad_content', 'ad content of the session'),
            ('*', 'keyword', 'search keyword of the session'),
            ('*', 'landing_page', 'first page of the session'),
            ('*', 'referrer_page', 'page that referred the visitor to the session'),
            ('tasks', 'task_id', 'the CRM task id (primary key)'),
            ('tasks', 'bizible_id', 'the BizibleId the call-tracking vendor read from the visitor''s cookie; NULL or blank: the call makes no touchpoint'),
            ('tasks', 'type', 'Task.Type (Call, Inbound Call...): the touchpoint type of the call; blank: Web Visit when merged, Phone Call when not'),
            ('tasks', 'subject', 'Task.Subject'),
            ('tasks', 'phone', 'the phone number of the call'),
            ('tasks', 'person_id', 'Task.WhoId: the lead or contact who called'),
            ('tasks', 'occurred_at', 'when the call happened (the vendor''s call time, else CreatedDate; never the date-only ActivityDate)'),
            ('tasks', 'is_deleted', 'CRM soft delete: a deleted task makes nothing'),
            ('form_submits', 'submit_id', 'the form fill''s id (primary key)'),
            ('form_submits', 'bizible_id', 'the BizibleId of the visitor who filled the form'),
            ('form_submits', 'session_id', 'the session of the fill when tracking knows it; NULL: placed in a session by the window rule'),
            ('form_submits', 'submitted_at', 'when the form was submitted'),
            ('*', 'form_url', 'the URL of the form (form fills)'),
            ('form_submits', 'person_id', 'the lead or contact the fill created or updated'),
            ('chats', 'chat_id', 'the chat''s id (primary key)'),
            ('chats', 'bizible_id', 'the BizibleId of the visitor who chatted'),
            ('chats', 'session_id', 'the session of the chat when tracking knows it; NULL: placed in a session by the window rule'),
            ('chats', 'started_at', 'when the chat started'),
            ('chats', 'person_id', 'the lead or contact of the chat'),
            ('people', 'person_id', 'the lead or contact id (what tasks name in person_id)'),
            ('people', 'email', 'the person''s e-mail address'),
            ('*', 'account_id', 'the account (company) the person or opportunity belongs to'),
            ('opportunities', 'opportunity_id', 'the opportunity''s id (primary key)'),
            ('opportunities', 'amount', 'the opportunity''s amount: the revenue the models share out'),
            ('opportunities', 'created_at', 'when the opportunity was created (OC is the last touchpoint at or before it)'),
            ('opportunities', 'closed_at', 'when it closed; NULL while open'),
            ('opportunities', 'is_won', 'true when won; NULL or false while open or lost'),
            ('channel_rules', 'priority', 'rule order: lowest first, the first matching rule wins'),
            ('channel_rules', 'channel', 'the channel a matching session gets'),
            ('channel_rules', 'subchannel', 'the subchannel a matching session gets'),
            ('channel_rules', 'medium', 'cell matched against the session''s medium (*x* contains, x* starts with, *x ends with, * anything, a;b either; NULL: no condition)'),
            ('channel_rules', 'source', 'cell matched against the session''s source'),
            ('channel_rules', 'campaign', 'cell matched against the session''s campaign'),
            ('channel_rules', 'landing_page', 'cell matched against the session''s landing_page'),
            ('channel_rules', 'referrer', 'cell matched against the session''s referrer_page'),
            ('custom_model', 'position', 'FT, LC, OC or Closed (Pending uses Closed''s weight)'),
            ('custom_model', 'weight', 'percent for the position; the four weights sum to 90, the middle keeps 10'),
            ('conversion_events', 'task_id', 'the event''s id prefixed by its kind: call:<task_id>, form:<submit_id> or chat:<chat_id>'),
            ('conversion_events', 'bizible_id', 'the event''s BizibleId'),
            ('conversion_events', 'type', 'the call''s task type (NULL for form fills and chats)'),
            ('conversion_events', 'subject', 'the call''s subject'),
            ('conversion_events', 'phone', 'the call''s phone number'),
            ('conversion_events', 'person_id', 'the person the event names'),
            ('conversion_events', 'occurred_at', 'when the event happened'),
            ('conversion_events', 'is_deleted', 'the task is deleted in the CRM (false for form fills and chats)'),
            -- touchpoints (docs/spec.md §5)
            ('*', 'touchpoint_id', 'the touchpoint''s id: its kind and source id (call:..., form:..., chat:..., visit:<journey>:<session>)'),
            ('*', 'journey_id', 'the buyer''s journey: the person, or anon:<bizible_id> when no event of the BizibleId names one'),
            ('touchpoints', 'person_id', 'the journey''s person (NULL for anon: journeys), also on calls without WhoId stitched to one'),
            ('touchpoints', 'bizible_id', 'the normalised (trimmed, lower-case) BizibleId of the touchpoint'),
            ('touchpoints', 'session_id', 'the web session of the touchpoint; NULL for a touchpoint without one (channel Offline)'),
            ('*', 'source_kind', 'what made the touchpoint: visit, form, chat or call'),
            ('touchpoints', 'source_id', 'the id of what made it: the session, form fill, chat or task id'),
            ('*', 'touchpoint_type', 'Web Visit, Web Form, Web Chat, or the call''s task type (Phone Call when blank and unmerged)'),
            ('*', 'touchpoint_date', 'when the touchpoint happened (a call''s occurred_at, a visit''s start)'),
            ('*', 'channel', 'the session''s channel, else the first matching channel rule, else Other or Direct; Offline without a session'),
            ('touchpoints', 'medium', 'the call''s task type for calls, else the session''s medium'),
            ('touchpoints', 'position', 'positions on the journey, comma-separated: FT (first touch), LC (lead creation), PostLC (later conversions)'),
            ('touchpoints', 'is_first_touch', 'the journey''s first touchpoint (FT)'),
            ('touchpoints', 'is_lead_creation', 'the journey''s first conversion touchpoint (LC)'),
            ('touchpoints', 'session_conversions', 'conversion events in the touchpoint''s session, the first included'),
            -- attribution (docs/spec.md §6)
            ('*', 'opportunity_id', 'the opportunity credited'),
            ('opportunity_touchpoints', 'position', 'positions for the opportunity, comma-separated: FT, LC, OC, Closed or Pending; empty for the middle'),
            ('opportunity_touchpoints', 'amount', 'the opportunity''s amount'),
            ('opportunity_touchpoints', 'is_won', 'the opportunity is won (false while open or lost)'),
            ('channel_report', 'touchpoints', 'touchpoints of this channel, subchannel and type'),
            ('channel_report', 'phone_calls', 'of them, touchpoints made by a call task'),
            ('channel_report', 'leads_created', 'of them, lead-creation (LC) touchpoints'),
            ('channel_report', 'opportunities_touched', 'opportunities with at least one of these touchpoints')
            UNION ALL
            SELECT x.rel, m.model OPERATOR(pg_catalog.||) x.suffix,
                   pg_catalog.replace(pg_catalog.replace(x.note, '<model>', m.model), '<name>', m.name)
            FROM ROWS FROM (pg_catalog.unnest(models), pg_catalog.unnest(model_names)) AS m(model, name)
            CROSS JOIN (VALUES
                ('opportunity_touchpoints', '_pct', '<name> credit in percent; sums to exactly 100 per opportunity'),
                ('opportunity_touchpoints', '_revenue', 'amount x <model>_pct / 100, not rounded; sums to exactly the amount per opportunity'),
                ('channel_report', '_revenue', 'revenue of won opportunities credited here by the <name> model'),
                ('channel_report', '_pipeline', 'amount of every opportunity (open, won or lost) credited here by the <name> model')
            ) AS x(rel, suffix, note)
        )
        SELECT c.oid::pg_catalog.regclass AS rel, a.attname,
               (SELECT g.note FROM glossary g
                WHERE g.col OPERATOR(pg_catalog.=) a.attname::pg_catalog.text
                  AND g.rel OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.regexp_replace(c.relname, '_live$', ''), '*'])
                ORDER BY g.rel OPERATOR(pg_catalog.=) '*' LIMIT 1) AS note
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
        WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
          AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'v', 'm', 'p']::"char"[])
          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    LOOP
        IF col.note IS NULL THEN
            RAISE EXCEPTION 'touchpoint install script: no comment for column %.%', col.rel, col.attname;
        END IF;
        EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', col.rel, col.attname, col.note);
    END LOOP;
END
$$;
-- What each internal helper is for (\df+ touchpoint_internal.* shows it).
COMMENT ON FUNCTION touchpoint_internal.custom_model_upsert() IS
'trigger: a restored INSERT of a shipped custom_model row updates its weight';
COMMENT ON FUNCTION touchpoint_internal.channel_rules_array() IS
'touchpoint.channel_rules as the array classify_channel takes, in priority order';
COMMENT ON FUNCTION touchpoint_internal.credit_share(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.int8) IS
'one model''s exact share in percent: raw * 100 / present, or linear when nothing can take weight';
COMMENT ON FUNCTION touchpoint_internal.refresh_view(pg_catalog.regclass) IS
'refresh one stored relation: plain the first time, CONCURRENTLY once populated';
COMMENT ON FUNCTION touchpoint_internal.check_custom_model() IS
'refuse custom_model weights that do not sum to 90';
COMMENT ON FUNCTION touchpoint_internal.check_refresh_privilege() IS
'refuse, with what to do, a role that cannot refresh the stored relations';
COMMENT ON FUNCTION touchpoint_internal.refresh_job_name(pg_catalog.bool) IS
'the pg_cron job name of this database''s refresh';
COMMENT ON FUNCTION touchpoint_internal.pg_cron_state() IS
'here, not_here, hidden, create or missing: where pg_cron stands, seen from this database';
COMMENT ON FUNCTION touchpoint_internal.raise_pg_cron_unavailable(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
'the error that says how to schedule the refresh when pg_cron cannot be used from here';

