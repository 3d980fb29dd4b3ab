-- attribution_invariants: touchpoint.opportunity_touchpoints and
-- touchpoint.channel_report (docs/spec.md §6) on 3,000 random opportunities of 1,000
-- accounts, whose people (0..5 per account) have random journeys of web
-- sessions, form fills, chats and calls loaded into the extension's own
-- tables.  Three parts:
--   1. invariants of the materialized view: every model's percentages sum to
--      exactly 100 and its revenue to exactly the amount, nothing negative,
--      one FT and one Closed/Pending per opportunity (Pending iff open), at
--      most one LC and one OC, nothing after the close, no rows without
--      touchpoints;
--   2. a reference written here (a PL/pgSQL loop over each opportunity's
--      touchpoints in order, with its own arithmetic: exact numeric, time decay
--      by numeric exp and ln) for the positions and the credit of every model,
--      compared with the view to 9 decimal places;
--   3. channel_report against the opportunities and touchpoints.
-- Round 1 uses custom weights 10/35/20.5/24.5; round 2 uses 0/45/45/0, so that
-- the custom model can fall back to linear.  Rounds 3 and 4 are two small
-- cases: a touchpoint more than 20 years before the close (time decay must not
-- underflow), and two journeys' Web Visits of one shared session (the credit
-- must not depend on storage order or join method).  The data is derived from
-- md5 of fixed strings (no random()), so it does not depend on plans.
-- Everything printed is a count or a boolean; every *_mismatch / violation
-- count must be 0.  About 20 s.
SET client_min_messages = warning;
LOAD 'touchpoint';
SET touchpoint.session_window = '30min';
SET touchpoint.window_anchor = 'session_start';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET datestyle = 'ISO, YMD';
SET timezone = 'America/Sao_Paulo';
CREATE SCHEMA ai;

-- a number in [0, 1) from a string
CREATE FUNCTION ai.h(seed text) RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT ('x' || substr(md5(seed), 1, 13))::bit(52)::int8 / 4503599627370496.0::float8 $$;
-- a mixed-case record id
CREATE FUNCTION ai.rid(prefix text, seed text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT prefix || translate(substr(md5(seed), 1, 12), 'abc0', 'ABC_') $$;

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.custom_model;

-- Accounts, people, BizibleIds ---------------------------------------------
-- Each account has 8 "moments" (a day, an hour, a quarter) its people's events
-- gather around, so the touchpoints of one account often fall at the same
-- instant.
CREATE TABLE ai.account AS
SELECT a, 'acc-' || lpad(a::text, 4, '0') AS account_id,
       floor(ai.h('np' || a) * 6)::int AS n_persons,
       timestamptz '2025-01-06 00:00:00+00' + floor(ai.h('base' || a) * 120) * interval '1 day' AS base
FROM generate_series(1, 1000) a;
CREATE TABLE ai.moment AS
SELECT a.a, k,
       a.base + floor(ai.h('md' || a.a || '.' || k) * 45) * interval '1 day'
              + (8 + floor(ai.h('mh' || a.a || '.' || k) * 10)) * interval '1 hour'
              + floor(ai.h('mq' || a.a || '.' || k) * 4) * interval '15 min' AS at
FROM ai.account a, generate_series(1, 8) k;
CREATE UNIQUE INDEX ON ai.moment (a, k);
-- 95% of the persons are people of their account; 3% are in touchpoint.people
-- without an account, 2% are not in it at all: neither is credited
CREATE TABLE ai.person AS
SELECT a.a, j, ai.rid('P', a.a || '.' || j) AS person_id, a.account_id,
       CASE WHEN ai.h('ps' || a.a || '.' || j) < 0.95 THEN 'member'
            WHEN ai.h('ps' || a.a || '.' || j) < 0.98 THEN 'no_account' ELSE 'unknown' END AS status
FROM ai.account a, generate_series(1, a.n_persons) j;
INSERT INTO touchpoint.people (person_id, account_id, email)
SELECT person_id, CASE WHEN status = 'member' THEN account_id END, lower(person_id) || '@example.com'
FROM ai.person WHERE status <> 'unknown'
UNION ALL   -- people without any touchpoint
SELECT ai.rid('Q', 'silent' || i), 'acc-' || lpad((1 + floor(ai.h('sa' || i) * 1000)::int)::text, 4, '0'), NULL
FROM generate_series(1, 200) i;
-- 1..3 BizibleIds per person; 400 anonymous ones near some account's moments
CREATE TABLE ai.bid AS
SELECT p.a, p.person_id, b, md5('biz' || p.person_id || b) AS k
FROM ai.person p,
     generate_series(1, 1 + (ai.h('nb' || p.person_id) < 0.35)::int + (ai.h('nb2' || p.person_id) < 0.10)::int) b
UNION ALL
SELECT 1 + floor(ai.h('anon-acc' || i) * 1000)::int, NULL, 1, md5('anon' || i)
FROM generate_series(1, 400) i;

-- Slots: six per BizibleId, each around one moment of the account --------
--   visit  a session and nothing else (a candidate first-touch Web Visit)
--   sess   a session with 1..3 events in its window
--   lone   1..3 events that no session of theirs covers (Offline touchpoints)
--   edge   a session that started exactly 30 min before the events (not covered)
CREATE TABLE ai.slot AS
SELECT b.a, b.person_id, b.k, s, m.at AS moment, ai.h('u' || b.k || s) AS u,
       CASE WHEN ai.h('u' || b.k || s) < 0.20 THEN 'visit'
            WHEN ai.h('u' || b.k || s) < 0.52 THEN 'sess'
            WHEN ai.h('u' || b.k || s) < 0.82 THEN 'lone'
            WHEN ai.h('u' || b.k || s) < 0.90 THEN 'edge' ELSE 'none' END AS kind
FROM ai.bid b CROSS JOIN generate_series(1, 6) s
JOIN ai.moment m ON m.a = b.a AND m.k = 1 + floor(ai.h('mk' || b.k || s) * 8)::int;

INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at, channel, subchannel,
                                 source, medium, campaign, landing_page, referrer_page)
