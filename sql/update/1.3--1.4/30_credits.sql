/*
 * 1.3 -> 1.4, credit in long form and models as data (docs/spec.md §6):
 * opportunity_touchpoints becomes a table that touchpoint_internal.build_credits
 * fills per opportunity (no longer a materialized view), with cents; the
 * user-defined position models (touchpoint.position_models) and their stored
 * credit; touchpoint.credits and touchpoint.revenue_report; refresh() calls
 * build_credits.  custom_model and its weights are kept as they are.
 */

-- channel_report reads the materialized view: both go, and come back below.
DROP VIEW @extschema@.channel_report;
DROP MATERIALIZED VIEW @extschema@.opportunity_touchpoints;

/*
 * User-defined position models (docs/spec.md §6 "Models are data"): weights
 * for FT, LC, OC, Closed/Pending and the middle, summing to 100.  The
 * trigger refuses a built-in name and a bad sum with a hint; refresh checks
 * again (a restore or a disabled trigger could let a row in).
 */
CREATE TABLE @extschema@.position_models (
    model  pg_catalog.text PRIMARY KEY,
    ft     pg_catalog.numeric NOT NULL DEFAULT 0,
    lc     pg_catalog.numeric NOT NULL DEFAULT 0,
    oc     pg_catalog.numeric NOT NULL DEFAULT 0,
    closed pg_catalog.numeric NOT NULL DEFAULT 0,
    middle pg_catalog.numeric NOT NULL DEFAULT 0
);
COMMENT ON TABLE @extschema@.position_models IS
'user-defined position-based models: weights for FT, LC, OC, Closed/Pending and the middle summing to 100; each is a model of touchpoint.credits after the next refresh';

-- The built-in models, in the order the reports list them.
CREATE FUNCTION touchpoint_internal.builtin_models()
RETURNS pg_catalog.text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['first_touch', 'lead_creation', 'u_shaped', 'w_shaped', 'full_path', 'linear',
             'time_decay', 'custom']::pg_catalog.text[];

-- Refuse one position model that is not usable: the error, its SQLSTATE and a hint that works.
CREATE FUNCTION touchpoint_internal.check_position_model(model pg_catalog.text, ft pg_catalog.numeric,
    lc pg_catalog.numeric, oc pg_catalog.numeric, closed pg_catalog.numeric, middle pg_catalog.numeric)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total numeric := ft OPERATOR(pg_catalog.+) lc OPERATOR(pg_catalog.+) oc
                     OPERATOR(pg_catalog.+) closed OPERATOR(pg_catalog.+) middle;
BEGIN
    IF model IS NULL OR pg_catalog.btrim(model) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a position model needs a name'
            USING ERRCODE = 'not_null_violation',
                  HINT = 'Name the model, e.g. INSERT INTO touchpoint.position_models VALUES (''my_model'', 30, 30, 15, 15, 10);';
    END IF;
    IF pg_catalog.lower(pg_catalog.btrim(model)) OPERATOR(pg_catalog.=) ANY (touchpoint_internal.builtin_models()) THEN
        RAISE EXCEPTION 'position model "%" has the name of a built-in model', model
            USING ERRCODE = 'reserved_name',
                  DETAIL = pg_catalog.format('The built-in models are %s; the custom model takes its weights from touchpoint.custom_model.',
                                             pg_catalog.array_to_string(touchpoint_internal.builtin_models(), ', ')),
                  HINT = pg_catalog.format('Give the model another name, e.g. INSERT INTO touchpoint.position_models VALUES (%L, %s, %s, %s, %s, %s);',
                                           'my_' OPERATOR(pg_catalog.||) pg_catalog.lower(pg_catalog.btrim(model)),
                                           ft, lc, oc, closed, middle);
    END IF;
    IF total IS NULL OR total OPERATOR(pg_catalog.<>) 100 OR LEAST(ft, lc, oc, closed, middle) OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'position model "%" weights must be at least 0 and sum to 100', model
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('ft %s + lc %s + oc %s + closed %s + middle %s = %s.',
                                             ft, lc, oc, closed, middle, COALESCE(total::text, 'NULL')),
                  HINT = pg_catalog.format('Make the five weights sum to 100, e.g. UPDATE touchpoint.position_models SET ft = 22.5, lc = 22.5, oc = 22.5, closed = 22.5, middle = 10 WHERE model = %L;',
                                           model);
    END IF;
END
$$;

-- trigger: every inserted or updated position model is checked.
CREATE FUNCTION touchpoint_internal.position_models_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM touchpoint_internal.check_position_model(NEW.model, NEW.ft, NEW.lc, NEW.oc, NEW.closed, NEW.middle);
    RETURN NEW;
END
$$;
CREATE TRIGGER position_models_check BEFORE INSERT OR UPDATE ON @extschema@.position_models
    FOR EACH ROW EXECUTE FUNCTION touchpoint_internal.position_models_check();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.position_models', '');

/*
 * Stage 3, credit, stored per opportunity (touchpoint_internal.build_credits
 * deletes and inserts the rows of the opportunities it recomputes).  The
 * eight built-in models are stored wide, one row per (opportunity,
 * touchpoint); touchpoint.credits is their long form plus the user-defined
 * position models of touchpoint_internal.position_credits
 * (docs/pipeline-credits.md says why, with the figures).
 */
