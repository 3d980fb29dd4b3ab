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
            -- the registered sources (docs/spec.md §7)
            ('sources', 'kind', 'the input: sessions, tasks, form_submits, chats, people or opportunities'),
            ('sources', 'relation', 'the relation this input reads: the one registered with touchpoint.use_source, else touchpoint''s own table'),
            ('sources', 'is_own_table', 'true when nothing is registered and touchpoint''s own table is read'),
            ('sources', 'change_detection', 'how refresh() sees its changes: triggers (each change is logged and only what it affects is recomputed), or full rebuild: why (every refresh rereads the relation)'),
            ('sources', 'status', 'ok, or the error reading it would raise now (dropped, renamed, a missing column, no privilege), as the querying role'),
            ('sources', 'registered_at', 'when it was registered; NULL for touchpoint''s own table'),
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
            -- pipeline stage 1 (docs/pipeline.md)
            ('placements', 'bizible_key', 'the stage''s key: the event''s normalised BizibleId (NULL when it has none)'),
            ('placements', 'source_kind', 'the kind of event: form, chat or call'),
            ('placements', 'source_id', 'the id of the event: the form fill, chat or task id'),
            ('placements', 'journey_id', 'the event''s journey: its person, else the person the earliest event of its BizibleId names, else anon:<bizible_key>'),
            ('placements', 'person_id', 'the journey''s person: the event''s own, else the one the earliest event of its BizibleId names'),
            ('placements', 'session_id', 'the session the event belongs to (its own session_id, else the window rule''s); NULL: none'),
            ('placements', 'touchpoint_date', 'when the event happened'),
            ('placements', 'session_rank', 'the event''s rank among its session''s events (time, form, chat, call, id); 1 makes the touchpoint'),
            ('placements', 'session_conversions', 'conversion events in the event''s session (1 without a session)'),
            ('placements', 'is_touchpoint', 'the event makes a conversion touchpoint (first of its session, or without a session)'),
            ('placements', 'key_first_session_id', 'the earliest session of the event''s BizibleId: the journey''s first-touch visit candidate'),
            ('placements', 'key_first_started_at', 'when that earliest session started'),
            -- attribution (docs/spec.md §6)
            ('*', 'opportunity_id', 'the opportunity credited'),
            ('opportunity_touchpoints', 'position', 'positions for the opportunity, comma-separated: FT, LC, OC, Closed or Pending; empty for the middle'),
            ('opportunity_touchpoints', 'amount', 'the opportunity''s amount'),
            ('opportunity_touchpoints', 'is_won', 'the opportunity is won (false while open or lost)'),
            ('position_models', 'model', 'the model''s name, as it appears in credits and revenue_report (not a built-in name)'),
            ('position_models', 'ft', 'percent for the first touch (FT)'),
            ('position_models', 'lc', 'percent for the lead creation (LC)'),
            ('position_models', 'oc', 'percent for the opportunity creation (OC)'),
            ('position_models', 'closed', 'percent for Closed, or Pending while the opportunity is open'),
            ('position_models', 'middle', 'percent shared by the middle conversion touchpoints; the five weights sum to 100'),
            ('credits', 'model', 'the attribution model: a built-in one or a user-defined position model'),
            ('revenue_report', 'model', 'the attribution model: a built-in one or a user-defined position model'),
            ('*', 'model_order', 'the model''s place in lists: 1-8 the built-in models in the order of docs/spec.md §6, 9 the user-defined ones'),
            ('credits', 'position', 'positions for the opportunity, comma-separated: FT, LC, OC, Closed or Pending; empty for the middle'),
            ('credits', 'amount', 'the opportunity''s amount'),
            ('credits', 'is_won', 'the opportunity is won (false while open or lost)'),
            ('credits', 'pct', 'the model''s credit in percent; sums to exactly 100 per opportunity and model'),
            ('credits', 'revenue', 'amount x pct / 100, not rounded; sums to exactly the amount per opportunity and model'),
            ('credits', 'cents', 'revenue rounded to cents by largest remainder (ties: the earliest touchpoint); sums to exactly the amount rounded to cents per opportunity and model'),
            ('revenue_report', 'touchpoints', 'touchpoints of this channel, subchannel, type and source kind'),
            ('revenue_report', 'opportunities_touched', 'opportunities with at least one of these touchpoints'),
            ('revenue_report', 'revenue', 'cents of won opportunities credited here by the model (numeric, 2 decimals)'),
            ('revenue_report', 'pipeline', 'cents of every opportunity (open, won or lost) credited here by the model'),
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
                ('opportunity_touchpoints', '_cents', '<model>_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity'),
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
          -- the extension's own relations only: on a Citus worker the schema also
          -- holds the shards of distributed inputs (sessions_102008, ...)
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                        AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                        AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                               WHERE e.extname OPERATOR(pg_catalog.=) 'touchpoint'))
    LOOP
        IF col.note IS NULL THEN
            RAISE EXCEPTION 'touchpoint install script: no comment for column %.%', col.rel, col.attname;
        END IF;
        EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', col.rel, col.attname, col.note);
    END LOOP;
