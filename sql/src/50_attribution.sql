/*
 * opportunity_touchpoints_live: every (opportunity, touchpoint) with its
 * positions and the credit of every model (docs/spec.md §6); build_credits()
 * fills the stored opportunity_touchpoints from it.
 *
 *   opp_tp    the touchpoints of every person of the opportunity's account,
 *             up to the close (all of them while it is open)
 *   ranked    order (date, kind form<chat<call after visit, id) and the
 *             positions FT, LC, OC and Closed/Pending
 *   shares    each model's raw weight per touchpoint: a position's weight to
 *             its holder, a middle share split over the middle conversion
 *             touchpoints; and the weight present in the opportunity
 *   exact     raw * 100 / present, or linear when nothing can take weight
 *   rounded   10 decimals; 100 minus their sum goes to the largest share
 */
CREATE VIEW @extschema@.opportunity_touchpoints_live WITH (security_invoker = true) AS
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
    FROM @extschema@.opportunities o
    JOIN @extschema@.people p ON p.account_id OPERATOR(pg_catalog.=) o.account_id
    JOIN @extschema@.touchpoints t ON t.person_id OPERATOR(pg_catalog.=) p.person_id
    WHERE o.closed_at IS NULL OR t.touchpoint_date OPERATOR(pg_catalog.<=) o.closed_at
),
ordered AS (
    SELECT x.*,
           pg_catalog.row_number() OVER w_all AS rn,
           pg_catalog.count(*) OVER (PARTITION BY x.opportunity_id) AS n,
           x.is_lead_creation AND pg_catalog.row_number() OVER w_lc OPERATOR(pg_catalog.=) 1 AS is_lc,
           (x.touchpoint_date OPERATOR(pg_catalog.<=) x.created_at)
               AND pg_catalog.row_number() OVER w_oc OPERATOR(pg_catalog.=) 1 AS is_oc
    FROM opp_tp x
    -- touchpoint_id settles the last tie: two colleagues' first-touch visits
    -- of one shared session have the same date, kind and session
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
           -- U-shaped: conversion touchpoints strictly between FT and LC
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.lc_rn) AS u_mid,
           -- W-shaped: conversion touchpoints after FT, before OC, holding none of FT/LC/OC
           (z.is_conversion AND z.rn OPERATOR(pg_catalog.>) 1 AND z.rn OPERATOR(pg_catalog.<) z.oc_rn
                AND NOT z.is_lc) AS w_mid,
           -- full path and custom: conversion touchpoints holding no position
           (z.is_conversion AND NOT (z.rn OPERATOR(pg_catalog.=) 1 OR z.is_lc OR z.is_oc
                OR z.rn OPERATOR(pg_catalog.=) z.n)) AS f_mid
    FROM positioned z
),
counted AS (
    SELECT m.*,
           pg_catalog.count(*) FILTER (WHERE m.u_mid) OVER opp AS u_n,
           pg_catalog.count(*) FILTER (WHERE m.w_mid) OVER opp AS w_n,
           pg_catalog.count(*) FILTER (WHERE m.f_mid) OVER opp AS f_n,
           -- time decay: 2^x, x the weeks before the most recent touchpoint (the
           -- close cancels out of the normalised weights, and no weight
           -- overflows), floored at 2^-1000, kept as the nearest integer of
           -- weight * 10^18; x is whole microseconds over a week's, one float8
           -- division, exactly as the C stage computes it (src/tp_credit.c)
           ((pg_catalog.power(2::pg_catalog.float8, GREATEST(-1000::pg_catalog.float8,
               (EXTRACT(epoch FROM m.touchpoint_date OPERATOR(pg_catalog.-) pg_catalog.max(m.touchpoint_date) OVER opp)
                    OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8::pg_catalog.float8
               OPERATOR(pg_catalog./) 604800000000::pg_catalog.float8)))
             OPERATOR(pg_catalog.*) 1e18::pg_catalog.float8)::pg_catalog.int8 AS decay
    FROM middles m
    WINDOW opp AS (PARTITION BY m.opportunity_id)
),
shares AS (
    SELECT c.*,
           -- raw weight per touchpoint, per model
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
    FROM counted c
    CROSS JOIN weights w
),
exact AS (
    -- the share of each model before rounding; linear when nothing can take weight
    SELECT s.*,
           touchpoint_internal.credit_share(s.ft_raw, s.ft_present, s.n) AS ft_x,
           touchpoint_internal.credit_share(s.lc_raw, s.lc_present, s.n) AS lc_x,
           touchpoint_internal.credit_share(s.u_raw, s.u_present, s.n) AS u_x,
           touchpoint_internal.credit_share(s.w_raw, s.w_present, s.n) AS w_x,
           touchpoint_internal.credit_share(s.f_raw, s.f_present, s.n) AS f_x,
           touchpoint_internal.credit_share(1, s.n, s.n) AS l_x,
           touchpoint_internal.credit_share(s.t_raw, s.t_present, s.n) AS t_x,
           touchpoint_internal.credit_share(s.c_raw, s.c_present, s.n) AS c_x
    FROM shares s
),
rounded AS (
    SELECT e.*,
           pg_catalog.round(e.ft_x, 10) AS ft_r, pg_catalog.round(e.lc_x, 10) AS lc_r,
           pg_catalog.round(e.u_x, 10) AS u_r, pg_catalog.round(e.w_x, 10) AS w_r,
           pg_catalog.round(e.f_x, 10) AS f_r, pg_catalog.round(e.l_x, 10) AS l_r,
           pg_catalog.round(e.t_x, 10) AS t_r, pg_catalog.round(e.c_x, 10) AS c_r
    FROM exact e
),
fixed AS (
    -- the rounding remainder goes to the touchpoint with the largest share (earliest on ties)
    SELECT r.*,
           r.ft_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.ft_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.ft_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS first_touch_pct,
           r.lc_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.lc_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.lc_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS lead_creation_pct,
           r.u_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.u_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.u_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS u_shaped_pct,
           r.w_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.w_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.w_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS w_shaped_pct,
           r.f_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.f_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.f_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS full_path_pct,
           r.l_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.l_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.l_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS linear_pct,
           r.t_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.t_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.t_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS time_decay_pct,
           r.c_r OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.row_number() OVER (PARTITION BY r.opportunity_id ORDER BY r.c_r DESC, r.rn) OPERATOR(pg_catalog.=) 1
               THEN 100 OPERATOR(pg_catalog.-) pg_catalog.sum(r.c_r) OVER (PARTITION BY r.opportunity_id) ELSE 0 END AS custom_pct
    FROM rounded r
)
SELECT f.opportunity_id, f.account_id, f.touchpoint_id, f.journey_id, f.touchpoint_date,
       f.touchpoint_type, f.channel, f.subchannel, f.source_kind,
       pg_catalog.concat_ws(',',
           CASE WHEN f.is_ft THEN 'FT' END,
           CASE WHEN f.is_lc THEN 'LC' END,
           CASE WHEN f.is_oc THEN 'OC' END,
           CASE WHEN f.is_cl THEN CASE WHEN f.closed_at IS NULL THEN 'Pending' ELSE 'Closed' END END) AS position,
       f.amount, COALESCE(f.is_won, false) AS is_won,
       f.first_touch_pct, f.lead_creation_pct, f.u_shaped_pct, f.w_shaped_pct,
       f.full_path_pct, f.linear_pct, f.time_decay_pct, f.custom_pct,
       f.amount OPERATOR(pg_catalog.*) f.first_touch_pct OPERATOR(pg_catalog.*) 0.01 AS first_touch_revenue,
       f.amount OPERATOR(pg_catalog.*) f.lead_creation_pct OPERATOR(pg_catalog.*) 0.01 AS lead_creation_revenue,
       f.amount OPERATOR(pg_catalog.*) f.u_shaped_pct OPERATOR(pg_catalog.*) 0.01 AS u_shaped_revenue,
       f.amount OPERATOR(pg_catalog.*) f.w_shaped_pct OPERATOR(pg_catalog.*) 0.01 AS w_shaped_revenue,
       f.amount OPERATOR(pg_catalog.*) f.full_path_pct OPERATOR(pg_catalog.*) 0.01 AS full_path_revenue,
       f.amount OPERATOR(pg_catalog.*) f.linear_pct OPERATOR(pg_catalog.*) 0.01 AS linear_revenue,
       f.amount OPERATOR(pg_catalog.*) f.time_decay_pct OPERATOR(pg_catalog.*) 0.01 AS time_decay_revenue,
       f.amount OPERATOR(pg_catalog.*) f.custom_pct OPERATOR(pg_catalog.*) 0.01 AS custom_revenue
FROM fixed f;
COMMENT ON VIEW @extschema@.opportunity_touchpoints_live IS
'each opportunity''s touchpoints with positions and the credit of every model, as of now; opportunity_touchpoints is its refreshed copy';

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
