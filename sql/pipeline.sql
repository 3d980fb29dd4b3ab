-- pipeline: stage 1 (the placements view) read independently in plain SQL;
-- stages 1 and 2 built for a set of BizibleIds give exactly the full build's
-- rows for their journeys; stage 3 for some opportunities likewise.
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
SELECT mode, touchpoints > 100 AS touchpoints, opportunity_touchpoints > 50 AS credits
FROM touchpoint.refresh();

-- the stages equal the one-statement definitions (the credit on the live
-- view's columns: the stored table adds the cents)
CREATE TEMP VIEW stored_credit AS
SELECT opportunity_id, account_id, touchpoint_id, journey_id, touchpoint_date, touchpoint_type, channel,
       subchannel, source_kind, position, amount, is_won, first_touch_pct, lead_creation_pct, u_shaped_pct,
       w_shaped_pct, full_path_pct, linear_pct, time_decay_pct, custom_pct, first_touch_revenue,
       lead_creation_revenue, u_shaped_revenue, w_shaped_revenue, full_path_revenue, linear_revenue,
       time_decay_revenue, custom_revenue
FROM touchpoint.opportunity_touchpoints;
SELECT (SELECT count(*) FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)
        UNION ALL (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d) AS touchpoints_diff,
       (SELECT count(*) FROM ((SELECT * FROM stored_credit EXCEPT ALL SELECT * FROM touchpoint.opportunity_touchpoints_live)
        UNION ALL (SELECT * FROM touchpoint.opportunity_touchpoints_live EXCEPT ALL SELECT * FROM stored_credit)) d) AS credits_diff;

CREATE TEMP TABLE full_placements AS SELECT * FROM touchpoint.placements;
CREATE TEMP TABLE full_touchpoints AS SELECT * FROM touchpoint.touchpoints;
CREATE TEMP TABLE full_credits AS SELECT * FROM touchpoint.opportunity_touchpoints;

-- stage 1, read independently in plain SQL.  Every conversion event once:
-- calls not deleted with a BizibleId, every form fill and chat.
SELECT (SELECT count(*) FROM full_placements) AS placements,
       (SELECT count(*) FROM touchpoint.tasks WHERE NOT is_deleted AND touchpoint.bizible_key(bizible_id) IS NOT NULL)
       + (SELECT count(*) FROM touchpoint.form_submits) + (SELECT count(*) FROM touchpoint.chats) AS events,
       (SELECT count(*) FROM (SELECT source_kind, source_id FROM full_placements GROUP BY 1, 2 HAVING count(*) > 1) d) AS duplicates;
-- the session: the window rule's (merge_calls over calls and the fills and
-- chats without session_id), else the one a fill or chat names if it exists
CREATE TEMP VIEW expected_session AS
SELECT substr(m.task_id, 1, 4) AS source_kind, substr(m.task_id, 6) AS source_id, m.session_id
FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.conversion_events') m
UNION ALL
SELECT 'form', f.submit_id, s.session_id FROM touchpoint.form_submits f
LEFT JOIN touchpoint.sessions s ON s.session_id = f.session_id
WHERE f.session_id IS NOT NULL OR touchpoint.bizible_key(f.bizible_id) IS NULL
UNION ALL
SELECT 'chat', c.chat_id, s.session_id FROM touchpoint.chats c
LEFT JOIN touchpoint.sessions s ON s.session_id = c.session_id
WHERE c.session_id IS NOT NULL OR touchpoint.bizible_key(c.bizible_id) IS NULL;
SELECT count(*) AS session_differences FROM (
    (SELECT source_kind, source_id, session_id FROM full_placements EXCEPT ALL SELECT * FROM expected_session)
    UNION ALL (SELECT * FROM expected_session EXCEPT ALL SELECT source_kind, source_id, session_id FROM full_placements)) d;
-- the journey (docs/spec.md §5): own person, else the person the earliest
-- event of the BizibleId names (time, form, chat, call, id), else anon:
CREATE TEMP VIEW events AS
SELECT 'form' AS source_kind, f.submit_id AS source_id, touchpoint.bizible_key(f.bizible_id) AS k,
       NULLIF(btrim(f.person_id), '') AS own, f.submitted_at AS at, 1 AS kind_rank FROM touchpoint.form_submits f