SELECT ai.rid('S', x.k || x.s), CASE WHEN x.rk < 0.8 THEN x.k ELSE ' ' || upper(x.k) END,
       x.moment - CASE x.kind
                    WHEN 'edge' THEN interval '30 min'
                    WHEN 'visit' THEN (ARRAY[interval '0', '2 hours', '1 day', '3 days', '10 days'])[1 + floor(x.ro * 5)::int]
                    ELSE (ARRAY[interval '0', '5 min', '10 min', '25 min'])[1 + floor(x.ro * 4)::int] END,
       NULL,
       CASE WHEN x.rc < 0.15 THEN NULL
            ELSE (ARRAY['Paid Search', 'Organic Search', 'Paid Social', 'Email', 'Display', 'Referral'])[1 + floor(x.rc * 6)::int] END,
       CASE WHEN x.rc >= 0.15 AND x.rs < 0.5 THEN (ARRAY['Google', 'Bing', 'LinkedIn'])[1 + floor(x.rs * 6)::int] END,
       (ARRAY['google', 'bing', 'linkedin', NULL])[1 + floor(x.rs * 4)::int],
       (ARRAY['cpc', 'PPC', 'paid-social', 'email', NULL, NULL])[1 + floor(x.rm * 6)::int],
       CASE WHEN x.rm < 0.5 THEN 'spring-' || floor(x.rs * 3) END,
       'https://example.com/p' || floor(x.rm * 5),
       CASE WHEN x.rs > 0.8 THEN 'https://blog.example.org/x' END
FROM (SELECT sl.*, ai.h('rk' || sl.k || sl.s) AS rk, ai.h('ro' || sl.k || sl.s) AS ro,
             ai.h('rc' || sl.k || sl.s) AS rc, ai.h('rs' || sl.k || sl.s) AS rs, ai.h('rm' || sl.k || sl.s) AS rm
      FROM ai.slot sl WHERE sl.kind IN ('visit', 'sess', 'edge')) x;

-- the events of the slots: form 40%, chat 20%, call 40%; at the moment, 5 or
-- 10 minutes after it; the person's own id 70% (else none: stitched by the
-- BizibleId); forms and chats name their session 20% of the time
CREATE TABLE ai.event AS
SELECT sl.a, sl.person_id AS owner, sl.k, sl.s, e, sl.kind AS slot_kind,
       CASE WHEN ai.h('ek' || sl.k || sl.s || '.' || e) < 0.4 THEN 'form'
            WHEN ai.h('ek' || sl.k || sl.s || '.' || e) < 0.6 THEN 'chat' ELSE 'call' END AS ev,
       sl.moment + (ARRAY[interval '0', '0', '0', '5 min', '10 min'])[1 + floor(ai.h('eo' || sl.k || sl.s || '.' || e) * 5)::int] AS at,
       CASE WHEN sl.person_id IS NOT NULL AND ai.h('ep' || sl.k || sl.s || '.' || e) < 0.7 THEN sl.person_id END AS person_id,
       CASE WHEN sl.kind = 'sess' AND ai.h('ex' || sl.k || sl.s || '.' || e) < 0.2 THEN ai.rid('S', sl.k || sl.s) END AS named_session,
       ai.h('ez' || sl.k || sl.s || '.' || e) AS z
FROM ai.slot sl CROSS JOIN generate_series(1, 1 + floor(ai.h('ne' || sl.k || sl.s) * 3)::int) e
WHERE sl.kind IN ('sess', 'lone', 'edge');

INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT ai.rid('F', k || s || '.' || e), k, named_session, at, 'https://example.com/form' || floor(z * 3), person_id
FROM ai.event WHERE ev = 'form';
INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
SELECT ai.rid('H', k || s || '.' || e), upper(k), named_session, at, person_id
FROM ai.event WHERE ev = 'chat';
-- 3% of the calls are deleted, 2% have no BizibleId: neither is a touchpoint
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted)
SELECT ai.rid('T', k || s || '.' || e),
       CASE WHEN z < 0.02 THEN NULL ELSE k END,
       (ARRAY['Call', 'Call', 'Inbound Call', 'Inbound Call', 'Phone Call', NULL, '  '])[1 + floor(ai.h('ty' || k || s || e) * 7)::int],
       'Inbound call', '+1415555' || lpad((floor(z * 10000))::int::text, 4, '0'),
       person_id, at, z >= 0.02 AND z < 0.05
FROM ai.event WHERE ev = 'call';

-- sessions without a channel are classified by these rules
INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium, source, campaign, landing_page, referrer) VALUES
 (10, 'Paid Search', 'Google', 'cpc;ppc', 'google*', NULL, NULL, NULL),
 (20, 'Paid Search', 'Other', 'cpc;ppc', NULL, NULL, NULL, NULL),
 (30, 'Paid Social', NULL, '*social*', NULL, NULL, NULL, NULL),
 (40, 'Email', 'Newsletter', 'email', NULL, NULL, NULL, NULL),
 (50, 'Referral', NULL, NULL, NULL, NULL, NULL, '*.example.org*');
INSERT INTO touchpoint.custom_model VALUES ('FT', 10), ('LC', 35), ('OC', 20.5), ('Closed', 24.5);

-- statistics as of now, whatever ran before in this database (else the plans
-- of the checks below can be very slow)
ANALYZE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
        touchpoint.people, touchpoint.channel_rules, touchpoint.custom_model;
-- the touchpoints first: the opportunities are placed around them
SELECT touchpoints > 0 AS has_touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
SELECT count(*) AS sessions FROM touchpoint.sessions;
SELECT (SELECT count(*) FROM touchpoint.form_submits) AS form_submits,
       (SELECT count(*) FROM touchpoint.chats) AS chats,
       (SELECT count(*) FROM touchpoint.tasks) AS tasks,
       (SELECT count(*) FROM touchpoint.people) AS people;
SELECT source_kind, count(*) AS touchpoints, count(*) FILTER (WHERE person_id IS NULL) AS anonymous,
       count(*) FILTER (WHERE is_lead_creation) AS lead_creations
FROM touchpoint.touchpoints GROUP BY source_kind ORDER BY source_kind;
ANALYZE touchpoint.touchpoints;

-- Opportunities ------------------------------------------------------------
-- Per account: its touchpoints' dates, and the last Web Visit before its
-- first conversion (an opportunity closed there has no LC: its LC comes after
-- the close).
CREATE TABLE ai.acct_dates AS
WITH tp AS (
    SELECT p.account_id, t.touchpoint_date, t.source_kind,
           min(t.touchpoint_date) FILTER (WHERE t.source_kind <> 'visit') OVER (PARTITION BY p.account_id) AS first_conversion
    FROM touchpoint.touchpoints t JOIN touchpoint.people p ON p.person_id = t.person_id
    WHERE p.account_id IS NOT NULL
)
SELECT tp.account_id, array_agg(tp.touchpoint_date ORDER BY tp.touchpoint_date) AS dates,
       max(tp.touchpoint_date) FILTER (WHERE tp.source_kind = 'visit' AND tp.touchpoint_date < tp.first_conversion) AS visit_only_until
