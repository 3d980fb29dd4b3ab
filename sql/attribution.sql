-- attribution: opportunity positions and every model of docs/spec.md §6 on journeys
-- small enough to compute by hand, the custom model's weights, the reports
-- and the touchpoint_reader role.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules;

INSERT INTO touchpoint.people VALUES
 ('a1', 'ACME', 'ann@acme.example'),
 ('b1', 'BETA', 'bob@beta.example'),
 ('c1', 'CORP', 'cy@corp.example'), ('c2', 'CORP', 'cat@corp.example'),
 ('d1', 'DELTA', 'dee@delta.example'), ('d2', 'DELTA', 'dan@delta.example'),
 ('x1', NULL, 'loner@example');
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium) VALUES
 -- ACME: an ad click on Jan 1, a demo form exactly 7 days later
 ('a-s1', 'ba1', '2026-01-01 09:00', 'Paid Search', 'cpc'),
 ('a-s2', 'ba1', '2026-01-08 08:55', 'Email', 'email'),
 -- BETA: one form, nothing before
 ('b-s1', 'bb1', '2026-02-01 10:00', 'Organic Search', 'organic'),
 -- CORP: two people
 ('c-s1', 'bc1', '2026-03-01 09:00', 'Paid Social', 'paid-social'),
 ('c-s2', 'bc1', '2026-03-03 09:00', 'Paid Search', 'cpc'),
 ('c-s3', 'bc1', '2026-03-06 09:00', 'Display', 'display'),
 ('c-s4', 'bc1', '2026-03-20 09:00', 'Email', 'email'),
 ('c-s5', 'bc2', '2026-03-04 09:00', 'Referral', 'referral'),
 ('c-s6', 'bc2', '2026-03-05 09:00', 'Organic Search', 'organic'),
 -- DELTA: two anonymous first visits; the leads are created after the close
 ('d-s1', 'bd1', '2026-04-01 09:00', 'Paid Search', 'cpc'),
 ('d-s2', 'bd2', '2026-04-02 09:00', 'Display', 'display'),
 ('d-s3', 'bd1', '2026-04-10 09:00', 'Email', 'email'),
 ('d-s4', 'bd2', '2026-04-12 09:00', 'Email', 'email');
INSERT INTO touchpoint.form_submits VALUES
 ('a-f1', 'ba1', NULL, '2026-01-08 09:00', 'https://example.com/demo', 'a1'),
 ('b-f1', 'bb1', NULL, '2026-02-01 10:05', 'https://example.com/demo', 'b1'),
 ('c-f1', 'bc1', NULL, '2026-03-03 09:05', 'https://example.com/pricing', 'c1'),
 ('c-f2', 'bc1', NULL, '2026-03-20 09:05', 'https://example.com/demo', 'c1'),
 ('d-f1', 'bd1', NULL, '2026-04-10 09:05', 'https://example.com/demo', 'd1'),
 ('d-f2', 'bd2', NULL, '2026-04-12 09:05', 'https://example.com/demo', 'd2');
INSERT INTO touchpoint.chats VALUES
 ('c-h1', 'bc2', NULL, '2026-03-05 09:05', 'c2');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 ('c-k1', 'bc1', 'Inbound Call', NULL, '2026-03-06 09:05');
INSERT INTO touchpoint.opportunities VALUES
 ('o-two',    'ACME',  1000, '2026-01-10', '2026-01-15', true),   -- two touchpoints
 ('o-one',    'BETA',   500, '2026-02-02', '2026-02-03', false),  -- one touchpoint, lost
 ('o-closed', 'CORP',  3000, '2026-03-07', '2026-03-10', true),   -- two people, a middle visit, a touchpoint after the close
 ('o-open',   'CORP',  2000, '2026-03-15', NULL, NULL),           -- open: Pending on the newest
 ('o-no-lc',  'DELTA',  900, '2026-04-03', '2026-04-05', true),   -- every lead creation comes after the close
 ('o-empty',  'EMPTY',  700, '2026-05-01', NULL, NULL);           -- nobody: no touchpoints, no rows
SELECT touchpoints, opportunity_touchpoints FROM touchpoint.refresh();

