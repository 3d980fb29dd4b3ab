-- journey: touchpoints, journeys and positions (docs/spec.md §5) on hand-made data,
-- starting with the source's "before and after" story of call tracking.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;

-- Before and after.  Two identical visitors: a Google ad click on March 1
-- (session *-ad), a call 10 minutes into it, and a demo-request form on
-- March 2 (session *-email).  For "before" the call-tracking vendor wrote no
-- task; for "after" it did.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, subchannel, source, medium, campaign, landing_page) VALUES
 ('before-ad',    'b0000000000000000000000000000001', '2026-03-01 09:00', 'Paid Search', 'Google', 'google', 'cpc', 'brand', 'https://example.com/pricing'),
 ('before-email', 'b0000000000000000000000000000001', '2026-03-02 10:00', 'Email', NULL, 'newsletter', 'email', 'march', 'https://example.com/demo'),
 ('after-ad',     'a0000000000000000000000000000002', '2026-03-01 09:00', 'Paid Search', 'Google', 'google', 'cpc', 'brand', 'https://example.com/pricing'),
 ('after-email',  'a0000000000000000000000000000002', '2026-03-02 10:00', 'Email', NULL, 'newsletter', 'email', 'march', 'https://example.com/demo');
INSERT INTO touchpoint.form_submits VALUES
 ('before-form', 'b0000000000000000000000000000001', NULL, '2026-03-02 10:05', 'https://example.com/demo', 'lead-before'),
 ('after-form',  'a0000000000000000000000000000002', NULL, '2026-03-02 10:05', 'https://example.com/demo', 'lead-after');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at) VALUES
 ('after-call', 'A0000000000000000000000000000002', 'Call', 'Inbound call (CallTrackingMetrics)', '+14155550134', NULL, '2026-03-01 09:10');

SELECT mode, touchpoints FROM touchpoint.refresh();
-- Before: the ad click is an anonymous first touch (FT), the form is the
-- lead creation (LC).  After: the call turns the ad session into the lead
-- creation (FT,LC, Paid Search) and the later form fill is PostLC.  The call
-- task had no WhoId: the form's person stitches it into the same journey.
SELECT journey_id, touchpoint_id, source_kind, touchpoint_type, touchpoint_date, channel, medium,
       position, is_first_touch, is_lead_creation, person_id
FROM touchpoint.touchpoints ORDER BY journey_id, touchpoint_date;

-- The second refresh is concurrent and returns the same rows.
SELECT mode, touchpoints FROM touchpoint.refresh();

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;

-- One touchpoint per session, made by its first conversion event; events at
-- the same instant go form, chat, call, then by id (bytewise).
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at, channel, medium) VALUES
 ('s-call-first', 'c1', '2026-04-01 09:00', NULL, 'Paid Social', 'paid-social'),
 ('s-same-instant', 'c2', '2026-04-01 09:00', NULL, 'Display', 'display'),
 ('s-chat-call', 'c3', '2026-04-01 09:00', NULL, 'Referral', 'referral'),
 ('s-two-forms', 'c4', '2026-04-01 09:00', NULL, 'Organic Search', 'organic'),
 ('s-named', 'c5', '2026-04-01 09:00', NULL, 'Email', 'email'),
 ('s-blank-call', 'c6', '2026-04-01 09:00', NULL, 'Paid Search', 'cpc');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at, is_deleted) VALUES
 ('k-call-first', 'c1', 'Inbound Call', 'p1', '2026-04-01 09:05', false),  -- before the form: defines the touchpoint
 ('k-same',       'c2', 'Call', 'p2', '2026-04-01 09:10', false),          -- same instant as a form and a chat
 ('k-chat-call',  'c3', 'Call', 'p3', '2026-04-01 09:10', false),          -- same instant as a chat
 ('k-blank',      'c6', '  ', 'p6', '2026-04-01 09:10', false),            -- blank type: Web Visit, medium from the session
 ('k-deleted',    'c1', 'Call', 'p1', '2026-04-01 09:01', true),           -- deleted: nothing
 ('k-no-id',      NULL, 'Call', 'p1', '2026-04-01 09:01', false),          -- no BizibleId: nothing
 ('k-unmerged',   'c1', 'Call', NULL, '2026-04-01 15:00', false);          -- 6 h later: a touchpoint of its own
INSERT INTO touchpoint.form_submits VALUES
 ('f-after-call', 'c1', NULL, '2026-04-01 09:20', 'https://example.com/trial', 'p1'),
 ('f-same',       'c2', NULL, '2026-04-01 09:10', 'https://example.com/a', 'p2'),
 ('F-b',          'c4', NULL, '2026-04-01 09:10', 'https://example.com/b', 'p4'),
 ('F-a',          'c4', NULL, '2026-04-01 09:10', 'https://example.com/c', 'p4'),
 ('F-B',          'c4', NULL, '2026-04-01 09:10', 'https://example.com/d', 'p4'),   -- 'F-B' < 'F-a' < 'F-b' bytewise: F-B wins
 ('f-explicit',   'c5', 's-named', '2026-04-03 12:00', 'https://example.com/e', 'p5'), -- names its session: placed there, days later
 ('f-unknown',    'c5', 's-does-not-exist', '2026-04-01 09:30', 'https://example.com/f', 'p5'); -- unknown session: Offline
INSERT INTO touchpoint.chats VALUES
 ('h-same',      'c2', NULL, '2026-04-01 09:10', 'p2'),
 ('h-chat-call', 'c3', NULL, '2026-04-01 09:10', 'p3'),
 ('h-late',      'c3', NULL, '2026-04-01 12:00', 'p3');   -- outside every window: Offline