UNION ALL SELECT 'chat', c.chat_id, touchpoint.bizible_key(c.bizible_id), NULLIF(btrim(c.person_id), ''), c.started_at, 2
FROM touchpoint.chats c
UNION ALL SELECT 'call', t.task_id, touchpoint.bizible_key(t.bizible_id), NULLIF(btrim(t.person_id), ''), t.occurred_at, 3
FROM touchpoint.tasks t WHERE NOT t.is_deleted AND touchpoint.bizible_key(t.bizible_id) IS NOT NULL;
CREATE TEMP VIEW expected_journey AS
SELECT e.source_kind, e.source_id,
       COALESCE(e.own, (SELECT n.own FROM events n WHERE n.k = e.k AND n.own IS NOT NULL
                        ORDER BY n.at, n.kind_rank, n.source_id COLLATE "C" LIMIT 1),
                'anon:' || COALESCE(e.k, e.source_kind || ':' || e.source_id)) AS journey_id
FROM events e;
SELECT count(*) AS journey_differences FROM (
    (SELECT source_kind, source_id, journey_id FROM full_placements EXCEPT ALL SELECT * FROM expected_journey)
    UNION ALL (SELECT * FROM expected_journey EXCEPT ALL SELECT source_kind, source_id, journey_id FROM full_placements)) d;
-- ranks in the session, its count, and each BizibleId's earliest session
SELECT count(*) FILTER (WHERE p.session_rank IS DISTINCT FROM r.rank) AS rank_differences,
       count(*) FILTER (WHERE p.session_conversions <> r.n) AS count_differences,
       count(*) FILTER (WHERE p.is_touchpoint <> (r.rank IS NULL OR r.rank = 1)) AS touchpoint_differences,
       count(*) FILTER (WHERE p.key_first_session_id IS DISTINCT FROM kf.session_id
                           OR p.key_first_started_at IS DISTINCT FROM kf.started_at) AS first_session_differences
FROM full_placements p
JOIN events e USING (source_kind, source_id)
LEFT JOIN LATERAL (
    SELECT CASE WHEN p.session_id IS NOT NULL THEN
               (SELECT count(*) + 1 FROM full_placements q JOIN events qe USING (source_kind, source_id)
                WHERE q.session_id = p.session_id
                  AND (qe.at, qe.kind_rank, qe.source_id COLLATE "C") < (e.at, e.kind_rank, e.source_id COLLATE "C")) END AS rank,
           CASE WHEN p.session_id IS NOT NULL
                THEN (SELECT count(*) FROM full_placements q WHERE q.session_id = p.session_id) ELSE 1 END AS n) r ON true
LEFT JOIN LATERAL (
    SELECT s.session_id, s.started_at FROM touchpoint.sessions s
    WHERE touchpoint.bizible_key(s.bizible_id) = p.bizible_key
    ORDER BY s.started_at, s.session_id COLLATE "C" LIMIT 1) kf ON p.bizible_key IS NOT NULL;
-- the cases the data is meant to hold
SELECT count(*) FILTER (WHERE bizible_key IS NULL) > 0 AS blank_key,
       count(*) FILTER (WHERE session_id IS NULL) > 0 AS offline,
       count(DISTINCT journey_id) FILTER (WHERE journey_id LIKE 'anon:%') > 0 AS anonymous,
       count(*) FILTER (WHERE session_rank > 1) > 0 AS later_events_in_a_session,
       (SELECT count(*) > 0 FROM (SELECT journey_id FROM full_placements GROUP BY 1
                                  HAVING count(DISTINCT bizible_key) > 1) j) AS journeys_of_two_keys,
       (SELECT count(*) > 0 FROM (SELECT session_id FROM full_placements WHERE session_id IS NOT NULL
                                  GROUP BY 1 HAVING count(DISTINCT journey_id) > 1) s) AS sessions_of_two_journeys
FROM full_placements;

