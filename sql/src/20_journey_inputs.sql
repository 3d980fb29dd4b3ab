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
 * view.  (The stored relations are filled by refresh() as its caller.)
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

