/*
 * touchpoint — the install script of the current version, and its one source:
 * the Makefile copies this file to sql/touchpoint--<default_version>.sql.
 * A change here needs the same change in the upgrade script from the previous
 * version (test/upgrade.sh compares the two catalogs).  The § numbers refer
 * to docs/spec.md: inputs (§2), the merge (§3), errors (§4), touchpoints and
 * journeys (§5), attribution (§6), refresh (§8).
 */
\echo Use "CREATE EXTENSION touchpoint" to load this file. \quit

-- Every object is created as @extschema@.name and everything else is
-- qualified with pg_catalog, so nothing here depends on the search_path.

-- Refuse a schema that a role other than a superuser owns.  A schema's owner
-- can drop and replace every object in it, so a hostile role that created
-- schema touchpoint before a superuser installed the extension would own
-- touchpoint's functions in effect (CREATE EXTENSION reuses an existing schema).
DO $$
DECLARE
    owner_name pg_catalog.name;
BEGIN
    SELECT r.rolname INTO owner_name
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
    WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@' AND NOT r.rolsuper;
    IF FOUND THEN
        RAISE EXCEPTION 'schema "@extschema@" is owned by role "%", which is not a superuser', owner_name
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The owner of a schema can drop and replace the objects in it, so it could replace touchpoint''s functions.',
                  HINT = 'Check what the schema holds, then drop it or run ALTER SCHEMA "@extschema@" OWNER TO a superuser, and try again.';
    END IF;
END
$$;

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

/*
 * The normalised BizibleId (docs/spec.md §3.1.1): ASCII white space trimmed on both
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

-- Web sessions (one row per session, docs/spec.md §2).
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
COMMENT ON TABLE @extschema@.sessions IS 'web sessions, one row per session (docs/spec.md §2)';

-- The engine reads sessions in (normalised id, start, id) order and probes
-- one id's sessions for explain_call: this index serves both.
CREATE INDEX sessions_bizible_key_idx ON @extschema@.sessions
    (@extschema@.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");

-- CRM tasks written by the call-tracking vendor (docs/spec.md §2).
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
COMMENT ON TABLE @extschema@.tasks IS 'CRM tasks (calls) with the BizibleId the call-tracking vendor read (docs/spec.md §2)';

CREATE INDEX tasks_bizible_key_idx ON @extschema@.tasks
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

-- pg_dump keeps the rows users loaded.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tasks', '');

-- merge_calls: one row per task that yields a touchpoint (docs/spec.md §3.1, §3.3).
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

-- ===================================================================
-- §5 Touchpoints and the buyer's journey
-- ===================================================================

-- Web form fills (docs/spec.md §5).  A fill without session_id is placed in its
-- session by the same window rule as calls.
CREATE TABLE @extschema@.form_submits (
    submit_id    pg_catalog.text PRIMARY KEY,
    bizible_id   pg_catalog.text NOT NULL,
    session_id   pg_catalog.text,
    submitted_at pg_catalog.timestamptz NOT NULL,
    form_url     pg_catalog.text,
    person_id    pg_catalog.text
);
COMMENT ON TABLE @extschema@.form_submits IS 'web form fills (docs/spec.md §5)';
CREATE INDEX form_submits_bizible_key_idx ON @extschema@.form_submits
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

-- Web chats (docs/spec.md §5), placed like form fills.
CREATE TABLE @extschema@.chats (
    chat_id    pg_catalog.text PRIMARY KEY,
    bizible_id pg_catalog.text NOT NULL,
    session_id pg_catalog.text,
    started_at pg_catalog.timestamptz NOT NULL,
    person_id  pg_catalog.text
);
COMMENT ON TABLE @extschema@.chats IS 'web chats (docs/spec.md §5)';
CREATE INDEX chats_bizible_key_idx ON @extschema@.chats
    (@extschema@.bizible_key(bizible_id) COLLATE "C");

SELECT pg_catalog.pg_extension_config_dump('@extschema@.form_submits', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.chats', '');

/*
 * Every conversion event the window rule must place, shaped like tasks so
 * that one pass of the C engine (merge_calls) places calls, form fills and
 * chats together: the task_id carries the kind ('call:', 'form:', 'chat:').
 * Fills and chats that name their session_id need no placing.
 *
 * This and every other plain view of the extension is security_invoker: it
 * reads the inputs as the querying role, so a role that may not read them,
 * or sees only some rows under row-level security, gets the same from the
 * view.  (The materialized views are filled as their owner at refresh.)
 */
CREATE VIEW @extschema@.conversion_events WITH (security_invoker = true) AS
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

-- ===================================================================
-- §6 Attribution and reporting
-- ===================================================================

