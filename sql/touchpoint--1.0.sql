/* touchpoint 1.0 — install script (SPEC §2-§4: inputs, merge engine, explanations) */
\echo Use "CREATE EXTENSION touchpoint" to load this file. \quit

-- Every object is created as @extschema@.name and everything else is
-- qualified with pg_catalog, so nothing here depends on the search_path.

/*
 * The normalised BizibleId (SPEC §3.1.1): ASCII white space trimmed on both
 * sides, ASCII letters folded to lower case; NULL when nothing is left.  The
 * engine sorts and compares by exactly this function, and the input tables
 * index it.
 */
CREATE FUNCTION @extschema@.bizible_key(bizible_id pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'tp_bizible_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bizible_key(pg_catalog.text) IS
'normalised BizibleId: trimmed, lower-case, NULL when missing';

-- Web sessions (one row per session, SPEC §2).
CREATE TABLE @extschema@.sessions (
    session_id       pg_catalog.text PRIMARY KEY,
    bizible_id       pg_catalog.text NOT NULL,
    started_at       pg_catalog.timestamptz NOT NULL,
    last_activity_at pg_catalog.timestamptz,
    channel          pg_catalog.text,
    subchannel       pg_catalog.text,
    source           pg_catalog.text,
    medium           pg_catalog.text,
    campaign         pg_catalog.text,
    ad_content       pg_catalog.text,
    keyword          pg_catalog.text,
    landing_page     pg_catalog.text,
    referrer_page    pg_catalog.text
);
COMMENT ON TABLE @extschema@.sessions IS 'web sessions, one row per session (touchpoint SPEC §2)';

-- The engine reads sessions in (normalised id, start, id) order and probes
-- one id's sessions for explain_call: this index serves both.
CREATE INDEX sessions_bizible_key_idx ON @extschema@.sessions
    (@extschema@.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");

-- CRM tasks written by the call-tracking vendor (SPEC §2).
CREATE TABLE @extschema@.tasks (
    task_id     pg_catalog.text PRIMARY KEY,
    bizible_id  pg_catalog.text,
    type        pg_catalog.text,
    subject     pg_catalog.text,
    phone       pg_catalog.text,
    person_id   pg_catalog.text,
    occurred_at pg_catalog.timestamptz NOT NULL,
    is_deleted  pg_catalog.bool NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.tasks IS 'CRM tasks (calls) with the BizibleId the call-tracking vendor read (touchpoint SPEC §2)';

CREATE INDEX tasks_bizible_key_idx ON @extschema@.tasks
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

-- pg_dump keeps the rows users loaded.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tasks', '');

-- merge_calls: one row per task that yields a touchpoint (SPEC §3.1, §3.3).
CREATE FUNCTION @extschema@.merge_calls(
    sessions pg_catalog.regclass DEFAULT '@extschema@.sessions',
    tasks pg_catalog.regclass DEFAULT '@extschema@.tasks',
    session_window pg_catalog.interval DEFAULT NULL,
    OUT task_id pg_catalog.text,
    OUT bizible_id pg_catalog.text,
    OUT person_id pg_catalog.text,
    OUT session_id pg_catalog.text,
    OUT touchpoint_type pg_catalog.text,
    OUT medium pg_catalog.text,
    OUT touchpoint_date pg_catalog.timestamptz,
    OUT session_started_at pg_catalog.timestamptz,
    OUT channel pg_catalog.text,
    OUT subchannel pg_catalog.text,
    OUT source pg_catalog.text,
    OUT campaign pg_catalog.text,
    OUT ad_content pg_catalog.text,
    OUT keyword pg_catalog.text,
    OUT landing_page pg_catalog.text,
    OUT referrer_page pg_catalog.text,
    OUT phone pg_catalog.text,
    OUT subject pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tp_merge_calls'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10000;

COMMENT ON FUNCTION @extschema@.merge_calls(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval) IS
'merge call tasks with the web session of the same BizibleId inside the session window';

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
    OUT detail pg_catalog.text)
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
    OUT detail pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'tp_explain_call'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 1;

COMMENT ON FUNCTION @extschema@.explain_call(pg_catalog.text, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.interval) IS
'why one task was or was not merged with a web session';

-- ===================================================================
-- §5 Touchpoints and the buyer's journey
-- ===================================================================

-- Web form fills (SPEC §5).  A fill without session_id is placed in its
-- session by the same window rule as calls.
CREATE TABLE @extschema@.form_submits (
    submit_id    pg_catalog.text PRIMARY KEY,
    bizible_id   pg_catalog.text NOT NULL,
    session_id   pg_catalog.text,
    submitted_at pg_catalog.timestamptz NOT NULL,
    form_url     pg_catalog.text,
    person_id    pg_catalog.text
);
COMMENT ON TABLE @extschema@.form_submits IS 'web form fills (touchpoint SPEC §5)';
CREATE INDEX form_submits_bizible_key_idx ON @extschema@.form_submits
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

-- Web chats (SPEC §5), placed like form fills.
CREATE TABLE @extschema@.chats (
    chat_id    pg_catalog.text PRIMARY KEY,
    bizible_id pg_catalog.text NOT NULL,
    session_id pg_catalog.text,
    started_at pg_catalog.timestamptz NOT NULL,
    person_id  pg_catalog.text
);
COMMENT ON TABLE @extschema@.chats IS 'web chats (touchpoint SPEC §5)';
CREATE INDEX chats_bizible_key_idx ON @extschema@.chats
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

SELECT pg_catalog.pg_extension_config_dump('@extschema@.form_submits', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.chats', '');

/*
 * Every conversion event the window rule must place, shaped like tasks so
 * that one pass of the C engine (merge_calls) places calls, form fills and
 * chats together: the task_id carries the kind ('call:', 'form:', 'chat:').
 * Fills and chats that name their session_id need no placing.
 */
CREATE VIEW @extschema@.conversion_events AS
SELECT 'call:' OPERATOR(pg_catalog.||) t.task_id AS task_id, t.bizible_id, t.type, t.subject,
       t.phone, t.person_id, t.occurred_at, t.is_deleted
FROM @extschema@.tasks t
UNION ALL
SELECT 'form:' OPERATOR(pg_catalog.||) f.submit_id, f.bizible_id, NULL::pg_catalog.text,
       NULL::pg_catalog.text, NULL::pg_catalog.text, f.person_id, f.submitted_at, false
FROM @extschema@.form_submits f
WHERE f.session_id IS NULL
UNION ALL
SELECT 'chat:' OPERATOR(pg_catalog.||) c.chat_id, c.bizible_id, NULL::pg_catalog.text,
       NULL::pg_catalog.text, NULL::pg_catalog.text, c.person_id, c.started_at, false
FROM @extschema@.chats c
WHERE c.session_id IS NULL;
COMMENT ON VIEW @extschema@.conversion_events IS
'calls, and form fills and chats without session_id, shaped as tasks for the placement by merge_calls';

/*
 * touchpoints_live: the touchpoints as of now (SPEC §5); the materialized
 * view touchpoint.touchpoints is a refreshed copy of it.  Steps:
 *   placed      one engine pass over conversion_events
 *   events      every conversion event with its session (or none), in the
 *               order form, chat, call at the same instant, then by id
 *   in_session  rank and count of the events of each session
 *   journeys    each event's person: its own, else the earliest other event
 *               of its BizibleId that names one, else anon:<bizible_id>
 *   conversion  a session's first event, and every event without session
 *   first_visit each journey's earliest session of any of its BizibleIds,
 *               when it started before the journey's first conversion and
 *               holds no touchpoint of its own
 *   positions   FT, LC, PostLC over the union
 */
CREATE VIEW @extschema@.touchpoints_live AS
WITH placed AS MATERIALIZED (
    SELECT p.task_id, p.bizible_id, p.person_id, p.session_id, p.touchpoint_type,
           p.medium, p.touchpoint_date
    FROM @extschema@.merge_calls('@extschema@.sessions'::pg_catalog.regclass,
                                 '@extschema@.conversion_events'::pg_catalog.regclass,
                                 NULL::pg_catalog.interval) p
),
events AS (
    SELECT 'call'::pg_catalog.text AS kind, 3 AS kind_rank,
           pg_catalog.substr(p.task_id, 6) AS source_id,
           p.bizible_id,
           NULLIF(pg_catalog.btrim(p.person_id), '') AS own_person,
           p.session_id, p.touchpoint_date AS event_at,
           p.touchpoint_type AS call_type, p.medium AS call_medium,
           NULL::pg_catalog.text AS form_url
    FROM placed p
    WHERE pg_catalog.starts_with(p.task_id, 'call:')
    UNION ALL
    SELECT 'form', 1, f.submit_id, @extschema@.bizible_key(f.bizible_id),
           NULLIF(pg_catalog.btrim(f.person_id), ''),
           CASE WHEN f.session_id IS NULL THEN p.session_id ELSE s.session_id END,
           f.submitted_at, NULL, NULL, f.form_url
    FROM @extschema@.form_submits f
    LEFT JOIN placed p ON f.session_id IS NULL
                      AND p.task_id OPERATOR(pg_catalog.=) ('form:' OPERATOR(pg_catalog.||) f.submit_id)
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) f.session_id
    UNION ALL
    SELECT 'chat', 2, c.chat_id, @extschema@.bizible_key(c.bizible_id),
           NULLIF(pg_catalog.btrim(c.person_id), ''),
           CASE WHEN c.session_id IS NULL THEN p.session_id ELSE s.session_id END,
           c.started_at, NULL, NULL, NULL
    FROM @extschema@.chats c
    LEFT JOIN placed p ON c.session_id IS NULL
                      AND p.task_id OPERATOR(pg_catalog.=) ('chat:' OPERATOR(pg_catalog.||) c.chat_id)
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) c.session_id
),
in_session AS (
    SELECT e.*,
           CASE WHEN e.session_id IS NULL THEN 1
                ELSE pg_catalog.row_number() OVER (PARTITION BY e.session_id
                         ORDER BY e.event_at, e.kind_rank, e.source_id COLLATE "C") END AS rank_in_session,
           CASE WHEN e.session_id IS NULL THEN 1
                ELSE pg_catalog.count(*) OVER (PARTITION BY e.session_id) END AS session_conversions
    FROM events e
),
named_person AS (
    SELECT DISTINCT ON (e.bizible_id) e.bizible_id, e.own_person AS person_id
    FROM events e
    WHERE e.own_person IS NOT NULL AND e.bizible_id IS NOT NULL
    ORDER BY e.bizible_id, e.event_at, e.kind_rank, e.source_id COLLATE "C"
),
journeys AS (
    SELECT i.*,
           COALESCE(i.own_person, n.person_id) AS person_id,
           COALESCE(i.own_person, n.person_id,
               'anon:' OPERATOR(pg_catalog.||)
               COALESCE(i.bizible_id, i.kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) i.source_id)) AS journey_id
    FROM in_session i
    LEFT JOIN named_person n ON n.bizible_id OPERATOR(pg_catalog.=) i.bizible_id
),
conversion AS (
    SELECT j.* FROM journeys j WHERE j.rank_in_session OPERATOR(pg_catalog.=) 1
),
journey_start AS (
    SELECT c.journey_id, pg_catalog.min(c.event_at) AS first_conversion_at
    FROM conversion c GROUP BY c.journey_id
),
journey_ids AS (
    SELECT DISTINCT j.journey_id, j.bizible_id
    FROM journeys j
    WHERE j.bizible_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM journey_start js
                  WHERE js.journey_id OPERATOR(pg_catalog.=) j.journey_id)
),
earliest_session AS (
    SELECT DISTINCT ON (ji.journey_id) ji.journey_id, es.session_id, es.started_at
    FROM journey_ids ji
    CROSS JOIN LATERAL (
        SELECT s.session_id, s.started_at
        FROM @extschema@.sessions s
        WHERE @extschema@.bizible_key(s.bizible_id) COLLATE "C" OPERATOR(pg_catalog.=) ji.bizible_id
        ORDER BY @extschema@.bizible_key(s.bizible_id) COLLATE "C", s.started_at, s.session_id COLLATE "C"
        LIMIT 1) es
    ORDER BY ji.journey_id, es.started_at, es.session_id COLLATE "C"
),
first_visit AS (
    SELECT es.journey_id, es.session_id, es.started_at
    FROM earliest_session es
    JOIN journey_start js ON js.journey_id OPERATOR(pg_catalog.=) es.journey_id
    WHERE es.started_at OPERATOR(pg_catalog.<) js.first_conversion_at
      AND NOT EXISTS (SELECT 1 FROM conversion c
                      WHERE c.session_id OPERATOR(pg_catalog.=) es.session_id)
),
all_touchpoints AS (
    SELECT c.kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) c.source_id AS touchpoint_id,
           c.journey_id, c.person_id, c.bizible_id, c.session_id,
           c.kind AS source_kind, c.source_id, c.kind_rank,
           CASE WHEN c.kind OPERATOR(pg_catalog.=) 'form' THEN 'Web Form'
                WHEN c.kind OPERATOR(pg_catalog.=) 'chat' THEN 'Web Chat'
                ELSE c.call_type END AS touchpoint_type,
           c.event_at AS touchpoint_date,
           CASE WHEN c.kind OPERATOR(pg_catalog.=) 'call' THEN c.call_medium ELSE s.medium END AS medium,
           c.form_url, c.session_conversions, true AS is_conversion
    FROM conversion c
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) c.session_id
    UNION ALL
    SELECT 'visit:' OPERATOR(pg_catalog.||) fv.journey_id OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) fv.session_id,
           fv.journey_id,
           CASE WHEN pg_catalog.starts_with(fv.journey_id, 'anon:') THEN NULL ELSE fv.journey_id END,
           @extschema@.bizible_key(s.bizible_id), fv.session_id,
           'visit', fv.session_id, 0,
           'Web Visit', fv.started_at, s.medium, NULL, 0, false
    FROM first_visit fv
    JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) fv.session_id
),
ordered AS (
    SELECT t.*,
           pg_catalog.row_number() OVER (PARTITION BY t.journey_id
               ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") AS journey_rank,
           CASE WHEN t.is_conversion THEN pg_catalog.row_number() OVER (PARTITION BY t.journey_id, t.is_conversion
               ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") END AS conversion_rank
    FROM all_touchpoints t
)
SELECT o.touchpoint_id, o.journey_id, o.person_id, o.bizible_id, o.session_id,
       o.source_kind, o.source_id, o.touchpoint_type, o.touchpoint_date,
       CASE WHEN o.session_id IS NULL THEN 'Offline' ELSE s.channel END AS channel,
       s.subchannel, s.source, o.medium, s.campaign, s.ad_content, s.keyword,
       s.landing_page, s.referrer_page, o.form_url,
       pg_catalog.concat_ws(',',
           CASE WHEN o.journey_rank OPERATOR(pg_catalog.=) 1 THEN 'FT' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.=) 1 THEN 'LC' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.>) 1 THEN 'PostLC' END) AS position,
       o.journey_rank OPERATOR(pg_catalog.=) 1 AS is_first_touch,
       COALESCE(o.conversion_rank OPERATOR(pg_catalog.=) 1, false) AS is_lead_creation,
       o.session_conversions::pg_catalog.int4 AS session_conversions
