-- ===================================================================
-- §6 Stage 3: credit, per opportunity
-- ===================================================================

/*
 * credit_shares(): one opportunity's positions and the credit of every
 * model, computed in C (src/tp_credit.c, src/tp_credit_window.c) as a window
 * function over its touchpoints in order: values in, values out.  pct and
 * cents hold the eight built-in models in the order of builtin_models(),
 * then the position models in the order of model_weights (five weights
 * each: ft, lc, oc, closed, middle).  The weights must be the same on every
 * row of a query (they are read once).
 */
CREATE TYPE touchpoint_internal.credit_shares AS (
    position pg_catalog.text,
    pct      pg_catalog.numeric[],
    cents    pg_catalog.numeric[]
);
CREATE FUNCTION touchpoint_internal.credit_shares(
    opportunity_id pg_catalog.text, touchpoint_date pg_catalog.timestamptz,
    is_conversion pg_catalog.bool, is_lead_creation pg_catalog.bool,
    created_at pg_catalog.timestamptz, closed_at pg_catalog.timestamptz, amount pg_catalog.numeric,
    custom_weights pg_catalog.numeric[], model_weights pg_catalog.numeric[])
RETURNS touchpoint_internal.credit_shares
AS 'MODULE_PATHNAME', 'tp_credit_shares'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

/*
 * credit_changes(): stage 3 for every opportunity in one C pass
 * (src/tp_credit_changes.c), compared with the stored credit: the rows to
 * delete ('delete', 'delete model') and to insert ('insert' with the wide
 * row, 'insert model' with a position model's row) that make the two
 * tables what a full rebuild gives, and a last row ('total', n) with the
 * number of wide rows.  With only_opportunities (an incremental refresh's),
 * the same for those opportunities alone: read through indexes, compared
 * with their stored rows; 'total' counts their rows.  Reads the sources as
 * the caller; writes nothing.
 */
CREATE FUNCTION touchpoint_internal.credit_changes(
    opportunities pg_catalog.regclass, people pg_catalog.regclass, touchpoints pg_catalog.regclass,
    custom_weights pg_catalog.numeric[], model_names pg_catalog.text[], model_weights pg_catalog.numeric[],
    wide_target pg_catalog.regclass, long_target pg_catalog.regclass, only_opportunities pg_catalog.text[] DEFAULT NULL)
RETURNS TABLE (op pg_catalog.text, opportunity_id pg_catalog.text, touchpoint_id pg_catalog.text,
               model pg_catalog.text, wide @extschema@.opportunity_touchpoints,
               long touchpoint_internal.position_credits)
AS 'MODULE_PATHNAME', 'tp_credit_changes'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

/*
 * build_credits for a given set of opportunities (an incremental refresh):
 * credit_changes for those alone, the differences applied by key from
 * arrays (no temporary table for a few thousand rows).  Index probes only:
 * with the default costs a DELETE of 4,000 keys reads the whole table into
 * a hash (75 ms against 15).  Returns how many wide rows they then have.
 */
CREATE FUNCTION touchpoint_internal.build_credits_of(opportunities pg_catalog.text[],
    custom_weights pg_catalog.numeric[], model_names pg_catalog.text[], model_weights pg_catalog.numeric[])
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
SET max_parallel_workers_per_gather = 0
AS $fn$
DECLARE
    c record;