-- People (leads and contacts) and the account they belong to.
CREATE TABLE @extschema@.people (
    person_id  pg_catalog.text PRIMARY KEY,
    account_id pg_catalog.text,
    email      pg_catalog.text
);
COMMENT ON TABLE @extschema@.people IS 'leads and contacts with their account (docs/spec.md §6)';
CREATE INDEX people_account_idx ON @extschema@.people (account_id);

-- Opportunities: open while closed_at IS NULL.
CREATE TABLE @extschema@.opportunities (
    opportunity_id pg_catalog.text PRIMARY KEY,
    account_id     pg_catalog.text NOT NULL,
    amount         pg_catalog.numeric NOT NULL,
    created_at     pg_catalog.timestamptz NOT NULL,
    closed_at      pg_catalog.timestamptz,
    is_won         pg_catalog.bool
);
COMMENT ON TABLE @extschema@.opportunities IS 'opportunities; open while closed_at IS NULL (docs/spec.md §6)';
CREATE INDEX opportunities_account_idx ON @extschema@.opportunities (account_id);

-- Channel rules: lowest priority first, first match wins (see classify_channel).
CREATE TABLE @extschema@.channel_rules (
    priority     pg_catalog.int4 PRIMARY KEY,
    channel      pg_catalog.text,
    subchannel   pg_catalog.text,
    medium       pg_catalog.text,
    source       pg_catalog.text,
    campaign     pg_catalog.text,
    landing_page pg_catalog.text,
    referrer     pg_catalog.text
);
COMMENT ON TABLE @extschema@.channel_rules IS
'ordered channel rules for sessions without a channel: *x* contains, x* starts with, *x ends with, * anything, a;b either (docs/spec.md §6)';

-- The custom model's weights; the middle keeps 10, so these sum to 90.
CREATE TABLE @extschema@.custom_model (
    position pg_catalog.text PRIMARY KEY
        CHECK (position OPERATOR(pg_catalog.=) ANY (ARRAY['FT', 'LC', 'OC', 'Closed']::pg_catalog.text[])),
    weight   pg_catalog.numeric NOT NULL CHECK (weight OPERATOR(pg_catalog.>=) 0)
);
COMMENT ON TABLE @extschema@.custom_model IS
'custom model weights for FT, LC, OC and Closed (Pending uses Closed); they must sum to 90, the middle keeps 10';
INSERT INTO @extschema@.custom_model VALUES ('FT', 22.5), ('LC', 22.5), ('OC', 22.5), ('Closed', 22.5);

/*
 * pg_dump dumps the rows of custom_model, and a restore first re-creates the
 * shipped rows: this trigger turns the restored INSERT of an existing
 * position into an update, so a restore brings back the user's weights.
 */
CREATE FUNCTION touchpoint_internal.custom_model_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.custom_model m SET weight = NEW.weight
    WHERE m.position OPERATOR(pg_catalog.=) NEW.position;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER custom_model_upsert BEFORE INSERT ON @extschema@.custom_model
    FOR EACH ROW EXECUTE FUNCTION touchpoint_internal.custom_model_upsert();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.people', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.channel_rules', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.custom_model', '');