FROM ordered o
LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) o.session_id;
COMMENT ON VIEW @extschema@.touchpoints_live IS
'the touchpoints as of now; touchpoint.touchpoints is its refreshed copy';

-- What BI tools read: a refreshed copy of touchpoints_live.
CREATE MATERIALIZED VIEW @extschema@.touchpoints AS
SELECT * FROM @extschema@.touchpoints_live
WITH NO DATA;
COMMENT ON MATERIALIZED VIEW @extschema@.touchpoints IS
'one row per touchpoint with its journey and position (FT, LC, PostLC); refresh with touchpoint.refresh()';
CREATE UNIQUE INDEX touchpoints_touchpoint_id_idx ON @extschema@.touchpoints (touchpoint_id);
CREATE INDEX touchpoints_journey_idx ON @extschema@.touchpoints (journey_id, touchpoint_date);

-- refresh(): plain the first time (the view is created empty), CONCURRENTLY
-- once populated so readers are never blocked; says what it did.
CREATE FUNCTION @extschema@.refresh(
    OUT mode pg_catalog.text,
    OUT touchpoints pg_catalog.int8,
    OUT duration pg_catalog.interval)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
BEGIN
    IF (SELECT c.relispopulated FROM pg_catalog.pg_class c
        WHERE c.oid = '@extschema@.touchpoints'::pg_catalog.regclass) THEN
        REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@.touchpoints;
        mode := 'concurrently';
    ELSE
        REFRESH MATERIALIZED VIEW @extschema@.touchpoints;
        mode := 'plain';
    END IF;
    SELECT pg_catalog.count(*) INTO touchpoints FROM @extschema@.touchpoints;
    duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh() IS