CREATE TABLE @extschema@.opportunity_touchpoints (
    opportunity_id  pg_catalog.text NOT NULL,
    account_id      pg_catalog.text,
    touchpoint_id   pg_catalog.text NOT NULL,
    journey_id      pg_catalog.text,
    touchpoint_date pg_catalog.timestamptz,
    touchpoint_type pg_catalog.text,
    channel         pg_catalog.text,
    subchannel      pg_catalog.text,
    source_kind     pg_catalog.text,
    position        pg_catalog.text,
    amount          pg_catalog.numeric,
    is_won          pg_catalog.bool,
    first_touch_pct pg_catalog.numeric NOT NULL,
    lead_creation_pct pg_catalog.numeric NOT NULL,
    u_shaped_pct pg_catalog.numeric NOT NULL,
    w_shaped_pct pg_catalog.numeric NOT NULL,
    full_path_pct pg_catalog.numeric NOT NULL,
    linear_pct pg_catalog.numeric NOT NULL,
    time_decay_pct pg_catalog.numeric NOT NULL,
    custom_pct pg_catalog.numeric NOT NULL,
    first_touch_revenue pg_catalog.numeric NOT NULL,
    lead_creation_revenue pg_catalog.numeric NOT NULL,
    u_shaped_revenue pg_catalog.numeric NOT NULL,
    w_shaped_revenue pg_catalog.numeric NOT NULL,
    full_path_revenue pg_catalog.numeric NOT NULL,
    linear_revenue pg_catalog.numeric NOT NULL,
    time_decay_revenue pg_catalog.numeric NOT NULL,
    custom_revenue pg_catalog.numeric NOT NULL,
    first_touch_cents pg_catalog.numeric(38,2) NOT NULL,
    lead_creation_cents pg_catalog.numeric(38,2) NOT NULL,
    u_shaped_cents pg_catalog.numeric(38,2) NOT NULL,
    w_shaped_cents pg_catalog.numeric(38,2) NOT NULL,
    full_path_cents pg_catalog.numeric(38,2) NOT NULL,
    linear_cents pg_catalog.numeric(38,2) NOT NULL,
    time_decay_cents pg_catalog.numeric(38,2) NOT NULL,
    custom_cents pg_catalog.numeric(38,2) NOT NULL,
    PRIMARY KEY (opportunity_id, touchpoint_id)
);
COMMENT ON TABLE @extschema@.opportunity_touchpoints IS
'one row per (opportunity, touchpoint): positions FT, LC, OC, Closed/Pending and <model>_pct / <model>_revenue / <model>_cents for every built-in model; refresh with touchpoint.refresh()';
CREATE INDEX opportunity_touchpoints_touchpoint_idx ON @extschema@.opportunity_touchpoints (touchpoint_id);

-- The credit of the user-defined position models, one row per (opportunity, touchpoint, model).
CREATE TABLE touchpoint_internal.position_credits (
    opportunity_id pg_catalog.text NOT NULL,
    touchpoint_id  pg_catalog.text NOT NULL,
    model          pg_catalog.text NOT NULL,
    pct            pg_catalog.numeric NOT NULL,
    revenue        pg_catalog.numeric NOT NULL,
    cents          pg_catalog.numeric(38,2) NOT NULL,
    PRIMARY KEY (opportunity_id, touchpoint_id, model)
);
COMMENT ON TABLE touchpoint_internal.position_credits IS
'stored credit of the user-defined position models (touchpoint.position_models); read it through touchpoint.credits';

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

/*
 * Credit in long form (docs/spec.md §6): one row per (opportunity, touchpoint,
 * model), the eight built-in models unpivoted from opportunity_touchpoints and
 * the user-defined position models.  pct and revenue are the exact shares;
 * cents the revenue rounded to cents by largest remainder per opportunity and
 * model (they add up exactly to the amount rounded to cents).
 */
CREATE VIEW @extschema@.credits WITH (security_invoker = true) AS
SELECT ot.opportunity_id, ot.account_id, ot.touchpoint_id, ot.journey_id, ot.touchpoint_date,
       ot.touchpoint_type, ot.channel, ot.subchannel, ot.source_kind, m.model, m.model_order,
       ot.position, ot.amount, ot.is_won, m.pct, m.revenue, m.cents
FROM @extschema@.opportunity_touchpoints ot
CROSS JOIN LATERAL (VALUES
        ('first_touch', 1, ot.first_touch_pct, ot.first_touch_revenue, ot.first_touch_cents),
        ('lead_creation', 2, ot.lead_creation_pct, ot.lead_creation_revenue, ot.lead_creation_cents),
        ('u_shaped', 3, ot.u_shaped_pct, ot.u_shaped_revenue, ot.u_shaped_cents),
        ('w_shaped', 4, ot.w_shaped_pct, ot.w_shaped_revenue, ot.w_shaped_cents),
        ('full_path', 5, ot.full_path_pct, ot.full_path_revenue, ot.full_path_cents),
        ('linear', 6, ot.linear_pct, ot.linear_revenue, ot.linear_cents),
        ('time_decay', 7, ot.time_decay_pct, ot.time_decay_revenue, ot.time_decay_cents),
        ('custom', 8, ot.custom_pct, ot.custom_revenue, ot.custom_cents)
    ) AS m(model, model_order, pct, revenue, cents)
UNION ALL
SELECT ot.opportunity_id, ot.account_id, ot.touchpoint_id, ot.journey_id, ot.touchpoint_date,
       ot.touchpoint_type, ot.channel, ot.subchannel, ot.source_kind, pc.model, 9,
       ot.position, ot.amount, ot.is_won, pc.pct, pc.revenue, pc.cents
FROM touchpoint_internal.position_credits pc
JOIN @extschema@.opportunity_touchpoints ot
  ON ot.opportunity_id OPERATOR(pg_catalog.=) pc.opportunity_id
 AND ot.touchpoint_id OPERATOR(pg_catalog.=) pc.touchpoint_id;
COMMENT ON VIEW @extschema@.credits IS
'credit in long form: one row per (opportunity, touchpoint, model) for the built-in and the user-defined position models; exact pct and revenue, and cents';

/*
 * The report in long form (docs/spec.md §6): one row per channel, subchannel,
 * touchpoint type, source kind and model.  Money in cents: the sums of the
 * per-opportunity cents of credits.  Aggregated wide first, then unpivoted.
 */
