-- ===================================================================
-- The pipeline (docs/pipeline.md): stage 1 placements, per normalised
-- BizibleId; stage 2 touchpoints, per journey.  Stage 3, the credit per
-- opportunity, is in 50_attribution.sql.
-- ===================================================================

/*
 * Stage 2's result, key journey_id: what BI tools read (docs/spec.md §5),
 * one row per touchpoint; rebuilt by refresh() (DELETE and INSERT in its
 * transaction: readers see all before or all after).
 */
CREATE TABLE @extschema@.touchpoints (
    touchpoint_id       pg_catalog.text COLLATE "C" NOT NULL,
    journey_id          pg_catalog.text COLLATE "C",
    person_id           pg_catalog.text,
    bizible_id          pg_catalog.text,
    session_id          pg_catalog.text,
    source_kind         pg_catalog.text,
    source_id           pg_catalog.text,
    touchpoint_type     pg_catalog.text,
    touchpoint_date     pg_catalog.timestamptz,
    channel             pg_catalog.text,
    subchannel          pg_catalog.text,
    source              pg_catalog.text,
    medium              pg_catalog.text,
    campaign            pg_catalog.text,
    ad_content          pg_catalog.text,
    keyword             pg_catalog.text,
    landing_page        pg_catalog.text,
    referrer_page       pg_catalog.text,
    form_url            pg_catalog.text,
    position            pg_catalog.text,
    is_first_touch      pg_catalog.bool,
    is_lead_creation    pg_catalog.bool,
    session_conversions pg_catalog.int4
);
COMMENT ON TABLE @extschema@.touchpoints IS
'one row per touchpoint with its journey and position (FT, LC, PostLC); pipeline stage 2, per journey_id; rebuilt by touchpoint.refresh()';
-- The one index: each index costs about a fifth of a full rebuild's time
-- (docs/pipeline.md); the ids are compared bytewise (COLLATE "C", as the
-- engine orders them), which is also the cheapest to maintain.
CREATE UNIQUE INDEX touchpoints_touchpoint_id_idx ON @extschema@.touchpoints (touchpoint_id);

/*
 * The conversion events of the registered sources (docs/spec.md §7) in the
 * shape the engine reads tasks in: every call, form fill and chat with a
 * BizibleId, its id prefixed with its kind (call:, form:, chat:).  The
 * call's own type rides in subject (so that the engine gives the session's
 * medium) and so does a form fill's URL; a form fill or chat that names its
 * session carries that session_id in phone.  Read at the caller's snapshot
 * (STABLE), with the caller's privileges.
 */
