-- keyed: the per-BizibleId stage Citus's workers run (docs/distributed.md),
-- tested on one node: place_key_events() and place_key_event_positions() by hand (every rule of §3.1 it
-- applies, every argument it refuses), merge_settings(), and a differential
-- test of place_key_events against a plain-SQL reading of §3.1 and against
-- merge_calls on thousands of random rows, under both anchors.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE SCHEMA keyed;
-- one key's sessions as place_key_events takes them: (id, start, last activity)
CREATE FUNCTION keyed.place(ids text[], starts timestamptz[], lasts timestamptz[], times timestamptz[],
                            window_minutes int DEFAULT 30, anchor_last bool DEFAULT false)
RETURNS text[] LANGUAGE sql AS $$
    SELECT touchpoint_internal.place_key_events('k', ids, starts, lasts, times,
                                                window_minutes * 60000000::int8, anchor_last)
$$;

-- a key without sessions: every event unplaced
SELECT touchpoint_internal.place_key_events('k', NULL, NULL, NULL, ARRAY['2026-01-01 10:00+00']::timestamptz[],
                                            1800000000, false) AS no_sessions;
-- no events: an empty array
SELECT touchpoint_internal.place_key_events('k', ARRAY['s'], ARRAY['2026-01-01 10:00+00']::timestamptz[],
                                            ARRAY[NULL]::timestamptz[], '{}', 1800000000, false) AS no_events;
-- covered from the start (inclusive) to start + window (exclusive)
SELECT keyed.place(ARRAY['s'], ARRAY['2026-01-01 10:00+00']::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY['2026-01-01 09:59:59+00', '2026-01-01 10:00+00', '2026-01-01 10:29:59.999999+00',
                         '2026-01-01 10:30+00']::timestamptz[]) AS window_edges;
-- of the covering sessions the latest start wins; a tie on the start goes to the
-- smallest id bytewise ('B' < 'a' < 'b', whatever the collation), in any input order
SELECT keyed.place(ARRAY['b', 'early', 'a', 'B'],
                   ARRAY['2026-01-01 10:05+00', '2026-01-01 10:00+00', '2026-01-01 10:05+00', '2026-01-01 10:05+00']::timestamptz[],
                   ARRAY[NULL, NULL, NULL, NULL]::timestamptz[],
                   ARRAY['2026-01-01 10:02+00', '2026-01-01 10:06+00']::timestamptz[]) AS latest_then_smallest;
-- anchored on the last activity: the window runs from it; a NULL last activity falls
-- back to the start; the start still opens the window
SELECT keyed.place(ARRAY['long', 'short'],
                   ARRAY['2026-01-01 09:00+00', '2026-01-01 09:10+00']::timestamptz[],
                   ARRAY['2026-01-01 11:00+00', NULL]::timestamptz[],
                   ARRAY['2026-01-01 08:59+00', '2026-01-01 09:20+00', '2026-01-01 11:29+00', '2026-01-01 11:30+00']::timestamptz[],
                   30, true) AS last_activity_anchor,
       keyed.place(ARRAY['long', 'short'],
                   ARRAY['2026-01-01 09:00+00', '2026-01-01 09:10+00']::timestamptz[],
                   ARRAY['2026-01-01 11:00+00', NULL]::timestamptz[],
                   ARRAY['2026-01-01 08:59+00', '2026-01-01 09:20+00', '2026-01-01 11:29+00', '2026-01-01 11:30+00']::timestamptz[],
                   30, false) AS start_anchor;
-- infinite times are times like others
SELECT keyed.place(ARRAY['s'], ARRAY['-infinity']::timestamptz[], ARRAY['infinity']::timestamptz[],
                   ARRAY['2026-01-01 10:00+00', 'infinity']::timestamptz[], 30, true) AS infinities;