CREATE VIEW @extschema@.revenue_report WITH (security_invoker = true) AS
WITH per_touchpoint AS (
    SELECT t.channel, t.subchannel, t.touchpoint_type, t.source_kind, pg_catalog.count(*) AS touchpoints
    FROM @extschema@.touchpoints t
    GROUP BY t.channel, t.subchannel, t.touchpoint_type, t.source_kind
),
wide AS (
    SELECT ot.channel, ot.subchannel, ot.touchpoint_type, ot.source_kind,
           pg_catalog.count(DISTINCT ot.opportunity_id) AS opportunities_touched,
           pg_catalog.sum(ot.first_touch_cents) FILTER (WHERE ot.is_won) AS first_touch_won, pg_catalog.sum(ot.first_touch_cents) AS first_touch_all,
           pg_catalog.sum(ot.lead_creation_cents) FILTER (WHERE ot.is_won) AS lead_creation_won, pg_catalog.sum(ot.lead_creation_cents) AS lead_creation_all,
           pg_catalog.sum(ot.u_shaped_cents) FILTER (WHERE ot.is_won) AS u_shaped_won, pg_catalog.sum(ot.u_shaped_cents) AS u_shaped_all,
           pg_catalog.sum(ot.w_shaped_cents) FILTER (WHERE ot.is_won) AS w_shaped_won, pg_catalog.sum(ot.w_shaped_cents) AS w_shaped_all,
           pg_catalog.sum(ot.full_path_cents) FILTER (WHERE ot.is_won) AS full_path_won, pg_catalog.sum(ot.full_path_cents) AS full_path_all,
           pg_catalog.sum(ot.linear_cents) FILTER (WHERE ot.is_won) AS linear_won, pg_catalog.sum(ot.linear_cents) AS linear_all,
           pg_catalog.sum(ot.time_decay_cents) FILTER (WHERE ot.is_won) AS time_decay_won, pg_catalog.sum(ot.time_decay_cents) AS time_decay_all,
           pg_catalog.sum(ot.custom_cents) FILTER (WHERE ot.is_won) AS custom_won, pg_catalog.sum(ot.custom_cents) AS custom_all
    FROM @extschema@.opportunity_touchpoints ot
    GROUP BY ot.channel, ot.subchannel, ot.touchpoint_type, ot.source_kind
),
money AS (
    SELECT w.channel, w.subchannel, w.touchpoint_type, w.source_kind, m.model, m.model_order,
           w.opportunities_touched, m.revenue, m.pipeline
    FROM wide w
    CROSS JOIN LATERAL (VALUES
        ('first_touch', 1, w.first_touch_won, w.first_touch_all),
        ('lead_creation', 2, w.lead_creation_won, w.lead_creation_all),
        ('u_shaped', 3, w.u_shaped_won, w.u_shaped_all),
        ('w_shaped', 4, w.w_shaped_won, w.w_shaped_all),
        ('full_path', 5, w.full_path_won, w.full_path_all),
        ('linear', 6, w.linear_won, w.linear_all),
        ('time_decay', 7, w.time_decay_won, w.time_decay_all),
        ('custom', 8, w.custom_won, w.custom_all)
        ) AS m(model, model_order, revenue, pipeline)
    UNION ALL
    SELECT ot.channel, ot.subchannel, ot.touchpoint_type, ot.source_kind, pc.model, 9,
           pg_catalog.count(DISTINCT ot.opportunity_id),
           pg_catalog.sum(pc.cents) FILTER (WHERE ot.is_won), pg_catalog.sum(pc.cents)
    FROM touchpoint_internal.position_credits pc
    JOIN @extschema@.opportunity_touchpoints ot
      ON ot.opportunity_id OPERATOR(pg_catalog.=) pc.opportunity_id
     AND ot.touchpoint_id OPERATOR(pg_catalog.=) pc.touchpoint_id
    GROUP BY ot.channel, ot.subchannel, ot.touchpoint_type, ot.source_kind, pc.model
),
models AS (
    SELECT b.model, b.model_order::pg_catalog.int4 AS model_order
    FROM pg_catalog.unnest(touchpoint_internal.builtin_models()) WITH ORDINALITY AS b(model, model_order)
    UNION ALL
    SELECT DISTINCT pc.model, 9 FROM touchpoint_internal.position_credits pc
)
SELECT t.channel, t.subchannel, t.touchpoint_type, t.source_kind, mo.model, mo.model_order,
       t.touchpoints,
       COALESCE(r.opportunities_touched, 0) AS opportunities_touched,
       COALESCE(r.revenue, 0)::pg_catalog.numeric(38,2) AS revenue,
       COALESCE(r.pipeline, 0)::pg_catalog.numeric(38,2) AS pipeline
FROM per_touchpoint t
CROSS JOIN models mo
LEFT JOIN money r
       ON r.channel IS NOT DISTINCT FROM t.channel
      AND r.subchannel IS NOT DISTINCT FROM t.subchannel
      AND r.touchpoint_type IS NOT DISTINCT FROM t.touchpoint_type
      AND r.source_kind IS NOT DISTINCT FROM t.source_kind
      AND r.model OPERATOR(pg_catalog.=) mo.model;
COMMENT ON VIEW @extschema@.revenue_report IS
'per channel, subchannel, touchpoint type, source kind and model: touchpoints, opportunities touched, revenue (won) and pipeline (all) in cents that add up exactly per opportunity';

/*
 * build_credits(opportunities): recompute the credit of the given
 * opportunities (NULL: all of them) into the stored stage-3 relations —
 * delete their rows, insert them again — in the caller's transaction, so
 * readers see all before or all after and never wait.  One set-based
 * statement over the opportunities, people and touchpoints grouped by
 * opportunity; the functions evaluated per row take values and give values
 * (credit_share), no per-row table reads.  Inputs: the touchpoints (stage 2),
 * the people and opportunities sources (touchpoint_internal.source),
 * custom_model and position_models.  Returns the (opportunity, touchpoint)
 * rows written.
 *
 *   opp_tp .. counted   as opportunity_touchpoints_live: positions FT, LC,
 *                       OC, Closed/Pending, the middles and the decay
 *   pos                 one row per (opportunity, touchpoint): the middle
 *                       counts and the decay weight
 *   built-in models     wide: exact share, 10 decimals, remainder to the
 *                        largest share (max, then the earliest of those:
 *                       no sort per model), then cents
 *   position models     long: pos x position_models, the full path formula
 *                       with the model's weights, same rounding, then cents;
 *                       a second statement, only when there are any
 *   cents               the amount rounded to cents (half away from zero),
 *                       each row's exact cents floored, the missing cents
 *                       one each to the largest remainders (earliest
 *                       touchpoint on ties)
 */