BEGIN
    -- as build_credits: two builds wait for each other, readers never wait
    LOCK TABLE @extschema@.opportunity_touchpoints, touchpoint_internal.position_credits IN SHARE ROW EXCLUSIVE MODE;
    SELECT pg_catalog.array_agg(x.opportunity_id) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'delete') AS del_opportunities,
           pg_catalog.array_agg(x.touchpoint_id) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'delete') AS del_touchpoints,
           pg_catalog.array_agg(x.wide) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'insert') AS wide_rows,
           pg_catalog.array_agg(x.opportunity_id) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'delete model') AS del_model_opportunities,
           pg_catalog.array_agg(x.touchpoint_id) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'delete model') AS del_model_touchpoints,
           pg_catalog.array_agg(x.model) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'delete model') AS del_models,
           pg_catalog.array_agg(x.long) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'insert model') AS long_rows,
           pg_catalog.max(x.opportunity_id) FILTER (WHERE x.op OPERATOR(pg_catalog.=) 'total')::pg_catalog.int8 AS total
    INTO c
    FROM touchpoint_internal.credit_changes(
        touchpoint_internal.source('opportunities'), touchpoint_internal.source('people'),
        '@extschema@.touchpoints', custom_weights, model_names, model_weights,
        '@extschema@.opportunity_touchpoints', 'touchpoint_internal.position_credits', opportunities) x;
    IF c.del_opportunities IS NOT NULL THEN
        DELETE FROM @extschema@.opportunity_touchpoints ot
        USING ROWS FROM (pg_catalog.unnest(c.del_opportunities), pg_catalog.unnest(c.del_touchpoints)) d(o, t)
        WHERE ot.opportunity_id OPERATOR(pg_catalog.=) d.o AND ot.touchpoint_id OPERATOR(pg_catalog.=) d.t;
    END IF;
    IF c.wide_rows IS NOT NULL THEN
        INSERT INTO @extschema@.opportunity_touchpoints SELECT * FROM pg_catalog.unnest(c.wide_rows);
    END IF;
    IF c.del_model_opportunities IS NOT NULL THEN
        DELETE FROM touchpoint_internal.position_credits pc
        USING ROWS FROM (pg_catalog.unnest(c.del_model_opportunities), pg_catalog.unnest(c.del_model_touchpoints),
                         pg_catalog.unnest(c.del_models)) d(o, t, m)
        WHERE pc.opportunity_id OPERATOR(pg_catalog.=) d.o AND pc.touchpoint_id OPERATOR(pg_catalog.=) d.t
          AND pc.model OPERATOR(pg_catalog.=) d.m;
    END IF;
    IF c.long_rows IS NOT NULL THEN
        INSERT INTO touchpoint_internal.position_credits SELECT * FROM pg_catalog.unnest(c.long_rows);
    END IF;
    RETURN c.total;
END
$fn$;

/*
 * build_credits(opportunities): recompute the credit of the given
 * opportunities (NULL: all of them) into the stored stage-3 relations —
 * delete their rows, insert them again; for all of them, credit_changes()
 * and only the rows that differ — in the caller's transaction, so
 * readers see all before or all after and never wait.  A given set (an
 * incremental refresh): the same C pass over those opportunities alone,
 * their accounts' people and those people's touchpoints read through
 * indexes, compared with their stored rows; only the differences are
 * written, by key from arrays (no temporary table: a few hundred rows).  Inputs: the touchpoints (stage 2), the people and
 * opportunities sources (touchpoint_internal.source), custom_model and
 * position_models.  Returns the (opportunity, touchpoint) rows written.
 * touchpoint.opportunity_touchpoints_live is the same credit in plain SQL.
 */