-- place_key_event_positions: the same placement as 1-based positions in the
-- arrays as given (the workers take that row's columns by it), NULL for none
SELECT touchpoint_internal.place_key_event_positions('k', ARRAY['b', 'early', 'a', 'B'],
           ARRAY['2026-01-01 10:05+00', '2026-01-01 10:00+00', '2026-01-01 10:05+00', '2026-01-01 10:05+00']::timestamptz[],
           ARRAY[NULL, NULL, NULL, NULL]::timestamptz[],
           ARRAY['2026-01-01 10:02+00', '2026-01-01 10:06+00', '2026-01-01 09:00+00']::timestamptz[],
           1800000000, false) AS positions;
-- one session_id twice in a key (a registered source may repeat it): the row whose
-- start wins, not the first with that id; the text form cannot tell them apart
SELECT touchpoint_internal.place_key_event_positions('k', ARRAY['s1', 's1', 's2'],
           ARRAY['2026-01-01 10:00+00', '2026-01-01 10:10+00', '2026-01-01 09:00+00']::timestamptz[],
           ARRAY[NULL, NULL, NULL]::timestamptz[],
           ARRAY['2026-01-01 10:15+00', '2026-01-01 10:05+00', '2026-01-01 09:20+00', '2026-01-01 10:45+00']::timestamptz[],
           1800000000, false) AS repeated_id_positions,
       keyed.place(ARRAY['s1', 's1', 's2'],
           ARRAY['2026-01-01 10:00+00', '2026-01-01 10:10+00', '2026-01-01 09:00+00']::timestamptz[],
           ARRAY[NULL, NULL, NULL]::timestamptz[],
           ARRAY['2026-01-01 10:15+00', '2026-01-01 10:05+00', '2026-01-01 09:20+00', '2026-01-01 10:45+00']::timestamptz[]) AS repeated_id_ids;
SELECT touchpoint_internal.place_key_event_positions('k', NULL, NULL, NULL,
           ARRAY['2026-01-01 10:00+00']::timestamptz[], 1800000000, false) AS positions_no_sessions;

-- what it refuses, each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT keyed.place(ARRAY['s', NULL], ARRAY['2026-01-01 10:00+00', '2026-01-01 10:00+00']::timestamptz[],
                   ARRAY[NULL, NULL]::timestamptz[], ARRAY['2026-01-01 10:00+00']::timestamptz[]);
SELECT keyed.place(ARRAY['s'], ARRAY[NULL]::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY['2026-01-01 10:00+00']::timestamptz[]);
SELECT keyed.place(ARRAY['s'], ARRAY['2026-01-01 10:00+00']::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY[NULL]::timestamptz[]);
SELECT keyed.place(ARRAY['s'], ARRAY['2026-01-01 10:00+00']::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY['2026-01-01 10:00+00']::timestamptz[], 0);
SELECT keyed.place(ARRAY['s', 't'], ARRAY['2026-01-01 10:00+00']::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY['2026-01-01 10:00+00']::timestamptz[]);
SELECT keyed.place(ARRAY[['s']], ARRAY[['2026-01-01 10:00+00']]::timestamptz[], ARRAY[[NULL]]::timestamptz[],
                   ARRAY['2026-01-01 10:00+00']::timestamptz[]);
SELECT touchpoint_internal.place_key_events('k', NULL, NULL, NULL, '{}', NULL, false);
SELECT touchpoint_internal.place_key_event_positions('k', ARRAY['s'], ARRAY[NULL]::timestamptz[], ARRAY[NULL]::timestamptz[],
           ARRAY['2026-01-01 10:00+00']::timestamptz[], 1800000000, false);
SELECT touchpoint_internal.place_key_event_positions('k', ARRAY['s', 't'], ARRAY['2026-01-01 10:00+00']::timestamptz[],
           ARRAY[NULL]::timestamptz[], ARRAY['2026-01-01 10:00+00']::timestamptz[], 1800000000, false);
\set VERBOSITY default
-- the message names the session and says what to do
SELECT keyed.place(ARRAY['s'], ARRAY[NULL]::timestamptz[], ARRAY[NULL]::timestamptz[],
                   ARRAY['2026-01-01 10:00+00']::timestamptz[]);

-- the caller's settings, resolved as the engine resolves them, for the workers
SELECT * FROM touchpoint_internal.merge_settings();
SET touchpoint.session_window = '45min';
SET touchpoint.window_anchor = last_activity;
SELECT * FROM touchpoint_internal.merge_settings();
-- ... written into the placement statement (the workers do not have them)
SELECT step, query LIKE '%2700000000''::pg_catalog.int8, ''t''::pg_catalog.bool%' AS has_settings
FROM touchpoint_internal.keyed_stage_queries() WHERE step = 'place';
RESET touchpoint.session_window;
RESET touchpoint.window_anchor;
-- the five statements of the stage: four read the registered sources, the last
-- the keyed tables grouped by the key
SELECT step, CASE step WHEN 'place' THEN query LIKE '%FROM touchpoint_internal.keyed_events k GROUP BY k.key%'
                       ELSE query LIKE '%FROM touchpoint.' || CASE step WHEN 'fill_sessions' THEN 'sessions'
                           WHEN 'fill_calls' THEN 'tasks' WHEN 'fill_forms' THEN 'form_submits'
                           WHEN 'fill_chats' THEN 'chats' END || ' %' END AS reads_what_it_should
FROM touchpoint_internal.keyed_stage_queries();
-- without Citus the pipeline runs on this node, as always
SELECT touchpoint_internal.placed_on_workers() AS placed_on_workers;

-- differential: random sessions and calls of 300 BizibleIds, placed per key by
-- place_key_events (grouped as the workers group them) against a plain-SQL
-- reading of §3.1 and against merge_calls.  Random ties on the start, random
-- last activities (some NULL, some before the start), keys in mixed case.
SELECT setseed(0.5151);
CREATE TABLE keyed.s AS
SELECT 's' || g AS session_id,
       CASE WHEN g % 7 = 0 THEN upper(md5('k' || (g % 300))) ELSE md5('k' || (g % 300)) END AS bizible_id,
       timestamptz '2026-01-01' + (floor(random() * 2000) * interval '1 minute') AS started_at,
       NULL::timestamptz AS last_activity_at,
       NULL::text AS channel, NULL::text AS subchannel, NULL::text AS source, NULL::text AS medium,
       NULL::text AS campaign, NULL::text AS ad_content, NULL::text AS keyword,
       NULL::text AS landing_page, NULL::text AS referrer_page
FROM generate_series(1, 6000) g ORDER BY g;
UPDATE keyed.s SET last_activity_at = CASE WHEN random() < 0.2 THEN NULL
                                           ELSE started_at + (floor(random() * 120) - 10) * interval '1 minute' END;
CREATE TABLE keyed.t AS
SELECT 't' || g AS task_id, md5('k' || (g % 300)) AS bizible_id, 'Call'::text AS type, NULL::text AS subject,
       NULL::text AS phone, NULL::text AS person_id,
       timestamptz '2026-01-01' + (floor(random() * 2100) * interval '1 minute') AS occurred_at, false AS is_deleted
FROM generate_series(1, 3000) g ORDER BY g;
CREATE TABLE keyed.ks AS
SELECT touchpoint.bizible_key(bizible_id) AS key, session_id, started_at, last_activity_at FROM keyed.s;
CREATE TABLE keyed.kt AS
SELECT touchpoint.bizible_key(bizible_id) AS key, task_id, occurred_at FROM keyed.t;
-- the workers' statement, on plain tables: GROUP BY the key on both sides
CREATE FUNCTION keyed.placed(window_usecs int8, anchor_last bool)
RETURNS TABLE (task_id text, session_id text) LANGUAGE sql AS $$
    SELECT u.task_id, u.session_id
    FROM (SELECT key, array_agg(task_id) AS ids, array_agg(occurred_at) AS ats FROM keyed.kt GROUP BY key) e
    LEFT JOIN (SELECT key, array_agg(session_id ORDER BY started_at) AS ids, array_agg(started_at ORDER BY started_at) AS starts,
                      array_agg(last_activity_at ORDER BY started_at) AS lasts
               FROM keyed.ks GROUP BY key) s USING (key)
    CROSS JOIN LATERAL ROWS FROM (unnest(e.ids),
        unnest(touchpoint_internal.place_key_events(e.key, s.ids, s.starts, s.lasts, e.ats, window_usecs, anchor_last)))
        AS u(task_id, session_id)
$$;
-- §3.1 in plain SQL: the covering session of the same key with the latest start,
-- ties to the smallest id bytewise
CREATE FUNCTION keyed.reference(win interval, anchor_last bool)
RETURNS TABLE (task_id text, session_id text) LANGUAGE sql AS $$
    SELECT t.task_id,
           (SELECT s.session_id FROM keyed.ks s
            WHERE s.key = t.key AND s.started_at <= t.occurred_at
              AND t.occurred_at < (CASE WHEN anchor_last THEN coalesce(s.last_activity_at, s.started_at)
                                        ELSE s.started_at END) + win
            ORDER BY s.started_at DESC, s.session_id COLLATE "C" LIMIT 1)
    FROM keyed.kt t
$$;
SELECT w AS session_window, a AS anchor_last,
       (SELECT count(*) FROM keyed.placed(extract(epoch FROM w)::int8 * 1000000, a)) AS events,
       (SELECT count(*) FROM keyed.placed(extract(epoch FROM w)::int8 * 1000000, a) WHERE session_id IS NOT NULL) > 500 AS many_merged,
       (SELECT count(*) FROM ((SELECT * FROM keyed.placed(extract(epoch FROM w)::int8 * 1000000, a)
                               EXCEPT ALL SELECT * FROM keyed.reference(w, a))
                              UNION ALL
                              (SELECT * FROM keyed.reference(w, a)
                               EXCEPT ALL SELECT * FROM keyed.placed(extract(epoch FROM w)::int8 * 1000000, a))) d) AS differ_from_sql
FROM (VALUES (interval '30 minutes', false), (interval '30 minutes', true), (interval '7 minutes', true),
             (interval '3 hours', false)) v(w, a);
-- the positions name the same sessions as the ids, event by event, under each setting
SELECT w AS session_window, a AS anchor_last,
       (SELECT count(*)
        FROM (SELECT key, array_agg(occurred_at) AS ats FROM keyed.kt GROUP BY key) e
        LEFT JOIN (SELECT key, array_agg(session_id) AS ids, array_agg(started_at) AS starts,
                          array_agg(last_activity_at) AS lasts FROM keyed.ks GROUP BY key) s USING (key)
        CROSS JOIN LATERAL ROWS FROM (
            unnest(touchpoint_internal.place_key_events(e.key, s.ids, s.starts, s.lasts, e.ats,
                                                        extract(epoch FROM w)::int8 * 1000000, a)),
            unnest(touchpoint_internal.place_key_event_positions(e.key, s.ids, s.starts, s.lasts, e.ats,
                                                                 extract(epoch FROM w)::int8 * 1000000, a))) u(id, pos)
        WHERE u.id IS DISTINCT FROM s.ids[u.pos]) AS positions_differ_from_ids
FROM (VALUES (interval '30 minutes', false), (interval '30 minutes', true), (interval '7 minutes', true),
             (interval '3 hours', false)) v(w, a);
-- and against merge_calls (the one-node engine), whose merged calls are those with a session
SET touchpoint.window_anchor = last_activity;
SELECT count(*) AS differ_from_merge_calls
FROM ((SELECT task_id, session_id FROM keyed.placed(1800000000, true) WHERE session_id IS NOT NULL
       EXCEPT ALL SELECT task_id, session_id FROM touchpoint.merge_calls('keyed.s', 'keyed.t') WHERE session_id IS NOT NULL)
      UNION ALL
      (SELECT task_id, session_id FROM touchpoint.merge_calls('keyed.s', 'keyed.t') WHERE session_id IS NOT NULL
       EXCEPT ALL SELECT task_id, session_id FROM keyed.placed(1800000000, true) WHERE session_id IS NOT NULL)) d;
RESET touchpoint.window_anchor;
DROP SCHEMA keyed CASCADE;