-- The touchpoints of the people (journeys and their own positions).
SELECT person_id, touchpoint_id, touchpoint_type, touchpoint_date, channel, position
FROM touchpoint.touchpoints ORDER BY person_id, touchpoint_date;

-- Positions per opportunity: FT the earliest, LC the earliest lead creation,
-- OC the last at or before creation, Closed the last at or before the close
-- (Pending, on the newest, while open); '' for the middle.
SELECT opportunity_id, touchpoint_id, touchpoint_date, position
FROM touchpoint.opportunity_touchpoints ORDER BY opportunity_id, touchpoint_date;

-- Every model's percentages.
SELECT opportunity_id, touchpoint_id, position,
       first_touch_pct AS ft, lead_creation_pct AS lc, u_shaped_pct AS u, w_shaped_pct AS w,
       full_path_pct AS fp, linear_pct AS lin, time_decay_pct AS td, custom_pct AS cus
FROM touchpoint.opportunity_touchpoints ORDER BY opportunity_id, touchpoint_date;
-- o-two:    U 50/50 (no middle); W 30 vs 60 -> 33.3/66.7 (the missing middle
--           spread in proportion); full path 22.5 vs 67.5 + 10 spread -> 25/75;
--           time decay: the form is exactly 7 days later -> weights 1/4 and
--           1/2 of the close -> 33.3/66.7.
-- o-closed: the visit of c2 in the middle earns nothing in U/W/full/custom;
--           the chat (a middle conversion before OC) takes W's and full
--           path's 10; the call is OC and Closed.
-- o-open:   the late form is Pending (22.5 in full path); linear 100/6.
-- o-no-lc:  no LC before the close: lead creation falls back to linear.

-- Each model sums to exactly 100 and its revenue to exactly the amount.
SELECT ot.opportunity_id, o.amount,
       sum(first_touch_pct) AS ft, sum(lead_creation_pct) AS lc, sum(u_shaped_pct) AS u,
       sum(w_shaped_pct) AS w, sum(full_path_pct) AS fp, sum(linear_pct) AS lin,
       sum(time_decay_pct) AS td, sum(custom_pct) AS cus,
       sum(first_touch_revenue) = o.amount AND sum(lead_creation_revenue) = o.amount
       AND sum(u_shaped_revenue) = o.amount AND sum(w_shaped_revenue) = o.amount
       AND sum(full_path_revenue) = o.amount AND sum(linear_revenue) = o.amount
       AND sum(time_decay_revenue) = o.amount AND sum(custom_revenue) = o.amount AS revenue_sums_to_amount
FROM touchpoint.opportunity_touchpoints ot JOIN touchpoint.opportunities o USING (opportunity_id)
GROUP BY ot.opportunity_id, o.amount ORDER BY 1;
-- revenue = amount x credit / 100, not rounded
SELECT opportunity_id, touchpoint_id, w_shaped_pct, w_shaped_revenue
FROM touchpoint.opportunity_touchpoints WHERE opportunity_id = 'o-two' ORDER BY touchpoint_date;

-- The custom model takes its weights from touchpoint.custom_model.
UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'FT' THEN 10 WHEN 'LC' THEN 35
                                                          WHEN 'OC' THEN 20.5 ELSE 24.5 END;
