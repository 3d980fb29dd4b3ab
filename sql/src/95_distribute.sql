-- ===================================================================
-- §9 More than one machine: touchpoint's inputs on a Citus cluster
-- (docs/distributed.md)
-- ===================================================================

/*
 * distribute(shard_count): touchpoint's six input tables become Citus hash-
 * distributed tables, each by its own id (sessions by session_id, tasks by
 * task_id, ...): the only keys a loader always gives, never NULL, and the
 * ones their primary keys already hold (Citus requires every unique key to
 * include the distribution column, and cannot distribute by an expression
 * such as bizible_key()).  Rows already there move to the shards; the
 * coordinator's copies are truncated.  Citus runs no triggers on
 * distributed tables: the capture triggers are removed first, and refresh()
 * then rebuilds in full (touchpoint.sources says so).  The stage tables
 * (touchpoints, opportunity_touchpoints), the settings and the change log
 * stay on the coordinator.  Idempotent: a table already distributed is
 * left as it is (a shard_count given then is not applied: a notice says so).  Returns what it did, one row per input.
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
        SELECT u.k, pg_catalog.format('@extschema@.%I', u.k)::pg_catalog.regclass AS rel, u.col
        FROM ROWS FROM (pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']),
                        pg_catalog.unnest(ARRAY['session_id', 'task_id', 'submit_id', 'chat_id', 'person_id', 'opportunity_id']))
             WITH ORDINALITY u(k, col, n)
        ORDER BY u.n
    LOOP
        EXECUTE 'SELECT p.partmethod FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1'
            INTO method USING input.rel;
        was_distributed := method IS NOT NULL;
        IF method OPERATOR(pg_catalog.=) 'h' AND shard_count IS NOT NULL THEN
            RAISE NOTICE '% is already distributed: shard_count % not applied', input.rel, shard_count;
        END IF;
        IF NOT was_distributed THEN
            -- Citus refuses a table with triggers; it would not run them on the shards anyway
            PERFORM touchpoint_internal.unwatch(input.rel);
            EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, shard_count => $3)'
                USING input.rel, input.col, shard_count;
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
        action := CASE WHEN method OPERATOR(pg_catalog.=) 'h' THEN 'already distributed'
                       WHEN was_distributed THEN 'already a Citus table, not hash-distributed: left as it is'
                       ELSE 'distributed' END;
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION @extschema@.distribute(pg_catalog.int4) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.distribute(pg_catalog.int4) IS
'on a Citus cluster: make touchpoint''s input tables distributed (each by its own id), their rows on the workers (docs/spec.md §9)';