'refresh touchpoint.touchpoints (plain the first time, then CONCURRENTLY); returns mode, rows and duration';

-- The pg_cron job name used by schedule_refresh / unschedule_refresh.
CREATE FUNCTION @extschema@.refresh_job_name()
RETURNS pg_catalog.text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'touchpoint-refresh'::pg_catalog.text $$;

-- Raise the error that says how to get pg_cron, when it is not here.
CREATE FUNCTION @extschema@.require_pg_cron(schedule pg_catalog.text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RETURN;
    END IF;
    IF cron_db IS NOT NULL AND cron_db OPERATOR(pg_catalog.<>) pg_catalog.current_database() THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('pg_cron runs its jobs from database "%s" (cron.database_name).', cron_db),
                  HINT = pg_catalog.format('In database "%s" run: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           cron_db, @extschema@.refresh_job_name(), schedule,
                                           'SELECT @extschema@.refresh()', pg_catalog.current_database());
    END IF;
    RAISE EXCEPTION 'pg_cron is not installed'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'touchpoint schedules its refresh with the pg_cron extension.',
              HINT = pg_catalog.format('Install the package postgresql-%s-cron (apt-get install postgresql-%s-cron), '
                     'set shared_preload_libraries = ''pg_cron'' and cron.database_name = ''%s'' in postgresql.conf, '
                     'restart the server and run CREATE EXTENSION pg_cron. Any other scheduler can run SELECT @extschema@.refresh() instead.',
                     pg_catalog.current_setting('server_version_num')::int / 10000,
                     pg_catalog.current_setting('server_version_num')::int / 10000,
                     pg_catalog.current_database());
END
$$;

-- schedule_refresh(): a pg_cron job that runs refresh() on a cron schedule.
CREATE FUNCTION @extschema@.schedule_refresh(schedule pg_catalog.text DEFAULT '*/15 * * * *')
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    jobid bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a cron schedule such as ''*/15 * * * *'' (every 15 minutes).';
    END IF;
    PERFORM @extschema@.require_pg_cron(schedule);
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
        INTO jobid
        USING @extschema@.refresh_job_name(), schedule, 'SELECT @extschema@.refresh()'::text;
    RETURN jobid;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_refresh(pg_catalog.text) IS
'schedule touchpoint.refresh() with pg_cron (job touchpoint-refresh); returns the job id';

-- unschedule_refresh(): remove the job; false when there was none.
CREATE FUNCTION @extschema@.unschedule_refresh()
RETURNS pg_catalog.bool
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bool;
BEGIN
    PERFORM @extschema@.require_pg_cron('*/15 * * * *');
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname OPERATOR(pg_catalog.=) $1 AND j.username OPERATOR(pg_catalog.=) CURRENT_USER)'
        INTO found USING @extschema@.refresh_job_name();
    IF found THEN
        EXECUTE 'SELECT cron.unschedule($1)' USING @extschema@.refresh_job_name();
    END IF;
    RETURN found;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_refresh() IS
'remove the pg_cron job that schedule_refresh() created; false when there was none';
