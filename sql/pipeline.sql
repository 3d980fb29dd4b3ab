-- pipeline: each stage built for a subset of its keys gives exactly the full
-- build's rows for those keys, and the placements are what merge_calls gives.
-- Data: random visitors with sessions, calls, form fills and chats, with the
-- cases that cross keys (a form fill naming another visitor's session, a
-- person named by two BizibleIds, blank BizibleIds, unknown sessions).
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules;
SELECT setseed(0.12);
CREATE TEMP TABLE v AS
SELECT i, CASE WHEN i % 17 = 0 THEN ' ' ELSE (CASE WHEN i % 5 = 0 THEN ' BZ-' ELSE 'bz-' END) || (i / 2) END AS bz,
       CASE WHEN i % 3 = 0 THEN 'p-' || (i % 40) END AS person
FROM generate_series(1, 300) i;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium, source)
SELECT 's-' || v.i || '-' || k, v.bz, timestamptz '2024-01-01' + (v.i * 7 + k * 50) * interval '1 minute',
       (ARRAY[NULL, 'Paid Search', '', 'Email'])[1 + (v.i + k) % 4], (ARRAY['cpc', NULL, 'email'])[1 + k % 3], 'google'
FROM v, generate_series(0, 3) k WHERE v.i % 11 <> 0;
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at, is_deleted)
SELECT 't-' || v.i || '-' || k, v.bz, (ARRAY['Call', NULL, ' ', 'Inbound Call'])[1 + (v.i * k) % 4], v.person,
       timestamptz '2024-01-01' + (v.i * 7 + k * 50 + (v.i % 4) * 20) * interval '1 minute', v.i % 23 = 0
FROM v, generate_series(0, 2) k WHERE (v.i + k) % 2 = 0;
INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT 'f-' || v.i, v.bz,
       CASE v.i % 6 WHEN 0 THEN 's-' || ((v.i * 7) % 300 + 1) || '-1' WHEN 1 THEN 'unknown' END,
       timestamptz '2024-01-01' + (v.i * 7 + 55) * interval '1 minute', 'https://x/' || v.i,
       CASE WHEN v.i % 4 = 0 THEN 'p-' || (v.i % 30) END
FROM v WHERE v.i % 2 = 1 OR v.i % 6 = 0;
INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
SELECT 'c-' || v.i, v.bz, CASE WHEN v.i % 9 = 0 THEN 's-' || v.i || '-2' END,
       timestamptz '2024-01-01' + (v.i * 7 + 105) * interval '1 minute', NULL
FROM v WHERE v.i % 3 = 1 OR v.i % 9 = 0;
INSERT INTO touchpoint.people SELECT 'p-' || i, 'acct-' || (i % 7) FROM generate_series(0, 40) i;
INSERT INTO touchpoint.opportunities
SELECT 'o-' || i, 'acct-' || (i % 7), 1000 + i, timestamptz '2024-01-02' + i * interval '3 hours',
       CASE WHEN i % 2 = 0 THEN timestamptz '2024-01-03' + i * interval '5 hours' END, i % 4 = 0
FROM generate_series(1, 20) i;
SELECT mode, touchpoints > 100 AS touchpoints, placements > 100 AS placements, opportunity_touchpoints > 50 AS credits
FROM touchpoint.refresh();

-- the stages equal the one-statement definitions
SELECT (SELECT count(*) FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)
        UNION ALL (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d) AS touchpoints_diff,
       (SELECT count(*) FROM ((SELECT * FROM touchpoint.opportunity_touchpoints EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints_live)
        UNION ALL (SELECT * FROM touchpoint.opportunity_touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints)) d) AS credits_diff;

-- placements match merge_calls: every call, and every fill and chat without session_id
CREATE TEMP VIEW engine AS
SELECT m.task_id, m.bizible_id, m.session_id, m.touchpoint_date,
       CASE WHEN m.task_id LIKE 'call:%' THEN m.touchpoint_type END AS call_type
FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.conversion_events') m;
CREATE TEMP VIEW placed AS
SELECT p.source_kind || ':' || p.source_id AS task_id, p.bizible_key, p.session_id, p.touchpoint_date,
       CASE WHEN p.source_kind = 'call' THEN p.touchpoint_type END
FROM touchpoint.placements p
WHERE p.source_kind = 'call'
   OR p.bizible_key IS NOT NULL AND NOT EXISTS (
        SELECT FROM touchpoint.form_submits f WHERE p.source_kind = 'form' AND f.submit_id = p.source_id AND f.session_id IS NOT NULL)
      AND NOT EXISTS (
        SELECT FROM touchpoint.chats c WHERE p.source_kind = 'chat' AND c.chat_id = p.source_id AND c.session_id IS NOT NULL);
SELECT (SELECT count(*) FROM engine) AS engine_rows,
       (SELECT count(*) FROM ((SELECT * FROM engine EXCEPT ALL SELECT * FROM placed)
        UNION ALL (SELECT * FROM placed EXCEPT ALL SELECT * FROM engine)) d) AS differences;