CREATE FUNCTION touchpoint_internal.build_credits(opportunities pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    written int8;
    positions text;
    bad record;
BEGIN
    PERFORM touchpoint_internal.check_custom_model();
    FOR bad IN SELECT m.* FROM @extschema@.position_models m ORDER BY m.model LOOP
        PERFORM touchpoint_internal.check_position_model(bad.model, bad.ft, bad.lc, bad.oc, bad.closed, bad.middle);
    END LOOP;
    -- two builds at once wait for each other; readers (ACCESS SHARE) never wait
    LOCK TABLE @extschema@.opportunity_touchpoints, touchpoint_internal.position_credits IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM touchpoint_internal.position_credits pc
    WHERE opportunities IS NULL OR pc.opportunity_id OPERATOR(pg_catalog.=) ANY (opportunities);
    DELETE FROM @extschema@.opportunity_touchpoints ot
    WHERE opportunities IS NULL OR ot.opportunity_id OPERATOR(pg_catalog.=) ANY (opportunities);
    /*
     * Two statements over the same positions (the opp_tp .. pos steps): a
     * shared MATERIALIZED CTE would lose the order by opportunity that the
     * windows after it reuse (incremental sorts), and the second statement
     * runs only when there are position models.
     */
    positions := pg_catalog.format($q$
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
    FROM %1$s o
    JOIN %2$s p ON p.account_id OPERATOR(pg_catalog.=) o.account_id
    JOIN @extschema@.touchpoints t ON t.person_id OPERATOR(pg_catalog.=) p.person_id
    WHERE ($1 IS NULL OR o.opportunity_id OPERATOR(pg_catalog.=) ANY ($1))
      AND (o.closed_at IS NULL OR t.touchpoint_date OPERATOR(pg_catalog.<=) o.closed_at)
),
ordered AS (
    SELECT x.*,
           pg_catalog.row_number() OVER w_all AS rn,
           pg_catalog.count(*) OVER (PARTITION BY x.opportunity_id) AS n,
           x.is_lead_creation AND pg_catalog.row_number() OVER w_lc OPERATOR(pg_catalog.=) 1 AS is_lc,
           (x.touchpoint_date OPERATOR(pg_catalog.<=) x.created_at)
               AND pg_catalog.row_number() OVER w_oc OPERATOR(pg_catalog.=) 1 AS is_oc
    FROM opp_tp x
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
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.lc_rn) AS u_mid,
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.oc_rn AND NOT z.is_lc) AS w_mid,
           (z.is_conversion AND NOT (z.rn OPERATOR(pg_catalog.=) 1 OR z.is_lc OR z.is_oc OR z.rn OPERATOR(pg_catalog.=) z.n)) AS f_mid
    FROM positioned z
),
pos AS (
    SELECT m.opportunity_id, m.account_id, m.touchpoint_id, m.journey_id, m.touchpoint_date,
           m.touchpoint_type, m.channel, m.subchannel, m.source_kind, m.amount,
           pg_catalog.round(m.amount, 2) OPERATOR(pg_catalog.*) 100 AS amount_cents, m.closed_at, m.is_won,
           m.rn, m.n, m.is_ft, m.is_lc, m.is_oc, m.is_cl, m.lc_rn, m.oc_rn, m.u_mid, m.w_mid, m.f_mid,
           pg_catalog.count(*) FILTER (WHERE m.u_mid) OVER opp AS u_n,
           pg_catalog.count(*) FILTER (WHERE m.w_mid) OVER opp AS w_n,
           pg_catalog.count(*) FILTER (WHERE m.f_mid) OVER opp AS f_n,
           pg_catalog.power(2::pg_catalog.float8, GREATEST(-1000::pg_catalog.float8,
               (pg_catalog.min(pg_catalog.date_part('epoch', COALESCE(m.closed_at, m.created_at) OPERATOR(pg_catalog.-) m.touchpoint_date)) OVER opp
                OPERATOR(pg_catalog.-) pg_catalog.date_part('epoch', COALESCE(m.closed_at, m.created_at) OPERATOR(pg_catalog.-) m.touchpoint_date))
               OPERATOR(pg_catalog./) (7 OPERATOR(pg_catalog.*) 86400))) AS decay
    FROM middles m
    WINDOW opp AS (PARTITION BY m.opportunity_id)
)
$q$, touchpoint_internal.source('opportunities'), touchpoint_internal.source('people'));
    EXECUTE positions OPERATOR(pg_catalog.||) $q$,