FROM tp GROUP BY tp.account_id;

CREATE TABLE ai.opp AS
WITH g AS (
    SELECT i, 'acc-' || lpad((1 + floor(ai.h('oa' || i) * 1000)::int)::text, 4, '0') AS account_id,
           ai.h('o1' || i) AS u1, ai.h('o2' || i) AS u2, ai.h('o3' || i) AS u3, ai.h('o4' || i) AS u4,
           ai.h('oi' || i) AS ui, ai.h('oj' || i) AS uj, ai.h('ok' || i) AS uk
    FROM generate_series(1, 3000) i
), c AS (
    SELECT g.*, d.visit_only_until, coalesce(cardinality(d.dates), 0) AS m,
           CASE WHEN cardinality(d.dates) > 0 AND g.u1 < 0.30 THEN d.dates[1 + floor(g.ui * cardinality(d.dates))::int]
                WHEN g.u1 < 0.40 THEN timestamptz '2024-12-01 00:00:00+00' + floor(g.ui * 30) * interval '1 day'
                ELSE timestamptz '2025-01-06 08:00:00+00' + floor(g.ui * 180 * 96) * interval '15 min' END AS created,
           CASE WHEN g.u2 < 0.30 THEN 'open'
                WHEN g.u2 < 0.48 AND cardinality(d.dates) > 0 THEN 'at_touchpoint'
                WHEN g.u2 < 0.56 AND d.visit_only_until IS NOT NULL THEN 'visit_only'
                ELSE 'later' END AS how,
           CASE WHEN cardinality(d.dates) > 0 THEN d.dates[1 + floor(g.uj * cardinality(d.dates))::int] END AS some_date
    FROM g LEFT JOIN ai.acct_dates d ON d.account_id = g.account_id
), e AS (
    SELECT c.*,
           CASE WHEN c.how = 'visit_only' THEN least(c.created, c.visit_only_until) ELSE c.created END AS created_at,
           CASE c.how WHEN 'open' THEN NULL
                      WHEN 'at_touchpoint' THEN greatest(c.some_date, c.created)
                      WHEN 'visit_only' THEN c.visit_only_until
                      ELSE c.created + floor(c.uj * 100 * 96) * interval '15 min' END AS closed_at
    FROM c
)
SELECT ai.rid('O', 'opp' || i) AS opportunity_id, account_id,
       CASE WHEN u4 < 0.06 THEN 0::numeric
            WHEN u4 < 0.25 THEN trunc((ai.h('a1' || i) * 1e15)::numeric) * 1000 + round(ai.h('a2' || i)::numeric, 12)
            WHEN u4 < 0.35 THEN round(ai.h('a1' || i)::numeric, 14)
            WHEN u4 < 0.36 THEN 123456789012345678901234.567890123456789
            ELSE round((ai.h('a1' || i) * 1e6)::numeric, 2) END AS amount,
       created_at, closed_at,
       CASE WHEN closed_at IS NOT NULL THEN uk < 0.55 END AS is_won,
       how
FROM e;
INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
SELECT opportunity_id, account_id, amount, created_at, closed_at, is_won FROM ai.opp;
SELECT count(*) AS opportunities, count(DISTINCT account_id) AS accounts,
       count(*) FILTER (WHERE closed_at IS NULL) AS open,
       count(*) FILTER (WHERE is_won) AS won,
       count(*) FILTER (WHERE NOT is_won) AS lost,
       count(*) FILTER (WHERE amount = 0) AS zero_amount,
       count(*) FILTER (WHERE amount >= 1e15) AS amount_ge_1e15,
       count(*) FILTER (WHERE scale(amount) >= 12) AS amount_12_decimals
FROM touchpoint.opportunities;

SELECT mode, touchpoints > 0 AS has_touchpoints, opportunity_touchpoints > 0 AS has_rows FROM touchpoint.refresh();
ANALYZE touchpoint.opportunities, touchpoint.opportunity_touchpoints, touchpoint.touchpoints;

-- Part 2's reference ------------------------------------------------------
-- Every account's touchpoints in the order of docs/spec.md §6 (date, then visit < form
-- < chat < call, then source_id bytewise; touchpoint_id last, for two journeys'
-- Web Visits of one session): an opportunity's touchpoints are a prefix of them
-- (those up to the close).
CREATE TABLE ai.acct_tp AS
SELECT p.account_id,
       array_agg(t.touchpoint_id ORDER BY t.touchpoint_date, array_position(ARRAY['visit', 'form', 'chat', 'call'], t.source_kind),
                 t.source_id COLLATE "C", t.touchpoint_id COLLATE "C") AS ids,
       array_agg(t.touchpoint_date ORDER BY t.touchpoint_date, array_position(ARRAY['visit', 'form', 'chat', 'call'], t.source_kind),
                 t.source_id COLLATE "C", t.touchpoint_id COLLATE "C") AS dates,
       array_agg(t.source_kind ORDER BY t.touchpoint_date, array_position(ARRAY['visit', 'form', 'chat', 'call'], t.source_kind),
                 t.source_id COLLATE "C", t.touchpoint_id COLLATE "C") AS kinds,
       array_agg(t.is_lead_creation ORDER BY t.touchpoint_date, array_position(ARRAY['visit', 'form', 'chat', 'call'], t.source_kind),
                 t.source_id COLLATE "C", t.touchpoint_id COLLATE "C") AS lcs
FROM touchpoint.people p JOIN touchpoint.touchpoints t ON t.person_id = p.person_id
GROUP BY p.account_id;
CREATE UNIQUE INDEX ON ai.acct_tp (account_id);

