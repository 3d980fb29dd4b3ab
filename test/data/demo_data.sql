-- touchpoint demo data: web sessions, call-tracking tasks, form fills,
-- chats, people, accounts and opportunities for a fictional B2B software
-- company (www.example.com), 2024-09-02 .. 2024-10-31 (calls and
-- opportunities run on into the following weeks).
--
-- Load it into a fresh database after CREATE EXTENSION touchpoint:
--     psql -v ON_ERROR_STOP=1 -f test/data/demo_data.sql
-- then SELECT touchpoint.refresh() to build touchpoint.touchpoints and
-- touchpoint.opportunity_touchpoints.  `bash test/demo.sh` does exactly that.
-- Plain SQL, deterministic (setseed, and md5 of stable keys), loads in about
-- a second.  It inserts into touchpoint.sessions, tasks, form_submits, chats,
-- people, opportunities and channel_rules, and sets the weights of
-- touchpoint.custom_model; it deletes nothing, so load it once.
--
-- What is in it:
--   * 5,000 visitors, each with a BizibleId cookie (32 hex digits, from md5);
--     4,600 of them browsed the site: ~15,000 web sessions over 60 days from
--     Paid Search (google/bing cpc), Organic Search, Paid Social (linkedin,
--     facebook), Email, Display, Referral, Direct (no tracking data) and 5 %
--     whose channel the web tracking did not set: UTM tags and referrers for
--     the channel rules (below), a podcast no rule knows (Other), and visits
--     without tracking data (Direct).  The other 400 only ever called (their
--     cookie came from a page the web tracking did not cover).
--   * ~2,000 CRM tasks written by CallTrackingMetrics, CallRail and Invoca:
--     most calls come minutes after a session of the same visitor started,
--     some hours or days later, a few before the visit; some carry a
--     BizibleId with no session at all, some none (NULL, '' or spaces), some
--     an upper-case or space-padded BizibleId, some a blank type; a few are
--     deleted in the CRM.
--   * ~1,000 form fills (form_submits) on the demo-request, pricing quote,
--     whitepaper, contact-us and webinar forms: most without session_id
--     (placed in their session by the window rule, like calls), some with
--     an explicit session_id, a few naming a session that does not exist;
--     some with no session covering them.  person_id is the visitor's
--     Salesforce lead (00Q) or contact (003), the WhoId their call tasks
--     carry; a visitor whose calls have no WhoId becomes a lead by filling a
--     form, and the calls are stitched to that person.  Some visitors fill a
--     second form in the same session.
--   * ~250 Drift chats, half of them without an email (person_id NULL).
--   * "Before and after": 60 visitors whose first conversion is a call merged
--     with an ad click and who fill a form days later (the call is the lead
--     creation, the form PostLC); many visitors browse anonymously before
--     their first conversion (a first-touch Web Visit).
--   * Hand-written showcase tasks 00T5e0000DEMO01EAS .. DEMO09, among them
--     the example of the Marketo Measure documentation: an ad click starts a
--     session at 12:17 and the visitor calls at 13:05 (48 min later, outside
--     the 30-minute window); and three journeys: DEMO01's (that call is an
--     Offline lead creation, a pricing quote follows), contact
--     0035e0000DEMO02QAC's before and after (an anonymous organic visit, a
--     LinkedIn ad click with a call, a demo request a week later) and an
--     anonymous caller, DEMO08 (a Facebook ad visit, a brand-ad call without
--     WhoId, a chat without email).
--   * Attribution: touchpoint.people for every lead (00Q) and contact (003)
--     the tasks, form fills and chats name (~1,900), with an email; all
--     contacts and ~30 % of the leads belong to one of ~300 accounts (001) of
--     1 to 6 people, the other leads to none.  ~250 opportunities (006) on
--     those accounts, created 3 to 45 days after the account's first lead
--     creation (some accounts have a second one later), amounts 5,000 to
--     250,000 with cents; ~60 % closed (about half won, half lost), the rest
--     open; people keep converting after a close, so some opportunities have
--     touchpoints after it.  12 channel rules (Paid Search Google/Bing,
--     Paid Social LinkedIn/Facebook, Display, Events by campaign and landing
--     page, Email, Organic Search and Referral by referrer; no catch-all, so
--     Other and Direct remain) and custom-model weights FT 15, LC 35, OC 30,
--     Closed 10.  Showcase: opportunity 0065e0000DEMO02AAQ of Harborview
--     Freight (contact DEMO02 and her colleague DEMO09), won, whose lead
--     creation is DEMO02's call.
--
-- Times are generated as local times in America/Los_Angeles (the company's
-- office) and stored as timestamptz; set `timezone` to that zone to see them
-- as written here.

BEGIN;

SET LOCAL max_parallel_workers_per_gather = 0;   -- keep random() in one process, in order
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'America/Los_Angeles';      -- date arithmetic in local days, whatever the caller's zone

DO $$ BEGIN PERFORM setseed(0.2024); END $$;

-- ---------------------------------------------------------------------------
-- Visitors: 5,000 BizibleIds; the first 4,600 browsed the site.
-- Every random() is drawn in a single scan over generate_series, so the data
-- is the same on every run.
CREATE TEMP TABLE demo_visitors ON COMMIT DROP AS
SELECT v,
       md5('touchpoint-demo-visitor-' || v) AS bizible_id,
       CASE WHEN v <= 4600 THEN 1 + floor(8 * random() ^ 2)::int ELSE 0 END AS n_sessions,
       random() AS r_person,
       random() AS r_area,
       random() AS r_line
FROM generate_series(1, 5000) AS v;

ALTER TABLE demo_visitors
    ADD COLUMN person_id text,
    ADD COLUMN phone text;
UPDATE demo_visitors SET
    -- the caller's Salesforce WhoId: a lead (00Q), a contact (003), or none
    person_id = CASE WHEN r_person < 0.55 THEN '00Q5e0000' || lpad(v::text, 6, '0') || 'IAK'
                     WHEN r_person < 0.88 THEN '0035e0000' || lpad(v::text, 6, '0') || 'QAC'
                END,
    -- E.164, in the 555-0100..0199 range reserved for fiction
    phone = '+1' || (ARRAY['415','628','650','408','212','646','312','512','617','206','303','404'])
                    [1 + floor(r_area * 12)::int]
                 || '5550' || (100 + floor(r_line * 100)::int)::text;

