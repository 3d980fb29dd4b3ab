-- test/bench/generate.sql: realistic benchmark data at any scale.
--   psql -v sessions=2000000 -v visitors=500000 -v tasks=200000 \
--        -v in_window=0.8 -v seed=0.42 -f test/bench/generate.sql
-- Sessions are spread over 90 days, a visitor's id is a 32-hex BizibleId;
-- a share `in_window` of the calls come 0-29 minutes after a session of
-- their visitor started (merged), the rest 31 minutes to 10 days later or
-- with an id no session carries; 3 % of the calls carry no BizibleId, 3 %
-- an upper-case or space-padded one, 1 % are deleted.  Everything is a
-- function of the row number and the seed, so the same parameters give the
-- same data.  Loads into touchpoint.sessions and touchpoint.tasks (emptied);
-- with -v only_tasks=1 it keeps the sessions and replaces only the tasks.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SELECT setseed(:seed) \gset
\if :{?only_tasks}
TRUNCATE touchpoint.tasks;
\else
TRUNCATE touchpoint.sessions, touchpoint.tasks;

-- session k: visitor (k * 7919) % visitors, start at a pseudo-random second of 90 days
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at,
    channel, subchannel, source, medium, campaign, ad_content, keyword, landing_page, referrer_page)
SELECT 's' || k,
       md5('visitor-' || ((k::int8 * 7919) % :visitors)),
       timestamptz '2026-01-01 00:00+00' + ((k::int8 * 104729) % 7776000) * interval '1 second',
       CASE WHEN k % 5 = 0 THEN NULL
            ELSE timestamptz '2026-01-01 00:00+00' + ((k::int8 * 104729) % 7776000 + (k % 1800)) * interval '1 second' END,
       (ARRAY['Paid Search', 'Organic Search', 'Paid Social', 'Email', 'Display', 'Referral', 'Direct', NULL])[1 + k % 8],
       (ARRAY['Google', NULL, 'LinkedIn', 'Newsletter', NULL, NULL, NULL, NULL])[1 + k % 8],
       (ARRAY['google', 'google', 'linkedin', 'mailchimp', 'dv360', 'partner.example', NULL, NULL])[1 + k % 8],
       (ARRAY['cpc', 'organic', 'paid-social', 'email', 'display', 'referral', NULL, NULL])[1 + k % 8],
       'campaign-' || (k % 97),
       CASE WHEN k % 8 = 0 THEN 'ad-' || (k % 13) END,
       CASE WHEN k % 8 = 0 THEN 'keyword ' || (k % 31) END,
       'https://www.example.com/page-' || (k % 50),
       CASE WHEN k % 8 IN (1, 5) THEN 'https://www.google.com/' END
FROM generate_series(1, :sessions) AS k;
VACUUM ANALYZE touchpoint.sessions;
\endif

-- call t picks a session and a delay; random() is only drawn in this one scan
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted)
SELECT 't' || t,
       CASE WHEN r_id < 0.03 THEN NULL
            WHEN r_id < 0.045 THEN upper(md5('visitor-' || ((k * 7919) % :visitors)))
            WHEN r_id < 0.06 THEN ' ' || md5('visitor-' || ((k * 7919) % :visitors)) || ' '
            WHEN r_id < 0.08 THEN md5('unknown-' || t)
            ELSE md5('visitor-' || ((k * 7919) % :visitors)) END,
       CASE WHEN r_type < 0.05 THEN NULL ELSE (ARRAY['Call', 'Inbound Call', 'Phone Call'])[1 + t % 3] END,
       'Inbound call (bench)', '+1415555' || lpad((t % 10000)::text, 4, '0'),
       CASE WHEN t % 3 > 0 THEN '00Q' || lpad((t % 100000)::text, 12, '0') END,
       timestamptz '2026-01-01 00:00+00' + ((k * 104729) % 7776000) * interval '1 second'
           + CASE WHEN r_win < :in_window THEN floor(r_delay * 1740) * interval '1 second'
                  ELSE (1860 + floor(r_delay * 862140)) * interval '1 second' END,
       r_del < 0.01
FROM (SELECT t, 1 + floor(random() * :sessions)::int8 AS k, random() AS r_id, random() AS r_type,
             random() AS r_win, random() AS r_delay, random() AS r_del
      FROM generate_series(1, :tasks) AS t) d;

VACUUM ANALYZE touchpoint.tasks;
