-- ===================================================================
-- §6 Stage 3: credit, per opportunity
-- ===================================================================

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
    -- person_id): the journey index finds a few opportunities' touchpoints
    JOIN @extschema@.touchpoints t ON t.journey_id OPERATOR(pg_catalog.=) (p.person_id::pg_catalog.text COLLATE "C")
                                  AND t.person_id OPERATOR(pg_catalog.=) p.person_id::pg_catalog.text
    WHERE ($1 IS NULL OR o.opportunity_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1))
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
