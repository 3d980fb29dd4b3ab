-- refresh() warns when registered sources are not read and when its inputs are empty.
/*
 * Say what refresh() cannot see, before it publishes (docs/spec.md §7): in
 * 1.4 as built so far it reads touchpoint's own tables, not the sources
 * registered with use_source, and a refresh of empty inputs makes nothing.
 * Warnings, not errors: the refresh itself is still right for its tables.
 */
CREATE FUNCTION touchpoint_internal.warn_unread_inputs()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    registered pg_catalog.text;
BEGIN
    SELECT pg_catalog.string_agg(r.kind OPERATOR(pg_catalog.||) ' = ' OPERATOR(pg_catalog.||) r.relation, ', ' ORDER BY r.kind)
    INTO registered FROM touchpoint_internal.source_registry r;
    IF registered IS NOT NULL THEN
        RAISE WARNING 'refresh() reads touchpoint''s own tables, not the registered sources (%)', registered
            USING DETAIL = 'In this version only merge_calls, explain_calls and explain_call read the sources registered with touchpoint.use_source.',
                  HINT = 'Load touchpoint''s tables from your views (README: Loading and keeping in sync), or call merge_calls() and explain_calls() for the calls.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.sessions) AND NOT EXISTS (SELECT 1 FROM @extschema@.tasks)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.form_submits) AND NOT EXISTS (SELECT 1 FROM @extschema@.chats) THEN
        RAISE WARNING 'touchpoint''s input tables are all empty: refresh() makes no touchpoints'
            USING DETAIL = 'touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits and touchpoint.chats have no rows.',
                  HINT = 'Load them with INSERT or COPY (README: Loading and keeping in sync), then run SELECT touchpoint.refresh(); again.';
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
    PERFORM touchpoint_internal.warn_unread_inputs();
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

COMMENT ON FUNCTION touchpoint_internal.warn_unread_inputs() IS
'warn when refresh() will not read the registered sources, and when its inputs are all empty';