-- One position-based model: w = the weights of FT, LC, OC, Closed/Pending,
-- mid_weight shared equally by the touchpoints with mid[i].  A weight that no
-- touchpoint takes is left out of the total; nothing to take anything: linear.
-- Computed as (own weights * k + middle) * 100 / ((total + middle) * k), k the
-- number of middle touchpoints: one division, to 40 places.
CREATE FUNCTION ai.positional(n int, lc int, oc int, w numeric[], mid_weight numeric, mid bool[])
RETURNS numeric[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k int := 0;
    own numeric[] := array_fill(0::numeric, ARRAY[n]);
    total numeric := 0;
    res numeric[] := '{}';
BEGIN
    FOR i IN 1..n LOOP
        IF mid[i] THEN k := k + 1; END IF;
    END LOOP;
    own[1] := own[1] + w[1];
    total := total + w[1];
    IF lc IS NOT NULL THEN own[lc] := own[lc] + w[2]; total := total + w[2]; END IF;
    IF oc IS NOT NULL THEN own[oc] := own[oc] + w[3]; total := total + w[3]; END IF;
    own[n] := own[n] + w[4];
    total := total + w[4];
    IF k > 0 THEN
        total := (total + mid_weight) * k;
        FOR i IN 1..n LOOP
            own[i] := own[i] * k + CASE WHEN mid[i] THEN mid_weight ELSE 0 END;
        END LOOP;
    END IF;
    FOR i IN 1..n LOOP
        res[i] := CASE WHEN total > 0 THEN (own[i] * 100)::numeric(80, 40) / total
                       ELSE 100::numeric(80, 40) / n END;
    END LOOP;
    RETURN res;
END $$;

CREATE TABLE ai.ref (
    opportunity_id text, touchpoint_id text, rn int, n int, position text,
    first_touch numeric, lead_creation numeric, u_shaped numeric, w_shaped numeric,
    full_path numeric, linear numeric, time_decay numeric, custom numeric);

CREATE FUNCTION ai.build_ref() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o record;
    cw numeric[];
    n int; lc int; oc int;
    ids text[]; dates timestamptz[]; kinds text[]; lcs bool[];
    conv bool[]; u_mid bool[]; w_mid bool[]; f_mid bool[];
    ft_p numeric[]; lc_p numeric[]; u_p numeric[]; w_p numeric[]; f_p numeric[]; c_p numeric[]; t_p numeric[];
    tw numeric[]; tsum numeric; d numeric;
BEGIN
    TRUNCATE ai.ref;
    SELECT ARRAY[(SELECT weight FROM touchpoint.custom_model WHERE position = 'FT'),
                 (SELECT weight FROM touchpoint.custom_model WHERE position = 'LC'),
                 (SELECT weight FROM touchpoint.custom_model WHERE position = 'OC'),
                 (SELECT weight FROM touchpoint.custom_model WHERE position = 'Closed')] INTO cw;
    FOR o IN SELECT op.opportunity_id, op.created_at, op.closed_at, a.ids, a.dates, a.kinds, a.lcs
             FROM touchpoint.opportunities op LEFT JOIN ai.acct_tp a ON a.account_id = op.account_id
             ORDER BY op.opportunity_id
    LOOP
        ids := o.ids; dates := o.dates; kinds := o.kinds; lcs := o.lcs;
        n := 0;
        FOR i IN 1..coalesce(cardinality(ids), 0) LOOP
            EXIT WHEN o.closed_at IS NOT NULL AND dates[i] > o.closed_at;
            n := i;
        END LOOP;
        CONTINUE WHEN n = 0;
        -- positions: FT = 1, LC, OC, Closed/Pending = n
        lc := NULL; oc := NULL;
        FOR i IN 1..n LOOP
            IF lc IS NULL AND lcs[i] THEN lc := i; END IF;
            IF dates[i] <= o.created_at THEN oc := i; END IF;
        END LOOP;
        conv := '{}'; u_mid := '{}'; w_mid := '{}'; f_mid := '{}';
        FOR i IN 1..n LOOP
            conv[i] := kinds[i] <> 'visit';
            u_mid[i] := conv[i] AND lc IS NOT NULL AND i > 1 AND i < lc;
            w_mid[i] := conv[i] AND oc IS NOT NULL AND i > 1 AND i < oc AND i IS DISTINCT FROM lc;
            f_mid[i] := conv[i] AND i <> 1 AND i <> n AND i IS DISTINCT FROM lc AND i IS DISTINCT FROM oc;
        END LOOP;
        ft_p := ai.positional(n, lc, oc, ARRAY[100, 0, 0, 0], 0, array_fill(false, ARRAY[n]));
        lc_p := ai.positional(n, lc, oc, ARRAY[0, 100, 0, 0], 0, array_fill(false, ARRAY[n]));
        u_p := ai.positional(n, lc, oc, ARRAY[40, 40, 0, 0], 20, u_mid);
        w_p := ai.positional(n, lc, oc, ARRAY[30, 30, 30, 0], 10, w_mid);
        f_p := ai.positional(n, lc, oc, ARRAY[22.5, 22.5, 22.5, 22.5], 10, f_mid);
        c_p := ai.positional(n, lc, oc, cw, 10, f_mid);
        -- time decay: 2^(-d/7), d in days before the close (open: the creation)
        tw := '{}'; tsum := 0;
        FOR i IN 1..n LOOP
            d := (extract(epoch FROM coalesce(o.closed_at, o.created_at)) - extract(epoch FROM dates[i])) / 86400;
            -- (not power(2::numeric, x): for an integral x it keeps 16 decimals only)
            tw[i] := exp(-d / 7 * ln(2::numeric(50, 40)));
            tsum := tsum + tw[i];
        END LOOP;
        FOR i IN 1..n LOOP
            INSERT INTO ai.ref VALUES (
                o.opportunity_id, ids[i], i, n,
                concat_ws(',', CASE WHEN i = 1 THEN 'FT' END, CASE WHEN i = lc THEN 'LC' END,
                          CASE WHEN i = oc THEN 'OC' END,
                          CASE WHEN i = n THEN CASE WHEN o.closed_at IS NULL THEN 'Pending' ELSE 'Closed' END END),
                ft_p[i], lc_p[i], u_p[i], w_p[i], f_p[i], 100::numeric(80, 40) / n,
                tw[i] * 100 / tsum, c_p[i]);
        END LOOP;
    END LOOP;
END $$;

-- the view next to the reference, one row per (opportunity, touchpoint, model)
CREATE VIEW ai.pairs AS
SELECT o.opportunity_id, o.amount, v.touchpoint_id AS v_tp, r.touchpoint_id AS r_tp,
       v.position AS v_position, r.position AS r_position, r.n, m.*
FROM touchpoint.opportunity_touchpoints v
FULL JOIN ai.ref r ON r.opportunity_id = v.opportunity_id AND r.touchpoint_id = v.touchpoint_id
JOIN touchpoint.opportunities o ON o.opportunity_id = coalesce(v.opportunity_id, r.opportunity_id)
CROSS JOIN LATERAL (VALUES
    (1, 'first_touch', v.first_touch_pct, v.first_touch_revenue, r.first_touch),
    (2, 'lead_creation', v.lead_creation_pct, v.lead_creation_revenue, r.lead_creation),
    (3, 'u_shaped', v.u_shaped_pct, v.u_shaped_revenue, r.u_shaped),
    (4, 'w_shaped', v.w_shaped_pct, v.w_shaped_revenue, r.w_shaped),
    (5, 'full_path', v.full_path_pct, v.full_path_revenue, r.full_path),
    (6, 'linear', v.linear_pct, v.linear_revenue, r.linear),
    (7, 'time_decay', v.time_decay_pct, v.time_decay_revenue, r.time_decay),
    (8, 'custom', v.custom_pct, v.custom_revenue, r.custom)) m(ord, model, v_pct, v_revenue, r_pct);

-- Part 1: invariants of the materialized view, per model --------------------
CREATE FUNCTION ai.model_invariants()
RETURNS TABLE (model text, opportunities int8, pct_sum_not_100 int8, revenue_sum_not_amount int8,
               negative_pct int8, revenue_not_amount_x_pct int8)
LANGUAGE sql AS $$
    SELECT model, count(*), count(*) FILTER (WHERE s_pct <> 100), count(*) FILTER (WHERE s_rev <> amount),
           sum(neg), sum(bad_rev)
    FROM (SELECT p.ord, p.model, p.opportunity_id, p.amount, sum(p.v_pct) AS s_pct, sum(p.v_revenue) AS s_rev,
                 count(*) FILTER (WHERE p.v_pct < 0) AS neg,
                 count(*) FILTER (WHERE p.v_revenue * 100 <> p.amount * p.v_pct) AS bad_rev
          FROM ai.pairs p WHERE p.v_tp IS NOT NULL
          GROUP BY p.ord, p.model, p.opportunity_id, p.amount) x
    GROUP BY ord, model ORDER BY ord
$$;

CREATE FUNCTION ai.position_invariants()
RETURNS TABLE (opportunities_with_rows int8, not_one_ft int8, not_one_closed_or_pending int8,
               pending_not_iff_open int8, several_lc int8, several_oc int8, after_close int8,
               rows_without_touchpoints int8, account_or_tp_columns_wrong int8)
LANGUAGE sql AS $$
    WITH per_opp AS (
        SELECT v.opportunity_id, o.closed_at,
               count(*) FILTER (WHERE 'FT' = ANY (string_to_array(v.position, ','))) AS ft,
               count(*) FILTER (WHERE 'LC' = ANY (string_to_array(v.position, ','))) AS lc,
               count(*) FILTER (WHERE 'OC' = ANY (string_to_array(v.position, ','))) AS oc,
               count(*) FILTER (WHERE 'Closed' = ANY (string_to_array(v.position, ','))) AS closed,
               count(*) FILTER (WHERE 'Pending' = ANY (string_to_array(v.position, ','))) AS pending,
               count(*) FILTER (WHERE v.touchpoint_date > o.closed_at) AS after_close
        FROM touchpoint.opportunity_touchpoints v
        JOIN touchpoint.opportunities o ON o.opportunity_id = v.opportunity_id
        GROUP BY v.opportunity_id, o.closed_at
    )
    SELECT count(*),
           count(*) FILTER (WHERE ft <> 1),
           count(*) FILTER (WHERE closed + pending <> 1),
           count(*) FILTER (WHERE (pending = 1) <> (closed_at IS NULL)),
           count(*) FILTER (WHERE lc > 1),
           count(*) FILTER (WHERE oc > 1),
           sum(after_close),
           -- opportunities with no touchpoint of any person of their account up to the close
           (SELECT count(*) FROM touchpoint.opportunity_touchpoints v
            JOIN touchpoint.opportunities o ON o.opportunity_id = v.opportunity_id
            WHERE NOT EXISTS (SELECT 1 FROM touchpoint.people p JOIN touchpoint.touchpoints t ON t.person_id = p.person_id
                              WHERE p.account_id = o.account_id
                                AND (o.closed_at IS NULL OR t.touchpoint_date <= o.closed_at))),
           -- the other columns: the touchpoint's, and the opportunity's account
           (SELECT count(*) FROM touchpoint.opportunity_touchpoints v
            JOIN touchpoint.opportunities o ON o.opportunity_id = v.opportunity_id
            LEFT JOIN touchpoint.touchpoints t ON t.touchpoint_id = v.touchpoint_id
            LEFT JOIN touchpoint.people p ON p.person_id = t.person_id
            WHERE t.touchpoint_id IS NULL OR p.account_id IS DISTINCT FROM o.account_id
               OR v.account_id IS DISTINCT FROM o.account_id
               OR (v.journey_id, v.touchpoint_date, v.touchpoint_type, v.channel, v.subchannel)
                  IS DISTINCT FROM (t.journey_id, t.touchpoint_date, t.touchpoint_type, t.channel, t.subchannel))
    FROM per_opp
$$;

-- Part 2: the view against the reference ------------------------------------
-- Percentages agree to 9 decimal places: |view - reference| < 1e-9, plus
-- n * 5e-11 for an opportunity of n touchpoints, since the view rounds to 10
-- places and gives the remainder (up to n * 5e-11) to the largest share.
-- Revenue: the view's against amount * reference / 100, to the same precision.
CREATE FUNCTION ai.compare()
RETURNS TABLE (model text, rows int8, only_in_view int8, only_in_reference int8, position_mismatch int8,
               pct_mismatch int8, revenue_mismatch int8)
LANGUAGE sql AS $$
    SELECT model, count(*), count(*) FILTER (WHERE r_tp IS NULL), count(*) FILTER (WHERE v_tp IS NULL),
           count(*) FILTER (WHERE v_position IS DISTINCT FROM r_position),
           count(*) FILTER (WHERE NOT abs(v_pct - r_pct) < 1e-9 + n * 5e-11),
           count(*) FILTER (WHERE NOT abs(v_revenue - amount * r_pct / 100) <= abs(amount) * (1e-9 + n * 5e-11) / 100)
    FROM ai.pairs GROUP BY ord, model ORDER BY ord
$$;

-- Part 3: channel_report ------------------------------------------------------
-- Per model, the report's totals (pipeline: every opportunity with a
-- touchpoint; revenue: the won ones) are exactly the amounts; per group, the
-- counts are those of the touchpoints and of the reference rows, and each
-- model's revenue and pipeline agree with the reference's credit (to the
-- precision of part 2).
CREATE FUNCTION ai.report_check()
RETURNS TABLE (model text, pipeline_total_ok bool, revenue_total_ok bool, groups_pipeline_mismatch int8,
               groups_revenue_mismatch int8)