-- One rule cell against one value (docs/spec.md §6 wildcards, ASCII case ignored).
CREATE FUNCTION @extschema@.channel_rule_matches(pattern pg_catalog.text, value pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'tp_channel_rule_matches'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_rule_matches(pg_catalog.text, pg_catalog.text) IS
'does value match one channel-rule cell (*x*, x*, *x, *, a;b; NULL cell = no condition)';

-- The first matching rule's ARRAY[channel, subchannel], or NULL.
CREATE FUNCTION @extschema@.classify_channel(rules pg_catalog.text[], medium pg_catalog.text,
    source pg_catalog.text, campaign pg_catalog.text, landing_page pg_catalog.text,
    referrer pg_catalog.text)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'tp_classify_channel'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.classify_channel(pg_catalog.text[], pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
'first matching rule of rules (rows of channel, subchannel, medium, source, campaign, landing_page, referrer) as ARRAY[channel, subchannel], NULL when none';

-- The rules table as the array classify_channel takes, in priority order.
CREATE FUNCTION touchpoint_internal.channel_rules_array()
RETURNS pg_catalog.text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(ARRAY[r.channel, r.subchannel, r.medium, r.source, r.campaign,
                                      r.landing_page, r.referrer] ORDER BY r.priority)
    FROM @extschema@.channel_rules r
$$;


/*
 * One model's share for one touchpoint, in percent, before rounding: its raw
 * weight over the weight present in the opportunity, or an equal share when
 * no touchpoint can take any of the model's weight (the linear fallback).
 */
CREATE FUNCTION touchpoint_internal.credit_share(raw pg_catalog.numeric, present pg_catalog.numeric, touchpoints pg_catalog.int8)
RETURNS pg_catalog.numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (no search_path at run time) and
-- stays inlinable, which matters: the view calls it eight times a row.
RETURN CASE WHEN present OPERATOR(pg_catalog.>) 0
            THEN (raw OPERATOR(pg_catalog.*) 100)::pg_catalog.numeric(60,30) OPERATOR(pg_catalog./) present
            ELSE 100::pg_catalog.numeric(60,30) OPERATOR(pg_catalog./) touchpoints END;

/*
 * touchpoints_live: the touchpoints as of now (docs/spec.md §5); the materialized
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
 *   positions   FT, LC, PostLC over the union (the session's web columns
 *               ride along as s_*, so sessions are joined once per branch)
 */
CREATE VIEW @extschema@.touchpoints_live WITH (security_invoker = true) AS
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
journey_ids AS MATERIALIZED (
    -- in index order, so that successive probes below share their index pages
    SELECT d.journey_id, d.bizible_id
    FROM (SELECT DISTINCT j.journey_id, j.bizible_id
          FROM journeys j
          WHERE j.bizible_id IS NOT NULL
            AND EXISTS (SELECT 1 FROM journey_start js
                        WHERE js.journey_id OPERATOR(pg_catalog.=) j.journey_id)) d
    ORDER BY d.bizible_id COLLATE "C"
),
earliest_session AS (
    SELECT DISTINCT ON (ji.journey_id) ji.journey_id, es.*
    FROM journey_ids ji
    CROSS JOIN LATERAL (
        SELECT s.session_id, s.started_at, s.bizible_id, s.channel, s.subchannel, s.source,
               s.medium, s.campaign, s.ad_content, s.keyword, s.landing_page, s.referrer_page
        FROM @extschema@.sessions s
        WHERE @extschema@.bizible_key(s.bizible_id) COLLATE "C" OPERATOR(pg_catalog.=) ji.bizible_id
        ORDER BY @extschema@.bizible_key(s.bizible_id) COLLATE "C", s.started_at, s.session_id COLLATE "C"
        LIMIT 1) es
    ORDER BY ji.journey_id, es.started_at, es.session_id COLLATE "C"
),
first_visit AS (
    SELECT es.*
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
           c.form_url, c.session_conversions, true AS is_conversion,
           s.channel AS s_channel, s.subchannel AS s_subchannel, s.source AS s_source,
           s.medium AS s_medium, s.campaign AS s_campaign, s.ad_content AS s_ad_content,
           s.keyword AS s_keyword, s.landing_page AS s_landing_page, s.referrer_page AS s_referrer_page
    FROM conversion c
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) c.session_id
    UNION ALL
    SELECT 'visit:' OPERATOR(pg_catalog.||) fv.journey_id OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) fv.session_id,
           fv.journey_id,
           CASE WHEN pg_catalog.starts_with(fv.journey_id, 'anon:') THEN NULL ELSE fv.journey_id END,
           @extschema@.bizible_key(fv.bizible_id), fv.session_id,
           'visit', fv.session_id, 0,
           'Web Visit', fv.started_at, fv.medium, NULL, 0, false,
           fv.channel AS s_channel, fv.subchannel AS s_subchannel, fv.source AS s_source,
           fv.medium AS s_medium, fv.campaign AS s_campaign, fv.ad_content AS s_ad_content,
           fv.keyword AS s_keyword, fv.landing_page AS s_landing_page, fv.referrer_page AS s_referrer_page
    FROM first_visit fv
),
rules AS MATERIALIZED (
    -- once: as a subquery it would be pulled up and run for every row
    SELECT touchpoint_internal.channel_rules_array() AS rules
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
       CASE WHEN o.session_id IS NULL THEN 'Offline'
            WHEN pg_catalog.btrim(o.s_channel) OPERATOR(pg_catalog.<>) '' THEN o.s_channel
            ELSE COALESCE(cls.rule[1],
                          CASE WHEN pg_catalog.btrim(COALESCE(o.s_medium, '') OPERATOR(pg_catalog.||) COALESCE(o.s_source, '')
                                   OPERATOR(pg_catalog.||) COALESCE(o.s_campaign, '') OPERATOR(pg_catalog.||) COALESCE(o.s_referrer_page, ''))
                                   OPERATOR(pg_catalog.<>) ''
                               THEN 'Other' ELSE 'Direct' END) END AS channel,
       CASE WHEN o.session_id IS NULL THEN NULL
            WHEN pg_catalog.btrim(o.s_channel) OPERATOR(pg_catalog.<>) '' THEN o.s_subchannel
            ELSE cls.rule[2] END AS subchannel,
       o.s_source AS source, o.medium, o.s_campaign AS campaign, o.s_ad_content AS ad_content,
       o.s_keyword AS keyword, o.s_landing_page AS landing_page, o.s_referrer_page AS referrer_page,
       o.form_url,
       pg_catalog.concat_ws(',',
           CASE WHEN o.journey_rank OPERATOR(pg_catalog.=) 1 THEN 'FT' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.=) 1 THEN 'LC' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.>) 1 THEN 'PostLC' END) AS position,
       o.journey_rank OPERATOR(pg_catalog.=) 1 AS is_first_touch,
       COALESCE(o.conversion_rank OPERATOR(pg_catalog.=) 1, false) AS is_lead_creation,
       o.session_conversions::pg_catalog.int4 AS session_conversions
