-- merge_rules: every rule of docs/spec.md §3.1, both sides of each boundary, on the
-- extension's own tables with the default window (30 min, session start).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- One visitor per rule, so each case reads on its own.  Ids are short
-- stand-ins for 32-hex BizibleIds.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page) VALUES
 -- the source's own example: ad click 12:17 starts the session
 ('s-doc',  'aaaa0000000000000000000000000001', '2026-03-02 12:17', '2026-03-02 12:25',
  'Paid Search', 'Google', 'google', 'cpc', 'spring-sale', 'Call us today', 'call tracking', 'https://example.com/pricing', 'https://www.google.com/'),
 -- boundary visitor: one session at 10:00
 ('s-bnd',  'bbbb0000000000000000000000000002', '2026-03-02 10:00', NULL,
  'Organic Search', 'Google', 'google', 'organic', NULL, NULL, NULL, 'https://example.com/', 'https://www.google.com/'),
 -- overlapping sessions: 09:00 and 09:20 both cover 09:25; the later start wins
 ('s-ov1',  'cccc0000000000000000000000000003', '2026-03-02 09:00', NULL, 'Email', NULL, 'newsletter', 'email', 'march', NULL, NULL, 'https://example.com/a', NULL),
 ('s-ov2',  'cccc0000000000000000000000000003', '2026-03-02 09:20', NULL, 'Paid Social', 'LinkedIn', 'linkedin', 'paid-social', 'abm', NULL, NULL, 'https://example.com/b', NULL),
 -- a tie on started_at: the smallest session_id wins, compared bytewise
 -- ('s-tie-C' < 's-tie-a' < 's-tie-b'), whatever the database collation
 ('s-tie-b', 'dddd0000000000000000000000000004', '2026-03-02 08:00', NULL, 'Display', NULL, 'dv360', 'display', NULL, NULL, NULL, 'https://example.com/d', NULL),
 ('s-tie-a', 'dddd0000000000000000000000000004', '2026-03-02 08:00', NULL, 'Referral', NULL, 'partner.example', 'referral', NULL, NULL, NULL, 'https://example.com/r', 'https://partner.example/'),
 ('s-tie-C', 'dddd0000000000000000000000000004', '2026-03-02 08:00', NULL, 'Direct', NULL, NULL, NULL, NULL, NULL, NULL, 'https://example.com/', NULL),
 -- a session whose BizibleId carries upper case and white space
 ('s-case', '  EEEE0000000000000000000000000005'||E'\t', '2026-03-02 11:00', NULL, 'Paid Search', 'Bing', 'bing', 'cpc', 'brand', NULL, 'acme', 'https://example.com/c', NULL),
 -- a session for the blank-type cases
 ('s-blank', 'ffff0000000000000000000000000006', '2026-03-02 14:00', NULL, 'Paid Search', 'Google', 'google', 'cpc', 'q1', 'ad', 'kw', 'https://example.com/q', NULL);

INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted) VALUES
 ('t-doc',      'aaaa0000000000000000000000000001', 'Call', 'Inbound call (CallTrackingMetrics)', '+14155550134', '00Q000000000001', '2026-03-02 13:05', false),
 ('t-doc-in',   'aaaa0000000000000000000000000001', 'Call', 'Inbound call', '+14155550134', '00Q000000000001', '2026-03-02 12:40', false),
 ('t-start',    'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 10:00', false),
 ('t-2959',     'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 10:29:59.999999', false),
 ('t-3000',     'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 10:30:00', false),
 ('t-3001',     'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 10:30:01', false),
 ('t-before',   'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 09:59:59.999999', false),
 ('t-overlap',  'cccc0000000000000000000000000003', 'Inbound Call', NULL, NULL, NULL, '2026-03-02 09:25', false),
 ('t-ov-early', 'cccc0000000000000000000000000003', 'Inbound Call', NULL, NULL, NULL, '2026-03-02 09:10', false),
 ('t-tie',      'dddd0000000000000000000000000004', 'Call', NULL, NULL, NULL, '2026-03-02 08:05', false),
 ('t-case',     'eeee0000000000000000000000000005', 'Call', NULL, NULL, NULL, '2026-03-02 11:10', false),
 ('t-case2',    E' \n EeEe0000000000000000000000000005  ', 'Call', NULL, NULL, NULL, '2026-03-02 11:11', false),
 ('t-null-id',  NULL, 'Call', NULL, NULL, '00Q000000000009', '2026-03-02 11:00', false),
 ('t-empty-id', '', 'Call', NULL, NULL, NULL, '2026-03-02 11:00', false),
 ('t-space-id', E'  \t ', 'Call', NULL, NULL, NULL, '2026-03-02 11:00', false),
 ('t-deleted',  'bbbb0000000000000000000000000002', 'Call', NULL, NULL, NULL, '2026-03-02 10:05', true),
 ('t-blank-null','ffff0000000000000000000000000006', NULL, NULL, NULL, NULL, '2026-03-02 14:05', false),
 ('t-blank-ws', 'ffff0000000000000000000000000006', E'  \t', NULL, NULL, NULL, '2026-03-02 14:06', false),
 ('t-type-trim','ffff0000000000000000000000000006', '  Phone Call  ', NULL, NULL, NULL, '2026-03-02 14:07', false),
 ('t-unm-blank','ffff0000000000000000000000000006', '', NULL, NULL, NULL, '2026-03-02 16:00', false),
 ('t-nosess',   '99990000000000000000000000000009', 'Call', NULL, NULL, '003000000000001', '2026-03-02 15:00', false);

-- Rules 2-8 at once: which tasks make a touchpoint, merged with which session.
SELECT task_id, bizible_id, session_id, touchpoint_type, medium, touchpoint_date, session_started_at
FROM touchpoint.merge_calls()
ORDER BY task_id;

-- Rule 6: a merged call carries its session's web data (medium from the task type).
SELECT task_id, channel, subchannel, source, medium, campaign, ad_content, keyword,
       landing_page, referrer_page, phone, subject, person_id
FROM touchpoint.merge_calls()
WHERE task_id IN ('t-doc-in', 't-overlap', 't-blank-null')
ORDER BY task_id;

-- Rule 7: an unmerged call has no web data at all.
SELECT task_id, session_id, session_started_at, channel, subchannel, source, campaign,
       ad_content, keyword, landing_page, referrer_page, touchpoint_type, medium
FROM touchpoint.merge_calls()
WHERE session_id IS NULL
ORDER BY task_id;

-- Rules 2 and 3: deleted tasks and tasks without BizibleId make no row.
SELECT count(*) AS rows_for_deleted_or_missing_id
FROM touchpoint.merge_calls()
WHERE task_id IN ('t-deleted', 't-null-id', 't-empty-id', 't-space-id');

-- bizible_key is the normalisation the engine uses.
-- (ASCII letters fold; other letters are kept as they are.)
SELECT replace(replace(replace(pg_catalog.format('%L', input), E'\t', '\t'), E'\n', '\n'), E'\r', '\r') AS input, touchpoint.bizible_key(input) AS key
FROM (VALUES ('08C1063CB0A64349AD0D2D862F5CC700'), (E' \t08c1063cb0a64349ad0d2d862f5cc700\n '),
             (''), (E' \t\r\n'), (NULL), ('ÄBC')) AS v(input)
ORDER BY input NULLS LAST;

-- The default window is exactly 30 minutes: a call 30:00 after the start of
-- the only session is unmerged, 29:59.999999 is merged.
SELECT task_id, session_id IS NOT NULL AS merged
FROM touchpoint.merge_calls() WHERE task_id IN ('t-2959', 't-3000', 't-3001', 't-start', 't-before')
ORDER BY touchpoint_date;

-- An empty input gives no rows, not an error.
CREATE TABLE empty_tasks (LIKE touchpoint.tasks);
SELECT count(*) FROM touchpoint.merge_calls('touchpoint.sessions', 'empty_tasks');
SELECT count(*) FROM touchpoint.explain_calls('touchpoint.sessions', 'empty_tasks');
DROP TABLE empty_tasks;