LANGUAGE sql AS $$
    WITH totals AS (
        SELECT sum(o.amount) AS pipeline, coalesce(sum(o.amount) FILTER (WHERE o.is_won), 0) AS revenue
        FROM touchpoint.opportunities o WHERE EXISTS (SELECT 1 FROM ai.ref r WHERE r.opportunity_id = o.opportunity_id)
    ), rep AS (
        SELECT c.channel, c.subchannel, c.touchpoint_type, m.*
        FROM touchpoint.channel_report c
        CROSS JOIN LATERAL (VALUES
            (1, 'first_touch', c.first_touch_pipeline, c.first_touch_revenue),
            (2, 'lead_creation', c.lead_creation_pipeline, c.lead_creation_revenue),
            (3, 'u_shaped', c.u_shaped_pipeline, c.u_shaped_revenue),
            (4, 'w_shaped', c.w_shaped_pipeline, c.w_shaped_revenue),
            (5, 'full_path', c.full_path_pipeline, c.full_path_revenue),
            (6, 'linear', c.linear_pipeline, c.linear_revenue),
            (7, 'time_decay', c.time_decay_pipeline, c.time_decay_revenue),
            (8, 'custom', c.custom_pipeline, c.custom_revenue)) m(ord, model, pipeline, revenue)
    ), ref AS (
        SELECT t.channel, t.subchannel, t.touchpoint_type, m.ord,
               sum(o.amount * m.pct / 100) AS pipeline,
               coalesce(sum(o.amount * m.pct / 100) FILTER (WHERE o.is_won), 0) AS revenue,
               sum(abs(o.amount) * (1e-9 + r.n * 5e-11) / 100) AS tolerance
        FROM ai.ref r
        JOIN touchpoint.opportunities o ON o.opportunity_id = r.opportunity_id
        JOIN touchpoint.touchpoints t ON t.touchpoint_id = r.touchpoint_id
        CROSS JOIN LATERAL (VALUES (1, r.first_touch), (2, r.lead_creation), (3, r.u_shaped), (4, r.w_shaped),
                                   (5, r.full_path), (6, r.linear), (7, r.time_decay), (8, r.custom)) m(ord, pct)
        GROUP BY t.channel, t.subchannel, t.touchpoint_type, m.ord
    )
    SELECT rep.model, sum(rep.pipeline) = (SELECT pipeline FROM totals), sum(rep.revenue) = (SELECT revenue FROM totals),
           count(*) FILTER (WHERE NOT abs(rep.pipeline - coalesce(ref.pipeline, 0)) <= coalesce(ref.tolerance, 0)),
           count(*) FILTER (WHERE NOT abs(rep.revenue - coalesce(ref.revenue, 0)) <= coalesce(ref.tolerance, 0))
    FROM rep LEFT JOIN ref ON ref.ord = rep.ord AND ref.channel IS NOT DISTINCT FROM rep.channel
                          AND ref.subchannel IS NOT DISTINCT FROM rep.subchannel
                          AND ref.touchpoint_type IS NOT DISTINCT FROM rep.touchpoint_type
    GROUP BY rep.ord, rep.model ORDER BY rep.ord
