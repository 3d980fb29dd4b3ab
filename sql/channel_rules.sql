-- channel_rules: the cell patterns of docs/spec.md §6 and first-match-wins
-- classification of sessions without a channel, with Other and Direct.
SET timezone = 'UTC';

-- One cell against one value: every wildcard form, alternatives, case, NULL.
SELECT format('%L', pattern) AS pattern, format('%L', value) AS value,
       touchpoint.channel_rule_matches(pattern, value) AS matches
FROM (VALUES
  ('cpc', 'cpc'), ('cpc', 'CPC'), ('CPC', 'cpc'), ('cpc', 'cpc2'), ('cpc', ' cpc'),   -- equals, ignoring case
  ('google*', 'google.com'), ('google*', 'Google'), ('google*', 'www.google.com'),     -- starts with
  ('*.com', 'google.com'), ('*.com', 'google.com.au'), ('*.COM', 'bing.com'),          -- ends with
  ('*linkedin*', 'not-linkedin'), ('*linkedin*', 'LinkedIn'), ('*linkedin*', 'linked-in'), -- contains
  ('*', 'anything'), ('*', ''), ('*', NULL),                                           -- anything, NULL included
  ('cpc;ppc', 'ppc'), (' cpc ; ppc ', 'ppc'), ('cpc;ppc', 'cpm'), ('facebook*; *fb*', 'm.fb.com'), -- alternatives, trimmed
  ('cpc;*', NULL), ('google*', NULL), ('*x*', NULL), ('', NULL), ('  ', 'x'), (';', 'x'),   -- NULL values; blank cells
  (NULL, 'x'), (NULL, NULL),                                                           -- NULL cell: no condition
  ('a*b', 'a*b'), ('a*b', 'axb'), ('**', ''), ('**', 'x')                              -- a star inside is literal
) AS t(pattern, value)
ORDER BY t.pattern NULLS LAST, t.value NULLS LAST;

-- classify_channel takes the rules in priority order; the first match wins.
SELECT touchpoint.classify_channel(
    ARRAY[['Paid Search', 'Google', 'cpc;ppc', 'google*', NULL, NULL, NULL],
          ['Paid Search', 'Bing',   'cpc',     'bing',    NULL, NULL, NULL],
          ['Other Paid',  NULL,     'cpc',     '*',       NULL, NULL, NULL]],
    'CPC', 'Bing', NULL, NULL, NULL) AS first_match_wins;
SELECT touchpoint.classify_channel(
    ARRAY[['Social', 'LinkedIn', NULL, '*linkedin*', NULL, NULL, NULL],
          ['Referral', NULL, NULL, NULL, NULL, NULL, '*']],
    NULL, NULL, NULL, NULL, 'https://partner.example/') AS referral_catch_all;
SELECT touchpoint.classify_channel(
    ARRAY[['Email', NULL, 'email', NULL, '*newsletter*', NULL, NULL]],
    'email', 'mailchimp', 'Spring Newsletter', NULL, NULL) AS campaign_contains,
       touchpoint.classify_channel(
    ARRAY[['Email', NULL, 'email', NULL, '*newsletter*', NULL, NULL]],
    'email', 'mailchimp', NULL, NULL, NULL) AS campaign_missing;
SELECT touchpoint.classify_channel(
    ARRAY[['Content', 'Blog', NULL, NULL, NULL, '*/blog/*', NULL]],
    NULL, NULL, NULL, 'https://example.com/blog/post-1', NULL) AS landing_page_rule;
SELECT touchpoint.classify_channel(NULL, 'cpc', NULL, NULL, NULL, NULL) AS no_rules,
       touchpoint.classify_channel('{}', 'cpc', NULL, NULL, NULL, NULL) AS empty_rules;
-- a malformed rules array is a clear error
SELECT touchpoint.classify_channel(ARRAY['Paid Search', 'cpc'], 'cpc', NULL, NULL, NULL, NULL);
SELECT touchpoint.classify_channel(ARRAY[['a', 'b', 'c']], 'cpc', NULL, NULL, NULL, NULL);
-- the functions are IMMUTABLE and PARALLEL SAFE, so the planner folds constant calls
EXPLAIN (COSTS OFF, VERBOSE) SELECT touchpoint.channel_rule_matches('*x*', 'box');

