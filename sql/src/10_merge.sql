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
    sessions pg_catalog.regclass DEFAULT touchpoint_internal.source('sessions'),
    tasks pg_catalog.regclass DEFAULT touchpoint_internal.source('tasks'),
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
    sessions pg_catalog.regclass DEFAULT touchpoint_internal.source('sessions'),
    tasks pg_catalog.regclass DEFAULT touchpoint_internal.source('tasks'),
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
    sessions pg_catalog.regclass DEFAULT touchpoint_internal.source('sessions'),
    tasks pg_catalog.regclass DEFAULT touchpoint_internal.source('tasks'),
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