$$;

CREATE FUNCTION ai.report_counts()
RETURNS TABLE (report_rows int8, touchpoints_ok bool, phone_calls_ok bool, leads_created_ok bool,
               groups_missing int8, groups_opportunities_touched_mismatch int8)
LANGUAGE sql AS $$
    WITH tp AS (
        SELECT t.channel, t.subchannel, t.touchpoint_type, count(*) AS touchpoints
        FROM touchpoint.touchpoints t GROUP BY 1, 2, 3
    ), touched AS (
        SELECT t.channel, t.subchannel, t.touchpoint_type, count(DISTINCT r.opportunity_id) AS opportunities
        FROM ai.ref r JOIN touchpoint.touchpoints t ON t.touchpoint_id = r.touchpoint_id GROUP BY 1, 2, 3
    )
    SELECT (SELECT count(*) FROM touchpoint.channel_report),
           (SELECT sum(touchpoints) FROM touchpoint.channel_report) = (SELECT count(*) FROM touchpoint.touchpoints),
           (SELECT sum(phone_calls) FROM touchpoint.channel_report)
               = (SELECT count(*) FROM touchpoint.touchpoints WHERE source_kind = 'call'),
           (SELECT sum(leads_created) FROM touchpoint.channel_report)
               = (SELECT count(*) FROM touchpoint.touchpoints WHERE is_lead_creation),
           (SELECT count(*) FROM tp WHERE NOT EXISTS (
                SELECT 1 FROM touchpoint.channel_report c
                WHERE (c.channel, c.subchannel, c.touchpoint_type) IS NOT DISTINCT FROM (tp.channel, tp.subchannel, tp.touchpoint_type)
                  AND c.touchpoints = tp.touchpoints)),
           (SELECT count(*) FROM touchpoint.channel_report c
            LEFT JOIN touched x ON (c.channel, c.subchannel, c.touchpoint_type) IS NOT DISTINCT FROM (x.channel, x.subchannel, x.touchpoint_type)
            WHERE c.opportunities_touched <> coalesce(x.opportunities, 0))
$$;

-- Round 1: custom weights FT 10, LC 35, OC 20.5, Closed 24.5 -----------------
SELECT ai.build_ref();
ANALYZE ai.ref;
-- the cases the data reaches (reference positions, per opportunity)
WITH r AS (
    SELECT r.opportunity_id, o.created_at, o.closed_at, count(*) AS n,
           bool_or(r.position LIKE '%LC%') AS has_lc, bool_or(r.position LIKE '%OC%') AS has_oc,
           count(DISTINCT t.touchpoint_date) AS instants,
           count(DISTINCT t.person_id) AS persons,
           bool_or(t.touchpoint_date = o.created_at) AS at_created,
           bool_or(t.touchpoint_date = o.closed_at) AS at_closed,
           bool_or(t.touchpoint_date > o.created_at) AS after_created,
           bool_or(r.position LIKE 'FT,%Closed' OR r.position LIKE 'FT,%Pending') AS ft_is_last,
           max(cardinality(string_to_array(r.position, ','))) AS max_positions,
           bool_or(r.rn = 1 AND t.source_kind = 'visit') AS ft_visit,
           count(*) FILTER (WHERE r.position = '' AND t.source_kind <> 'visit') AS middle_conversions,
           count(*) FILTER (WHERE r.position = '' AND t.source_kind = 'visit') AS middle_visits
    FROM ai.ref r JOIN touchpoint.opportunities o USING (opportunity_id)
    JOIN touchpoint.touchpoints t ON t.touchpoint_id = r.touchpoint_id
    GROUP BY r.opportunity_id, o.created_at, o.closed_at
)
SELECT count(*) AS opportunities_with_touchpoints,
       (SELECT count(*) FROM touchpoint.opportunities) - count(*) AS opportunities_without,
       count(*) FILTER (WHERE closed_at IS NULL) AS open,
       count(*) FILTER (WHERE NOT has_lc) AS no_lc,
       count(*) FILTER (WHERE NOT has_oc) AS no_oc,
       count(*) FILTER (WHERE NOT has_lc AND NOT has_oc) AS no_lc_no_oc,
       count(*) FILTER (WHERE n = 1) AS single_touchpoint,
       count(*) FILTER (WHERE instants < n) AS same_instant,
       count(*) FILTER (WHERE persons > 1) AS several_persons,
       count(*) FILTER (WHERE at_created) AS at_created,
       count(*) FILTER (WHERE at_closed) AS at_closed,
       count(*) FILTER (WHERE closed_at IS NULL AND after_created) AS open_after_created,
       count(*) FILTER (WHERE ft_visit) AS ft_visit,
       count(*) FILTER (WHERE max_positions >= 3) AS one_holds_3_positions,
       count(*) FILTER (WHERE middle_conversions > 0) AS with_middle_conversions,
       count(*) FILTER (WHERE middle_visits > 0) AS with_middle_visits,
       max(n) AS max_touchpoints