shares AS (
    SELECT c.*,
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
    FROM pos c
    CROSS JOIN weights w
),
rounded AS (
    SELECT s.*,
           pg_catalog.round(touchpoint_internal.credit_share(s.ft_raw, s.ft_present, s.n), 10) AS ft_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.lc_raw, s.lc_present, s.n), 10) AS lc_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.u_raw, s.u_present, s.n), 10) AS u_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.w_raw, s.w_present, s.n), 10) AS w_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.f_raw, s.f_present, s.n), 10) AS f_r,
           pg_catalog.round(touchpoint_internal.credit_share(1, s.n, s.n), 10) AS l_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.t_raw, s.t_present, s.n), 10) AS t_r,
           pg_catalog.round(touchpoint_internal.credit_share(s.c_raw, s.c_present, s.n), 10) AS c_r
    FROM shares s
),
maxed AS (
    SELECT r.*,
           pg_catalog.max(r.ft_r) OVER opp AS ft_m, pg_catalog.sum(r.ft_r) OVER opp AS ft_s,
           pg_catalog.max(r.lc_r) OVER opp AS lc_m, pg_catalog.sum(r.lc_r) OVER opp AS lc_s,
           pg_catalog.max(r.u_r) OVER opp AS u_m, pg_catalog.sum(r.u_r) OVER opp AS u_s,
           pg_catalog.max(r.w_r) OVER opp AS w_m, pg_catalog.sum(r.w_r) OVER opp AS w_s,
           pg_catalog.max(r.f_r) OVER opp AS f_m, pg_catalog.sum(r.f_r) OVER opp AS f_s,
           pg_catalog.max(r.l_r) OVER opp AS l_m, pg_catalog.sum(r.l_r) OVER opp AS l_s,
           pg_catalog.max(r.t_r) OVER opp AS t_m, pg_catalog.sum(r.t_r) OVER opp AS t_s,
           pg_catalog.max(r.c_r) OVER opp AS c_m, pg_catalog.sum(r.c_r) OVER opp AS c_s
    FROM rounded r
    WINDOW opp AS (PARTITION BY r.opportunity_id)
),
fixed AS (
    -- the rounding remainder goes to the largest share, the earliest on ties
    SELECT r.opportunity_id, r.account_id, r.touchpoint_id, r.journey_id, r.touchpoint_date,
           r.touchpoint_type, r.channel, r.subchannel, r.source_kind, r.amount, r.amount_cents,
           r.closed_at, r.is_won, r.rn, r.is_ft, r.is_lc, r.is_oc, r.is_cl,
           r.ft_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.ft_r OPERATOR(pg_catalog.=) r.ft_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.ft_s ELSE 0 END AS first_touch_pct,
           r.lc_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.lc_r OPERATOR(pg_catalog.=) r.lc_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.lc_s ELSE 0 END AS lead_creation_pct,
           r.u_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.u_r OPERATOR(pg_catalog.=) r.u_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.u_s ELSE 0 END AS u_shaped_pct,
           r.w_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.w_r OPERATOR(pg_catalog.=) r.w_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.w_s ELSE 0 END AS w_shaped_pct,
           r.f_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.f_r OPERATOR(pg_catalog.=) r.f_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.f_s ELSE 0 END AS full_path_pct,
           r.l_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.l_r OPERATOR(pg_catalog.=) r.l_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.l_s ELSE 0 END AS linear_pct,
           r.t_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.t_r OPERATOR(pg_catalog.=) r.t_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.t_s ELSE 0 END AS time_decay_pct,
           r.c_r OPERATOR(pg_catalog.+) CASE WHEN r.rn OPERATOR(pg_catalog.=) pg_catalog.min(r.rn) FILTER (WHERE r.c_r OPERATOR(pg_catalog.=) r.c_m) OVER opp
               THEN 100 OPERATOR(pg_catalog.-) r.c_s ELSE 0 END AS custom_pct
    FROM maxed r
    WINDOW opp AS (PARTITION BY r.opportunity_id)
),
centsa AS (
    SELECT f.*,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.first_touch_pct OPERATOR(pg_catalog.*) 0.01) AS first_touch_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.first_touch_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.first_touch_pct OPERATOR(pg_catalog.*) 0.01) AS first_touch_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.lead_creation_pct OPERATOR(pg_catalog.*) 0.01) AS lead_creation_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.lead_creation_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.lead_creation_pct OPERATOR(pg_catalog.*) 0.01) AS lead_creation_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.u_shaped_pct OPERATOR(pg_catalog.*) 0.01) AS u_shaped_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.u_shaped_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.u_shaped_pct OPERATOR(pg_catalog.*) 0.01) AS u_shaped_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.w_shaped_pct OPERATOR(pg_catalog.*) 0.01) AS w_shaped_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.w_shaped_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.w_shaped_pct OPERATOR(pg_catalog.*) 0.01) AS w_shaped_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.full_path_pct OPERATOR(pg_catalog.*) 0.01) AS full_path_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.full_path_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.full_path_pct OPERATOR(pg_catalog.*) 0.01) AS full_path_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.linear_pct OPERATOR(pg_catalog.*) 0.01) AS linear_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.linear_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.linear_pct OPERATOR(pg_catalog.*) 0.01) AS linear_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.time_decay_pct OPERATOR(pg_catalog.*) 0.01) AS time_decay_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.time_decay_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.time_decay_pct OPERATOR(pg_catalog.*) 0.01) AS time_decay_rem,
           pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.custom_pct OPERATOR(pg_catalog.*) 0.01) AS custom_fl,
           f.amount_cents OPERATOR(pg_catalog.*) f.custom_pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(f.amount_cents OPERATOR(pg_catalog.*) f.custom_pct OPERATOR(pg_catalog.*) 0.01) AS custom_rem
    FROM fixed f
),
builtin AS (
    SELECT a.*,
           ((a.first_touch_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.first_touch_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.first_touch_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS first_touch_cents,
           ((a.lead_creation_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.lead_creation_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.lead_creation_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS lead_creation_cents,
           ((a.u_shaped_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.u_shaped_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.u_shaped_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS u_shaped_cents,
           ((a.w_shaped_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.w_shaped_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.w_shaped_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS w_shaped_cents,
           ((a.full_path_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.full_path_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.full_path_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS full_path_cents,
           ((a.linear_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.linear_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.linear_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS linear_cents,
           ((a.time_decay_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.time_decay_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.time_decay_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS time_decay_cents,
           ((a.custom_fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY a.opportunity_id ORDER BY a.custom_rem DESC, a.rn)
                OPERATOR(pg_catalog.<=) (a.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(a.custom_fl) OVER (PARTITION BY a.opportunity_id)) THEN 1 ELSE 0 END) OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2) AS custom_cents
    FROM centsa a
)
INSERT INTO @extschema@.opportunity_touchpoints (opportunity_id, account_id, touchpoint_id, journey_id,
        touchpoint_date, touchpoint_type, channel, subchannel, source_kind, position, amount, is_won,
        first_touch_pct, lead_creation_pct, u_shaped_pct, w_shaped_pct, full_path_pct, linear_pct, time_decay_pct, custom_pct,
        first_touch_revenue, lead_creation_revenue, u_shaped_revenue, w_shaped_revenue, full_path_revenue, linear_revenue, time_decay_revenue, custom_revenue,
        first_touch_cents, lead_creation_cents, u_shaped_cents, w_shaped_cents, full_path_cents, linear_cents, time_decay_cents, custom_cents)
SELECT b.opportunity_id, b.account_id, b.touchpoint_id, b.journey_id, b.touchpoint_date,
       b.touchpoint_type, b.channel, b.subchannel, b.source_kind,
       pg_catalog.concat_ws(',',
           CASE WHEN b.is_ft THEN 'FT' END,
           CASE WHEN b.is_lc THEN 'LC' END,
           CASE WHEN b.is_oc THEN 'OC' END,
           CASE WHEN b.is_cl THEN CASE WHEN b.closed_at IS NULL THEN 'Pending' ELSE 'Closed' END END),
       b.amount, COALESCE(b.is_won, false),
       b.first_touch_pct, b.lead_creation_pct, b.u_shaped_pct, b.w_shaped_pct, b.full_path_pct, b.linear_pct, b.time_decay_pct, b.custom_pct,
       b.amount OPERATOR(pg_catalog.*) b.first_touch_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.lead_creation_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.u_shaped_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.w_shaped_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.full_path_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.linear_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.time_decay_pct OPERATOR(pg_catalog.*) 0.01,
       b.amount OPERATOR(pg_catalog.*) b.custom_pct OPERATOR(pg_catalog.*) 0.01,
       b.first_touch_cents, b.lead_creation_cents, b.u_shaped_cents, b.w_shaped_cents, b.full_path_cents, b.linear_cents, b.time_decay_cents, b.custom_cents
FROM builtin b
$q$
    USING opportunities;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF EXISTS (SELECT 1 FROM @extschema@.position_models) THEN
        EXECUTE positions OPERATOR(pg_catalog.||) $q$,
-- the user-defined position models: full path with the model's weights
user_rounded AS (
    SELECT c.opportunity_id, c.touchpoint_id, c.amount, c.amount_cents, c.rn, pm.model,
           pg_catalog.round(touchpoint_internal.credit_share(
               (CASE WHEN c.is_ft THEN pm.ft ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_lc THEN pm.lc ELSE 0 END
                OPERATOR(pg_catalog.+) CASE WHEN c.is_oc THEN pm.oc ELSE 0 END OPERATOR(pg_catalog.+) CASE WHEN c.is_cl THEN pm.closed ELSE 0 END)
                OPERATOR(pg_catalog.+) CASE WHEN c.f_mid THEN pm.middle::pg_catalog.numeric(40,20) OPERATOR(pg_catalog./) c.f_n ELSE 0 END,
               (pm.ft OPERATOR(pg_catalog.+) pm.closed OPERATOR(pg_catalog.+) CASE WHEN c.lc_rn IS NOT NULL THEN pm.lc ELSE 0 END
                OPERATOR(pg_catalog.+) CASE WHEN c.oc_rn IS NOT NULL THEN pm.oc ELSE 0 END
                OPERATOR(pg_catalog.+) CASE WHEN c.f_n OPERATOR(pg_catalog.>) 0 THEN pm.middle ELSE 0 END)::pg_catalog.numeric,
               c.n), 10) AS r
    FROM pos c
    CROSS JOIN @extschema@.position_models pm
),
user_maxed AS (
    SELECT u.*, pg_catalog.max(u.r) OVER w AS m, pg_catalog.sum(u.r) OVER w AS s
    FROM user_rounded u
    WINDOW w AS (PARTITION BY u.opportunity_id, u.model)
),
user_fixed AS (
    SELECT u.*,
           u.r OPERATOR(pg_catalog.+) CASE WHEN u.rn OPERATOR(pg_catalog.=) pg_catalog.min(u.rn) FILTER (WHERE u.r OPERATOR(pg_catalog.=) u.m) OVER w
               THEN 100 OPERATOR(pg_catalog.-) u.s ELSE 0 END AS pct
    FROM user_maxed u
    WINDOW w AS (PARTITION BY u.opportunity_id, u.model)
),
user_centsa AS (
    SELECT u.*,
           pg_catalog.floor(u.amount_cents OPERATOR(pg_catalog.*) u.pct OPERATOR(pg_catalog.*) 0.01) AS fl,
           u.amount_cents OPERATOR(pg_catalog.*) u.pct OPERATOR(pg_catalog.*) 0.01 OPERATOR(pg_catalog.-) pg_catalog.floor(u.amount_cents OPERATOR(pg_catalog.*) u.pct OPERATOR(pg_catalog.*) 0.01) AS rem
    FROM user_fixed u
)
    INSERT INTO touchpoint_internal.position_credits (opportunity_id, touchpoint_id, model, pct, revenue, cents)
    SELECT u.opportunity_id, u.touchpoint_id, u.model, u.pct, u.amount OPERATOR(pg_catalog.*) u.pct OPERATOR(pg_catalog.*) 0.01,
           ((u.fl OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY u.opportunity_id, u.model ORDER BY u.rem DESC, u.rn)
                OPERATOR(pg_catalog.<=) (u.amount_cents OPERATOR(pg_catalog.-) pg_catalog.sum(u.fl) OVER (PARTITION BY u.opportunity_id, u.model)) THEN 1 ELSE 0 END)
            OPERATOR(pg_catalog.*) 0.01)::pg_catalog.numeric(38,2)
    FROM user_centsa u
$q$
        USING opportunities;
    END IF;
    RETURN written;
END
$fn$;
COMMENT ON FUNCTION touchpoint_internal.build_credits(pg_catalog.text[]) IS
'stage 3: recompute the credit of the given opportunities (NULL: all) into opportunity_touchpoints and the position models'' credit; returns the rows written';

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
    mode := touchpoint_internal.refresh_view('@extschema@.touchpoints');
    PERFORM touchpoint_internal.build_credits();   -- stage 3: every opportunity
    SELECT pg_catalog.count(*) INTO touchpoints FROM @extschema@.touchpoints;
    SELECT pg_catalog.count(*) INTO opportunity_touchpoints FROM @extschema@.opportunity_touchpoints;
    duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started;
    PERFORM pg_catalog.set_config('work_mem', caller_work_mem, true);
END
$$;
COMMENT ON FUNCTION @extschema@.refresh() IS
'refresh touchpoint.touchpoints (plain the first time, then CONCURRENTLY) and rebuild the credit (opportunity_touchpoints, credits); returns mode, rows and duration';

COMMENT ON FUNCTION touchpoint_internal.builtin_models() IS
'the names of the eight built-in models, in the order of docs/spec.md §6';
COMMENT ON FUNCTION touchpoint_internal.check_position_model(pg_catalog.text, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric, pg_catalog.numeric) IS
'refuse a position model with a built-in name, no name, a negative weight or weights that do not sum to 100';
COMMENT ON FUNCTION touchpoint_internal.position_models_check() IS
'trigger: check every inserted or updated touchpoint.position_models row';

-- Every column of the new and re-created relations gets its glossary comment (sql/src/90_catalog.sql).
COMMENT ON COLUMN @extschema@.channel_report.channel IS 'the session''s channel, else the first matching channel rule, else Other or Direct; Offline without a session';
COMMENT ON COLUMN @extschema@.channel_report.subchannel IS 'marketing subchannel (e.g. Google)';
COMMENT ON COLUMN @extschema@.channel_report.touchpoint_type IS 'Web Visit, Web Form, Web Chat, or the call''s task type (Phone Call when blank and unmerged)';
COMMENT ON COLUMN @extschema@.channel_report.touchpoints IS 'touchpoints of this channel, subchannel and type';
COMMENT ON COLUMN @extschema@.channel_report.phone_calls IS 'of them, touchpoints made by a call task';
COMMENT ON COLUMN @extschema@.channel_report.leads_created IS 'of them, lead-creation (LC) touchpoints';
COMMENT ON COLUMN @extschema@.channel_report.opportunities_touched IS 'opportunities with at least one of these touchpoints';
COMMENT ON COLUMN @extschema@.channel_report.first_touch_revenue IS 'revenue of won opportunities credited here by the first-touch model';
COMMENT ON COLUMN @extschema@.channel_report.first_touch_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the first-touch model';
COMMENT ON COLUMN @extschema@.channel_report.lead_creation_revenue IS 'revenue of won opportunities credited here by the lead-creation model';
COMMENT ON COLUMN @extschema@.channel_report.lead_creation_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the lead-creation model';
COMMENT ON COLUMN @extschema@.channel_report.u_shaped_revenue IS 'revenue of won opportunities credited here by the U-shaped model';
COMMENT ON COLUMN @extschema@.channel_report.u_shaped_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the U-shaped model';
COMMENT ON COLUMN @extschema@.channel_report.w_shaped_revenue IS 'revenue of won opportunities credited here by the W-shaped model';
COMMENT ON COLUMN @extschema@.channel_report.w_shaped_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the W-shaped model';
COMMENT ON COLUMN @extschema@.channel_report.full_path_revenue IS 'revenue of won opportunities credited here by the full-path model';
COMMENT ON COLUMN @extschema@.channel_report.full_path_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the full-path model';
COMMENT ON COLUMN @extschema@.channel_report.linear_revenue IS 'revenue of won opportunities credited here by the linear model';
COMMENT ON COLUMN @extschema@.channel_report.linear_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the linear model';
COMMENT ON COLUMN @extschema@.channel_report.time_decay_revenue IS 'revenue of won opportunities credited here by the time-decay model';
COMMENT ON COLUMN @extschema@.channel_report.time_decay_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the time-decay model';
COMMENT ON COLUMN @extschema@.channel_report.custom_revenue IS 'revenue of won opportunities credited here by the custom model';
COMMENT ON COLUMN @extschema@.channel_report.custom_pipeline IS 'amount of every opportunity (open, won or lost) credited here by the custom model';
COMMENT ON COLUMN @extschema@.credits.opportunity_id IS 'the opportunity credited';
COMMENT ON COLUMN @extschema@.credits.account_id IS 'the account (company) the person or opportunity belongs to';
COMMENT ON COLUMN @extschema@.credits.touchpoint_id IS 'the touchpoint''s id: its kind and source id (call:..., form:..., chat:..., visit:<journey>:<session>)';
COMMENT ON COLUMN @extschema@.credits.journey_id IS 'the buyer''s journey: the person, or anon:<bizible_id> when no event of the BizibleId names one';
COMMENT ON COLUMN @extschema@.credits.touchpoint_date IS 'when the touchpoint happened (a call''s occurred_at, a visit''s start)';
COMMENT ON COLUMN @extschema@.credits.touchpoint_type IS 'Web Visit, Web Form, Web Chat, or the call''s task type (Phone Call when blank and unmerged)';
COMMENT ON COLUMN @extschema@.credits.channel IS 'the session''s channel, else the first matching channel rule, else Other or Direct; Offline without a session';
COMMENT ON COLUMN @extschema@.credits.subchannel IS 'marketing subchannel (e.g. Google)';
COMMENT ON COLUMN @extschema@.credits.source_kind IS 'what made the touchpoint: visit, form, chat or call';
COMMENT ON COLUMN @extschema@.credits.model IS 'the attribution model: a built-in one or a user-defined position model';
COMMENT ON COLUMN @extschema@.credits.model_order IS 'the model''s place in lists: 1-8 the built-in models in the order of docs/spec.md §6, 9 the user-defined ones';
COMMENT ON COLUMN @extschema@.credits."position" IS 'positions for the opportunity, comma-separated: FT, LC, OC, Closed or Pending; empty for the middle';
COMMENT ON COLUMN @extschema@.credits.amount IS 'the opportunity''s amount';
COMMENT ON COLUMN @extschema@.credits.is_won IS 'the opportunity is won (false while open or lost)';
COMMENT ON COLUMN @extschema@.credits.pct IS 'the model''s credit in percent; sums to exactly 100 per opportunity and model';
COMMENT ON COLUMN @extschema@.credits.revenue IS 'amount x pct / 100, not rounded; sums to exactly the amount per opportunity and model';
COMMENT ON COLUMN @extschema@.credits.cents IS 'revenue rounded to cents by largest remainder (ties: the earliest touchpoint); sums to exactly the amount rounded to cents per opportunity and model';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.opportunity_id IS 'the opportunity credited';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.account_id IS 'the account (company) the person or opportunity belongs to';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touchpoint_id IS 'the touchpoint''s id: its kind and source id (call:..., form:..., chat:..., visit:<journey>:<session>)';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.journey_id IS 'the buyer''s journey: the person, or anon:<bizible_id> when no event of the BizibleId names one';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touchpoint_date IS 'when the touchpoint happened (a call''s occurred_at, a visit''s start)';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touchpoint_type IS 'Web Visit, Web Form, Web Chat, or the call''s task type (Phone Call when blank and unmerged)';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.channel IS 'the session''s channel, else the first matching channel rule, else Other or Direct; Offline without a session';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.subchannel IS 'marketing subchannel (e.g. Google)';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.source_kind IS 'what made the touchpoint: visit, form, chat or call';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints."position" IS 'positions for the opportunity, comma-separated: FT, LC, OC, Closed or Pending; empty for the middle';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.amount IS 'the opportunity''s amount';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.is_won IS 'the opportunity is won (false while open or lost)';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.first_touch_pct IS 'first-touch credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.lead_creation_pct IS 'lead-creation credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.u_shaped_pct IS 'U-shaped credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.w_shaped_pct IS 'W-shaped credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.full_path_pct IS 'full-path credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.linear_pct IS 'linear credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.time_decay_pct IS 'time-decay credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.custom_pct IS 'custom credit in percent; sums to exactly 100 per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.first_touch_revenue IS 'amount x first_touch_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.lead_creation_revenue IS 'amount x lead_creation_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.u_shaped_revenue IS 'amount x u_shaped_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.w_shaped_revenue IS 'amount x w_shaped_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.full_path_revenue IS 'amount x full_path_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.linear_revenue IS 'amount x linear_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.time_decay_revenue IS 'amount x time_decay_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.custom_revenue IS 'amount x custom_pct / 100, not rounded; sums to exactly the amount per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.first_touch_cents IS 'first_touch_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.lead_creation_cents IS 'lead_creation_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.u_shaped_cents IS 'u_shaped_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.w_shaped_cents IS 'w_shaped_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.full_path_cents IS 'full_path_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.linear_cents IS 'linear_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.time_decay_cents IS 'time_decay_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.custom_cents IS 'custom_revenue rounded to cents by largest remainder; sums to exactly the amount rounded to cents per opportunity';
COMMENT ON COLUMN @extschema@.position_models.model IS 'the model''s name, as it appears in credits and revenue_report (not a built-in name)';
COMMENT ON COLUMN @extschema@.position_models.ft IS 'percent for the first touch (FT)';
COMMENT ON COLUMN @extschema@.position_models.lc IS 'percent for the lead creation (LC)';
COMMENT ON COLUMN @extschema@.position_models.oc IS 'percent for the opportunity creation (OC)';
COMMENT ON COLUMN @extschema@.position_models.closed IS 'percent for Closed, or Pending while the opportunity is open';
COMMENT ON COLUMN @extschema@.position_models.middle IS 'percent shared by the middle conversion touchpoints; the five weights sum to 100';
COMMENT ON COLUMN @extschema@.revenue_report.channel IS 'the session''s channel, else the first matching channel rule, else Other or Direct; Offline without a session';
COMMENT ON COLUMN @extschema@.revenue_report.subchannel IS 'marketing subchannel (e.g. Google)';
COMMENT ON COLUMN @extschema@.revenue_report.touchpoint_type IS 'Web Visit, Web Form, Web Chat, or the call''s task type (Phone Call when blank and unmerged)';
COMMENT ON COLUMN @extschema@.revenue_report.source_kind IS 'what made the touchpoint: visit, form, chat or call';
COMMENT ON COLUMN @extschema@.revenue_report.model IS 'the attribution model: a built-in one or a user-defined position model';
COMMENT ON COLUMN @extschema@.revenue_report.model_order IS 'the model''s place in lists: 1-8 the built-in models in the order of docs/spec.md §6, 9 the user-defined ones';
COMMENT ON COLUMN @extschema@.revenue_report.touchpoints IS 'touchpoints of this channel, subchannel, type and source kind';
COMMENT ON COLUMN @extschema@.revenue_report.opportunities_touched IS 'opportunities with at least one of these touchpoints';
COMMENT ON COLUMN @extschema@.revenue_report.revenue IS 'cents of won opportunities credited here by the model (numeric, 2 decimals)';
COMMENT ON COLUMN @extschema@.revenue_report.pipeline IS 'cents of every opportunity (open, won or lost) credited here by the model';

GRANT SELECT ON @extschema@.opportunity_touchpoints, @extschema@.channel_report,
    @extschema@.credits, @extschema@.revenue_report, touchpoint_internal.position_credits
    TO touchpoint_reader;