SELECT mode FROM touchpoint.refresh();
SELECT touchpoint_id, session_id, source_kind, touchpoint_type, touchpoint_date, channel, medium, form_url,
       session_conversions, position
FROM touchpoint.touchpoints ORDER BY journey_id, touchpoint_date, touchpoint_id;
-- Every touchpoint without a session is Offline with no web data.
SELECT touchpoint_id, channel, subchannel, source, campaign, ad_content, keyword, landing_page, referrer_page
FROM touchpoint.touchpoints WHERE session_id IS NULL ORDER BY touchpoint_id;

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;

-- Journeys: stitching by person and BizibleId, anonymous journeys, the
-- first-touch Web Visit.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium) VALUES
 -- person p10 uses two browsers (two BizibleIds); the earliest session of either is the FT
 ('j-laptop-1', 'd1', '2026-05-01 08:00', 'Organic Search', 'organic'),
 ('j-phone-1',  'd2', '2026-04-28 20:00', 'Paid Social', 'paid-social'),
 ('j-laptop-2', 'd1', '2026-05-02 09:00', 'Paid Search', 'cpc'),
 -- an anonymous caller who never fills a form
 ('j-anon-1', 'd3', '2026-05-01 07:00', 'Display', 'display'),
 ('j-anon-2', 'd3', '2026-05-03 11:00', 'Paid Search', 'cpc'),
 -- a visitor who never converts: no touchpoints at all
 ('j-lurker', 'd4', '2026-05-01 10:00', 'Direct', NULL),
 -- a shared computer: two people convert on one BizibleId; both journeys get its first session as FT
 ('j-shared-0', 'd5', '2026-05-01 06:00', 'Referral', 'referral'),
 ('j-shared-1', 'd5', '2026-05-02 10:00', 'Email', 'email'),
 ('j-shared-2', 'd5', '2026-05-03 10:00', 'Email', 'email'),
 -- the earliest session holds the first conversion itself: no separate FT visit
 ('j-direct-1', 'd6', '2026-05-01 09:00', 'Direct', NULL),
 -- the earliest session starts at the very instant of the first conversion elsewhere: no FT visit
 ('j-tie-0', 'd7', '2026-05-01 09:00', 'Organic Search', 'organic');
INSERT INTO touchpoint.form_submits VALUES
 ('g-laptop', 'd1', NULL, '2026-05-02 09:05', 'https://example.com/demo', 'p10'),
 ('g-shared-a', 'd5', NULL, '2026-05-02 10:05', 'https://example.com/a', 'p20'),
 ('g-shared-b', 'd5', NULL, '2026-05-03 10:05', 'https://example.com/b', 'p21'),
 ('g-direct', 'd6', NULL, '2026-05-01 09:01', 'https://example.com/c', 'p30'),
 ('g-tie', 'd7', 'j-unknown', '2026-05-01 09:00', 'https://example.com/t', 'p40');
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 -- no WhoId; the phone browser's BizibleId names no person; a later call on d2 with WhoId p10 stitches it
 ('m-phone', 'd2', 'Call', NULL, '2026-04-28 20:10'),
 ('m-phone-2', 'd2', 'Call', 'p10', '2026-05-05 12:00'),
 ('m-anon', 'd3', 'Call', NULL, '2026-05-03 11:05'),
 ('m-anon-late', 'd3', NULL, NULL, '2026-05-04 11:05');
SELECT mode FROM touchpoint.refresh();
SELECT journey_id, person_id, touchpoint_id, bizible_id, session_id, touchpoint_type, touchpoint_date,
       position, is_first_touch, is_lead_creation
FROM touchpoint.touchpoints ORDER BY journey_id, touchpoint_date, touchpoint_id;
-- the lurker has no touchpoint
SELECT count(*) AS lurker_touchpoints FROM touchpoint.touchpoints WHERE bizible_id = 'd4';
-- every journey has exactly one FT and one LC
SELECT journey_id, count(*) FILTER (WHERE is_first_touch) AS ft, count(*) FILTER (WHERE is_lead_creation) AS lc
FROM touchpoint.touchpoints GROUP BY journey_id HAVING count(*) FILTER (WHERE is_first_touch) <> 1
    OR count(*) FILTER (WHERE is_lead_creation) <> 1;

-- The materialized view equals its definition after a refresh.
SELECT count(*) AS differences FROM (
    (SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)
    UNION ALL
    (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
-- A task synced late, for a call 5 minutes before m-phone in the same
-- session, becomes that session's touchpoint and so the new LC; m-phone is
-- now a second conversion of the session.  Until the next refresh the view
-- keeps the old rows.
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
 ('m-late-sync', 'd2', 'Inbound Call', NULL, '2026-04-28 20:05');
SELECT touchpoint_id, position, session_conversions FROM touchpoint.touchpoints WHERE journey_id = 'p10' ORDER BY touchpoint_date;
SELECT mode FROM touchpoint.refresh();
SELECT touchpoint_id, position, session_conversions FROM touchpoint.touchpoints WHERE journey_id = 'p10' ORDER BY touchpoint_date;

-- The columns BI tools read.
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type
FROM pg_attribute WHERE attrelid = 'touchpoint.touchpoints'::regclass AND attnum > 0 ORDER BY attnum;

-- Scheduling needs pg_cron in this database; the error says how to get it
-- (the test cluster runs pg_cron from database postgres: see the cron test).
\set SHOW_CONTEXT never
SELECT touchpoint.schedule_refresh();
SELECT touchpoint.unschedule_refresh();
SELECT touchpoint.schedule_refresh(NULL);
\set SHOW_CONTEXT errors

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;
SELECT mode, touchpoints FROM touchpoint.refresh();