FROM r;
SELECT count(*) AS reference_rows FROM ai.ref;
-- excluded touchpoints and credited or not: after the close, anonymous, people
-- without an account or not in touchpoint.people
SELECT (SELECT count(*) FROM touchpoint.opportunities o
        WHERE EXISTS (SELECT 1 FROM touchpoint.people p JOIN touchpoint.touchpoints t ON t.person_id = p.person_id
                      WHERE p.account_id = o.account_id AND t.touchpoint_date > o.closed_at)) AS with_touchpoints_after_close,
       (SELECT count(*) FROM touchpoint.opportunities o
        WHERE o.closed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ai.ref r WHERE r.opportunity_id = o.opportunity_id)
          AND EXISTS (SELECT 1 FROM touchpoint.people p JOIN touchpoint.touchpoints t ON t.person_id = p.person_id
                      WHERE p.account_id = o.account_id)) AS all_touchpoints_after_close,
       (SELECT count(*) FROM ai.opp o WHERE o.how = 'visit_only'
          AND EXISTS (SELECT 1 FROM ai.ref r WHERE r.opportunity_id = o.opportunity_id)
          AND NOT EXISTS (SELECT 1 FROM ai.ref r WHERE r.opportunity_id = o.opportunity_id AND r.position LIKE '%LC%')
          AND EXISTS (SELECT 1 FROM touchpoint.people p JOIN touchpoint.touchpoints t ON t.person_id = p.person_id
                      WHERE p.account_id = o.account_id AND t.is_lead_creation AND t.touchpoint_date > o.closed_at)) AS only_lc_after_close,
       (SELECT count(*) FROM touchpoint.touchpoints t WHERE t.person_id IS NULL) AS anonymous_touchpoints,
       (SELECT count(*) FROM touchpoint.touchpoints t
        WHERE NOT EXISTS (SELECT 1 FROM touchpoint.people p WHERE p.person_id = t.person_id AND p.account_id IS NOT NULL)
          AND t.person_id IS NOT NULL) AS touchpoints_of_no_account;
SELECT * FROM ai.model_invariants();
SELECT * FROM ai.position_invariants();
SELECT * FROM ai.compare();

-- The stored credit is computed in C (a window function, src/tp_credit.c);
-- touchpoint.opportunity_touchpoints_live computes it in plain SQL.  They
-- must agree exactly, every column of every row, to the last digit.
CREATE FUNCTION ai.stored_vs_sql(OUT stored_rows int8, OUT only_stored int8, OUT only_sql int8)
LANGUAGE sql AS $$
    WITH s AS (
        SELECT opportunity_id, account_id, touchpoint_id, journey_id, touchpoint_date, touchpoint_type, channel,
               subchannel, source_kind, position, amount, is_won, first_touch_pct, lead_creation_pct, u_shaped_pct,
               w_shaped_pct, full_path_pct, linear_pct, time_decay_pct, custom_pct, first_touch_revenue,
               lead_creation_revenue, u_shaped_revenue, w_shaped_revenue, full_path_revenue, linear_revenue,
               time_decay_revenue, custom_revenue
        FROM touchpoint.opportunity_touchpoints)
    SELECT (SELECT count(*) FROM s),
           (SELECT count(*) FROM (SELECT * FROM s EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints_live) d),
           (SELECT count(*) FROM (SELECT * FROM touchpoint.opportunity_touchpoints_live EXCEPT ALL SELECT * FROM s) d)
$$;
-- Cents, per opportunity and model (the built-ins and the position models):
-- they sum to the amount rounded to cents; each row has its exact cents
-- floored plus 0 or 1; and the extra cents went to the largest remainders,
-- the earliest touchpoint on ties: every row given one ranks above every row
-- not given one (rank key: remainder, then touchpoint order).
CREATE FUNCTION ai.cents_rule()
RETURNS TABLE (model text, opportunities int8, sum_not_amount int8, extra_not_0_or_1 int8, largest_remainder_broken int8)
LANGUAGE sql AS $$
    WITH c AS (
        SELECT c.opportunity_id, c.model, c.model_order, c.amount, c.cents,
               round(c.amount, 2) * 100 * c.pct / 100 AS exact,
               row_number() OVER (PARTITION BY c.opportunity_id, c.model
                                  ORDER BY c.touchpoint_date, CASE c.source_kind WHEN 'visit' THEN 0 WHEN 'form' THEN 1
                                           WHEN 'chat' THEN 2 ELSE 3 END, t.source_id COLLATE "C",
                                           c.touchpoint_id COLLATE "C") AS rn
        FROM touchpoint.credits c JOIN touchpoint.touchpoints t ON t.touchpoint_id = c.touchpoint_id),
    k AS (
        SELECT c.*, c.cents * 100 - floor(c.exact) AS extra,
               (c.exact - floor(c.exact)) * 1e12 * 1e7 - c.rn AS rank_key
        FROM c),
    per AS (
        SELECT k.model, k.model_order, k.opportunity_id,
               sum(k.cents) <> round(min(k.amount), 2) AS bad_sum,
               count(*) FILTER (WHERE k.extra NOT IN (0, 1)) AS bad_extra,
               min(k.rank_key) FILTER (WHERE k.extra = 1) <= max(k.rank_key) FILTER (WHERE k.extra = 0) AS broken
        FROM k GROUP BY k.model, k.model_order, k.opportunity_id)
    SELECT model, count(*), count(*) FILTER (WHERE bad_sum), sum(bad_extra), count(*) FILTER (WHERE broken)
    FROM per GROUP BY model, model_order ORDER BY model_order, model