-- stages 1 and 2 for a set of BizibleIds closed under what ties events
-- together (a shared journey, a shared session, a BizibleId's earliest
-- session holding another's event; docs/pipeline.md), into an empty table.
-- NULL stands for the events without a BizibleId.
CREATE TEMP TABLE some_keys (k text);
INSERT INTO some_keys
SELECT DISTINCT bizible_key FROM full_placements WHERE bizible_key IS NOT NULL AND hashtext(bizible_key) % 3 = 0;
DO $$
DECLARE added bigint;
BEGIN
    LOOP
        WITH mine AS (SELECT * FROM full_placements p WHERE p.bizible_key IN (SELECT k FROM some_keys)
                      OR (p.bizible_key IS NULL AND EXISTS (SELECT FROM some_keys WHERE k IS NULL)))
        INSERT INTO some_keys
        SELECT DISTINCT q.bizible_key FROM full_placements q
        WHERE (q.journey_id IN (SELECT journey_id FROM mine)
               OR q.session_id IN (SELECT session_id FROM mine)
               OR q.session_id IN (SELECT key_first_session_id FROM mine))
          AND NOT EXISTS (SELECT FROM some_keys s WHERE s.k IS NOT DISTINCT FROM q.bizible_key);
        GET DIAGNOSTICS added = ROW_COUNT;
        EXIT WHEN added = 0;
    END LOOP;
END $$;
CREATE TEMP TABLE some_journeys AS
SELECT DISTINCT journey_id FROM full_placements p
WHERE EXISTS (SELECT FROM some_keys s WHERE s.k IS NOT DISTINCT FROM p.bizible_key);
SELECT count(*) > 0 AND count(*) < (SELECT count(DISTINCT bizible_key) FROM full_placements) AS a_proper_subset,
       (SELECT count(*) FROM some_journeys) > 0 AS has_journeys
FROM some_keys;
TRUNCATE touchpoint.touchpoints;
SELECT touchpoint_internal.build_touchpoints(ARRAY(SELECT k FROM some_keys)) =
       (SELECT count(*) FROM full_touchpoints WHERE journey_id IN (SELECT journey_id FROM some_journeys))
       AS subset_rows_counted;
SELECT count(*) AS differences FROM (
    (SELECT * FROM touchpoint.touchpoints EXCEPT ALL
     SELECT * FROM full_touchpoints WHERE journey_id IN (SELECT journey_id FROM some_journeys))
    UNION ALL
    (SELECT * FROM full_touchpoints WHERE journey_id IN (SELECT journey_id FROM some_journeys)
     EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
-- the other BizibleIds and the events without one: the whole table again;
-- rebuilding keys in place changes nothing
SELECT touchpoint_internal.build_touchpoints(ARRAY(SELECT DISTINCT bizible_key FROM full_placements p
    WHERE NOT EXISTS (SELECT FROM some_keys s WHERE s.k IS NOT DISTINCT FROM p.bizible_key))) > 0 AS rest;
SELECT touchpoint_internal.build_touchpoints(ARRAY(SELECT k FROM some_keys)) > 0 AS again;
SELECT count(*) AS differences FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM full_touchpoints)
    UNION ALL (SELECT * FROM full_touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
SELECT touchpoint_internal.build_touchpoints(ARRAY['no-such-key']) AS unknown_key;

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

-- a full refresh writes only what changed, and ends equal to a rebuild (the
-- tables were built by hand above: full => true); then the incremental ones
SELECT mode, touchpoints_written AS unchanged_written FROM touchpoint.refresh("full" => true);
UPDATE touchpoint.sessions SET channel = 'Display' WHERE session_id = 's-3-0';
DELETE FROM touchpoint.tasks WHERE task_id = (SELECT min(task_id) FROM touchpoint.tasks WHERE NOT is_deleted);
INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at)
VALUES ('c-new', 'bz-1', NULL, timestamptz '2024-01-01 00:20');
SELECT mode, touchpoints_written BETWEEN 3 AND 20 AS few_written FROM touchpoint.refresh();
SELECT count(*) AS differences FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)
    UNION ALL (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
SELECT touchpoints_written AS unchanged_written FROM touchpoint.refresh();
-- a stored row changed behind refresh's back is put right by the next full
-- one (an incremental refresh recomputes only what the sources' changes affect)
UPDATE touchpoint.touchpoints SET channel = 'tampered' WHERE touchpoint_id = (SELECT min(touchpoint_id) FROM touchpoint.touchpoints);
DELETE FROM touchpoint.touchpoints WHERE touchpoint_id = (SELECT max(touchpoint_id) FROM touchpoint.touchpoints);
SELECT mode, touchpoints_written AS repaired_written FROM touchpoint.refresh("full" => true);
SELECT count(*) AS differences FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live)
    UNION ALL (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d;
-- two events of one source sharing an id: a clear error, nothing written
CREATE VIEW public.doubled_chats AS SELECT * FROM touchpoint.chats UNION ALL SELECT * FROM touchpoint.chats WHERE chat_id = 'c-new';
SELECT touchpoint.use_source('chats', 'public.doubled_chats');
\set SHOW_CONTEXT never
SELECT mode FROM touchpoint.refresh();
\set SHOW_CONTEXT errors
SELECT touchpoint.use_source('chats', NULL);
DROP VIEW public.doubled_chats;

-- no temporary table is left behind
SELECT count(*) AS temp_tables FROM pg_class WHERE relname LIKE 'tp_rebuilt%';

DROP VIEW expected_session, expected_journey, events, stored_credit;
DROP TABLE v, some_keys, some_journeys, full_placements, full_touchpoints, full_credits;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities,
         touchpoint.touchpoints, touchpoint.opportunity_touchpoints;