CREATE FUNCTION touchpoint_internal.read_conversion_events(keys pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (task_id pg_catalog.text, bizible_id pg_catalog.text, type pg_catalog.text,
               subject pg_catalog.text, phone pg_catalog.text, person_id pg_catalog.text,
               occurred_at pg_catalog.timestamptz, is_deleted pg_catalog.bool)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- keys: only the events of these normalised BizibleIds (incremental refresh)
    only_keys pg_catalog.text := CASE WHEN keys IS NOT NULL THEN
        $w$ WHERE @extschema@.bizible_key(e.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) ANY ($1)$w$ ELSE '' END;
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format($q$
        SELECT 'call:' OPERATOR(pg_catalog.||) e.task_id::pg_catalog.text, e.bizible_id::pg_catalog.text,
               NULL::pg_catalog.text, e.type::pg_catalog.text, NULL::pg_catalog.text,
               e.person_id::pg_catalog.text, e.occurred_at::pg_catalog.timestamptz, e.is_deleted::pg_catalog.bool
        FROM %1$s e %4$s
        UNION ALL
        SELECT 'form:' OPERATOR(pg_catalog.||) e.submit_id::pg_catalog.text, e.bizible_id::pg_catalog.text,
               NULL, e.form_url::pg_catalog.text, e.session_id::pg_catalog.text,
               e.person_id::pg_catalog.text, e.submitted_at::pg_catalog.timestamptz, false
        FROM %2$s e %4$s
        UNION ALL
        SELECT 'chat:' OPERATOR(pg_catalog.||) e.chat_id::pg_catalog.text, e.bizible_id::pg_catalog.text,
               NULL, NULL, e.session_id::pg_catalog.text,
               e.person_id::pg_catalog.text, e.started_at::pg_catalog.timestamptz, false
        FROM %3$s e %4$s $q$,
        touchpoint_internal.source('tasks'), touchpoint_internal.source('form_submits'),
        touchpoint_internal.source('chats'), only_keys)
        USING keys;
END
$$;

/*
 * The form fills and chats without a BizibleId: the engine cannot place
 * them; each is a touchpoint of its own, in the session it names if any.
 * ids: only these (form:<id>, chat:<id>; incremental refresh).
 */
CREATE FUNCTION touchpoint_internal.read_keyless_events(ids pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (source_kind pg_catalog.text, source_id pg_catalog.text, person_id pg_catalog.text,
               occurred_at pg_catalog.timestamptz, form_url pg_catalog.text, session_id pg_catalog.text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    form_ids pg_catalog.text[] := ARRAY(SELECT pg_catalog.substr(i, 6) FROM pg_catalog.unnest(ids) i
                                        WHERE pg_catalog.starts_with(i, 'form:'));
    chat_ids pg_catalog.text[] := ARRAY(SELECT pg_catalog.substr(i, 6) FROM pg_catalog.unnest(ids) i
                                        WHERE pg_catalog.starts_with(i, 'chat:'));
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format($q$
        SELECT 'form'::pg_catalog.text, f.submit_id::pg_catalog.text, f.person_id::pg_catalog.text,
               f.submitted_at::pg_catalog.timestamptz, f.form_url::pg_catalog.text, f.session_id::pg_catalog.text
        FROM %1$s f WHERE @extschema@.bizible_key(f.bizible_id::pg_catalog.text) IS NULL %3$s
        UNION ALL
        SELECT 'chat', c.chat_id::pg_catalog.text, c.person_id::pg_catalog.text,
               c.started_at::pg_catalog.timestamptz, NULL, c.session_id::pg_catalog.text
        FROM %2$s c WHERE @extschema@.bizible_key(c.bizible_id::pg_catalog.text) IS NULL %4$s $q$,
        touchpoint_internal.source('form_submits'), touchpoint_internal.source('chats'),
        CASE WHEN ids IS NOT NULL THEN 'AND f.submit_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)' ELSE '' END,
        CASE WHEN ids IS NOT NULL THEN 'AND c.chat_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($2)' ELSE '' END)
        USING form_ids, chat_ids;
END
$$;

-- The two as relations, which is what the engine reads (no DDL at refresh).
-- Anyone may name them: the functions read the sources as the caller.
CREATE VIEW touchpoint_internal.pipeline_events AS
    SELECT * FROM touchpoint_internal.read_conversion_events();
CREATE VIEW touchpoint_internal.pipeline_keyless_events AS
    SELECT * FROM touchpoint_internal.read_keyless_events();
GRANT SELECT ON touchpoint_internal.pipeline_events, touchpoint_internal.pipeline_keyless_events TO PUBLIC;

/*
 * Stages 1 and 2 in C (src/tp_pipeline.c, src/tp_journey.c): one pass of the
 * engine over the sessions places every event and finds each BizibleId's
 * earliest session; then journeys, session ranks, first-touch visits and
 * positions, in memory.  keys: only the events of these normalised
 * BizibleIds (a NULL element: the events without one); NULL: all.  A
 * journey's touchpoints are whole only when keys holds every BizibleId of
 * the journey (docs/pipeline.md).
 */
CREATE FUNCTION touchpoint_internal.pipeline_touchpoints(
    sessions pg_catalog.regclass, events pg_catalog.regclass, keyless pg_catalog.regclass,
    channel_rules pg_catalog.text[], session_window pg_catalog.interval,
    keys pg_catalog.text[] DEFAULT NULL)
RETURNS SETOF @extschema@.touchpoints
AS 'MODULE_PATHNAME', 'tp_pipeline_touchpoints'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

/*
 * Stages 1 and 2 compared with target (touchpoint.touchpoints): the ids to
 * delete and the rows to insert that make it exactly a full rebuild, so a
 * refresh writes only what changed (src/tp_publish.c).
 */
CREATE FUNCTION touchpoint_internal.pipeline_changes(
    sessions pg_catalog.regclass, events pg_catalog.regclass, keyless pg_catalog.regclass,
    channel_rules pg_catalog.text[], session_window pg_catalog.interval, target pg_catalog.regclass)
RETURNS TABLE (op pg_catalog.text, id pg_catalog.text, tp @extschema@.touchpoints)
AS 'MODULE_PATHNAME', 'tp_pipeline_changes'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Stage 1 alone, every conversion event as placed (the placements view).
CREATE FUNCTION touchpoint_internal.pipeline_placements(
    sessions pg_catalog.regclass, events pg_catalog.regclass, keyless pg_catalog.regclass,
    channel_rules pg_catalog.text[], session_window pg_catalog.interval,
    keys pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (bizible_key pg_catalog.text, source_kind pg_catalog.text, source_id pg_catalog.text,
               journey_id pg_catalog.text, person_id pg_catalog.text, session_id pg_catalog.text,
               touchpoint_date pg_catalog.timestamptz, session_rank pg_catalog.int4,
               session_conversions pg_catalog.int4, is_touchpoint pg_catalog.bool,
               key_first_session_id pg_catalog.text, key_first_started_at pg_catalog.timestamptz)
AS 'MODULE_PATHNAME', 'tp_pipeline_placements'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

/*
 * Stage 1 as a relation, for debugging (computed when read, from the
 * registered sources and the settings of the reader's session): each
 * conversion event with its session, journey, rank among its session's
 * events, and its BizibleId's earliest session.
 */
CREATE VIEW @extschema@.placements AS
    SELECT p.*
    FROM touchpoint_internal.pipeline_placements(
        touchpoint_internal.source('sessions'), 'touchpoint_internal.pipeline_events',
        'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL) p;
COMMENT ON VIEW @extschema@.placements IS
'pipeline stage 1, per bizible_key: each conversion event with its session, journey and rank in that session (computed when read; docs/pipeline.md)';

/*
 * publish_all(): make touchpoint.touchpoints exactly what a rebuild from the
 * sources gives, by stages 1 and 2 in C: the rebuild is compared with the
 * table and only the differences are written (a DELETE of the ids that
 * changed or went, an INSERT of the new rows).  Returns the rows written
 * (deleted + inserted) and the rows the table then holds.
 */
CREATE FUNCTION touchpoint_internal.publish_all(OUT written pg_catalog.int8, OUT total pg_catalog.int8)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changes bigint;
    deleted bigint := 0;
    inserted bigint := 0;
BEGIN
    IF touchpoint_internal.placed_on_workers() THEN
        -- on Citus (distribute()): stage 1 per BizibleId on the workers, the rest here
        -- from one row per event (docs/distributed.md)
        PERFORM touchpoint_internal.place_on_workers();
        CREATE TEMPORARY TABLE tp_changes ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.pipeline_changes_placed(
            touchpoint_internal.source('sessions'), 'touchpoint_internal.keyed_placed_events',
            'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL,
            '@extschema@.touchpoints');
    ELSE
        CREATE TEMPORARY TABLE tp_changes ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.pipeline_changes(
            touchpoint_internal.source('sessions'), 'touchpoint_internal.pipeline_events',
            'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL,
            '@extschema@.touchpoints');
    END IF;
    GET DIAGNOSTICS changes = ROW_COUNT;
    SELECT c.id::pg_catalog.int8 INTO total FROM pg_temp.tp_changes c WHERE c.op OPERATOR(pg_catalog.=) 'total';
    IF changes OPERATOR(pg_catalog.>) 1 THEN
        ANALYZE pg_temp.tp_changes;     -- few changes: index probes; many: one hash join
        DELETE FROM @extschema@.touchpoints t USING pg_temp.tp_changes c
        WHERE c.op OPERATOR(pg_catalog.=) 'delete' AND t.touchpoint_id OPERATOR(pg_catalog.=) c.id COLLATE "C";
        GET DIAGNOSTICS deleted = ROW_COUNT;
        INSERT INTO @extschema@.touchpoints
        SELECT (c.tp).* FROM pg_temp.tp_changes c WHERE c.op OPERATOR(pg_catalog.=) 'insert';
        GET DIAGNOSTICS inserted = ROW_COUNT;
    END IF;
    DROP TABLE pg_temp.tp_changes;
    written := deleted OPERATOR(pg_catalog.+) inserted;
END
$$;

/*
 * build_touchpoints(keys): NULL (every key): publish_all().  A set of
 * normalised BizibleIds: the touchpoints of the journeys the new rows make
 * and of the ids in `keys` are deleted and inserted again; keys must hold
 * every BizibleId those journeys touch (docs/pipeline.md).  Returns the
 * rows written (deleted + inserted).
 */
CREATE FUNCTION touchpoint_internal.build_touchpoints(keys pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    deleted bigint;
    inserted bigint;
BEGIN
    IF keys IS NULL THEN
        RETURN (touchpoint_internal.publish_all()).written;
    END IF;
    CREATE TEMPORARY TABLE tp_rebuilt ON COMMIT DROP AS
    SELECT * FROM touchpoint_internal.pipeline_touchpoints(
        touchpoint_internal.source('sessions'), 'touchpoint_internal.pipeline_events',
        'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL, keys);
    DELETE FROM @extschema@.touchpoints t
    WHERE t.journey_id IN (SELECT r.journey_id FROM pg_temp.tp_rebuilt r)
       OR t.bizible_id OPERATOR(pg_catalog.=) ANY (keys);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    INSERT INTO @extschema@.touchpoints SELECT * FROM pg_temp.tp_rebuilt;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    DROP TABLE pg_temp.tp_rebuilt;
    RETURN deleted OPERATOR(pg_catalog.+) inserted;
END
$$;