END
$$;
-- What each internal helper is for (\df+ touchpoint_internal.* shows it).
COMMENT ON FUNCTION @extschema@.use_source(pg_catalog.text, pg_catalog.regclass) IS
'read an input (sessions, tasks, form_submits, chats, people, opportunities) from your own table or view; NULL: back to touchpoint''s table';
COMMENT ON FUNCTION touchpoint_internal.check_source(pg_catalog.text, pg_catalog.regclass) IS
'refuse an unknown source kind, or a relation without the columns of that kind (all missing ones named, with a mapping view)';
COMMENT ON FUNCTION touchpoint_internal.source(pg_catalog.text) IS
'the relation an input reads: the registered one (checked: dropped, renamed or a lost column is an error), else touchpoint.<kind>';
COMMENT ON FUNCTION touchpoint_internal.check_sources() IS
'every input''s relation, each checked; one error naming every source that cannot be read';
COMMENT ON FUNCTION touchpoint_internal.source_status(pg_catalog.text) IS
'ok, or the message of the error reading the source would raise';
COMMENT ON FUNCTION touchpoint_internal.source_registry_resolve() IS
'trigger: a registration (also a restored one) records the oid its relation name resolves to';
COMMENT ON FUNCTION touchpoint_internal.custom_model_upsert() IS
'trigger: a restored INSERT of a shipped custom_model row updates its weight';
COMMENT ON FUNCTION touchpoint_internal.channel_rules_array() IS
'touchpoint.channel_rules as the array classify_channel takes, in priority order';
COMMENT ON FUNCTION touchpoint_internal.credit_share(pg_catalog.numeric, pg_catalog.numeric, pg_catalog.int8) IS
'one model''s exact share in percent: raw * 100 / present, or linear when nothing can take weight';
COMMENT ON FUNCTION touchpoint_internal.read_conversion_events(pg_catalog.text[]) IS
'the registered tasks, form fills and chats with a BizibleId, shaped as the engine reads tasks (kind-prefixed ids)';
COMMENT ON FUNCTION touchpoint_internal.read_keyless_events(pg_catalog.text[]) IS
'the registered form fills and chats without a BizibleId, with the session each names';
COMMENT ON FUNCTION touchpoint_internal.pipeline_touchpoints(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[], pg_catalog.interval, pg_catalog.text[]) IS
'pipeline stages 1 and 2 in C: the touchpoints rows of these events (keys: of these BizibleIds only)';
COMMENT ON FUNCTION touchpoint_internal.pipeline_placements(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[], pg_catalog.interval, pg_catalog.text[]) IS
'pipeline stage 1 in C: every conversion event with its session, journey and rank (the placements view)';
COMMENT ON FUNCTION touchpoint_internal.pipeline_changes(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[], pg_catalog.interval, pg_catalog.regclass) IS
'pipeline stages 1 and 2 in C compared with the stored touchpoints: the ids to delete and rows to insert that make it a full rebuild';
COMMENT ON FUNCTION touchpoint_internal.credit_changes(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.numeric[], pg_catalog.text[], pg_catalog.numeric[], pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[]) IS
'pipeline stage 3 in C for every opportunity (only_opportunities: for these) compared with the stored credit: the rows to delete and insert that make it a full rebuild';
COMMENT ON FUNCTION touchpoint_internal.build_touchpoints(pg_catalog.text[]) IS
'pipeline stages 1 and 2: make touchpoints a rebuild from the sources, writing only what changed (NULL), or the journeys of these normalised BizibleIds; returns the rows written';
COMMENT ON FUNCTION touchpoint_internal.builtin_models() IS
'the names of the eight built-in models, in the order of docs/spec.md §6';
COMMENT ON FUNCTION touchpoint_internal.check_position_model(pg_catalog.text, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'refuse a position model with a built-in name, no name, a negative weight or weights that do not sum to 100';
COMMENT ON FUNCTION touchpoint_internal.position_models_check() IS
'trigger: check every inserted or updated touchpoint.position_models row';
COMMENT ON FUNCTION touchpoint_internal.check_custom_model() IS
'refuse custom_model weights that do not sum to 90';
COMMENT ON FUNCTION touchpoint_internal.warn_empty_inputs() IS
'warn when the registered sessions, tasks, form fills and chats are all empty';
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
GRANT SELECT ON @extschema@.touchpoints, @extschema@.opportunity_touchpoints, @extschema@.channel_report,
    @extschema@.credits, @extschema@.revenue_report, touchpoint_internal.position_credits
    TO touchpoint_reader;

-- Incremental refresh (sql/src/57_incremental.sql, docs/incremental.md)
COMMENT ON FUNCTION touchpoint_internal.capture_changes() IS
'trigger (in C): log the keys an input statement''s old and new rows name into touchpoint_internal.changes; TRUNCATE logs everything';
COMMENT ON FUNCTION touchpoint_internal.watch(pg_catalog.text, pg_catalog.regclass) IS
'put the capture triggers (enabled always) on a table registered as an input; false when it cannot be watched';
COMMENT ON FUNCTION touchpoint_internal.unwatch(pg_catalog.regclass) IS
'remove the capture triggers from a relation';
COMMENT ON FUNCTION touchpoint_internal.is_citus_table(pg_catalog.regclass) IS
'whether Citus holds the relation''s rows (a distributed, reference or Citus-local table); false without Citus';
COMMENT ON FUNCTION touchpoint_internal.change_detection(pg_catalog.text) IS
'how refresh() sees an input''s changes: triggers, or full rebuild: why';
COMMENT ON FUNCTION touchpoint_internal.inputs_fingerprint(pg_catalog.text[]) IS
'what every touchpoint depends on (version, window, anchor, channel rules, registrations, watching), hashed; then, hashed apart, the inputs'' row-level security as it applies to the calling role';
COMMENT ON FUNCTION touchpoint_internal.credit_fingerprint() IS
'the custom and position model weights, hashed';
COMMENT ON FUNCTION touchpoint_internal.events_by(pg_catalog.text, pg_catalog.text[]) IS
'the calls, form fills and chats of some BizibleIds, persons, named sessions or keyless ids: key, person, session, keyless id';
COMMENT ON FUNCTION touchpoint_internal.array_minus(pg_catalog.text[], pg_catalog.text[]) IS
'the distinct non-NULL elements of a not in b';
COMMENT ON FUNCTION touchpoint_internal.change_closure(pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.int8) IS
'every BizibleId, person and keyless event the logged keys can affect, following the ties of the sources';
COMMENT ON FUNCTION touchpoint_internal.sessions_of(pg_catalog.text[]) IS
'the ids of the sessions of some BizibleIds';
COMMENT ON FUNCTION touchpoint_internal.build_touchpoints_of(pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text[]) IS
'stages 1 and 2 for a closed set of BizibleIds, persons and keyless events; writes only the rows that differ';
COMMENT ON FUNCTION touchpoint_internal.opportunities_to_credit(pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.timestamptz[]) IS
'the opportunities whose credit the logged changes and the changed touchpoints can affect';
COMMENT ON FUNCTION touchpoint_internal.publish_all() IS
'stages 1 and 2 for everything, compared with the stored touchpoints: only the differences written; returns rows written and the total';
COMMENT ON TYPE touchpoint_internal.credit_shares IS
'one touchpoint''s credit in an opportunity: its positions, and pct and cents per model (the built-ins in builtin_models() order, then the position models)';
COMMENT ON FUNCTION touchpoint_internal.credit_shares(pg_catalog.text, pg_catalog.timestamptz, pg_catalog.bool, pg_catalog.bool, pg_catalog.timestamptz, pg_catalog.timestamptz, pg_catalog.numeric, pg_catalog.numeric[], pg_catalog.numeric[]) IS
'window function, stage 3 in C: over an opportunity''s touchpoints in order, each one''s positions and credit in every model, exact (src/tp_credit.c)';
