-- ===================================================================
-- §9 More than one machine: touchpoint's inputs on a Citus cluster
-- (docs/distributed.md)
-- ===================================================================

/*
 * The per-BizibleId stage on Citus's workers (docs/distributed.md).  Three
 * scratch tables keyed by the normalised BizibleId, empty and unused on one
 * node; distribute() makes them distributed by key and co-located, and a
 * full refresh on Citus then fills them:
 *   keyed_sessions   every session with a BizibleId, moved to its key's shard
 *                    (INSERT ... SELECT of bizible_key(): Citus repartitions
 *                    it between the workers, not through the coordinator);
 *   keyed_events     every call, form fill and chat with a BizibleId, not
 *                    deleted, the same way, in the shape of pipeline_events;
 *   keyed_placements each event with the session the engine merges it with
 *                    and its key's earliest session, computed per key on the
 *                    workers by place_key_events() (GROUP BY the key: one task
 *                    per shard).
 * The coordinator then reads keyed_placed_events — one row per event, not per
 * session — and does the journeys and credit as on one node.
 */
CREATE TABLE touchpoint_internal.keyed_sessions (
    key              pg_catalog.text COLLATE "C" NOT NULL,
    session_id       pg_catalog.text COLLATE "C",
    started_at       pg_catalog.timestamptz,
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
CREATE TABLE touchpoint_internal.keyed_events (
    key         pg_catalog.text COLLATE "C" NOT NULL,
    task_id     pg_catalog.text COLLATE "C",    -- call:, form: or chat: and the source's id
    subject     pg_catalog.text,                -- a call's type, a form fill's URL
    phone       pg_catalog.text,                -- the session a form fill or chat names
    person_id   pg_catalog.text,
    occurred_at pg_catalog.timestamptz,
    is_deleted  pg_catalog.bool
);
CREATE TABLE touchpoint_internal.keyed_placements (
    key              pg_catalog.text COLLATE "C" NOT NULL,
    task_id          pg_catalog.text COLLATE "C",
    subject          pg_catalog.text,
    phone            pg_catalog.text,
    person_id        pg_catalog.text,
    occurred_at      pg_catalog.timestamptz,
    session_id       pg_catalog.text COLLATE "C",    -- merged with, NULL: none
    started_at       pg_catalog.timestamptz,         -- and its start (a source may repeat a session_id)
    first_session_id pg_catalog.text COLLATE "C",    -- the key's earliest, NULL: it has none
    first_started_at pg_catalog.timestamptz,
    event_no         pg_catalog.int4                 -- the event's number within its key
);
REVOKE ALL ON touchpoint_internal.keyed_sessions, touchpoint_internal.keyed_events,
              touchpoint_internal.keyed_placements FROM PUBLIC;

/*
 * One row per placed event with its session's and its key's earliest
 * session's columns.  Sessions are found by key, id and start: a registered
 * source may repeat a session_id within a BizibleId.  Only sessions identical
 * in all three join twice; the coordinator keeps the first of an event's rows
 * (same key, task_id and event_no; collect_placed in src/tp_pipeline.c), as
 * the one-node engine takes one of such sessions.  Two events with one id
 * differ in event_no and stay two: the coordinator refuses them as one node
 * does.
 */
CREATE VIEW touchpoint_internal.keyed_placed_events AS
    SELECT p.key, p.task_id, p.subject, p.phone, p.person_id, p.occurred_at,
           m.session_id, m.started_at, m.channel, m.subchannel, m.source, m.medium, m.campaign,
           m.ad_content, m.keyword, m.landing_page, m.referrer_page,
           f.session_id AS first_session_id, f.started_at AS first_started_at, f.channel AS first_channel,
           f.subchannel AS first_subchannel, f.source AS first_source, f.medium AS first_medium,
           f.campaign AS first_campaign, f.ad_content AS first_ad_content, f.keyword AS first_keyword,
           f.landing_page AS first_landing_page, f.referrer_page AS first_referrer_page, p.event_no
    FROM touchpoint_internal.keyed_placements p
    LEFT JOIN touchpoint_internal.keyed_sessions m
           ON m.key OPERATOR(pg_catalog.=) p.key AND m.session_id OPERATOR(pg_catalog.=) p.session_id
          AND m.started_at OPERATOR(pg_catalog.=) p.started_at
    LEFT JOIN touchpoint_internal.keyed_sessions f
           ON f.key OPERATOR(pg_catalog.=) p.key AND f.session_id OPERATOR(pg_catalog.=) p.first_session_id
          AND f.started_at OPERATOR(pg_catalog.=) p.first_started_at;
REVOKE ALL ON touchpoint_internal.keyed_placed_events FROM PUBLIC;

/*
 * The engine's placement of one BizibleId's events (src/tp_keyed.c): for
 * each event time, the session_id it merges with or NULL.  Reads nothing but
 * its arguments, so Citus may run it on the workers inside a pushed-down
 * query.
 */
CREATE FUNCTION touchpoint_internal.place_key_events(
    key pg_catalog.text, session_ids pg_catalog.text[], started_ats pg_catalog.timestamptz[],
    last_activities pg_catalog.timestamptz[], event_times pg_catalog.timestamptz[],
    window_usecs pg_catalog.int8, anchor_last_activity pg_catalog.bool)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'tp_place_key_events'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

/* The same placement as positions in the session arrays (1-based; NULL: none). */
CREATE FUNCTION touchpoint_internal.place_key_event_positions(
    key pg_catalog.text, session_ids pg_catalog.text[], started_ats pg_catalog.timestamptz[],
    last_activities pg_catalog.timestamptz[], event_times pg_catalog.timestamptz[],
    window_usecs pg_catalog.int8, anchor_last_activity pg_catalog.bool)
RETURNS pg_catalog.int4[]
AS 'MODULE_PATHNAME', 'tp_place_key_event_positions'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

/* The caller's session window (microseconds) and anchor, as the engine resolves them. */
CREATE FUNCTION touchpoint_internal.merge_settings(OUT window_usecs pg_catalog.int8,
                                                   OUT anchor_last_activity pg_catalog.bool)
RETURNS record
AS 'MODULE_PATHNAME', 'tp_merge_settings'
LANGUAGE C STABLE PARALLEL SAFE;

/* Stages 1 and 2 compared with target, from events the workers placed (src/tp_publish.c). */
CREATE FUNCTION touchpoint_internal.pipeline_changes_placed(
    sessions pg_catalog.regclass, placed pg_catalog.regclass, keyless pg_catalog.regclass,
    channel_rules pg_catalog.text[], session_window pg_catalog.interval, target pg_catalog.regclass)
RETURNS TABLE (op pg_catalog.text, id pg_catalog.text, tp @extschema@.touchpoints)
AS 'MODULE_PATHNAME', 'tp_pipeline_changes_placed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

/* Does refresh() place the events on Citus's workers?  (distribute() was called.) */
CREATE FUNCTION touchpoint_internal.placed_on_workers()
RETURNS pg_catalog.bool
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT touchpoint_internal.is_citus_table('touchpoint_internal.keyed_events') $$;

/*
 * keyed_stage_queries(): the statements of stage 1 on the workers, in order,
 * with the caller's window and anchor written in (the workers do not have
 * the caller's settings) — run by place_on_workers(), and EXPLAINed by
 * test/citus.sh to show where each runs.  fill_*: INSERT ... SELECT of
 * bizible_key() from the registered sources into the keyed tables, which
 * Citus repartitions between the workers; place: per key, one task per
 * shard (a join of two GROUP BY key subqueries of co-located tables, an
 * IMMUTABLE function of their arrays).
 */
CREATE FUNCTION touchpoint_internal.keyed_stage_queries()
RETURNS TABLE (step pg_catalog.text, query pg_catalog.text)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    settings record := touchpoint_internal.merge_settings();
BEGIN
    step := 'fill_sessions';
    query := pg_catalog.format($q$
        INSERT INTO touchpoint_internal.keyed_sessions
        SELECT @extschema@.bizible_key(s.bizible_id::pg_catalog.text), s.session_id::pg_catalog.text,
               s.started_at::pg_catalog.timestamptz, s.last_activity_at::pg_catalog.timestamptz,
               s.channel::pg_catalog.text, s.subchannel::pg_catalog.text, s.source::pg_catalog.text,
               s.medium::pg_catalog.text, s.campaign::pg_catalog.text, s.ad_content::pg_catalog.text,
               s.keyword::pg_catalog.text, s.landing_page::pg_catalog.text, s.referrer_page::pg_catalog.text
        FROM %s s WHERE @extschema@.bizible_key(s.bizible_id::pg_catalog.text) IS NOT NULL $q$,
        touchpoint_internal.source('sessions'));
    RETURN NEXT;
    -- as pipeline_events (read_conversion_events): a call's type rides in subject,
    -- a form fill's URL too; the session a form fill or chat names, in phone
    step := 'fill_calls';
    query := pg_catalog.format($q$
        INSERT INTO touchpoint_internal.keyed_events
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), 'call:' OPERATOR(pg_catalog.||) e.task_id::pg_catalog.text,
               e.type::pg_catalog.text, NULL, e.person_id::pg_catalog.text, e.occurred_at::pg_catalog.timestamptz,
               e.is_deleted::pg_catalog.bool
        FROM %s e WHERE @extschema@.bizible_key(e.bizible_id::pg_catalog.text) IS NOT NULL
                    AND e.is_deleted::pg_catalog.bool IS NOT TRUE $q$,
        touchpoint_internal.source('tasks'));
    RETURN NEXT;
    step := 'fill_forms';
    query := pg_catalog.format($q$
        INSERT INTO touchpoint_internal.keyed_events
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), 'form:' OPERATOR(pg_catalog.||) e.submit_id::pg_catalog.text,
               e.form_url::pg_catalog.text, e.session_id::pg_catalog.text, e.person_id::pg_catalog.text,
               e.submitted_at::pg_catalog.timestamptz, false
        FROM %s e WHERE @extschema@.bizible_key(e.bizible_id::pg_catalog.text) IS NOT NULL $q$,
        touchpoint_internal.source('form_submits'));
    RETURN NEXT;
    step := 'fill_chats';
    query := pg_catalog.format($q$
        INSERT INTO touchpoint_internal.keyed_events
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), 'chat:' OPERATOR(pg_catalog.||) e.chat_id::pg_catalog.text,
               NULL, e.session_id::pg_catalog.text, e.person_id::pg_catalog.text,
               e.started_at::pg_catalog.timestamptz, false
        FROM %s e WHERE @extschema@.bizible_key(e.bizible_id::pg_catalog.text) IS NOT NULL $q$,
        touchpoint_internal.source('chats'));
    RETURN NEXT;
    step := 'place';
    query := pg_catalog.format($q$
        INSERT INTO touchpoint_internal.keyed_placements
        SELECT e.key, u.task_id, u.subject, u.phone, u.person_id, u.occurred_at,
               s.ids[u.position], s.starts[u.position], s.ids[1], s.starts[1], u.event_no
        FROM (SELECT k.key, pg_catalog.array_agg(k.task_id) AS ids, pg_catalog.array_agg(k.subject) AS subjects,
                     pg_catalog.array_agg(k.phone) AS phones, pg_catalog.array_agg(k.person_id) AS persons,
                     pg_catalog.array_agg(k.occurred_at) AS ats
              FROM touchpoint_internal.keyed_events k GROUP BY k.key) e
        LEFT JOIN (SELECT k.key,
                          pg_catalog.array_agg(k.session_id ORDER BY k.started_at, k.session_id) AS ids,
                          pg_catalog.array_agg(k.started_at ORDER BY k.started_at, k.session_id) AS starts,
                          pg_catalog.array_agg(k.last_activity_at ORDER BY k.started_at, k.session_id) AS lasts
                   FROM touchpoint_internal.keyed_sessions k
                   WHERE k.key IN (SELECT v.key FROM touchpoint_internal.keyed_events v)
                   GROUP BY k.key) s ON s.key OPERATOR(pg_catalog.=) e.key
        CROSS JOIN LATERAL ROWS FROM (
            pg_catalog.unnest(e.ids), pg_catalog.unnest(e.subjects), pg_catalog.unnest(e.phones),
            pg_catalog.unnest(e.persons), pg_catalog.unnest(e.ats),
            pg_catalog.unnest(touchpoint_internal.place_key_event_positions(e.key, s.ids, s.starts, s.lasts, e.ats,
                                                                            %L::pg_catalog.int8, %L::pg_catalog.bool)))
             WITH ORDINALITY AS u(task_id, subject, phone, person_id, occurred_at, position, event_no) $q$,
        settings.window_usecs, settings.anchor_last_activity);
    RETURN NEXT;