-- the cases the data is meant to hold
SELECT count(*) FILTER (WHERE bizible_key IS NULL) > 0 AS blank_key,
       count(*) FILTER (WHERE session_id IS NULL) > 0 AS offline,
       count(DISTINCT journey_id) FILTER (WHERE journey_id LIKE 'anon:%') > 0 AS anonymous,
       (SELECT count(*) > 0 FROM (SELECT journey_id FROM touchpoint.placements GROUP BY 1
                                  HAVING count(DISTINCT bizible_key) > 1) j) AS journeys_of_two_keys,
       (SELECT count(*) > 0 FROM (SELECT session_id FROM touchpoint.placements WHERE session_id IS NOT NULL
                                  GROUP BY 1 HAVING count(DISTINCT journey_id) > 1) s) AS sessions_of_two_journeys
FROM touchpoint.placements;

CREATE TEMP TABLE full_placements AS SELECT * FROM touchpoint.placements;
CREATE TEMP TABLE full_touchpoints AS SELECT * FROM touchpoint.touchpoints;
CREATE TEMP TABLE full_credits AS SELECT * FROM touchpoint.opportunity_touchpoints;

-- stage 1 for a third of the keys and the NULL key, into an empty table
CREATE TEMP TABLE some_keys AS
SELECT array_agg(k) || NULL::text AS keys
FROM (SELECT DISTINCT bizible_key AS k FROM full_placements WHERE bizible_key IS NOT NULL) x
WHERE hashtext(k) % 3 = 0;
TRUNCATE touchpoint.placements;
SELECT touchpoint_internal.build_placements((SELECT keys FROM some_keys)) =
       (SELECT count(*) FROM full_placements WHERE bizible_key = ANY ((SELECT keys FROM some_keys)::text[]) OR bizible_key IS NULL)
       AS subset_rows_counted;
SELECT count(*) AS differences FROM (
    (SELECT * FROM touchpoint.placements EXCEPT ALL
     SELECT * FROM full_placements WHERE bizible_key = ANY ((SELECT keys FROM some_keys)::text[]) OR bizible_key IS NULL)
    UNION ALL
    (SELECT * FROM full_placements WHERE bizible_key = ANY ((SELECT keys FROM some_keys)::text[]) OR bizible_key IS NULL
     EXCEPT ALL SELECT * FROM touchpoint.placements)) d;
-- the other keys next to them: the whole table again, and rebuilding keys in place changes nothing
SELECT touchpoint_internal.build_placements(ARRAY(SELECT DISTINCT bizible_key FROM full_placements
                                                  WHERE bizible_key IS NOT NULL AND hashtext(bizible_key) % 3 <> 0)) > 0 AS rest;
SELECT touchpoint_internal.build_placements((SELECT keys FROM some_keys)) > 0 AS again;
SELECT count(*) AS differences FROM ((SELECT * FROM touchpoint.placements EXCEPT ALL SELECT * FROM full_placements)
    UNION ALL (SELECT * FROM full_placements EXCEPT ALL SELECT * FROM touchpoint.placements)) d;
SELECT touchpoint_internal.build_placements(ARRAY['no-such-key']) AS unknown_key;

-- stage 2 for a third of the journeys, into an empty table
CREATE TEMP TABLE some_journeys AS
SELECT array_agg(DISTINCT journey_id) AS journeys FROM full_placements WHERE hashtext(journey_id) % 3 = 0;
TRUNCATE touchpoint.touchpoints;
SELECT touchpoint_internal.build_touchpoints((SELECT journeys FROM some_journeys)) > 0 AS built;
SELECT count(*) AS differences FROM (
    (SELECT * FROM touchpoint.touchpoints EXCEPT ALL
     SELECT * FROM full_touchpoints WHERE journey_id = ANY ((SELECT journeys FROM some_journeys)::text[]))
    UNION ALL
    (SELECT * FROM full_touchpoints WHERE journey_id = ANY ((SELECT journeys FROM some_journeys)::text[])
     EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
SELECT touchpoint_internal.build_touchpoints(ARRAY(SELECT DISTINCT journey_id FROM full_placements
                                                   WHERE hashtext(journey_id) % 3 <> 0)) > 0 AS rest;
SELECT count(*) AS differences FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM full_touchpoints)
    UNION ALL (SELECT * FROM full_touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;

-- stage 3 for some opportunities
TRUNCATE touchpoint.opportunity_touchpoints;
SELECT touchpoint_internal.build_credits(ARRAY['o-1', 'o-4', 'o-7', 'o-20']) =
       (SELECT count(*) FROM full_credits WHERE opportunity_id IN ('o-1', 'o-4', 'o-7', 'o-20')) AS subset_rows_counted;
SELECT count(*) AS differences FROM (
    (SELECT * FROM touchpoint.opportunity_touchpoints EXCEPT ALL
     SELECT * FROM full_credits WHERE opportunity_id IN ('o-1', 'o-4', 'o-7', 'o-20'))
    UNION ALL
    (SELECT * FROM full_credits WHERE opportunity_id IN ('o-1', 'o-4', 'o-7', 'o-20')
     EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints)) d;

-- no temporary view is left behind
SELECT count(*) AS temp_views FROM pg_class WHERE relname LIKE 'tp_placement_%';

DROP VIEW engine, placed;
DROP TABLE v, some_keys, some_journeys, full_placements, full_touchpoints, full_credits;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities,
         touchpoint.placements, touchpoint.touchpoints, touchpoint.opportunity_touchpoints;