$$;
DELETE FROM touchpoint.position_models;  -- (an earlier test may leave some)
INSERT INTO touchpoint.position_models VALUES ('ai_thirds', 33.3333333333, 33.3333333333, 0, 23.3333333334, 10);
SELECT mode FROM touchpoint.refresh();
SELECT * FROM ai.stored_vs_sql();
SELECT * FROM ai.cents_rule();
DELETE FROM touchpoint.position_models;
SELECT * FROM ai.report_check();
SELECT * FROM ai.report_counts();

-- Round 2: FT 0, LC 45, OC 45, Closed 0: the custom model falls back to linear
-- where there is no LC, no OC and no middle touchpoint --------------------------
UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'LC' THEN 45 WHEN 'OC' THEN 45 ELSE 0 END;
SELECT mode, opportunity_touchpoints > 0 AS has_rows FROM touchpoint.refresh();
ANALYZE touchpoint.opportunity_touchpoints;
SELECT ai.build_ref();
ANALYZE ai.ref;
SELECT count(*) AS custom_linear_fallback
FROM (SELECT r.opportunity_id FROM ai.ref r JOIN touchpoint.touchpoints t ON t.touchpoint_id = r.touchpoint_id
      GROUP BY r.opportunity_id
      HAVING count(*) > 1 AND NOT bool_or(r.position ~ 'LC|OC')
         AND NOT bool_or(r.position = '' AND t.source_kind <> 'visit')) x;
SELECT * FROM ai.model_invariants() WHERE model = 'custom';
SELECT * FROM ai.compare() WHERE model = 'custom';
SELECT * FROM ai.stored_vs_sql();
SELECT * FROM ai.report_check() WHERE model = 'custom';

-- Round 3: a touchpoint more than 20 years before the close.  Its time-decay
-- weight 2^(-d/7) is below 1e-300: it earns 0 and the refresh succeeds.
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.custom_model;
INSERT INTO touchpoint.custom_model VALUES ('FT', 22.5), ('LC', 22.5), ('OC', 22.5), ('Closed', 22.5);
INSERT INTO touchpoint.people VALUES ('old-1', 'acc-old', NULL);
INSERT INTO touchpoint.form_submits VALUES
 ('f-2001', 'b-old', NULL, '2001-03-01 10:00:00+00', NULL, 'old-1'),
 ('f-2025', 'b-old', NULL, '2025-03-01 10:00:00+00', NULL, 'old-1');
INSERT INTO touchpoint.opportunities VALUES ('o-old', 'acc-old', 1000, '2025-02-01 00:00:00+00', '2025-06-01 00:00:00+00', true);
SELECT mode, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
SELECT touchpoint_id, position, round(linear_pct, 9) AS linear_pct, round(time_decay_pct, 9) AS time_decay_pct,
       round(time_decay_revenue, 6) AS time_decay_revenue
FROM touchpoint.opportunity_touchpoints WHERE opportunity_id = 'o-old' ORDER BY touchpoint_id;

-- Round 4: two colleagues share a browser (one BizibleId), so both journeys
-- have a Web Visit of the same session: same date, kind and source_id.  The
-- credit must not depend on the order in which rows happen to be stored or
-- joined: the same touchpoint is FT whatever the storage order of the people
-- and the join method.
TRUNCATE touchpoint.form_submits, touchpoint.people, touchpoint.opportunities;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
 ('s-shared', 'b-shared', '2025-03-01 09:00:00+00', 'Paid Search');
INSERT INTO touchpoint.form_submits VALUES
 ('f-1', 'b-shared', NULL, '2025-03-05 10:00:00+00', NULL, 'colleague-1'),
 ('f-2', 'b-shared', NULL, '2025-03-06 10:00:00+00', NULL, 'colleague-2');
INSERT INTO touchpoint.opportunities VALUES ('o-shared', 'acc-shared', 1000, '2025-03-10 00:00:00+00', NULL, NULL);
SELECT mode, touchpoints FROM touchpoint.refresh();
SELECT touchpoint_id, source_kind, source_id, touchpoint_date FROM touchpoint.touchpoints
WHERE source_kind = 'visit' ORDER BY touchpoint_id;
ANALYZE touchpoint.touchpoints, touchpoint.opportunities;
CREATE INDEX ai_touchpoints_desc ON touchpoint.touchpoints (touchpoint_id DESC);
CREATE TABLE ai.ft_seen (variant text, ft text);
-- the FT under each join method, people stored in the given order
CREATE PROCEDURE ai.see_ft(variant text, people text[]) LANGUAGE plpgsql AS $$
DECLARE
    j text;
BEGIN
    TRUNCATE touchpoint.people;
    INSERT INTO touchpoint.people SELECT p, 'acc-shared', NULL FROM unnest(people) WITH ORDINALITY u(p, i) ORDER BY i;
    ANALYZE touchpoint.people;
    FOREACH j IN ARRAY ARRAY['default', 'enable_hashjoin', 'enable_nestloop', 'enable_mergejoin'] LOOP
        IF j <> 'default' THEN PERFORM set_config(j, 'off', true); END IF;
        INSERT INTO ai.ft_seen SELECT variant || ', ' || j || CASE WHEN j <> 'default' THEN ' = off' ELSE '' END,
                                      string_agg(touchpoint_id, ' ')
        FROM touchpoint.opportunity_touchpoints_live WHERE position LIKE 'FT%';
        IF j <> 'default' THEN PERFORM set_config(j, 'on', true); END IF;
    END LOOP;
END $$;
-- the touchpoints stored in one order, then in the other
CLUSTER touchpoint.touchpoints USING touchpoints_touchpoint_id_idx;
CALL ai.see_ft('touchpoints ascending, colleague-1 first', ARRAY['colleague-1', 'colleague-2']);
CALL ai.see_ft('touchpoints ascending, colleague-2 first', ARRAY['colleague-2', 'colleague-1']);
CLUSTER touchpoint.touchpoints USING ai_touchpoints_desc;
CALL ai.see_ft('touchpoints descending, colleague-1 first', ARRAY['colleague-1', 'colleague-2']);
CALL ai.see_ft('touchpoints descending, colleague-2 first', ARRAY['colleague-2', 'colleague-1']);
DROP INDEX touchpoint.ai_touchpoints_desc;
SELECT count(*) AS variants, count(DISTINCT ft) AS distinct_ft FROM ai.ft_seen;

-- the end: leave the tables empty, the shipped weights and the views refreshed
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.custom_model;
INSERT INTO touchpoint.custom_model VALUES ('FT', 22.5), ('LC', 22.5), ('OC', 22.5), ('Closed', 22.5);
SELECT mode, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
RESET timezone;
DROP SCHEMA ai CASCADE;