FROM ordered o
CROSS JOIN rules r
LEFT JOIN LATERAL (
    -- sessions without a channel are classified by the channel rules (docs/spec.md §6)
    SELECT @extschema@.classify_channel(r.rules, o.s_medium, o.s_source, o.s_campaign,
                                        o.s_landing_page, o.s_referrer_page) AS rule
    WHERE o.session_id IS NOT NULL AND COALESCE(pg_catalog.btrim(o.s_channel), '') OPERATOR(pg_catalog.=) ''
) cls ON true;
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
/*
 * opportunity_touchpoints_live: every (opportunity, touchpoint) with its
 * positions and the credit of every model (docs/spec.md §6); the materialized view
 * opportunity_touchpoints is its refreshed copy.
 *
 *   opp_tp    the touchpoints of every person of the opportunity's account,
 *             up to the close (all of them while it is open)
 *   ranked    order (date, kind form<chat<call after visit, id) and the
 *             positions FT, LC, OC and Closed/Pending
 *   shares    each model's raw weight per touchpoint: a position's weight to
 *             its holder, a middle share split over the middle conversion
 *             touchpoints; and the weight present in the opportunity
 *   exact     raw * 100 / present, or linear when nothing can take weight
 *   rounded   10 decimals; 100 minus their sum goes to the largest share
 */