END
$$;

/*
 * place_on_workers(): stage 1 on the workers — the keyed tables filled from
 * the registered sources (read as the caller) and every event with a
 * BizibleId placed, per key, where its key's rows are.  Returns the rows
 * moved and placed.  The same NULLs are refused as on one node.
 */
CREATE FUNCTION touchpoint_internal.place_on_workers(OUT sessions pg_catalog.int8, OUT events pg_catalog.int8)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q record;
    bad record;
    n int8;
BEGIN
    TRUNCATE touchpoint_internal.keyed_sessions, touchpoint_internal.keyed_events,
             touchpoint_internal.keyed_placements;
    FOR q IN SELECT * FROM touchpoint_internal.keyed_stage_queries() LOOP
        IF q.step OPERATOR(pg_catalog.=) 'place' THEN
            -- the NULLs one node refuses (merge_calls' pass: finish_call)
            SELECT k.task_id, k.is_deleted IS NULL AS deleted_null INTO bad
            FROM touchpoint_internal.keyed_events k
            WHERE k.task_id IS NULL OR k.is_deleted IS NULL OR k.occurred_at IS NULL LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'column "%" of relation "pipeline_events" is NULL for %',
                      CASE WHEN bad.task_id IS NULL THEN 'task_id' WHEN bad.deleted_null THEN 'is_deleted' ELSE 'occurred_at' END,
                      CASE WHEN bad.task_id IS NULL THEN 'a task with a NULL id' ELSE 'task ' OPERATOR(pg_catalog.||) pg_catalog.quote_literal(bad.task_id) END
                    USING ERRCODE = 'not_null_violation',
                          HINT = 'touchpoint needs a value here; filter or fill such rows in a view.';
            END IF;
        END IF;
        EXECUTE q.query;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF q.step OPERATOR(pg_catalog.=) 'fill_sessions' THEN
            sessions := n;
        ELSIF q.step OPERATOR(pg_catalog.=) 'place' THEN
            events := n;
        END IF;
    END LOOP;
END
$$;

/*
 * distribute(shard_count): touchpoint's six input tables become Citus hash-
 * distributed tables, each by its own id (sessions by session_id, tasks by
 * task_id, ...): the only keys a loader always gives, never NULL, and the
 * ones their primary keys already hold (Citus requires every unique key to
 * include the distribution column, and cannot distribute by an expression
 * such as bizible_key()).  Rows already there move to the shards; the
 * coordinator's copies are truncated.  Citus runs no triggers on
 * distributed tables: the capture triggers are removed first, and refresh()
 * then rebuilds in full (touchpoint.sources says so).  The three keyed
 * tables of the per-BizibleId stage are distributed by the key, and the
 * channel rules, a small table, become a reference table.  The stored
 * results (touchpoints, opportunity_touchpoints), the model weights (whose
 * validating triggers Citus refuses), the registry and the change log stay
 * on the coordinator (docs/distributed.md).  Idempotent: a table already
 * distributed is left as it is (a shard_count given then is not applied: a
 * notice says so).  Returns what it did, one row per table.
 */
CREATE FUNCTION @extschema@.distribute(shard_count pg_catalog.int4 DEFAULT NULL)
RETURNS TABLE (kind pg_catalog.text, relation pg_catalog.regclass, distribution_column pg_catalog.text,
               shards pg_catalog.int8, action pg_catalog.text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    input record;
    method "char";
    was_distributed bool;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'touchpoint.distribute() needs Citus, which is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Install Citus (its packages, docs.citusdata.com), add citus to shared_preload_libraries, run CREATE EXTENSION citus and add the workers with citus_add_node(), then call touchpoint.distribute() again.';
    END IF;
    IF shard_count IS NOT NULL AND (shard_count OPERATOR(pg_catalog.<) 1 OR shard_count OPERATOR(pg_catalog.>) 64000) THEN
        RAISE EXCEPTION 'shard_count must be between 1 and 64000, not %', shard_count
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Leave it NULL for Citus''s citus.shard_count (32 by default), or give a few times the workers'' cores.';
    END IF;
    FOR input IN
        SELECT u.k, pg_catalog.format('@extschema@.%I', u.k)::pg_catalog.regclass AS rel, u.col,
               NULL::pg_catalog.text AS colocate_with, 1 AS stage, u.n
        FROM ROWS FROM (pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']),
                        pg_catalog.unnest(ARRAY['session_id', 'task_id', 'submit_id', 'chat_id', 'person_id', 'opportunity_id']))
             WITH ORDINALITY u(k, col, n)
        UNION ALL
        -- the per-BizibleId stage's tables, by the normalised BizibleId, co-located
        SELECT u.k, pg_catalog.format('touchpoint_internal.%I', u.k)::pg_catalog.regclass, 'key',
               CASE WHEN u.k OPERATOR(pg_catalog.<>) 'keyed_sessions' THEN 'touchpoint_internal.keyed_sessions' END,
               2, u.n
        FROM pg_catalog.unnest(ARRAY['keyed_sessions', 'keyed_events', 'keyed_placements']) WITH ORDINALITY u(k, n)
        UNION ALL
        -- the channel rules, a small table: a reference table, a copy on every node
        SELECT 'channel_rules', '@extschema@.channel_rules'::pg_catalog.regclass, NULL, NULL, 3, 1
        ORDER BY 5, 6
    LOOP
        EXECUTE 'SELECT p.partmethod FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1'
            INTO method USING input.rel;
        was_distributed := method IS NOT NULL;
        IF method OPERATOR(pg_catalog.=) 'h' AND shard_count IS NOT NULL THEN
            RAISE NOTICE '% is already distributed: shard_count % not applied', input.rel, shard_count;
        END IF;
        IF NOT was_distributed THEN
            -- Citus refuses a table with triggers; it would not run them on the shards anyway
            IF input.stage OPERATOR(pg_catalog.=) 1 THEN
                PERFORM touchpoint_internal.unwatch(input.rel);
            END IF;
            IF input.col IS NULL THEN
                EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING input.rel;
            ELSIF input.col OPERATOR(pg_catalog.=) 'key' AND input.colocate_with IS NULL THEN
                -- a group of its own: a "C" text key, never co-located with the inputs
                EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, shard_count => $3, colocate_with => ''none'')'
                    USING input.rel, input.col, shard_count;
            ELSIF input.colocate_with IS NULL THEN
                EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, shard_count => $3)'
                    USING input.rel, input.col, shard_count;
            ELSE
                EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, colocate_with => $3)'
                    USING input.rel, input.col, input.colocate_with;
            END IF;
            -- the rows now live in the shards; the coordinator's copies would only mislead
            EXECUTE 'SELECT pg_catalog.truncate_local_data_after_distributing_table($1)' USING input.rel;
        END IF;
        kind := input.k;
        relation := input.rel;
        distribution_column := CASE WHEN method IS NULL OR method OPERATOR(pg_catalog.=) 'h' THEN input.col END;
        EXECUTE 'SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1'
            INTO shards USING input.rel;
        -- a reference or Citus-local table made by hand is read through Citus like any
        -- other; it is said, not changed (undistribute_table refuses an extension's table)
        action := CASE WHEN input.col IS NULL AND method OPERATOR(pg_catalog.=) 'n' THEN 'already a reference table'
                       WHEN input.col IS NULL AND NOT was_distributed THEN 'made a reference table'
                       WHEN method OPERATOR(pg_catalog.=) 'h' THEN 'already distributed'
                       WHEN was_distributed THEN 'already a Citus table, not hash-distributed: left as it is'
                       ELSE 'distributed' END;
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION @extschema@.distribute(pg_catalog.int4) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribute(pg_catalog.int4) IS
'on a Citus cluster: make touchpoint''s input tables distributed (each by its own id), their rows on the workers (docs/spec.md §9)';
COMMENT ON FUNCTION touchpoint_internal.place_key_events(pg_catalog.text, pg_catalog.text[], pg_catalog.timestamptz[], pg_catalog.timestamptz[], pg_catalog.timestamptz[], pg_catalog.int8, pg_catalog.bool) IS
'the engine''s placement of one BizibleId''s events among its sessions, from arrays only: run per key on Citus''s workers';
COMMENT ON FUNCTION touchpoint_internal.place_key_event_positions(pg_catalog.text, pg_catalog.text[], pg_catalog.timestamptz[], pg_catalog.timestamptz[], pg_catalog.timestamptz[], pg_catalog.int8, pg_catalog.bool) IS
'place_key_events as 1-based positions in the session arrays: the workers take that very session''s columns';
COMMENT ON FUNCTION touchpoint_internal.merge_settings() IS
'the caller''s session window (microseconds) and anchor, resolved as the engine resolves them, for the workers';
COMMENT ON FUNCTION touchpoint_internal.pipeline_changes_placed(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[], pg_catalog.interval, pg_catalog.regclass) IS
'pipeline_changes from events the workers placed (stage 1 on Citus) instead of a pass over the sessions';
COMMENT ON FUNCTION touchpoint_internal.placed_on_workers() IS
'true when distribute() put the per-BizibleId stage on Citus''s workers';
COMMENT ON FUNCTION touchpoint_internal.keyed_stage_queries() IS
'the statements of the per-BizibleId stage on Citus, in order, with the caller''s window and anchor written in';
COMMENT ON FUNCTION touchpoint_internal.place_on_workers() IS
'stage 1 on Citus''s workers: the keyed tables filled by repartitioning, every event placed per key, one task per shard';