-- In the touchpoints: sessions without a channel (NULL or blank) are
-- classified; Other when no rule matches and the session has tracking data
-- (medium, source, campaign or referrer), Direct when it has none.  A
-- session's own channel is kept.
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats, touchpoint.channel_rules;
INSERT INTO touchpoint.channel_rules VALUES
 (10, 'Paid Search', 'Google', 'cpc;ppc', 'google*', NULL, NULL, NULL),
 (20, 'Paid Search', 'Bing', 'cpc', 'bing', NULL, NULL, NULL),
 (30, 'Paid Social', 'LinkedIn', NULL, '*linkedin*', NULL, NULL, NULL),
 (40, 'Organic Search', NULL, 'organic', NULL, NULL, NULL, NULL),
 (50, 'Content', 'Blog', NULL, NULL, NULL, '*/blog/*', NULL),
 (60, 'Referral', NULL, NULL, NULL, NULL, NULL, '*partner*'),
 (5,  'Events', NULL, NULL, NULL, 'saastr*', NULL, NULL);   -- the lowest priority number is tried first
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, subchannel, medium, source, campaign, landing_page, referrer_page) VALUES
 ('r1', 'r1', '2026-07-01 10:00', NULL, NULL, 'CPC', 'Google', NULL, NULL, NULL),
 ('r2', 'r2', '2026-07-01 10:00', '  ', NULL, 'cpc', 'bing', NULL, NULL, NULL),
 ('r3', 'r3', '2026-07-01 10:00', NULL, NULL, 'paid', 'not-linkedin', NULL, NULL, NULL),
 ('r4', 'r4', '2026-07-01 10:00', NULL, NULL, 'cpc', 'google', 'SaaStr 2026', NULL, NULL),
 ('r5', 'r5', '2026-07-01 10:00', NULL, NULL, NULL, NULL, NULL, 'https://example.com/blog/x', NULL),
 ('r6', 'r6', '2026-07-01 10:00', NULL, NULL, 'display', 'dv360', NULL, NULL, NULL),          -- no rule: Other
 ('r7', 'r7', '2026-07-01 10:00', NULL, NULL, NULL, NULL, NULL, 'https://example.com/', NULL), -- no tracking data: Direct
 ('r8', 'r8', '2026-07-01 10:00', NULL, NULL, NULL, NULL, NULL, NULL, 'https://news.example/'), -- a referrer is tracking data: Other
 ('r9', 'r9', '2026-07-01 10:00', 'Email', 'Newsletter', 'cpc', 'google', NULL, NULL, NULL),   -- its own channel is kept
 ('r10', 'r10', '2026-07-01 10:00', NULL, NULL, '', ' ', NULL, NULL, NULL);                  -- blank tracking data: Direct
INSERT INTO touchpoint.form_submits (submit_id, bizible_id, submitted_at, person_id)
SELECT 'rf' || i, 'r' || i, '2026-07-01 10:05', 'rp' || i FROM generate_series(1, 10) i;
SELECT touchpoints FROM touchpoint.refresh();
SELECT session_id, channel, subchannel FROM touchpoint.touchpoints ORDER BY length(session_id), session_id;
-- rules take effect at the next refresh
UPDATE touchpoint.channel_rules SET channel = 'Paid Search (rule)' WHERE priority = 10;
SELECT channel FROM touchpoint.touchpoints WHERE session_id = 'r1';
SELECT mode FROM touchpoint.refresh();
SELECT channel FROM touchpoint.touchpoints WHERE session_id = 'r1';
-- merge_calls reports the session's data as loaded (no rules there)
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, occurred_at) VALUES ('rt1', 'r1', 'Call', '2026-07-01 10:06');
SELECT task_id, channel FROM touchpoint.merge_calls();

TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats, touchpoint.channel_rules;
SELECT touchpoints FROM touchpoint.refresh();