CREATE VIEW @extschema@.opportunity_touchpoints_live WITH (security_invoker = true) AS
WITH weights AS (
    SELECT pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'FT') AS ft,
           pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'LC') AS lc,
           pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'OC') AS oc,
           pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'Closed') AS cl
    FROM @extschema@.custom_model m
),
opp_tp AS (
    SELECT o.opportunity_id, o.account_id, o.amount, o.created_at, o.closed_at, o.is_won,
           t.touchpoint_id, t.journey_id, t.touchpoint_date, t.touchpoint_type,
           t.channel, t.subchannel, t.source_kind, t.source_id, t.is_lead_creation,
           t.source_kind OPERATOR(pg_catalog.<>) 'visit' AS is_conversion,
           CASE t.source_kind WHEN 'visit' THEN 0 WHEN 'form' THEN 1 WHEN 'chat' THEN 2 ELSE 3 END AS kind_rank
    FROM @extschema@.opportunities o
    JOIN @extschema@.people p ON p.account_id OPERATOR(pg_catalog.=) o.account_id
    JOIN @extschema@.touchpoints t ON t.person_id OPERATOR(pg_catalog.=) p.person_id
    WHERE o.closed_at IS NULL OR t.touchpoint_date OPERATOR(pg_catalog.<=) o.closed_at
),
ordered AS (
    SELECT x.*,
           pg_catalog.row_number() OVER w_all AS rn,
           pg_catalog.count(*) OVER (PARTITION BY x.opportunity_id) AS n,
           x.is_lead_creation AND pg_catalog.row_number() OVER w_lc OPERATOR(pg_catalog.=) 1 AS is_lc,
           (x.touchpoint_date OPERATOR(pg_catalog.<=) x.created_at)
               AND pg_catalog.row_number() OVER w_oc OPERATOR(pg_catalog.=) 1 AS is_oc
    FROM opp_tp x
    -- touchpoint_id settles the last tie: two colleagues' first-touch visits
    -- of one shared session have the same date, kind and session
    WINDOW w_all AS (PARTITION BY x.opportunity_id
                     ORDER BY x.touchpoint_date, x.kind_rank, x.source_id COLLATE "C",
                              x.touchpoint_id COLLATE "C"),
           w_lc AS (PARTITION BY x.opportunity_id, x.is_lead_creation
                    ORDER BY x.touchpoint_date, x.kind_rank, x.source_id COLLATE "C",
                             x.touchpoint_id COLLATE "C"),
           w_oc AS (PARTITION BY x.opportunity_id, x.touchpoint_date OPERATOR(pg_catalog.<=) x.created_at
                    ORDER BY x.touchpoint_date DESC, x.kind_rank DESC, x.source_id COLLATE "C" DESC,
                             x.touchpoint_id COLLATE "C" DESC)
),
positioned AS (
    SELECT y.*,
           y.rn OPERATOR(pg_catalog.=) 1 AS is_ft,
           y.rn OPERATOR(pg_catalog.=) y.n AS is_cl,
           pg_catalog.max(CASE WHEN y.is_lc THEN y.rn END) OVER opp AS lc_rn,
           pg_catalog.max(CASE WHEN y.is_oc THEN y.rn END) OVER opp AS oc_rn
    FROM ordered y
    WINDOW opp AS (PARTITION BY y.opportunity_id)
),
middles AS (
    SELECT z.*,
           -- U-shaped: conversion touchpoints strictly between FT and LC
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.lc_rn) AS u_mid,
           -- W-shaped: conversion touchpoints after FT, before OC, holding none of FT/LC/OC
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.oc_rn
                AND NOT z.is_lc) AS w_mid,
           -- full path and custom: conversion touchpoints holding no position
           (z.is_conversion AND NOT (z.rn OPERATOR(pg_catalog.=) 1 OR z.is_lc OR z.is_oc
                OR z.rn OPERATOR(pg_catalog.=) z.n)) AS f_mid
    FROM positioned z
),
counted AS (
    SELECT m.*,
           pg_catalog.count(*) FILTER (WHERE m.u_mid) OVER opp AS u_n,
           pg_catalog.count(*) FILTER (WHERE m.w_mid) OVER opp AS w_n,
           pg_catalog.count(*) FILTER (WHERE m.f_mid) OVER opp AS f_n,
           -- time decay relative to the most recent touchpoint, so no weight
           -- overflows; below 2^-1000 a share is 0 anyway (no float underflow)
           pg_catalog.power(2::pg_catalog.float8, GREATEST(-1000::pg_catalog.float8,
               (pg_catalog.min(pg_catalog.date_part('epoch', COALESCE(m.closed_at, m.created_at) OPERATOR(pg_catalog.-) m.touchpoint_date)) OVER opp
                OPERATOR(pg_catalog.-) pg_catalog.date_part('epoch', COALESCE(m.closed_at, m.created_at) OPERATOR(pg_catalog.-) m.touchpoint_date))
               OPERATOR(pg_catalog./) (7 OPERATOR(pg_catalog.*) 86400))) AS decay
    FROM middles m
    WINDOW opp AS (PARTITION BY m.opportunity_id)
),
shares AS (
    SELECT c.*,
           -- raw weight per touchpoint, per model
           CASE WHEN c.is_ft THEN 100 ELSE 0 END::pg_catalog.numeric AS ft_raw,
           100::pg_catalog.numeric AS ft_present,
           CASE WHEN c.is_lc THEN 100 ELSE 0 END::pg_catalog.numeric AS lc_raw,
           CASE WHEN c.lc_rn IS NOT NULL THEN 100 ELSE 0 END::pg_catalog.numeric AS lc_present,
           (CASE WHEN c.is_ft THEN 40 ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_lc THEN 40 ELSE 0 END)::pg_catalog.numeric
               OPERATOR(pg_catalog.+) CASE WHEN c.u_mid THEN 20::pg_catalog.numeric(40,20) OPERATOR(pg_catalog./) c.u_n ELSE 0 END AS u_raw,
           (40 OPERATOR(pg_catalog.+) CASE WHEN c.lc_rn IS NOT NULL THEN 40 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.u_n OPERATOR(pg_catalog.>) 0 THEN 20 ELSE 0 END)::pg_catalog.numeric AS u_present,
           (CASE WHEN c.is_ft THEN 30 ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_lc THEN 30 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.is_oc THEN 30 ELSE 0 END)::pg_catalog.numeric
               OPERATOR(pg_catalog.+) CASE WHEN c.w_mid THEN 10::pg_catalog.numeric(40,20) OPERATOR(pg_catalog./) c.w_n ELSE 0 END AS w_raw,
           (30 OPERATOR(pg_catalog.+) CASE WHEN c.lc_rn IS NOT NULL THEN 30 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.oc_rn IS NOT NULL THEN 30 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.w_n OPERATOR(pg_catalog.>) 0 THEN 10 ELSE 0 END)::pg_catalog.numeric AS w_present,
           (CASE WHEN c.is_ft THEN 22.5 ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_lc THEN 22.5 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.is_oc THEN 22.5 ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_cl THEN 22.5 ELSE 0 END)
               OPERATOR(pg_catalog.+) CASE WHEN c.f_mid THEN 10::pg_catalog.numeric(40,20) OPERATOR(pg_catalog./) c.f_n ELSE 0 END AS f_raw,
           (45 OPERATOR(pg_catalog.+) CASE WHEN c.lc_rn IS NOT NULL THEN 22.5 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.oc_rn IS NOT NULL THEN 22.5 ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.f_n OPERATOR(pg_catalog.>) 0 THEN 10 ELSE 0 END)::pg_catalog.numeric AS f_present,
           (CASE WHEN c.is_ft THEN w.ft ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_lc THEN w.lc ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.is_oc THEN w.oc ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_cl THEN w.cl ELSE 0 END)
               OPERATOR(pg_catalog.+) CASE WHEN c.f_mid THEN 10::pg_catalog.numeric(40,20) OPERATOR(pg_catalog./) c.f_n ELSE 0 END AS c_raw,
           (w.ft OPERATOR(pg_catalog.+) w.cl OPERATOR(pg_catalog.+) CASE WHEN c.lc_rn IS NOT NULL THEN w.lc ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.oc_rn IS NOT NULL THEN w.oc ELSE 0 END
               OPERATOR(pg_catalog.+) CASE WHEN c.f_n OPERATOR(pg_catalog.>) 0 THEN 10 ELSE 0 END)::pg_catalog.numeric AS c_present,
           c.decay::pg_catalog.numeric AS t_raw,
           pg_catalog.sum(c.decay::pg_catalog.numeric) OVER (PARTITION BY c.opportunity_id) AS t_present
    FROM counted c
    CROSS JOIN weights w
),
exact AS (
    -- the share of each model before rounding; linear when nothing can take weight
    SELECT s.*,
           touchpoint_internal.credit_share(s.ft_raw, s.ft_present, s.n) AS ft_x,
           touchpoint_internal.credit_share(s.lc_raw, s.lc_present, s.n) AS lc_x,
           touchpoint_internal.credit_share(s.u_raw, s.u_present, s.n) AS u_x,
           touchpoint_internal.credit_share(s.w_raw, s.w_present, s.n) AS w_x,
           touchpoint_internal.credit_share(s.f_raw, s.f_present, s.n) AS f_x,
           touchpoint_internal.credit_share(1, s.n, s.n) AS l_x,
           touchpoint_internal.credit_share(s.t_raw, s.t_present, s.n) AS t_x,
           touchpoint_internal.credit_share(s.c_raw, s.c_present, s.n) AS c_x
    FROM shares s
),
rounded AS (
    SELECT e.*,
           pg_catalog.round(e.ft_x, 10) AS ft_r, pg_catalog.round(e.lc_x, 10) AS lc_r,
           pg_catalog.round(e.u_x, 10) AS u_r, pg_catalog.round(e.w_x, 10) AS w_r,
           pg_catalog.round(e.f_x, 10) AS f_r, pg_catalog.round(e.l_x, 10) AS l_r,
           pg_catalog.round(e.t_x, 10) AS t_r, pg_catalog.round(e.c_x, 10) AS c_r
    FROM exact e
),
fixed AS (
    -- the rounding remainder goes to the touchpoint with the largest share (earliest on ties)
    SELECT r.*,
           r.ft_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.ft_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.ft_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS first_touch_pct,
           r.lc_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.lc_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.lc_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS lead_creation_pct,
           r.u_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.u_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.u_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS u_shaped_pct,
           r.w_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.w_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.w_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS w_shaped_pct,
           r.f_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.f_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.f_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS full_path_pct,
           r.l_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.l_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.l_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS linear_pct,
           r.t_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.t_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.t_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS time_decay_pct,
           r.c_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.c_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.c_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS custom_pct
    FROM rounded r
)
SELECT f.opportunity_id, f.account_id, f.touchpoint_id, f.journey_id, f.touchpoint_date,
       f.touchpoint_type, f.channel, f.subchannel, f.source_kind,
       pg_catalog.concat_ws(',',
           CASE WHEN f.is_ft THEN 'FT' END,
           CASE WHEN f.is_lc THEN 'LC' END,
           CASE WHEN f.is_oc THEN 'OC' END,
           CASE WHEN f.is_cl THEN CASE WHEN f.closed_at IS NULL THEN 'Pending' ELSE 'Closed' END END) AS position,
       f.amount, COALESCE(f.is_won, false) AS is_won,
       f.first_touch_pct, f.lead_creation_pct, f.u_shaped_pct, f.w_shaped_pct,
       f.full_path_pct, f.linear_pct, f.time_decay_pct, f.custom_pct,
       f.amount OPERATOR(pg_catalog.*) f.first_touch_pct OPERATOR(pg_catalog.*) 0.01 AS first_touch_revenue,
       f.amount OPERATOR(pg_catalog.*) f.lead_creation_pct OPERATOR(pg_catalog.*) 0.01 AS lead_creation_revenue,
       f.amount OPERATOR(pg_catalog.*) f.u_shaped_pct OPERATOR(pg_catalog.*) 0.01 AS u_shaped_revenue,
       f.amount OPERATOR(pg_catalog.*) f.w_shaped_pct OPERATOR(pg_catalog.*) 0.01 AS w_shaped_revenue,
       f.amount OPERATOR(pg_catalog.*) f.full_path_pct OPERATOR(pg_catalog.*) 0.01 AS full_path_revenue,
       f.amount OPERATOR(pg_catalog.*) f.linear_pct OPERATOR(pg_catalog.*) 0.01 AS linear_revenue,
       f.amount OPERATOR(pg_catalog.*) f.time_decay_pct OPERATOR(pg_catalog.*) 0.01 AS time_decay_revenue,
       f.amount OPERATOR(pg_catalog.*) f.custom_pct OPERATOR(pg_catalog.*) 0.01 AS custom_revenue