CREATE FUNCTION touchpoint_internal.build_credits(opportunities pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET max_parallel_workers_per_gather = 0    -- a given set is a few opportunities; all of them: the C pass
AS $fn$
DECLARE
    written int8;
    changes int8;
    bad record;
    custom_weights numeric[];
    model_names text[];
    model_weights numeric[];
    whole boolean := opportunities IS NULL;
BEGIN
    PERFORM touchpoint_internal.check_custom_model();
    FOR bad IN SELECT m.* FROM @extschema@.position_models m ORDER BY m.model LOOP
        PERFORM touchpoint_internal.check_position_model(bad.model, bad.ft, bad.lc, bad.oc, bad.closed, bad.middle);
    END LOOP;
    SELECT ARRAY[pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'FT'),
                 pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'LC'),
                 pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'OC'),
                 pg_catalog.max(m.weight) FILTER (WHERE m.position OPERATOR(pg_catalog.=) 'Closed')]
    INTO custom_weights FROM @extschema@.custom_model m;
    model_names := ARRAY(SELECT m.model FROM @extschema@.position_models m ORDER BY m.model COLLATE "C");
    model_weights := ARRAY(SELECT u.w FROM @extschema@.position_models m,
                                LATERAL pg_catalog.unnest(ARRAY[m.ft, m.lc, m.oc, m.closed, m.middle]) WITH ORDINALITY u(w, o)
                           ORDER BY m.model COLLATE "C", u.o);
    -- two builds at once wait for each other; readers (ACCESS SHARE) never wait
    LOCK TABLE @extschema@.opportunity_touchpoints, touchpoint_internal.position_credits IN SHARE ROW EXCLUSIVE MODE;
    IF whole THEN
        /*
         * All of them: most rows are what the tables already hold, and
         * rewriting them costs more than computing them (heap, two indexes,
         * WAL, a dead row each for VACUUM).  One C pass computes every
         * opportunity's credit and compares it with the stored rows; only
         * the differences are written.
         */
        CREATE TEMPORARY TABLE tp_credit_changes ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.credit_changes(
            touchpoint_internal.source('opportunities'), touchpoint_internal.source('people'),
            '@extschema@.touchpoints', custom_weights, model_names, model_weights,
            '@extschema@.opportunity_touchpoints', 'touchpoint_internal.position_credits');
        GET DIAGNOSTICS changes = ROW_COUNT;
        SELECT c.opportunity_id::pg_catalog.int8 INTO written FROM pg_temp.tp_credit_changes c
        WHERE c.op OPERATOR(pg_catalog.=) 'total';
        IF changes OPERATOR(pg_catalog.>) 1 THEN
            ANALYZE pg_temp.tp_credit_changes;  -- few changes: index probes; many: one hash join
            DELETE FROM @extschema@.opportunity_touchpoints ot USING pg_temp.tp_credit_changes c
            WHERE c.op OPERATOR(pg_catalog.=) 'delete'
              AND ot.opportunity_id OPERATOR(pg_catalog.=) c.opportunity_id
              AND ot.touchpoint_id OPERATOR(pg_catalog.=) c.touchpoint_id;
            INSERT INTO @extschema@.opportunity_touchpoints
            SELECT (c.wide).* FROM pg_temp.tp_credit_changes c WHERE c.op OPERATOR(pg_catalog.=) 'insert';
            DELETE FROM touchpoint_internal.position_credits pc USING pg_temp.tp_credit_changes c
            WHERE c.op OPERATOR(pg_catalog.=) 'delete model'
              AND pc.opportunity_id OPERATOR(pg_catalog.=) c.opportunity_id
              AND pc.touchpoint_id OPERATOR(pg_catalog.=) c.touchpoint_id
              AND pc.model OPERATOR(pg_catalog.=) c.model;
            INSERT INTO touchpoint_internal.position_credits
            SELECT (c.long).* FROM pg_temp.tp_credit_changes c WHERE c.op OPERATOR(pg_catalog.=) 'insert model';
        END IF;
        DROP TABLE pg_temp.tp_credit_changes;
        RETURN written;
    END IF;
    RETURN touchpoint_internal.build_credits_of(opportunities, custom_weights, model_names, model_weights);
END
$fn$;
COMMENT ON FUNCTION touchpoint_internal.build_credits_of(pg_catalog.text[], pg_catalog.numeric[], pg_catalog.text[], pg_catalog.numeric[]) IS
'stage 3 for a given set of opportunities (incremental refresh): their credit compared with their stored rows, only the differences written; returns their rows';
COMMENT ON FUNCTION touchpoint_internal.build_credits(pg_catalog.text[]) IS
'stage 3: recompute the credit of the given opportunities (NULL: all) into opportunity_touchpoints and the position models'' credit; returns the rows written';