-- ---------------------------------------------------------------------------
-- Where sessions come from: channel, subchannel, source, medium, campaign,
-- ad_content, keyword, landing page, referrer.  pick is the template's place
-- in its channel; share is the channel's share of all sessions.
CREATE TEMP TABLE demo_templates (
    channel text, pick int, subchannel text, source text, medium text, campaign text,
    ad_content text, keyword text, landing_page text, referrer_page text
) ON COMMIT DROP;
INSERT INTO demo_templates VALUES
 ('Paid Search', 0, 'Google', 'google', 'cpc', 'Brand - US', 'Acme Signal | Official Site', 'acme signal', 'https://www.example.com/', 'https://www.google.com/'),
 ('Paid Search', 1, 'Google', 'google', 'cpc', 'Call Tracking Software - Exact', 'Track Every Call to Its Campaign', 'call tracking software', 'https://www.example.com/lp/call-tracking', 'https://www.google.com/'),
 ('Paid Search', 2, 'Google', 'google', 'cpc', 'Call Tracking Software - Exact', 'Salesforce Call Attribution in Minutes', 'call tracking for salesforce', 'https://www.example.com/lp/call-tracking-salesforce', 'https://www.google.com/'),
 ('Paid Search', 3, 'Google', 'google', 'cpc', 'Competitor - CallRail', 'The CallRail Alternative Built for B2B', 'callrail alternative', 'https://www.example.com/compare/callrail', 'https://www.google.com/'),
 ('Paid Search', 4, 'Google', 'google', 'cpc', 'Attribution Software - Broad', 'Multi-Touch Attribution for B2B Teams', 'b2b marketing attribution', 'https://www.example.com/lp/attribution', 'https://www.google.com/'),
 ('Paid Search', 5, 'Bing', 'bing', 'cpc', 'Brand - US', 'Acme Signal | Official Site', 'acme signal', 'https://www.example.com/', 'https://www.bing.com/'),
 ('Paid Search', 6, 'Bing', 'bing', 'cpc', 'Call Tracking Software - Exact', 'Track Every Call to Its Campaign', 'call tracking software', 'https://www.example.com/lp/call-tracking', 'https://www.bing.com/'),
 ('Organic Search', 0, 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://www.example.com/blog/what-is-call-tracking', 'https://www.google.com/'),
 ('Organic Search', 1, 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://www.example.com/blog/b2b-attribution-models-explained', 'https://www.google.com/'),
 ('Organic Search', 2, 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://www.example.com/', 'https://www.google.com/'),
 ('Organic Search', 3, 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://www.example.com/pricing', 'https://www.google.com/'),
 ('Organic Search', 4, 'Bing', 'bing', 'organic', NULL, NULL, NULL, 'https://www.example.com/blog/what-is-call-tracking', 'https://www.bing.com/'),
 ('Organic Search', 5, 'DuckDuckGo', 'duckduckgo', 'organic', NULL, NULL, NULL, 'https://www.example.com/', 'https://duckduckgo.com/'),
 ('Paid Social', 0, 'LinkedIn', 'linkedin', 'paid_social', 'ABM - Enterprise Accounts Q3', 'Carousel - Customer Stories', NULL, 'https://www.example.com/lp/demo', 'https://www.linkedin.com/'),
 ('Paid Social', 1, 'LinkedIn', 'linkedin', 'paid_social', 'Webinar - Attribution 101', 'Single Image - Register Now', NULL, 'https://www.example.com/webinars/attribution-101', 'https://www.linkedin.com/'),
 ('Paid Social', 2, 'Facebook', 'facebook', 'cpc', 'Retargeting - Pricing Visitors', 'Video - 30s Product Tour', NULL, 'https://www.example.com/lp/demo', 'https://www.facebook.com/'),
 ('Paid Social', 3, 'Facebook', 'facebook', 'cpc', 'Prospecting - Marketing Ops Lookalike', 'Single Image - Free Trial', NULL, 'https://www.example.com/lp/free-trial', 'https://l.facebook.com/'),
 ('Email', 0, 'Newsletter', 'marketo', 'email', 'Newsletter - September 2024', 'Header CTA', NULL, 'https://www.example.com/blog/what-is-call-tracking', NULL),
 ('Email', 1, 'Newsletter', 'marketo', 'email', 'Newsletter - October 2024', 'Header CTA', NULL, 'https://www.example.com/blog/b2b-attribution-models-explained', NULL),
 ('Email', 2, 'Nurture', 'marketo', 'email', 'Nurture - Trial Day 3', 'Book a Demo Button', NULL, 'https://www.example.com/demo', NULL),
 ('Email', 3, 'Nurture', 'marketo', 'email', 'Webinar Invite - Attribution 101', 'Register Button', NULL, 'https://www.example.com/webinars/attribution-101', NULL),
 ('Display', 0, 'Retargeting', 'google', 'display', 'Retargeting - Display', '300x250 - Pricing', NULL, 'https://www.example.com/pricing', 'https://googleads.g.doubleclick.net/'),
 ('Display', 1, 'Prospecting', 'google', 'display', 'Prospecting - In-Market Marketing Software', '728x90 - Product Tour', NULL, 'https://www.example.com/lp/demo', 'https://googleads.g.doubleclick.net/'),
 ('Referral', 0, 'Review Sites', 'g2.com', 'referral', NULL, NULL, NULL, 'https://www.example.com/', 'https://www.g2.com/products/acme-signal/reviews'),
 ('Referral', 1, 'Review Sites', 'capterra.com', 'referral', NULL, NULL, NULL, 'https://www.example.com/pricing', 'https://www.capterra.com/p/210934/Acme-Signal/'),
 ('Referral', 2, 'Partners', 'appexchange.salesforce.com', 'referral', NULL, NULL, NULL, 'https://www.example.com/integrations/salesforce', 'https://appexchange.salesforce.com/'),
 ('Direct', 0, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/', NULL),
 ('Direct', 1, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/pricing', NULL),
 ('Direct', 2, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/demo', NULL),
 ('Direct', 3, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/login', NULL),
 -- channel not set (the web tracking left it to touchpoint.channel_rules):
 -- UTM tags the rules know, a podcast they do not (Other), and sessions with
 -- no tracking data at all (Direct unless a landing-page rule matches)
 (NULL, 0, NULL, 'revops-weekly', 'newsletter', 'Co-marketing - RevOps Weekly', 'Sponsored Slot', NULL, 'https://www.example.com/lp/attribution', NULL),
 (NULL, 1, NULL, 'qr', 'print', 'Event - SaaStr 2024 Booth', NULL, NULL, 'https://www.example.com/events/saastr', NULL),
 (NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/blog/what-is-call-tracking', NULL),
 (NULL, 3, NULL, 'google', 'cpc', 'Call Tracking Software - Exact', 'Track Every Call to Its Campaign', 'call tracking software', 'https://www.example.com/lp/call-tracking', 'https://www.google.com/'),
 (NULL, 4, NULL, 'Bing', 'PPC', 'Brand - US', 'Acme Signal | Official Site', 'acme signal', 'https://www.example.com/', 'https://www.bing.com/'),
 (NULL, 5, NULL, 'linkedin', 'paid-social', 'ABM - Enterprise Accounts Q4', 'Document Ad - Attribution Guide', NULL, 'https://www.example.com/lp/demo', 'https://www.linkedin.com/'),
 (NULL, 6, NULL, 'fb', 'cpc', 'Retargeting - Pricing Visitors', 'Video - 30s Product Tour', NULL, 'https://www.example.com/lp/demo', 'https://m.facebook.com/'),
 (NULL, 7, NULL, 'hubspot', 'email', 'Nurture - Trial Day 7', 'Talk to Sales Button', NULL, 'https://www.example.com/demo', NULL),
 (NULL, 8, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/', 'https://www.g2.com/categories/call-tracking'),
 (NULL, 9, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/blog/b2b-attribution-models-explained', 'https://www.google.com/'),
 (NULL, 10, NULL, 'zoom', 'webinar', 'Webinar - Attribution 101', NULL, NULL, 'https://www.example.com/webinars/attribution-101', NULL),
 (NULL, 11, NULL, 'revenue-rebels', 'audio', 'Podcast - Revenue Rebels S2', 'Host Read', NULL, 'https://www.example.com/podcast', NULL),
 (NULL, 12, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/events/saastr', NULL),
 (NULL, 13, NULL, NULL, NULL, NULL, NULL, NULL, 'https://www.example.com/pricing', NULL),
 (NULL, 14, NULL, 'adroll', 'display', 'Retargeting - AdRoll Pricing', '300x600 - Customer Logos', NULL, 'https://www.example.com/pricing', 'https://www.adroll.com/');

CREATE TEMP TABLE demo_channels ON COMMIT DROP AS
SELECT c.channel, c.lo, c.hi, (SELECT count(*) FROM demo_templates t
                               WHERE t.channel IS NOT DISTINCT FROM c.channel) AS n_templates
FROM (VALUES ('Paid Search', 0.00, 0.22), ('Organic Search', 0.22, 0.46),
             ('Paid Social', 0.46, 0.56), ('Email', 0.56, 0.64), ('Display', 0.64, 0.69),
             ('Referral', 0.69, 0.76), ('Direct', 0.76, 0.95), (NULL, 0.95, 1.00))
     AS c(channel, lo, hi);

-- ---------------------------------------------------------------------------
-- Sessions: n_sessions per visitor, at random days, mostly in office hours.
CREATE TEMP TABLE demo_session_draws ON COMMIT DROP AS
SELECT v.v, v.bizible_id, k,
       random() AS r_day, random() AS r_h1, random() AS r_h2,
       random() AS r_channel, random() AS r_template, random() AS r_length
FROM demo_visitors v, generate_series(1, v.n_sessions) AS k;

CREATE TEMP TABLE demo_sessions ON COMMIT DROP AS
SELECT d.v, d.bizible_id,
       date_trunc('second',
           (date '2024-09-02' + floor(d.r_day * 60)::int
            + interval '6 hours' + (d.r_h1 + d.r_h2) / 2 * interval '15 hours')
           AT TIME ZONE 'America/Los_Angeles') AS started_at,
       d.r_length, t.*
FROM demo_session_draws d
JOIN demo_channels c ON d.r_channel >= c.lo AND d.r_channel < c.hi
JOIN demo_templates t ON t.channel IS NOT DISTINCT FROM c.channel
                     AND t.pick = floor(d.r_template * c.n_templates)::int;

INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page)
SELECT 'sess_' || lpad(row_number() OVER (ORDER BY started_at, bizible_id)::text, 6, '0'),
       bizible_id, started_at,
       CASE WHEN r_length < 0.06 THEN NULL                                 -- one page, no activity recorded
            WHEN r_length < 0.86 THEN started_at + date_trunc('second',   -- a few minutes
                 (0.5 + (r_length - 0.06) / 0.80 * 24) * interval '1 minute')
            ELSE started_at + date_trunc('second',                         -- a long visit, up to 2 h
                 (25 + (r_length - 0.86) / 0.14 * 95) * interval '1 minute')
       END,
       channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page
FROM demo_sessions;

-- The sessions numbered in order, for tasks to pick one.
CREATE TEMP TABLE demo_session_index ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY s.session_id) AS n, s.session_id, s.started_at, v.v
FROM touchpoint.sessions s
JOIN demo_visitors v USING (bizible_id);

-- ---------------------------------------------------------------------------
-- Tasks: 2,000 calls.  kind decides how the call relates to the web data:
--   in_window  a few seconds to 29 minutes after a session started  (74 %)
--   later      31 minutes to 20 days after a session started        (12 %)
--   before     2 to 90 minutes before a session started              (2 %)
--   untracked  a visitor who never browsed the tracked site          (7 %)
--   no_id      the vendor did not fill the BizibleId                 (5 %)
CREATE TEMP TABLE demo_task_draws ON COMMIT DROP AS
SELECT t, random() AS r_kind, random() AS r_pick, random() AS r_delay, random() AS r_delay2,
       random() AS r_vendor, random() AS r_format, random() AS r_type, random() AS r_deleted
FROM generate_series(1, 2000) AS t;

CREATE TEMP TABLE demo_tasks ON COMMIT DROP AS
SELECT d.*,
       CASE WHEN d.r_kind < 0.74 THEN 'in_window'
            WHEN d.r_kind < 0.86 THEN 'later'
            WHEN d.r_kind < 0.88 THEN 'before'
            WHEN d.r_kind < 0.95 THEN 'untracked'
            ELSE 'no_id' END AS kind,
       CASE WHEN d.r_vendor < 0.60 THEN 'CallTrackingMetrics'
            WHEN d.r_vendor < 0.85 THEN 'CallRail'
            ELSE 'Invoca' END AS vendor
FROM demo_task_draws d;

CREATE TEMP TABLE demo_task_rows ON COMMIT DROP AS
SELECT k.t, k.kind, k.vendor, k.r_format, k.r_type, k.r_deleted, vis.person_id, vis.phone,
       vis.bizible_id,
       date_trunc('second', CASE k.kind
           WHEN 'in_window' THEN s.started_at + interval '20 seconds' + k.r_delay * interval '28 minutes 30 seconds'
           WHEN 'later' THEN s.started_at + CASE
                WHEN k.r_delay2 < 0.40 THEN interval '31 minutes' + k.r_delay * interval '150 minutes'
                WHEN k.r_delay2 < 0.80 THEN interval '3 hours' + k.r_delay * interval '21 hours'
                ELSE interval '1 day' + k.r_delay * interval '19 days' END
           WHEN 'before' THEN s.started_at - interval '2 minutes' - k.r_delay * interval '88 minutes'
           -- calls with no web session to relate to: any office hour of the 60 days
           ELSE (date '2024-09-02' + floor(k.r_delay * 60)::int + interval '8 hours'
                 + k.r_delay2 * interval '10 hours') AT TIME ZONE 'America/Los_Angeles'
       END) AS occurred_at
FROM demo_tasks k
LEFT JOIN demo_session_index s
       ON k.kind IN ('in_window', 'later', 'before')
      AND s.n = 1 + floor(k.r_pick * (SELECT count(*) FROM demo_session_index))::int
JOIN demo_visitors vis
       ON vis.v = CASE WHEN k.kind IN ('in_window', 'later', 'before')
                           THEN s.v
                       WHEN k.kind = 'untracked' THEN 4601 + floor(k.r_pick * 400)::int
                       ELSE 1 + floor(k.r_pick * 5000)::int END;

INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted)
SELECT '00T5e0000' || lpad(row_number() OVER (ORDER BY occurred_at, t)::text, 6, '0') || 'EAS',
       CASE WHEN kind = 'no_id' THEN                     -- the vendor left BizibleId empty
                 CASE WHEN r_format < 0.5 THEN NULL WHEN r_format < 0.8 THEN '' ELSE '   ' END
            WHEN r_format < 0.04 THEN upper(bizible_id)     -- some integrations upper-case it
            WHEN r_format < 0.07 THEN ' ' || bizible_id || ' '
            ELSE bizible_id END,
       CASE WHEN r_type < 0.03 THEN NULL                 -- blank Task.Type
            WHEN r_type < 0.05 THEN ''
            WHEN r_type < 0.055 THEN '  '
            WHEN vendor = 'CallTrackingMetrics' THEN 'Call'
            WHEN vendor = 'CallRail' THEN 'Inbound Call'
            ELSE 'Phone Call' END,
       format('Inbound call from +1 %s %s %s (%s)',
              substr(phone, 3, 3), substr(phone, 6, 3), substr(phone, 9, 4), vendor),
       phone, person_id, occurred_at,
       r_deleted < 0.015                                   -- deleted in the CRM
FROM demo_task_rows;

-- ---------------------------------------------------------------------------
-- Form fills: ~1,000 on the site's five forms.  The person is the visitor's
-- Salesforce lead or contact, the same WhoId as on their call tasks; a
-- visitor whose calls carry no WhoId becomes a new lead (00Q) by filling a
-- form, and their calls are stitched to that person through the BizibleId.
-- kind:
--   window    1 to 20 minutes into a session, no session_id: placed in its
--             session by the window rule, like a call                (78 %)
--   explicit  the tracking script sent its session_id; can be late in a
--             long session, beyond the 30-minute window              (14 %)
--   offline   2 to 12 hours after a session started, no session_id:
--             no session covers it                                    (6 %)
--   unknown   names a session_id the web-tracking sync never delivered (2 %)
-- 7 % of the window fills are followed by a second form in the same session.
CREATE TEMP TABLE demo_form_urls (form text PRIMARY KEY, url text) ON COMMIT DROP;
INSERT INTO demo_form_urls VALUES
 ('demo',       'https://www.example.com/demo'),
 ('pricing',    'https://www.example.com/pricing/quote'),
 ('whitepaper', 'https://www.example.com/resources/b2b-call-attribution-guide'),
 ('contact',    'https://www.example.com/contact-us'),
 ('webinar',    'https://www.example.com/webinars/attribution-101/register');

CREATE TEMP TABLE demo_form_draws ON COMMIT DROP AS
SELECT f, random() AS r_kind, random() AS r_pick, random() AS r_delay, random() AS r_page,
       random() AS r_form, random() AS r_person, random() AS r_second
FROM generate_series(1, 900) AS f;

CREATE TEMP TABLE demo_form_rows ON COMMIT DROP AS
SELECT d.f, 1 AS seq, d.kind, i.v, vis.bizible_id,
       CASE d.kind WHEN 'explicit' THEN s.session_id
                   WHEN 'unknown' THEN 'sess_9' || lpad(d.f::text, 5, '0') END AS session_id,
       date_trunc('second', s.started_at + CASE d.kind
           WHEN 'offline' THEN interval '2 hours' + d.r_delay * interval '10 hours'
           WHEN 'explicit' THEN interval '30 seconds' + d.r_delay
                * greatest(s.last_activity_at - s.started_at, interval '1 minute')
           ELSE interval '1 minute' + d.r_delay * interval '19 minutes' END) AS submitted_at,
       CASE WHEN s.landing_page ~ '/demo$' AND d.r_page < 0.6 THEN 'demo'
            WHEN s.landing_page ~ '/pricing$' AND d.r_page < 0.6 THEN 'pricing'
            WHEN s.landing_page ~ '/webinars/' AND d.r_page < 0.7 THEN 'webinar'
            WHEN s.landing_page ~ '/blog/' AND d.r_page < 0.5 THEN 'whitepaper'
            WHEN d.r_form < 0.34 THEN 'demo'
            WHEN d.r_form < 0.54 THEN 'pricing'
            WHEN d.r_form < 0.80 THEN 'whitepaper'
            WHEN d.r_form < 0.93 THEN 'contact'
            ELSE 'webinar' END AS form,
       CASE WHEN d.r_person >= 0.03       -- 3 % not matched to a lead yet
            THEN coalesce(vis.person_id, '00Q5e0000' || lpad(i.v::text, 6, '0') || 'IAK') END AS person_id,
       d.r_second
FROM (SELECT *, CASE WHEN r_kind < 0.78 THEN 'window' WHEN r_kind < 0.92 THEN 'explicit'
                     WHEN r_kind < 0.98 THEN 'offline' ELSE 'unknown' END AS kind
      FROM demo_form_draws) d
JOIN demo_session_index i ON i.n = 1 + floor(d.r_pick * (SELECT count(*) FROM demo_session_index))::int
JOIN touchpoint.sessions s ON s.session_id = i.session_id
JOIN demo_visitors vis ON vis.v = i.v;

-- the second form: a few minutes after the first, in the same session
INSERT INTO demo_form_rows
SELECT f, 2, kind, v, bizible_id, session_id,
       submitted_at + interval '1 minute' + r_second / 0.07 * interval '6 minutes',
       CASE WHEN form = 'demo' THEN 'contact' ELSE 'demo' END, person_id, r_second
FROM demo_form_rows
WHERE kind = 'window' AND r_second < 0.07;

-- ---------------------------------------------------------------------------
-- Chats: 250 Drift conversations.  Half the chatters leave no email (person
-- NULL: the chat is stitched to a person only through other events of the
-- same BizibleId, else it starts an anonymous journey).  kind: window
-- (20 s to 24 min into a session, 84 %), explicit session_id (6 %), offline
-- (2 to 12 hours after a session started, 10 %).
CREATE TEMP TABLE demo_chat_draws ON COMMIT DROP AS
SELECT c, random() AS r_kind, random() AS r_pick, random() AS r_delay, random() AS r_person
FROM generate_series(1, 250) AS c;

CREATE TEMP TABLE demo_chat_rows ON COMMIT DROP AS
SELECT d.c, d.kind, i.v, vis.bizible_id,
       CASE WHEN d.kind = 'explicit' THEN s.session_id END AS session_id,
       date_trunc('second', s.started_at + CASE d.kind
           WHEN 'offline' THEN interval '2 hours' + d.r_delay * interval '10 hours'
           ELSE interval '20 seconds' + d.r_delay * interval '24 minutes' END) AS started_at,
       CASE WHEN d.r_person >= 0.5
            THEN coalesce(vis.person_id, '00Q5e0000' || lpad(i.v::text, 6, '0') || 'IAK') END AS person_id
FROM (SELECT *, CASE WHEN r_kind < 0.84 THEN 'window' WHEN r_kind < 0.90 THEN 'explicit'
                     ELSE 'offline' END AS kind
      FROM demo_chat_draws) d
JOIN demo_session_index i ON i.n = 1 + floor(d.r_pick * (SELECT count(*) FROM demo_session_index))::int
JOIN touchpoint.sessions s ON s.session_id = i.session_id
JOIN demo_visitors vis ON vis.v = i.v;

-- ---------------------------------------------------------------------------
-- "Before and after" (the story of call tracking): 60 visitors whose first
-- conversion is a call merged with an ad click (Paid Search, Paid Social or
-- Display) and who come back 2 days or more later and fill a form.  With
-- call tracking the call is the lead creation (LC) and the form PostLC;
-- without it the form would be the LC and the ad would get nothing.
CREATE TEMP TABLE demo_before_after ON COMMIT DROP AS
SELECT * FROM (
    SELECT DISTINCT ON (vis.v) vis.v, vis.bizible_id, vis.person_id, later.started_at,
           later.landing_page
    FROM touchpoint.tasks t
    JOIN demo_visitors vis ON vis.bizible_id = lower(btrim(t.bizible_id))
    JOIN touchpoint.sessions ad ON ad.bizible_id = vis.bizible_id
         AND ad.channel IN ('Paid Search', 'Paid Social', 'Display')
         AND t.occurred_at >= ad.started_at AND t.occurred_at < ad.started_at + interval '30 minutes'
    JOIN touchpoint.sessions later ON later.bizible_id = vis.bizible_id
         AND later.started_at >= t.occurred_at + interval '2 days'
    WHERE NOT t.is_deleted AND btrim(t.type) <> ''
      -- the call is the visitor's first conversion, the form the next one
      AND NOT EXISTS (SELECT 1 FROM touchpoint.tasks e
                      WHERE lower(btrim(e.bizible_id)) = vis.bizible_id
                        AND e.occurred_at < t.occurred_at)
      AND NOT EXISTS (SELECT 1 FROM demo_form_rows e
                      WHERE e.v = vis.v AND e.submitted_at < later.started_at + interval '1 hour')
      AND NOT EXISTS (SELECT 1 FROM demo_chat_rows e
                      WHERE e.v = vis.v AND e.started_at < later.started_at + interval '1 hour')
    ORDER BY vis.v, t.occurred_at, later.started_at
) c
ORDER BY md5('before-and-after-' || v)
LIMIT 60;

INSERT INTO demo_form_rows
SELECT 900 + v, 1, 'before_after', v, bizible_id, NULL,
       started_at + (2 + v % 13) * interval '1 minute',
       CASE WHEN landing_page ~ '/pricing$' THEN 'pricing'
            ELSE (ARRAY['demo', 'demo', 'pricing', 'contact'])[1 + v % 4] END,
       coalesce(person_id, '00Q5e0000' || lpad(v::text, 6, '0') || 'IAK'), 1
FROM demo_before_after;

INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT 'form_' || lpad(row_number() OVER (ORDER BY r.submitted_at, r.f, r.seq)::text, 6, '0'),
       r.bizible_id, r.session_id, r.submitted_at, u.url, r.person_id
FROM demo_form_rows r JOIN demo_form_urls u USING (form);

INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
SELECT (3704100000 + 13 * row_number() OVER (ORDER BY started_at, c))::text,   -- Drift conversation ids
       bizible_id, session_id, started_at, person_id
FROM demo_chat_rows;

-- ---------------------------------------------------------------------------
-- Showcase visitors, calls, form fills and chats, one per outcome or story,
-- referred to by test/demo.sh.
-- Their BizibleIds are not among the 5,000 generated ones.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page)
VALUES
 -- DEMO01, the documentation's example: an earlier organic visit, then an ad click at 12:17
 ('sess_demo01a', '08c1063cb0a64349ad0d2d862f5cc700', '2024-10-08 09:41:12 America/Los_Angeles', '2024-10-08 09:47:30 America/Los_Angeles',
  'Organic Search', 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://www.example.com/blog/what-is-call-tracking', 'https://www.google.com/'),
 ('sess_demo01b', '08c1063cb0a64349ad0d2d862f5cc700', '2024-10-15 12:17:00 America/Los_Angeles', '2024-10-15 12:24:41 America/Los_Angeles',
  'Paid Search', 'Google', 'google', 'cpc', 'Call Tracking Software - Exact', 'Track Every Call to Its Campaign', 'call tracking software',
  'https://www.example.com/lp/call-tracking', 'https://www.google.com/'),
 -- DEMO02: a LinkedIn ad visit, the call 12 minutes later
 ('sess_demo02', '5d41402abc4b2a76b9719d911017c592', '2024-10-16 10:02:13 America/Los_Angeles', '2024-10-16 10:09:02 America/Los_Angeles',
  'Paid Social', 'LinkedIn', 'linkedin', 'paid_social', 'ABM - Enterprise Accounts Q3', 'Carousel - Customer Stories', NULL,
  'https://www.example.com/lp/demo', 'https://www.linkedin.com/'),
 -- DEMO03: a newsletter visit; the task's BizibleId is upper-case and padded, its type blank
 ('sess_demo03', '7d793037a0760186574b0282f2f435e7', '2024-10-17 15:40:05 America/Los_Angeles', '2024-10-17 15:52:48 America/Los_Angeles',
  'Email', 'Newsletter', 'marketo', 'email', 'Newsletter - October 2024', 'Header CTA', NULL,
  'https://www.example.com/blog/b2b-attribution-models-explained', NULL),
 -- DEMO06: a visit whose call task was deleted in the CRM (a duplicate)
 ('sess_demo06', 'e4da3b7fbbce2345d7772b0674a318d5', '2024-10-18 11:20:00 America/Los_Angeles', '2024-10-18 11:31:10 America/Los_Angeles',
  'Referral', 'Review Sites', 'g2.com', 'referral', NULL, NULL, NULL, 'https://www.example.com/pricing',
  'https://www.g2.com/products/acme-signal/reviews'),
 -- DEMO07: a visit at 16:45; the call (16:58) was loaded from the date-only ActivityDate
 ('sess_demo07', '1679091c5a880faf6fb5e6087eb1b2dc', '2024-10-21 16:45:30 America/Los_Angeles', '2024-10-21 16:58:02 America/Los_Angeles',
  'Paid Search', 'Bing', 'bing', 'cpc', 'Brand - US', 'Acme Signal | Official Site', 'acme signal',
  'https://www.example.com/', 'https://www.bing.com/'),
 -- Journeys (touchpoint.touchpoints), shown by test/demo.sh:
 -- DEMO01 comes back a week after its call through a retargeting ad and asks for a quote
 ('sess_demo01c', '08c1063cb0a64349ad0d2d862f5cc700', '2024-10-22 10:40:07 America/Los_Angeles', '2024-10-22 10:52:30 America/Los_Angeles',
  'Display', 'Retargeting', 'google', 'display', 'Retargeting - Display', '300x250 - Pricing', NULL,
  'https://www.example.com/pricing', 'https://googleads.g.doubleclick.net/'),
 -- DEMO02, before and after: an anonymous organic visit a week before the LinkedIn ad
 -- click and its call, and a nurture email a week after, where the visitor
 -- requests a demo and then chats
 ('sess_demo02a', '5d41402abc4b2a76b9719d911017c592', '2024-10-09 21:13:40 America/Los_Angeles', '2024-10-09 21:19:02 America/Los_Angeles',
  'Organic Search', 'Google', 'google', 'organic', NULL, NULL, NULL,
  'https://www.example.com/blog/b2b-attribution-models-explained', 'https://www.google.com/'),
 ('sess_demo02c', '5d41402abc4b2a76b9719d911017c592', '2024-10-23 09:31:18 America/Los_Angeles', '2024-10-23 09:47:55 America/Los_Angeles',
  'Email', 'Nurture', 'marketo', 'email', 'Nurture - Trial Day 3', 'Book a Demo Button', NULL,
  'https://www.example.com/demo', NULL),
 -- DEMO08, an anonymous caller: a Facebook ad visit, weeks later a Bing brand-ad
 -- click and a call without WhoId, then a Drift chat without an email
 ('sess_demo08a', 'c9f0f895fb98ab9159f51fd0297e236d', '2024-09-26 20:14:09 America/Los_Angeles', '2024-09-26 20:16:40 America/Los_Angeles',
  'Paid Social', 'Facebook', 'facebook', 'cpc', 'Prospecting - Marketing Ops Lookalike', 'Single Image - Free Trial', NULL,
  'https://www.example.com/lp/free-trial', 'https://l.facebook.com/'),
 ('sess_demo08b', 'c9f0f895fb98ab9159f51fd0297e236d', '2024-10-14 10:31:52 America/Los_Angeles', '2024-10-14 10:35:10 America/Los_Angeles',
  'Paid Search', 'Bing', 'bing', 'cpc', 'Brand - US', 'Acme Signal | Official Site', 'acme signal',
  'https://www.example.com/', 'https://www.bing.com/'),
 ('sess_demo08c', 'c9f0f895fb98ab9159f51fd0297e236d', '2024-10-24 14:02:11 America/Los_Angeles', '2024-10-24 14:09:45 America/Los_Angeles',
  'Organic Search', 'Google', 'google', 'organic', NULL, NULL, NULL,
  'https://www.example.com/pricing', 'https://www.google.com/'),
 -- DEMO09, a colleague of DEMO02 at Harborview Freight (opportunity 0065e0000DEMO02AAQ):
 -- a Google ad click and a whitepaper download; she calls sales two weeks later
 ('sess_demo09', 'a87ff679a2f3e71d9181a67b7542122c', '2024-10-28 08:52:06 America/Los_Angeles', '2024-10-28 09:06:40 America/Los_Angeles',
  'Paid Search', 'Google', 'google', 'cpc', 'Attribution Software - Broad', 'Multi-Touch Attribution for B2B Teams', 'b2b marketing attribution',
  'https://www.example.com/lp/attribution', 'https://www.google.com/');

INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted)
VALUES
 ('00T5e0000DEMO01EAS', '08c1063cb0a64349ad0d2d862f5cc700', 'Call',
  'Inbound call from +1 415 555 0134 (CallTrackingMetrics)', '+14155550134', '00Q5e0000DEMO01IAK',
  '2024-10-15 13:05:00 America/Los_Angeles', false),
 ('00T5e0000DEMO02EAS', '5d41402abc4b2a76b9719d911017c592', 'Inbound Call',
  'Inbound call from +1 212 555 0187 (CallRail)', '+12125550187', '0035e0000DEMO02QAC',
  '2024-10-16 10:14:55 America/Los_Angeles', false),
 ('00T5e0000DEMO03EAS', '  7D793037A0760186574B0282F2F435E7 ', NULL,
  'Inbound call from +1 312 555 0142 (CallTrackingMetrics)', '+13125550142', '00Q5e0000DEMO03IAK',
  '2024-10-17 15:58:20 America/Los_Angeles', false),
 -- DEMO04: the cookie of a visitor the web tracking never saw
 ('00T5e0000DEMO04EAS', 'c4ca4238a0b923820dcc509a6f75849b', 'Phone Call',
  'Inbound call from +1 617 555 0119 (Invoca)', '+16175550119', NULL,
  '2024-10-18 09:12:40 America/Los_Angeles', false),
 -- DEMO05: the vendor did not fill the BizibleId
 ('00T5e0000DEMO05EAS', '', 'Call',
  'Inbound call from +1 206 555 0161 (CallTrackingMetrics)', '+12065550161', '00Q5e0000DEMO05IAK',
  '2024-10-18 10:03:09 America/Los_Angeles', false),
 ('00T5e0000DEMO06EAS', 'e4da3b7fbbce2345d7772b0674a318d5', 'Call',
  'Inbound call from +1 512 555 0176 (CallTrackingMetrics)', '+15125550176', '0035e0000DEMO06QAC',
  '2024-10-18 11:26:45 America/Los_Angeles', true),
 ('00T5e0000DEMO07EAS', '1679091c5a880faf6fb5e6087eb1b2dc', 'Inbound Call',
  'Inbound call from +1 303 555 0108 (CallRail)', '+13035550108', '00Q5e0000DEMO07IAK',
  '2024-10-21 00:00:00 America/Los_Angeles', false),
 -- DEMO08: the anonymous caller; the vendor matched no lead (no WhoId)
 ('00T5e0000DEMO08EAS', 'c9f0f895fb98ab9159f51fd0297e236d', 'Inbound Call',
  'Inbound call from +1 650 555 0163 (CallRail)', '+16505550163', NULL,
  '2024-10-14 10:36:27 America/Los_Angeles', false),
 -- DEMO09: DEMO02's colleague calls the number on the pricing page (no session covers it)
 ('00T5e0000DEMO09EAS', 'a87ff679a2f3e71d9181a67b7542122c', 'Inbound Call',
  'Inbound call from +1 404 555 0122 (CallRail)', '+14045550122', '0035e0000DEMO09QAC',
  '2024-11-12 11:20:34 America/Los_Angeles', false);

INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
VALUES
 ('form_demo01', '08c1063cb0a64349ad0d2d862f5cc700', NULL, '2024-10-22 10:46:51 America/Los_Angeles',
  'https://www.example.com/pricing/quote', '00Q5e0000DEMO01IAK'),
 ('form_demo02', '5d41402abc4b2a76b9719d911017c592', NULL, '2024-10-23 09:36:02 America/Los_Angeles',
  'https://www.example.com/demo', '0035e0000DEMO02QAC'),
 ('form_demo09', 'a87ff679a2f3e71d9181a67b7542122c', NULL, '2024-10-28 08:57:51 America/Los_Angeles',
  'https://www.example.com/resources/b2b-call-attribution-guide', '0035e0000DEMO09QAC');

INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
VALUES
 ('3709000002', '5d41402abc4b2a76b9719d911017c592', NULL, '2024-10-23 09:41:30 America/Los_Angeles', '0035e0000DEMO02QAC'),
 ('3709000008', 'c9f0f895fb98ab9159f51fd0297e236d', NULL, '2024-10-24 14:05:40 America/Los_Angeles', NULL);

-- ---------------------------------------------------------------------------
-- Attribution (docs/spec.md §6): people with their accounts, opportunities, channel
-- rules and the custom model's weights.  Drawn from md5 of stable keys
-- (demo_u), not random(), so they depend only on the rows above.
CREATE FUNCTION pg_temp.demo_u(key text) RETURNS float8
LANGUAGE sql IMMUTABLE
RETURN ('x' || substr(md5(key), 1, 8))::bit(32)::bigint / 4294967296.0;

-- Every person the tasks, form fills and chats name, with the first event
-- that can make a touchpoint (a lead creation): a form fill, a chat, or a
-- call task that is not deleted and carries a BizibleId.
CREATE TEMP TABLE demo_people ON COMMIT DROP AS
SELECT e.person_id, min(e.at) FILTER (WHERE e.counts) AS first_at,
       CASE WHEN e.person_id LIKE '003%' THEN 'contact' ELSE 'lead' END AS kind
FROM (SELECT btrim(person_id) AS person_id, occurred_at AS at,
             NOT is_deleted AND touchpoint.bizible_key(bizible_id) IS NOT NULL AS counts
      FROM touchpoint.tasks
      UNION ALL
      SELECT btrim(person_id), submitted_at, true FROM touchpoint.form_submits
      UNION ALL
      SELECT btrim(person_id), started_at, true FROM touchpoint.chats) e
WHERE e.person_id <> ''
GROUP BY e.person_id;

-- Names for the people and the companies.
CREATE TEMP TABLE demo_words (list text, n int, word text) ON COMMIT DROP;
INSERT INTO demo_words
SELECT 'first', n, w FROM unnest(ARRAY[
    'james', 'mary', 'robert', 'patricia', 'john', 'jennifer', 'michael', 'linda', 'david', 'elizabeth',
    'william', 'barbara', 'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'carlos', 'karen',
    'daniel', 'lisa', 'matthew', 'nancy', 'anthony', 'sandra', 'mark', 'ashley', 'steven', 'emily',
    'andrew', 'michelle', 'kevin', 'amanda', 'brian', 'melissa', 'priya', 'wei', 'fatima', 'diego',
    'aisha', 'kenji', 'olga', 'rahul', 'sofia', 'mateo', 'chloe', 'omar', 'hannah', 'lucas']) WITH ORDINALITY AS u(w, n)
UNION ALL
SELECT 'last', n, w FROM unnest(ARRAY[
    'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
    'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin',
    'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson',
    'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen', 'hill', 'flores',
    'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts',
    'patel', 'kim', 'chen', 'singh', 'cohen', 'okafor', 'novak', 'murphy', 'fischer', 'tanaka']) WITH ORDINALITY AS u(w, n)
UNION ALL
SELECT 'company1', n, w FROM unnest(ARRAY[
    'Summit', 'Granite', 'Harbor', 'Pioneer', 'Cobalt', 'Redwood', 'Beacon', 'Evergreen', 'Northstar', 'Bluewater',
    'Ironwood', 'Silverline', 'Crescent', 'Meridian', 'Keystone', 'Lakeside', 'Brightpath', 'Clearview', 'Tidewater', 'Highland',
    'Foxglove', 'Copperleaf', 'Sterling', 'Westbrook', 'Oakridge', 'Riverbend', 'Skyline', 'Trailhead', 'Vantage', 'Wildflower']) WITH ORDINALITY AS u(w, n)
UNION ALL
SELECT 'company2', n, w FROM unnest(ARRAY[
    'Analytics', 'Health', 'Logistics', 'Insurance', 'Software', 'Dental', 'Realty', 'Solar', 'Legal', 'Capital',
    'Home Services', 'Staffing', 'Auto Group', 'Robotics', 'Security', 'Labs', 'Foods', 'Learning', 'Telecom', 'Energy']) WITH ORDINALITY AS u(w, n);

-- Accounts: ~300, each of 1 to 6 people.  All contacts and ~30 % of the
-- leads (matched to an account by their company's domain) are grouped, in
-- an order of their own, into accounts of the sizes drawn here; the other
-- leads have no account.  The company name is unique per account.
CREATE TEMP TABLE demo_accounts ON COMMIT DROP AS
SELECT a, '0015e0000' || lpad(a::text, 6, '0') || 'AAW' AS account_id,
       w1.word || ' ' || w2.word AS company,
       lower(replace(w1.word || w2.word, ' ', '')) || '.com' AS domain,
       sum(size) OVER (ORDER BY a) - size AS first_rank, sum(size) OVER (ORDER BY a) AS last_rank
FROM (SELECT a, 1 + floor(6 * pg_temp.demo_u('account-size-' || a))::int AS size,
             (a * 77) % 600 AS name_ix
      FROM generate_series(1, 500) AS a) s
JOIN demo_words w1 ON w1.list = 'company1' AND w1.n = 1 + s.name_ix % 30
JOIN demo_words w2 ON w2.list = 'company2' AND w2.n = 1 + s.name_ix / 30;

CREATE TEMP TABLE demo_people_ranked ON COMMIT DROP AS
SELECT p.*,
       CASE WHEN p.kind = 'contact' OR pg_temp.demo_u('matched-' || p.person_id) < 0.30
            THEN row_number() OVER (PARTITION BY p.kind = 'contact' OR pg_temp.demo_u('matched-' || p.person_id) < 0.30
                                    ORDER BY md5('account-order-' || p.person_id)) END AS account_rank,
       1 + floor(50 * pg_temp.demo_u('first-' || p.person_id))::int AS first_ix,
       1 + floor(60 * pg_temp.demo_u('last-' || p.person_id))::int AS last_ix,
       floor(1800 * pg_temp.demo_u('company-' || p.person_id))::int AS company_ix,
       pg_temp.demo_u('email-' || p.person_id) AS r_email
FROM demo_people p
WHERE p.person_id NOT LIKE '%DEMO%';

INSERT INTO touchpoint.people (person_id, account_id, email)
SELECT p.person_id, a.account_id,
       CASE WHEN a.account_id IS NOT NULL AND p.r_email < 0.7 THEN f.word || '.' || l.word || '@' || a.domain
            WHEN a.account_id IS NOT NULL THEN left(f.word, 1) || l.word || '@' || a.domain
            -- leads without an account: a personal address or an unmatched company
            WHEN p.r_email < 0.45 THEN f.word || '.' || l.word || (p.r_email * 100)::int % 90 + 10 || '@'
                 || (ARRAY['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com'])[1 + (p.r_email * 1000)::int % 4]
            ELSE f.word || '@' || (SELECT lower(replace(w1.word || w2.word, ' ', ''))
                                          || (ARRAY['.io', '.net', '.co'])[1 + p.company_ix % 3]
                                   FROM demo_words w1, demo_words w2
                                   WHERE w1.list = 'company1' AND w1.n = 1 + p.company_ix % 30
                                     AND w2.list = 'company2' AND w2.n = 1 + p.company_ix / 30 % 20)
       END
FROM demo_people_ranked p
JOIN demo_words f ON f.list = 'first' AND f.n = p.first_ix
JOIN demo_words l ON l.list = 'last' AND l.n = p.last_ix
LEFT JOIN demo_accounts a ON p.account_rank > a.first_rank AND p.account_rank <= a.last_rank;

-- The showcase people: DEMO02 and her colleague DEMO09 at Harborview Freight,
-- DEMO06 at Lumen Dental; the leads DEMO01, 03, 05 and 07 have no account.
INSERT INTO touchpoint.people (person_id, account_id, email) VALUES
 ('00Q5e0000DEMO01IAK', NULL, 'alex.morgan@parcelpoint.io'),
 ('0035e0000DEMO02QAC', '0015e0000DEMO02AAW', 'dana.whitfield@harborviewfreight.com'),
 ('00Q5e0000DEMO03IAK', NULL, 'sam.ortiz77@gmail.com'),
 ('00Q5e0000DEMO05IAK', NULL, 'jordan.blake@brightsidehvac.com'),
 ('0035e0000DEMO06QAC', '0015e0000DEMO06AAW', 'r.castillo@lumendental.com'),
 ('00Q5e0000DEMO07IAK', NULL, 'taylor.reed@outlook.com'),
 ('0035e0000DEMO09QAC', '0015e0000DEMO02AAW', 'maya.chen@harborviewfreight.com');

-- Opportunities: ~250 over the accounts (most have one, some a second one
-- later, some none).  Created 3 to 45 days after the account's first lead
-- creation (a second one 20 to 50 days after the first), in office hours;
-- amounts 5,000 to 250,000 (most small); ~60 % closed, about half of them
-- won, 1 to 10 weeks after creation; the rest open.  The account's people
-- keep converting after a close, so some opportunities have touchpoints
-- after it (they do not count).
CREATE TEMP TABLE demo_opps ON COMMIT DROP AS
SELECT a.account_id, k, min(p.first_at) AS first_lead_at
FROM demo_accounts a
JOIN touchpoint.people pp ON pp.account_id = a.account_id
JOIN demo_people p ON p.person_id = pp.person_id
CROSS JOIN generate_series(1, 2) AS k
WHERE CASE WHEN pg_temp.demo_u('opps-' || a.account_id) < 0.22 THEN 0
           WHEN pg_temp.demo_u('opps-' || a.account_id) < 0.94 THEN 1 ELSE 2 END >= k
GROUP BY a.account_id, k
HAVING min(p.first_at) IS NOT NULL;

INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
SELECT '0065e0000' || lpad(row_number() OVER (ORDER BY o.created_at, o.account_id)::text, 6, '0') || 'AAQ',
       o.account_id, o.amount, o.created_at,
       CASE WHEN o.r_closed < 0.60 THEN o.closed_at END,
       CASE WHEN o.r_closed < 0.60 THEN o.r_won < 0.5 END
FROM (SELECT x.account_id, x.created_at, x.r_closed, x.r_won,
             round((5000 + 245000 * pg_temp.demo_u('amount-' || x.key) ^ 2.5)::numeric, 2) AS amount,
             date_trunc('minute', (x.created_at::date + (7 + floor(63 * pg_temp.demo_u('cycle-' || x.key)))::int
                                  + interval '9 hours' + pg_temp.demo_u('close-time-' || x.key) * interval '8 hours')
                                  AT TIME ZONE 'America/Los_Angeles') AS closed_at
      FROM (SELECT d.account_id, d.account_id || '-' || d.k AS key,
                   date_trunc('minute', (d.first_lead_at::date
                        + (3 + floor(42 * pg_temp.demo_u('created-' || d.account_id)))::int
                        + CASE WHEN d.k = 2 THEN (20 + floor(30 * pg_temp.demo_u('second-' || d.account_id)))::int ELSE 0 END
                        + interval '9 hours' + pg_temp.demo_u('created-time-' || d.account_id || d.k) * interval '8 hours')
                        AT TIME ZONE 'America/Los_Angeles') AS created_at,
                   pg_temp.demo_u('closed-' || d.account_id || '-' || d.k) AS r_closed,
                   pg_temp.demo_u('won-' || d.account_id || '-' || d.k) AS r_won
            FROM demo_opps d) x) o;

-- The showcase opportunity, shown in full by test/demo.sh: Harborview
-- Freight's, created after DEMO09's whitepaper, won after her call.
INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
VALUES ('0065e0000DEMO02AAQ', '0015e0000DEMO02AAW', 48600.00,
        '2024-10-30 14:10:00 America/Los_Angeles', '2024-11-20 16:45:00 America/Los_Angeles', true);

-- Channel rules for the sessions the web tracking left without a channel
-- (lowest priority first, first match wins; no catch-all, so sessions with
-- unknown tracking data are Other and those with none Direct).
INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium, source, campaign, landing_page, referrer)
VALUES
 (10,  'Paid Search',    'Google',       'cpc;ppc',                 'google*',              NULL, NULL, NULL),
 (20,  'Paid Search',    'Bing',         'cpc;ppc',                 'bing*',                NULL, NULL, NULL),
 (30,  'Paid Social',    'LinkedIn',     'paid_social;paid-social', '*linkedin*',           NULL, NULL, NULL),
 (40,  'Paid Social',    'Facebook',     'cpc;paid_social',         'facebook*;fb;instagram', NULL, NULL, NULL),
 (50,  'Display',        'Retargeting',  'display;cpm',             NULL,                   '*retargeting*', NULL, NULL),
 (60,  'Events',         'Trade Shows',  NULL,                      NULL,                   'Event -*', NULL, NULL),
 (70,  'Events',         'Trade Shows',  NULL,                      NULL,                   NULL, '*/events/*', NULL),
 (80,  'Events',         'Webinars',     NULL,                      NULL,                   'Webinar*', NULL, NULL),
 (90,  'Email',          'Nurture',      'email',                   NULL,                   'Nurture*', NULL, NULL),
 (100, 'Email',          'Newsletter',   'email;newsletter',        NULL,                   NULL, NULL, NULL),
 (110, 'Organic Search', 'Google',       NULL,                      NULL,                   NULL, NULL, '*.google.*'),
 (120, 'Referral',       'Review Sites', NULL,                      NULL,                   NULL, NULL, '*g2.com*;*capterra.com*;*trustradius.com*');

-- The custom model: this company credits the lead creation and the
-- opportunity creation most (FT 15, LC 35, OC 30, Closed 10; the middle keeps 10).
UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'FT' THEN 15 WHEN 'LC' THEN 35
                                                          WHEN 'OC' THEN 30 ELSE 10 END;

ANALYZE touchpoint.sessions;
ANALYZE touchpoint.tasks;
ANALYZE touchpoint.form_submits;
ANALYZE touchpoint.chats;
ANALYZE touchpoint.people;
ANALYZE touchpoint.opportunities;

COMMIT;