FROM fixed f;
COMMENT ON VIEW @extschema@.opportunity_touchpoints_live IS
'each opportunity''s touchpoints with positions and the credit of every model, as of now; opportunity_touchpoints is its refreshed copy';

CREATE MATERIALIZED VIEW @extschema@.opportunity_touchpoints AS
SELECT * FROM @extschema@.opportunity_touchpoints_live
WITH NO DATA;
COMMENT ON MATERIALIZED VIEW @extschema@.opportunity_touchpoints IS
'one row per (opportunity, touchpoint): positions FT, LC, OC, Closed/Pending and <model>_pct / <model>_revenue for every model; refresh with touchpoint.refresh()';
CREATE UNIQUE INDEX opportunity_touchpoints_key ON @extschema@.opportunity_touchpoints (opportunity_id, touchpoint_id);
CREATE INDEX opportunity_touchpoints_touchpoint_idx ON @extschema@.opportunity_touchpoints (touchpoint_id);

-- The report BI tools read: one row per channel, subchannel and touchpoint type.
CREATE VIEW @extschema@.channel_report WITH (security_invoker = true) AS
WITH per_touchpoint AS (
    SELECT t.channel, t.subchannel, t.touchpoint_type,
           pg_catalog.count(*) AS touchpoints,
           pg_catalog.count(*) FILTER (WHERE t.source_kind OPERATOR(pg_catalog.=) 'call') AS phone_calls,
           pg_catalog.count(*) FILTER (WHERE t.is_lead_creation) AS leads_created
    FROM @extschema@.touchpoints t
    GROUP BY t.channel, t.subchannel, t.touchpoint_type
),
per_opportunity AS (
    SELECT ot.channel, ot.subchannel, ot.touchpoint_type,
           pg_catalog.count(DISTINCT ot.opportunity_id) AS opportunities_touched,
           pg_catalog.sum(ot.first_touch_revenue) FILTER (WHERE ot.is_won) AS first_touch_revenue,
           pg_catalog.sum(ot.first_touch_revenue) AS first_touch_pipeline,
           pg_catalog.sum(ot.lead_creation_revenue) FILTER (WHERE ot.is_won) AS lead_creation_revenue,
           pg_catalog.sum(ot.lead_creation_revenue) AS lead_creation_pipeline,
           pg_catalog.sum(ot.u_shaped_revenue) FILTER (WHERE ot.is_won) AS u_shaped_revenue,
           pg_catalog.sum(ot.u_shaped_revenue) AS u_shaped_pipeline,
           pg_catalog.sum(ot.w_shaped_revenue) FILTER (WHERE ot.is_won) AS w_shaped_revenue,
           pg_catalog.sum(ot.w_shaped_revenue) AS w_shaped_pipeline,
           pg_catalog.sum(ot.full_path_revenue) FILTER (WHERE ot.is_won) AS full_path_revenue,
           pg_catalog.sum(ot.full_path_revenue) AS full_path_pipeline,
           pg_catalog.sum(ot.linear_revenue) FILTER (WHERE ot.is_won) AS linear_revenue,
           pg_catalog.sum(ot.linear_revenue) AS linear_pipeline,
           pg_catalog.sum(ot.time_decay_revenue) FILTER (WHERE ot.is_won) AS time_decay_revenue,
           pg_catalog.sum(ot.time_decay_revenue) AS time_decay_pipeline,
           pg_catalog.sum(ot.custom_revenue) FILTER (WHERE ot.is_won) AS custom_revenue,
           pg_catalog.sum(ot.custom_revenue) AS custom_pipeline
    FROM @extschema@.opportunity_touchpoints ot
    GROUP BY ot.channel, ot.subchannel, ot.touchpoint_type
)
SELECT t.channel, t.subchannel, t.touchpoint_type, t.touchpoints, t.phone_calls, t.leads_created,
       COALESCE(o.opportunities_touched, 0) AS opportunities_touched,
       COALESCE(o.first_touch_revenue, 0) AS first_touch_revenue,
       COALESCE(o.first_touch_pipeline, 0) AS first_touch_pipeline,
       COALESCE(o.lead_creation_revenue, 0) AS lead_creation_revenue,
       COALESCE(o.lead_creation_pipeline, 0) AS lead_creation_pipeline,
       COALESCE(o.u_shaped_revenue, 0) AS u_shaped_revenue,
       COALESCE(o.u_shaped_pipeline, 0) AS u_shaped_pipeline,
       COALESCE(o.w_shaped_revenue, 0) AS w_shaped_revenue,
       COALESCE(o.w_shaped_pipeline, 0) AS w_shaped_pipeline,
       COALESCE(o.full_path_revenue, 0) AS full_path_revenue,
       COALESCE(o.full_path_pipeline, 0) AS full_path_pipeline,
       COALESCE(o.linear_revenue, 0) AS linear_revenue,
       COALESCE(o.linear_pipeline, 0) AS linear_pipeline,
       COALESCE(o.time_decay_revenue, 0) AS time_decay_revenue,
       COALESCE(o.time_decay_pipeline, 0) AS time_decay_pipeline,
       COALESCE(o.custom_revenue, 0) AS custom_revenue,
       COALESCE(o.custom_pipeline, 0) AS custom_pipeline