SELECT mode FROM touchpoint.refresh();
SELECT opportunity_id, touchpoint_id, position, custom_pct
FROM touchpoint.opportunity_touchpoints WHERE opportunity_id IN ('o-closed', 'o-open')
ORDER BY opportunity_id, touchpoint_date;
-- weights that do not leave exactly 10 to the middle are refused
UPDATE touchpoint.custom_model SET weight = 25 WHERE position = 'FT';
\set SHOW_CONTEXT never
SELECT mode FROM touchpoint.refresh();
DELETE FROM touchpoint.custom_model WHERE position = 'OC';
SELECT mode FROM touchpoint.refresh();
\set SHOW_CONTEXT errors
INSERT INTO touchpoint.custom_model VALUES ('Middle', 10);
-- an insert of an existing position updates it (so a restored dump keeps the user's weights)
INSERT INTO touchpoint.custom_model VALUES ('OC', 22.5);
INSERT INTO touchpoint.custom_model VALUES ('FT', 22.5);
SELECT position, weight FROM touchpoint.custom_model ORDER BY array_position(ARRAY['FT', 'LC', 'OC', 'Closed'], position);
UPDATE touchpoint.custom_model SET weight = 22.5;

-- The channel report: one row per channel, subchannel and touchpoint type.
SELECT mode FROM touchpoint.refresh();
SELECT channel, subchannel, touchpoint_type, touchpoints, phone_calls, leads_created, opportunities_touched,
       round(first_touch_revenue, 4) AS ft_rev, round(first_touch_pipeline, 4) AS ft_pipe,
       round(w_shaped_revenue, 4) AS w_rev, round(w_shaped_pipeline, 4) AS w_pipe,
       round(full_path_pipeline, 4) AS fp_pipe
FROM touchpoint.channel_report ORDER BY channel, subchannel, touchpoint_type;
-- Won revenue sums to the won amounts with touchpoints (1000 + 3000 + 900),
-- pipeline to every opportunity with touchpoints (+ 500 lost + 2000 open).
SELECT sum(first_touch_revenue) AS ft, sum(lead_creation_revenue) AS lc, sum(u_shaped_revenue) AS u,
       sum(w_shaped_revenue) AS w, sum(full_path_revenue) AS fp, sum(linear_revenue) AS lin,
       sum(time_decay_revenue) AS td, sum(custom_revenue) AS cus
FROM touchpoint.channel_report;
SELECT sum(first_touch_pipeline) AS ft, sum(lead_creation_pipeline) AS lc, sum(u_shaped_pipeline) AS u,
       sum(w_shaped_pipeline) AS w, sum(full_path_pipeline) AS fp, sum(linear_pipeline) AS lin,
       sum(time_decay_pipeline) AS td, sum(custom_pipeline) AS cus
FROM touchpoint.channel_report;
-- The report reads only what the last refresh computed: an opportunity won
-- since then changes it at the next refresh, not half-way.
UPDATE touchpoint.opportunities SET closed_at = '2026-03-21', is_won = true WHERE opportunity_id = 'o-open';
SELECT sum(first_touch_revenue) AS won_before_refresh FROM touchpoint.channel_report;
SELECT mode FROM touchpoint.refresh();
SELECT sum(first_touch_revenue) AS won_after_refresh FROM touchpoint.channel_report;
SELECT position FROM touchpoint.opportunity_touchpoints WHERE opportunity_id = 'o-open' AND position LIKE '%Closed%';
UPDATE touchpoint.opportunities SET closed_at = NULL, is_won = NULL WHERE opportunity_id = 'o-open';
SELECT mode FROM touchpoint.refresh();
-- the report's columns
SELECT attname FROM pg_attribute WHERE attrelid = 'touchpoint.channel_report'::regclass AND attnum > 0 ORDER BY attnum;
SELECT attname FROM pg_attribute WHERE attrelid = 'touchpoint.opportunity_touchpoints'::regclass AND attnum > 0 ORDER BY attnum;

-- touchpoint_reader: exactly the SELECT the reports need.
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'touchpoint_reader';
SELECT c.relname, has_table_privilege('touchpoint_reader', c.oid, 'SELECT') AS can_select
FROM pg_class c WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
ORDER BY c.relname;
CREATE ROLE regress_tp_bi LOGIN IN ROLE touchpoint_reader;
SET ROLE regress_tp_bi;
SELECT count(*) > 0 AS reads_report FROM touchpoint.channel_report;
SELECT count(*) > 0 AS reads_touchpoints FROM touchpoint.touchpoints;
SELECT count(*) > 0 AS reads_credit FROM touchpoint.opportunity_touchpoints;
SELECT count(*) FROM touchpoint.opportunities;
SELECT count(*) FROM touchpoint.sessions;
\set SHOW_CONTEXT never
SELECT mode FROM touchpoint.refresh();
\set SHOW_CONTEXT errors
RESET ROLE;
DROP ROLE regress_tp_bi;

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities;
SELECT mode, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
