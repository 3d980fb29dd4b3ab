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
 * number of wide rows.  Reads the sources as the caller; writes nothing.
 */
CREATE FUNCTION touchpoint_internal.credit_changes(
    opportunities pg_catalog.regclass, people pg_catalog.regclass, touchpoints pg_catalog.regclass,
    custom_weights pg_catalog.numeric[], model_names pg_catalog.text[], model_weights pg_catalog.numeric[],
    wide_target pg_catalog.regclass, long_target pg_catalog.regclass)
RETURNS TABLE (op pg_catalog.text, opportunity_id pg_catalog.text, touchpoint_id pg_catalog.text,
               model pg_catalog.text, wide @extschema@.opportunity_touchpoints,
               long touchpoint_internal.position_credits)
AS 'MODULE_PATHNAME', 'tp_credit_changes'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

/*
 * build_credits(opportunities): recompute the credit of the given
 * opportunities (NULL: all of them) into the stored stage-3 relations —
 * delete their rows, insert them again; for all of them, credit_changes()
 * and only the rows that differ — in the caller's transaction, so
 * readers see all before or all after and never wait.  A given set: one
 * set-based statement: the opportunities, their accounts' people and those people's
 * touchpoints up to the close, sorted in touchpoint order per opportunity,
 * through the window function credit_shares (positions, shares, cents in
 * exact integers), written wide for the built-in models and long for the
 * position models.  Inputs: the touchpoints (stage 2), the people and
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
    DELETE FROM touchpoint_internal.position_credits pc
    WHERE pc.opportunity_id OPERATOR(pg_catalog.=) ANY (opportunities);
    DELETE FROM @extschema@.opportunity_touchpoints ot
    WHERE ot.opportunity_id OPERATOR(pg_catalog.=) ANY (opportunities);
    EXECUTE pg_catalog.format($q$
WITH opp_tp AS (
    -- ids as text: a registered source may have integer or uuid ids
    SELECT o.opportunity_id::pg_catalog.text AS opportunity_id, o.account_id::pg_catalog.text AS account_id,
           o.amount, o.created_at, o.closed_at, o.is_won,
           t.touchpoint_id, t.journey_id, t.touchpoint_date, t.touchpoint_type,
           t.channel, t.subchannel, t.source_kind, t.source_id, t.is_lead_creation,
           t.source_kind OPERATOR(pg_catalog.<>) 'visit' AS is_conversion,
           CASE t.source_kind WHEN 'visit' THEN 0 WHEN 'form' THEN 1 WHEN 'chat' THEN 2 ELSE 3 END AS kind_rank
    FROM %1$s o
    JOIN %2$s p ON p.account_id::pg_catalog.text OPERATOR(pg_catalog.=) o.account_id::pg_catalog.text
    -- a touchpoint with a person is in that person's journey (journey_id =
    -- person_id; an anonymous journey is anon:..., with no person): the
    -- journey index finds a few opportunities' touchpoints.  One equality,
    -- not two, so that the planner does not multiply their selectivities
    -- into a row estimate of 1 and loop over the opportunities.
    JOIN @extschema@.touchpoints t ON t.journey_id OPERATOR(pg_catalog.=) (p.person_id::pg_catalog.text COLLATE "C")
                                  AND t.person_id IS NOT NULL
    WHERE ($1 IS NULL OR o.opportunity_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1))
      AND (o.closed_at IS NULL OR t.touchpoint_date OPERATOR(pg_catalog.<=) o.closed_at)
),
credited AS (
    SELECT x.opportunity_id, x.account_id, x.touchpoint_id, x.journey_id, x.touchpoint_date,
           x.touchpoint_type, x.channel, x.subchannel, x.source_kind, x.amount, x.is_won,
           touchpoint_internal.credit_shares(x.opportunity_id, x.touchpoint_date, x.is_conversion,
               x.is_lead_creation, x.created_at, x.closed_at, x.amount, $2, $3)
               OVER (PARTITION BY x.opportunity_id
                     ORDER BY x.touchpoint_date, x.kind_rank, x.source_id COLLATE "C",
                              x.touchpoint_id COLLATE "C") AS c
    FROM opp_tp x
),
user_models AS (
    INSERT INTO touchpoint_internal.position_credits (opportunity_id, touchpoint_id, model, pct, revenue, cents)
    SELECT k.opportunity_id, k.touchpoint_id, ($4)[u.i], u.pct, k.amount OPERATOR(pg_catalog.*) u.pct OPERATOR(pg_catalog.*) 0.01, u.cents
    FROM credited k,
         LATERAL ROWS FROM (pg_catalog.unnest(((k.c).pct)[9:]), pg_catalog.unnest(((k.c).cents)[9:])) WITH ORDINALITY u(pct, cents, i)
    WHERE pg_catalog.cardinality($4) OPERATOR(pg_catalog.>) 0
)
INSERT INTO @extschema@.opportunity_touchpoints (opportunity_id, account_id, touchpoint_id, journey_id,
        touchpoint_date, touchpoint_type, channel, subchannel, source_kind, position, amount, is_won,
        first_touch_pct, lead_creation_pct, u_shaped_pct, w_shaped_pct, full_path_pct, linear_pct, time_decay_pct, custom_pct,
        first_touch_revenue, lead_creation_revenue, u_shaped_revenue, w_shaped_revenue, full_path_revenue, linear_revenue, time_decay_revenue, custom_revenue,
        first_touch_cents, lead_creation_cents, u_shaped_cents, w_shaped_cents, full_path_cents, linear_cents, time_decay_cents, custom_cents)
SELECT k.opportunity_id, k.account_id, k.touchpoint_id, k.journey_id, k.touchpoint_date,
       k.touchpoint_type, k.channel, k.subchannel, k.source_kind, (k.c).position, k.amount, COALESCE(k.is_won, false),
       ((k.c).pct)[1], ((k.c).pct)[2], ((k.c).pct)[3], ((k.c).pct)[4],
       ((k.c).pct)[5], ((k.c).pct)[6], ((k.c).pct)[7], ((k.c).pct)[8],
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[1] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[2] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[3] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[4] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[5] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[6] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[7] OPERATOR(pg_catalog.*) 0.01,
       k.amount OPERATOR(pg_catalog.*) ((k.c).pct)[8] OPERATOR(pg_catalog.*) 0.01,
       ((k.c).cents)[1], ((k.c).cents)[2], ((k.c).cents)[3], ((k.c).cents)[4],
       ((k.c).cents)[5], ((k.c).cents)[6], ((k.c).cents)[7], ((k.c).cents)[8]
FROM credited k
$q$, touchpoint_internal.source('opportunities'), touchpoint_internal.source('people'))
    USING opportunities, custom_weights, model_weights, model_names;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$fn$;
COMMENT ON FUNCTION touchpoint_internal.build_credits(pg_catalog.text[]) IS
'stage 3: recompute the credit of the given opportunities (NULL: all) into opportunity_touchpoints and the position models'' credit; returns the rows written';