FROM per_touchpoint t
LEFT JOIN per_opportunity o
       ON o.channel IS NOT DISTINCT FROM t.channel
      AND o.subchannel IS NOT DISTINCT FROM t.subchannel
      AND o.touchpoint_type IS NOT DISTINCT FROM t.touchpoint_type;
COMMENT ON VIEW @extschema@.channel_report IS
'per channel, subchannel and touchpoint type: touchpoints, phone calls, leads created, opportunities touched, and revenue (won) and pipeline (all) per model';

-- Refresh one of our materialized views: plain the first time (they are
-- created empty), CONCURRENTLY once populated so readers are never blocked.
CREATE FUNCTION touchpoint_internal.refresh_view(view_name pg_catalog.regclass)
RETURNS pg_catalog.text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT c.relispopulated FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) view_name) THEN
        EXECUTE pg_catalog.format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', view_name);
        RETURN 'concurrently';
    END IF;
    EXECUTE pg_catalog.format('REFRESH MATERIALIZED VIEW %s', view_name);
    RETURN 'plain';
END
$$;

-- Refuse custom-model weights that do not leave exactly 10 to the middle.
CREATE FUNCTION touchpoint_internal.check_custom_model()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    positions int;
    total numeric;
    listing text;
BEGIN
    SELECT pg_catalog.count(*), pg_catalog.sum(m.weight),
           pg_catalog.string_agg(m.position OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) m.weight::text, ', '
                                 ORDER BY pg_catalog.array_position(ARRAY['FT', 'LC', 'OC', 'Closed'], m.position))
    INTO positions, total, listing
    FROM @extschema@.custom_model m;
    IF positions OPERATOR(pg_catalog.<>) 4 OR total OPERATOR(pg_catalog.<>) 90 THEN
        RAISE EXCEPTION 'custom model weights must sum to 90'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('touchpoint.custom_model has %s (%s positions, sum %s); FT, LC, OC and Closed must each have a weight.',
                                             COALESCE(listing, 'no rows'), positions, COALESCE(total, 0)),
                  HINT = 'The middle touchpoints keep 10, so the four weights sum to 90, e.g. UPDATE touchpoint.custom_model SET weight = 22.5;';
    END IF;
END
$$;

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
CREATE FUNCTION @extschema@.refresh(
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
CREATE FUNCTION @extschema@.schedule_refresh(schedule pg_catalog.text DEFAULT '*/15 * * * *')
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
CREATE FUNCTION @extschema@.unschedule_refresh()
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

-- A role for BI tools: exactly the SELECT the reports need, nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) 'touchpoint_reader') THEN
        CREATE ROLE touchpoint_reader NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA @extschema@ TO touchpoint_reader;
GRANT SELECT ON @extschema@.touchpoints, @extschema@.opportunity_touchpoints, @extschema@.channel_report
    TO touchpoint_reader;
