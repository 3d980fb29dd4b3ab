-- hostile: a catalogue of hostile inputs (docs/spec.md §2-§4).  One section per item;
-- each ends in rows derived by hand from docs/spec.md (stated in the comment before
-- the query) or in an ERROR with a specific SQLSTATE -- never XX000, never a
-- crashed backend.  Every merge is run under every touchpoint.merge_strategy
-- (plain tables are read straight from the heap by scan and probe -- the probe
-- walks the (bizible_key, started_at) index directly when there is one --
-- views, partitioned and foreign tables go through SPI) and, where it
-- matters, under both touchpoint.window_anchor values.
--
-- Where the current code disagrees with what docs/spec.md says is right, the test
-- states what is right and the expected output holds that: see the
-- "DISCREPANCY" comments.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
\set VERBOSITY terse
CREATE SCHEMA hostile;

-- ---------------------------------------------------------------------------
-- Helpers.
-- ---------------------------------------------------------------------------
-- mask(message): OIDs and TOAST table names vary between runs; 1 MB values
-- in a message are shortened.
CREATE FUNCTION hostile.mask(msg text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN length(m) > 300 THEN left(m, 100) || '... (' || length(m) || ' characters)' ELSE m END
FROM regexp_replace(regexp_replace(msg, 'OID [0-9]+', 'OID <oid>', 'g'),
                    'pg_toast_[0-9]+', 'pg_toast_<oid>', 'g') AS m
$$;
-- try(stmt): 'ok', or the SQLSTATE and the message of the error it raised.
CREATE FUNCTION hostile.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ': ' || hostile.mask(msg);
END $$;
-- eval(stmt): the one text value stmt returns, or the SQLSTATE and message.
CREATE FUNCTION hostile.eval(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE stmt INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || hostile.mask(SQLERRM);
END $$;
-- merged(): merge_calls' rows in one line, by task_id:
--   task=session[touchpoint_type/medium], with flags=true also the output
--   columns that are NULL although the task / merged session has a value
--   (person_id, phone, subject; the eight web columns of a merged row).
CREATE FUNCTION hostile.merged(sess regclass, tasks regclass, win interval DEFAULT NULL,
                               flags boolean DEFAULT false)
RETURNS text LANGUAGE sql AS $$
SELECT coalesce(string_agg(m.task_id || '=' || coalesce(m.session_id, '-') || '['
           || m.touchpoint_type || '/' || coalesce(m.medium, 'NULL')
           || CASE WHEN flags AND n.list <> '' THEN ' null:' || n.list ELSE '' END || ']',
           '; ' ORDER BY m.task_id COLLATE pg_catalog."C", m.session_id COLLATE pg_catalog."C"),
       '(no rows)')
FROM touchpoint.merge_calls(sess, tasks, win) AS m,
     LATERAL (SELECT concat_ws(',',
        CASE WHEN m.person_id IS NULL THEN 'person_id' END,
        CASE WHEN m.phone IS NULL THEN 'phone' END,
        CASE WHEN m.subject IS NULL THEN 'subject' END,
        CASE WHEN m.session_id IS NOT NULL AND m.channel IS NULL THEN 'channel' END,
        CASE WHEN m.session_id IS NOT NULL AND m.subchannel IS NULL THEN 'subchannel' END,
        CASE WHEN m.session_id IS NOT NULL AND m.source IS NULL THEN 'source' END,
        CASE WHEN m.session_id IS NOT NULL AND m.campaign IS NULL THEN 'campaign' END,
        CASE WHEN m.session_id IS NOT NULL AND m.ad_content IS NULL THEN 'ad_content' END,
        CASE WHEN m.session_id IS NOT NULL AND m.keyword IS NULL THEN 'keyword' END,
        CASE WHEN m.session_id IS NOT NULL AND m.landing_page IS NULL THEN 'landing_page' END,
        CASE WHEN m.session_id IS NOT NULL AND m.referrer_page IS NULL THEN 'referrer_page' END)
        AS list) AS n
$$;
-- explained(): explain_calls' rows in one line: task:status(nearest gap).
CREATE FUNCTION hostile.explained(sess regclass, tasks regclass, win interval DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
SELECT coalesce(string_agg(e.task_id || ':' || e.status
           || CASE WHEN e.nearest_session_id IS NOT NULL
                   THEN '(' || e.nearest_session_id || ' ' || coalesce(e.gap::text, 'no gap') || ')'
                   ELSE '' END,
           '; ' ORDER BY e.task_id COLLATE pg_catalog."C", e.status COLLATE pg_catalog."C"),
       '(no rows)')
FROM touchpoint.explain_calls(sess, tasks, win) AS e
$$;
-- run_sql(items, anchors): items is a flat array of (label, merge_sql,
-- explain_sql); merge_sql is run under each of the five merge strategies,
-- explain_sql once, for each anchor.  Each must return one text value (an
-- error is reported as its SQLSTATE and message).  Equal results are shown
-- once, with the readers that gave them: "merge_calls (every strategy)"
-- means sorted, scan, probe, scan_executor and auto all gave that result.
CREATE FUNCTION hostile.run_sql(items text[], anchors text[] DEFAULT ARRAY['session_start'])
RETURNS TABLE (anchor text, readers text, result text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    strategies CONSTANT text[] := ARRAY['sorted', 'scan', 'probe', 'scan_executor', 'auto'];
    saved_strategy text := current_setting('touchpoint.merge_strategy');
    saved_anchor text := current_setting('touchpoint.window_anchor');
    a_anchor text[] := '{}';
    a_aord int[] := '{}';
    a_label text[] := '{}';
    a_lord int[] := '{}';
    a_rord int[] := '{}';
    a_result text[] := '{}';
    r text;
    q text;
    ai int;
    i int;
    j int;
BEGIN
    FOR ai IN 1 .. cardinality(anchors) LOOP
        PERFORM set_config('touchpoint.window_anchor', anchors[ai], false);
        FOR i IN 1 .. cardinality(items) / 3 LOOP
            FOR j IN 1 .. 6 LOOP
                q := CASE WHEN j <= 5 THEN items[3 * i - 1] ELSE items[3 * i] END;
                CONTINUE WHEN q IS NULL;
                IF j <= 5 THEN
                    PERFORM set_config('touchpoint.merge_strategy', strategies[j], false);
                END IF;
                BEGIN
                    EXECUTE q INTO r;
                EXCEPTION WHEN OTHERS THEN
                    r := SQLSTATE || ': ' || hostile.mask(SQLERRM);
                END;
                a_anchor := a_anchor || anchors[ai];
                a_aord := a_aord || ai;
                a_label := a_label || items[3 * i - 2];
                a_lord := a_lord || i;
                a_rord := a_rord || j;
                a_result := a_result || r;
            END LOOP;
        END LOOP;
    END LOOP;
    PERFORM set_config('touchpoint.merge_strategy', saved_strategy, false);
    PERFORM set_config('touchpoint.window_anchor', saved_anchor, false);
    RETURN QUERY
    WITH c AS (
        SELECT * FROM unnest(a_anchor, a_aord, a_label, a_lord, a_rord, a_result)
            AS c(anchor, aord, label, lord, rord, result)),
    per_label AS (
        SELECT c.anchor, c.aord, c.result, c.label, min(c.lord) AS lord,
               min(c.lord * 10 + c.rord) AS first_seen,
               concat_ws(' + ',
                   CASE WHEN count(*) FILTER (WHERE c.rord <= 5) = 5 THEN 'merge_calls (every strategy)'
                        WHEN count(*) FILTER (WHERE c.rord <= 5) > 0 THEN 'merge_calls ('
                             || string_agg(strategies[c.rord], ', ' ORDER BY c.rord) FILTER (WHERE c.rord <= 5)
                             || ')' END,
                   CASE WHEN bool_or(c.rord = 6) THEN 'explain_calls' END) AS how
        FROM c GROUP BY c.anchor, c.aord, c.result, c.label),
    per_how AS (
        SELECT p.anchor, p.aord, p.result, p.how, min(p.first_seen) AS first_seen,
               string_agg(p.label, ', ' ORDER BY p.lord) AS labels
        FROM per_label p GROUP BY p.anchor, p.aord, p.result, p.how)
    SELECT h.anchor, string_agg(h.labels || ': ' || h.how, '; ' ORDER BY h.first_seen), h.result
    FROM per_how h GROUP BY h.anchor, h.aord, h.result
    ORDER BY h.aord, min(h.first_seen);
END $$;
-- run_all(pairs, ...): pairs is a flat array of (label, sessions, tasks);
-- merged() under every strategy and explained() for each pair.
CREATE FUNCTION hostile.run_all(pairs text[], win interval DEFAULT NULL,
                                anchors text[] DEFAULT ARRAY['session_start'],
                                flags boolean DEFAULT false)
RETURNS TABLE (anchor text, readers text, result text) LANGUAGE sql AS $$
SELECT * FROM hostile.run_sql(ARRAY(
    SELECT x FROM generate_series(1, cardinality(pairs) / 3) AS i,
           LATERAL unnest(ARRAY[pairs[3 * i - 2],
               format('SELECT hostile.merged(%L, %L, %L::interval, %L)', pairs[3 * i - 1], pairs[3 * i], win, flags),
               format('SELECT hostile.explained(%L, %L, %L::interval)', pairs[3 * i - 1], pairs[3 * i], win)])
               WITH ORDINALITY AS u(x, o)
    ORDER BY i, o), anchors)
$$;
-- the (bizible_key, started_at) index that touchpoint.sessions ships with,
-- which the probe strategy walks directly
CREATE PROCEDURE hostile.add_probe_index(rel regclass) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE INDEX ON %s (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C")', rel);
END $$;

-- ---------------------------------------------------------------------------
-- The base data most sections start from (plain tables with the shipped
-- constraints and indexes).
--   hs-0  hb1  11:00, no last activity    (Organic)
--   hs-1  hb1  12:00, last active 12:10   (Paid Search, medium cpc)
--   ht-1 ' HB1 ' Call   12:20  -> merged hs-1 (20 min)
--   ht-2  hb1   blank   12:05  -> merged hs-1: Web Visit, medium cpc
--   ht-3  hb1   Call    12:35  -> outside (35 min after hs-1); under the
--                                 last_activity anchor merged (25 min after 12:10)
--   ht-4  NULL          12:20  -> no_bizible_id, no touchpoint
--   ht-5  hb1   deleted 12:20  -> deleted, no touchpoint
--   ht-6  hb9   Call    12:20  -> no_sessions: touchpoint without web data
-- ---------------------------------------------------------------------------
CREATE TABLE hostile.base_sessions (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.base_tasks (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.base_sessions VALUES
 ('hs-0', 'hb1', '2026-03-02 11:00+00', NULL, 'Organic', 'Google', 'google', 'organic', 'none',
  'none', 'kw0', 'https://example.com/', 'https://www.google.com/'),
 ('hs-1', 'hb1', '2026-03-02 12:00+00', '2026-03-02 12:10+00', 'Paid Search', 'Google', 'google', 'cpc',
  'spring', 'Call us', 'call tracking', 'https://example.com/pricing', 'https://www.google.com/');
INSERT INTO hostile.base_tasks VALUES
 ('ht-1', ' HB1 ', 'Call', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:20+00', false),
 ('ht-2', 'hb1', '  ', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:05+00', false),
 ('ht-3', 'hb1', 'Call', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:35+00', false),
 ('ht-4', NULL, 'Call', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:20+00', false),
 ('ht-5', 'hb1', 'Call', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:20+00', true),
 ('ht-6', 'hb9', 'Call', 'Inbound call', '+14155550134', 'p-1', '2026-03-02 12:20+00', false);
ANALYZE hostile.base_sessions, hostile.base_tasks;
-- session_start: ht-1=hs-1[Call/Call]; ht-2=hs-1[Web Visit/cpc]; ht-3=-[Call/Call]; ht-6=-[Call/Call]
--   explain: ht-1 merged 00:20, ht-2 merged 00:05, ht-3 outside_window (hs-1 00:35),
--            ht-4 no_bizible_id, ht-5 deleted, ht-6 no_sessions
-- last_activity: ht-3=hs-1 as well; gaps from 12:10: ht-1 00:10, ht-2 -00:05, ht-3 00:25
SELECT * FROM hostile.run_all(ARRAY['base', 'hostile.base_sessions', 'hostile.base_tasks'],
    NULL, ARRAY['session_start', 'last_activity'], true);

-- ===========================================================================
-- 1. NULL in every column of a view (and of a plain table without NOT NULL
--    constraints, read straight from the heap), one column at a time.
--    Decisions (docs/spec.md §2, §3.1, README "NULLs a view returns"):
--    sessions -- a NULL on hs-1, a session of a called BizibleId:
--      session_id, started_at   required: 23502 naming relation, column, row
--      bizible_id               a missing id: the session can never match and
--                               is ignored (ht-1, ht-2, ht-3 fall outside the
--                               window of hs-0; ht-2 then reads Phone Call)
--      last_activity_at         allowed: the last_activity anchor falls back
--                               to started_at, so ht-3 is no longer merged
--      web columns              allowed: NULL in the merged rows (medium:
--                               ht-2's medium, the session's, is NULL)
-- ===========================================================================
DO $$
DECLARE
    cols CONSTANT text[] := ARRAY['session_id', 'bizible_id', 'started_at', 'last_activity_at',
        'channel', 'subchannel', 'source', 'medium', 'campaign', 'ad_content', 'keyword',
        'landing_page', 'referrer_page'];
    c text;
BEGIN
    FOREACH c IN ARRAY cols LOOP
        EXECUTE format('CREATE VIEW hostile.%I AS SELECT %s FROM hostile.base_sessions',
            'sv_' || c,
            (SELECT string_agg(CASE WHEN x = c
                                    THEN format('CASE WHEN session_id = %L THEN NULL ELSE %I END AS %I', 'hs-1', x, x)
                                    ELSE quote_ident(x) END, ', ' ORDER BY o)
             FROM unnest(cols) WITH ORDINALITY AS u(x, o)));
        EXECUTE format('CREATE TABLE hostile.%I AS SELECT * FROM hostile.%I', 'st_' || c, 'sv_' || c);
        CALL hostile.add_probe_index(format('hostile.%I', 'st_' || c)::regclass);
    END LOOP;
END $$;
SELECT u.c AS nulled_on_hs_1, r.anchor, r.readers, r.result
FROM unnest(ARRAY['session_id', 'bizible_id', 'started_at', 'last_activity_at', 'channel',
        'subchannel', 'source', 'medium', 'campaign', 'ad_content', 'keyword', 'landing_page',
        'referrer_page']) WITH ORDINALITY AS u(c, o),
     LATERAL hostile.run_all(ARRAY['view', 'hostile.sv_' || u.c, 'hostile.base_tasks',
                                   'table', 'hostile.st_' || u.c, 'hostile.base_tasks'],
         NULL, CASE WHEN u.c = 'last_activity_at' THEN ARRAY['session_start', 'last_activity']
                    ELSE ARRAY['session_start'] END, true) WITH ORDINALITY AS r(anchor, readers, result, n)
ORDER BY u.o, r.n;

-- tasks -- a NULL on one task (the one named in the column "nulled"):
--   task_id on ht-1            23502 (a task with a NULL id); on a task that
--                              makes no touchpoint (ht-5 deleted, ht-4 without
--                              BizibleId) merge_calls needs nothing of it and
--                              gives the base rows, explain_calls must name the
--                              task in its row: 23502
--   bizible_id on ht-1         missing id: no touchpoint, no_bizible_id
--   type on ht-1               blank: Web Visit, medium = the session's (cpc)
--   subject, phone, person_id  allowed: NULL in the output
--   occurred_at on ht-1        needed to match: 23502; on ht-4 (no BizibleId)
--                              or ht-5 (deleted) no time is needed: base rows
--   is_deleted on ht-1         23502 (cannot tell whether it makes a
--                              touchpoint); on ht-4 (no BizibleId) merge_calls
--                              makes no touchpoint either way (base rows), but
--                              explain_calls cannot choose between deleted and
--                              no_bizible_id: 23502
DO $$
DECLARE
    cols CONSTANT text[] := ARRAY['task_id', 'bizible_id', 'type', 'subject', 'phone', 'person_id',
        'occurred_at', 'is_deleted'];
    cases CONSTANT text[] := ARRAY['task_id', 'ht-1', 'task_id', 'ht-5', 'task_id', 'ht-4',
        'bizible_id', 'ht-1', 'type', 'ht-1', 'subject', 'ht-1', 'phone', 'ht-1', 'person_id', 'ht-1',
        'occurred_at', 'ht-1', 'occurred_at', 'ht-4', 'occurred_at', 'ht-5',
        'is_deleted', 'ht-1', 'is_deleted', 'ht-4'];
    i int;
    name text;
BEGIN
    FOR i IN 1 .. cardinality(cases) / 2 LOOP
        name := cases[2 * i - 1] || '_' || replace(cases[2 * i], '-', '');
        EXECUTE format('CREATE VIEW hostile.%I AS SELECT %s FROM hostile.base_tasks', 'tv_' || name,
            (SELECT string_agg(CASE WHEN x = cases[2 * i - 1]
                                    THEN format('CASE WHEN task_id = %L THEN NULL ELSE %I END AS %I', cases[2 * i], x, x)
                                    ELSE quote_ident(x) END, ', ' ORDER BY o)
             FROM unnest(cols) WITH ORDINALITY AS u(x, o)));
        EXECUTE format('CREATE TABLE hostile.%I AS SELECT * FROM hostile.%I', 'tt_' || name, 'tv_' || name);
    END LOOP;
END $$;
SELECT u.c || ' on ' || u.t AS nulled, r.readers, r.result
FROM (VALUES (1, 'task_id', 'ht-1'), (2, 'task_id', 'ht-5'), (3, 'task_id', 'ht-4'),
             (4, 'bizible_id', 'ht-1'), (5, 'type', 'ht-1'), (6, 'subject', 'ht-1'),
             (7, 'phone', 'ht-1'), (8, 'person_id', 'ht-1'), (9, 'occurred_at', 'ht-1'),
             (10, 'occurred_at', 'ht-4'), (11, 'occurred_at', 'ht-5'), (12, 'is_deleted', 'ht-1'),
             (13, 'is_deleted', 'ht-4')) AS u(o, c, t),
     LATERAL hostile.run_all(ARRAY[
         'view', 'hostile.base_sessions', 'hostile.tv_' || u.c || '_' || replace(u.t, '-', ''),
         'table', 'hostile.base_sessions', 'hostile.tt_' || u.c || '_' || replace(u.t, '-', '')],
         NULL, ARRAY['session_start'], true) WITH ORDINALITY AS r(anchor, readers, result, n)
ORDER BY u.o, r.n;
-- explain_call on such rows: a task that needs no time is explained
-- (ht-4 no_bizible_id, ht-5 deleted); one that needs it is 23502; a task
-- whose id is NULL cannot be found by its id (P0002); a task without
-- BizibleId whose is_deleted is NULL cannot be explained (23502).
SELECT t.id, t.tasks, hostile.eval(format('SELECT string_agg(status, %L) FROM touchpoint.explain_call(%L, %L, %L)',
           ',', t.id, 'hostile.base_sessions', t.tasks)) AS result
FROM (VALUES (1, 'ht-4', 'hostile.tv_occurred_at_ht4'), (2, 'ht-5', 'hostile.tv_occurred_at_ht5'),
             (3, 'ht-1', 'hostile.tv_occurred_at_ht1'), (4, 'ht-1', 'hostile.tv_task_id_ht1'),
             (5, 'ht-4', 'hostile.tv_is_deleted_ht4')) AS t(o, id, tasks)
ORDER BY t.o;

-- ===========================================================================
-- 2. Duplicate session_id or task_id in a view.  Decided rule: every row is
--    taken as given, like a SQL join would.
--    - a task row duplicated by a view gives one result row per copy
--      (nothing lost, nothing merged away); explain_call gives one row per copy;
--    - a view that returns every session twice changes nothing;
--    - two session rows with the same session_id but different starts are two
--      candidate sessions (the later start wins a call both cover);
--    - two rows identical in (session_id, started_at) are one session to the
--      rules (docs/spec.md §3.1.5 cannot tell them apart), so which of them supplies
--      the web columns is unspecified: only the session_id, the number of
--      rows and that the channel is one of the two are asserted.
-- ===========================================================================
CREATE VIEW hostile.dup_tasks AS
SELECT * FROM hostile.base_tasks UNION ALL SELECT * FROM hostile.base_tasks WHERE task_id IN ('ht-1', 'ht-4');
CREATE VIEW hostile.dup_sessions AS
SELECT * FROM hostile.base_sessions UNION ALL SELECT * FROM hostile.base_sessions;
-- ht-1 twice (both merged with hs-1), ht-4 twice in explain_calls (no_bizible_id)
SELECT * FROM hostile.run_all(ARRAY['tasks twice', 'hostile.base_sessions', 'hostile.dup_tasks']);
-- the base rows
SELECT * FROM hostile.run_all(ARRAY['sessions twice', 'hostile.dup_sessions', 'hostile.base_tasks']);
-- two rows, both merged with hs-1
SELECT task_id, status, session_id, gap FROM touchpoint.explain_call('ht-1', 'hostile.base_sessions', 'hostile.dup_tasks');
CREATE TABLE hostile.dup_s (LIKE touchpoint.sessions);
CREATE TABLE hostile.dup_t (LIKE touchpoint.tasks INCLUDING DEFAULTS);
INSERT INTO hostile.dup_s (session_id, bizible_id, started_at, channel) VALUES
 ('hd-a', 'hd1', '2026-03-02 12:00+00', 'A'),
 ('hd-a', 'hd1', '2026-03-02 12:20+00', 'B'),
 ('hd-b', 'hd2', '2026-03-02 12:00+00', 'X'),
 ('hd-b', 'hd2', '2026-03-02 12:00+00', 'Y');
CALL hostile.add_probe_index('hostile.dup_s');
CREATE VIEW hostile.dup_s_view AS SELECT * FROM hostile.dup_s;
INSERT INTO hostile.dup_t (task_id, bizible_id, type, occurred_at) VALUES
 ('hd-t10', 'hd1', 'Call', '2026-03-02 12:10+00'),  -- only the 12:00 row covers it: channel A
 ('hd-t25', 'hd1', 'Call', '2026-03-02 12:25+00'),  -- both cover it: the later start (12:20), B
 ('hd-t45', 'hd1', 'Call', '2026-03-02 12:45+00'),  -- only the 12:20 row covers it: B
 ('hd-t2',  'hd2', 'Call', '2026-03-02 12:10+00');  -- hd-b, channel X or Y (one row)
-- hd-t10=hd-a@12:00 A; hd-t2=hd-b@12:00 X|Y; hd-t25=hd-a@12:20 B; hd-t45=hd-a@12:20 B
-- explain: hd-t10 merged (hd-a 00:10), hd-t2 merged (hd-b 00:10), hd-t25 merged (hd-a 00:05), hd-t45 merged (hd-a 00:25)
SELECT * FROM hostile.run_sql(ARRAY[
    'table', $q$SELECT string_agg(task_id || '=' || session_id || '@' || to_char(session_started_at, 'HH24:MI') || ' '
             || CASE WHEN task_id = 'hd-t2' AND channel IN ('X', 'Y') THEN 'X|Y' ELSE channel END, '; ' ORDER BY task_id COLLATE "C")
             FROM touchpoint.merge_calls('hostile.dup_s', 'hostile.dup_t')$q$,
             $q$SELECT hostile.explained('hostile.dup_s', 'hostile.dup_t')$q$,
    'view', $q$SELECT string_agg(task_id || '=' || session_id || '@' || to_char(session_started_at, 'HH24:MI') || ' '
             || CASE WHEN task_id = 'hd-t2' AND channel IN ('X', 'Y') THEN 'X|Y' ELSE channel END, '; ' ORDER BY task_id COLLATE "C")
             FROM touchpoint.merge_calls('hostile.dup_s_view', 'hostile.dup_t')$q$,
             $q$SELECT hostile.explained('hostile.dup_s_view', 'hostile.dup_t')$q$]);

-- ===========================================================================
-- 3. Empty inputs: empty tables, a view WHERE false; explain_call on a
--    missing id is P0002 (22P02 when the id cannot even be a value of the
--    task key's type); refresh() of an empty database.
-- ===========================================================================
CREATE TABLE hostile.empty_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.empty_t (LIKE touchpoint.tasks INCLUDING ALL);
CREATE VIEW hostile.none_s AS SELECT * FROM hostile.base_sessions WHERE false;
CREATE VIEW hostile.none_t AS SELECT * FROM hostile.base_tasks WHERE false;
-- (no rows) everywhere
SELECT * FROM hostile.run_all(ARRAY['empty tables', 'hostile.empty_s', 'hostile.empty_t',
                                    'views WHERE false', 'hostile.none_s', 'hostile.none_t',
                                    'sessions only', 'hostile.base_sessions', 'hostile.empty_t',
                                    'sessions only (view)', 'hostile.base_sessions', 'hostile.none_t']);
-- no sessions: every call with a BizibleId is a touchpoint without web data
-- (ht-2 blank: Phone Call); explain: no_sessions, ht-4 no_bizible_id, ht-5 deleted
SELECT * FROM hostile.run_all(ARRAY['tasks only', 'hostile.empty_s', 'hostile.base_tasks',
                                    'tasks only (view)', 'hostile.none_s', 'hostile.base_tasks']);
CREATE TABLE hostile.int_tasks (task_id bigint PRIMARY KEY, bizible_id text, type text, subject text,
    phone text, person_id text, occurred_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false);
SELECT hostile.try($$SELECT * FROM touchpoint.explain_call('ht-1', 'hostile.empty_s', 'hostile.empty_t')$$) AS empty_tables,
       hostile.try($$SELECT * FROM touchpoint.explain_call('ht-1', 'hostile.none_s', 'hostile.none_t')$$) AS empty_views,
       hostile.try($$SELECT * FROM touchpoint.explain_call('', 'hostile.base_sessions', 'hostile.base_tasks')$$) AS empty_id,
       hostile.try($$SELECT * FROM touchpoint.explain_call('42', 'hostile.base_sessions', 'hostile.int_tasks')$$) AS integer_key,
       hostile.try($$SELECT * FROM touchpoint.explain_call('ht-1', 'hostile.base_sessions', 'hostile.int_tasks')$$) AS not_an_integer;
-- refresh() of an empty database (inside a transaction that is rolled back,
-- so rows other tests left in touchpoint.* are untouched): 0 touchpoints,
-- 0 opportunity touchpoints; the first refresh is plain when the view was
-- never populated, the second concurrently.
BEGIN;
DELETE FROM touchpoint.sessions;
DELETE FROM touchpoint.tasks;
DELETE FROM touchpoint.form_submits;
DELETE FROM touchpoint.chats;
DELETE FROM touchpoint.people;
DELETE FROM touchpoint.opportunities;
SELECT (SELECT count(*) FROM touchpoint.merge_calls()) AS merge_calls,
       (SELECT count(*) FROM touchpoint.explain_calls()) AS explain_calls,
       hostile.try($$SELECT * FROM touchpoint.explain_call('t-doc')$$) AS explain_call;
SELECT mode = 'full' AS refreshed, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
SELECT mode, touchpoints, opportunity_touchpoints FROM touchpoint.refresh();
SELECT (SELECT count(*) FROM touchpoint.touchpoints) AS touchpoints,
       (SELECT count(*) FROM touchpoint.touchpoints_live) AS touchpoints_live,
       (SELECT count(*) FROM touchpoint.opportunity_touchpoints) AS opportunity_touchpoints,
       (SELECT count(*) FROM touchpoint.channel_report) AS channel_report;
ROLLBACK;

-- ===========================================================================
-- 4. 1 MB text values: ids, BizibleId (padded, upper case), type, web
--    columns, subject, phone, person_id.  R is 1 MB of hex that does not
--    compress (stored out of line as it is), the repeats compress (to about
--    12 kB each, stored out of line compressed): both kinds of TOAST value are
--    read, by the heap readers and through SPI.
--    Expected, by hand from docs/spec.md §3.1:
--      'T'||R       BizibleId R            Call... (padded)  12:10 -> merged with big-s
--                   (the 1 MB session, 12:00): type and medium = the trimmed type,
--                   web columns the session's
--      t-big-blank  BizibleId ' '||upper(R)||' ', 1 MB of blanks as type, 12:15
--                   -> merged: Web Visit, medium = the session's 1 MB medium
--      t-big-nosess BizibleId R||'z' -> no_sessions: Call, no web data
-- ===========================================================================
CREATE TABLE hostile.big_val (name text PRIMARY KEY, v text);
INSERT INTO hostile.big_val
SELECT 'R', string_agg(md5(i::text), '' ORDER BY i) FROM generate_series(1, 32768) AS i;
CREATE TABLE hostile.big_s (LIKE touchpoint.sessions);
CREATE TABLE hostile.big_t (LIKE touchpoint.tasks);
INSERT INTO hostile.big_s
SELECT upper(v), E' \t' || upper(v) || E'\n ', '2026-03-02 12:00+00', NULL,
       repeat('c', 1048576), repeat('s', 1048576), repeat('o', 1048576), repeat('m', 1048576),
       repeat('p', 1048576), repeat('a', 1048576), repeat('k', 1048576),
       'https://example.com/' || v, 'https://referrer.example/' || v
FROM hostile.big_val WHERE name = 'R';
INSERT INTO hostile.big_t
SELECT 'T' || v, v, '  ' || repeat('Call ', 209715) || ' ', repeat('x', 1048576), v, v,
       '2026-03-02 12:10+00', false
FROM hostile.big_val WHERE name = 'R';
INSERT INTO hostile.big_t
SELECT 't-big-blank', ' ' || upper(v) || ' ', repeat(' ', 1048576), NULL, NULL, NULL, '2026-03-02 12:15+00', false
FROM hostile.big_val WHERE name = 'R';
INSERT INTO hostile.big_t
SELECT 't-big-nosess', v || 'z', 'Call', NULL, NULL, NULL, '2026-03-02 12:15+00', false
FROM hostile.big_val WHERE name = 'R';
CREATE VIEW hostile.big_s_view AS SELECT * FROM hostile.big_s;
CREATE VIEW hostile.big_t_view AS SELECT * FROM hostile.big_t;
-- how the values are stored: R as it is, the repeats compressed
SELECT pg_column_size(session_id) >= 1048576 AS r_uncompressed,
       pg_column_size(channel) < 1048576 / 10 AS repeat_compressed
FROM hostile.big_s;
-- the expected rows, written from the rules
CREATE TABLE hostile.big_expected AS
SELECT 'T' || r.v AS task_id, r.v AS bizible_id, r.v AS person_id, upper(r.v) AS session_id,
       repeat('Call ', 209714) || 'Call' AS touchpoint_type, repeat('Call ', 209714) || 'Call' AS medium,
       '2026-03-02 12:10+00'::timestamptz AS touchpoint_date, '2026-03-02 12:00+00'::timestamptz AS session_started_at,
       repeat('c', 1048576) AS channel, repeat('s', 1048576) AS subchannel, repeat('o', 1048576) AS source,
       repeat('p', 1048576) AS campaign, repeat('a', 1048576) AS ad_content, repeat('k', 1048576) AS keyword,
       'https://example.com/' || r.v AS landing_page, 'https://referrer.example/' || r.v AS referrer_page,
       r.v AS phone, repeat('x', 1048576) AS subject
FROM hostile.big_val r WHERE r.name = 'R'
UNION ALL
SELECT 't-big-blank', r.v, NULL, upper(r.v), 'Web Visit', repeat('m', 1048576),
       '2026-03-02 12:15+00', '2026-03-02 12:00+00',
       repeat('c', 1048576), repeat('s', 1048576), repeat('o', 1048576),
       repeat('p', 1048576), repeat('a', 1048576), repeat('k', 1048576),
       'https://example.com/' || r.v, 'https://referrer.example/' || r.v, NULL, NULL
FROM hostile.big_val r WHERE r.name = 'R'
UNION ALL
SELECT 't-big-nosess', r.v || 'z', NULL, NULL, 'Call', 'Call', '2026-03-02 12:15+00', NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM hostile.big_val r WHERE r.name = 'R';
-- rows 3, differences 0, and the lengths of what came out
SELECT * FROM hostile.run_sql(ARRAY[
    'tables', $q$SELECT format('rows %s, differences %s', (SELECT count(*) FROM touchpoint.merge_calls('hostile.big_s', 'hostile.big_t')),
        (SELECT count(*) FROM ((SELECT * FROM touchpoint.merge_calls('hostile.big_s', 'hostile.big_t') EXCEPT ALL SELECT * FROM hostile.big_expected)
                             UNION ALL (SELECT * FROM hostile.big_expected EXCEPT ALL SELECT * FROM touchpoint.merge_calls('hostile.big_s', 'hostile.big_t'))) d))$q$,
        NULL,
    'views', $q$SELECT format('rows %s, differences %s', (SELECT count(*) FROM touchpoint.merge_calls('hostile.big_s_view', 'hostile.big_t_view')),
        (SELECT count(*) FROM ((SELECT * FROM touchpoint.merge_calls('hostile.big_s_view', 'hostile.big_t_view') EXCEPT ALL SELECT * FROM hostile.big_expected)
                             UNION ALL (SELECT * FROM hostile.big_expected EXCEPT ALL SELECT * FROM touchpoint.merge_calls('hostile.big_s_view', 'hostile.big_t_view'))) d))$q$,
        NULL]);
SELECT left(task_id, 8) AS task_id, length(task_id) AS id_len, length(bizible_id) AS key_len,
       length(session_id) AS session_len, left(touchpoint_type, 10) AS type, length(touchpoint_type) AS type_len,
       length(medium) AS medium_len, length(channel) AS channel_len, length(landing_page) AS landing_len,
       length(subject) AS subject_len, md5(bizible_id) = md5((SELECT v FROM hostile.big_val WHERE name = 'R')) AS key_is_r
FROM touchpoint.merge_calls('hostile.big_s', 'hostile.big_t') ORDER BY task_id COLLATE "C";
-- explain_calls: statuses, and the sentences hold the 1 MB ids whole
SELECT left(e.task_id, 8) AS task_id, e.status, length(e.session_id) AS session_len, e.gap,
       e.detail = CASE e.status
           WHEN 'merged' THEN format('call at %s UTC came %s after session %s started at 12:00 UTC; the window is 30 min, so the call is merged with it%s',
                                     to_char(t.occurred_at, 'HH24:MI'), CASE WHEN t.task_id = 't-big-blank' THEN '15 min' ELSE '10 min' END,
                                     upper(r.v), CASE WHEN t.task_id = 't-big-blank' THEN '; the task type is blank, so the touchpoint reads Web Visit' ELSE '' END)
           ELSE format('no web session carries BizibleId %s; the call becomes a touchpoint of its own without web data', r.v || 'z') END AS detail_as_expected,
       length(e.detail) AS detail_len
FROM touchpoint.explain_calls('hostile.big_s_view', 'hostile.big_t_view') AS e
JOIN hostile.big_t AS t ON t.task_id = e.task_id, hostile.big_val AS r
WHERE r.name = 'R'
ORDER BY e.task_id COLLATE "C";
-- explain_call with a 1 MB id: found; a missing 1 MB id: P0002
SELECT status, length(session_id) AS session_len
FROM touchpoint.explain_call((SELECT 'T' || v FROM hostile.big_val WHERE name = 'R'), 'hostile.big_s', 'hostile.big_t');
SELECT hostile.try(format('SELECT * FROM touchpoint.explain_call(%L, %L, %L)',
           (SELECT 'U' || v FROM hostile.big_val WHERE name = 'R'), 'hostile.big_s', 'hostile.big_t')) AS missing_1mb_id;
-- The extension's own tables: a 1 MB BizibleId, session_id or task_id cannot
-- be stored at all -- the shipped btree indexes refuse it (54000, PostgreSQL's
-- own error); 1 MB web columns and subject load, merge and refresh.
BEGIN;
DELETE FROM touchpoint.sessions;
DELETE FROM touchpoint.tasks;
DELETE FROM touchpoint.form_submits;
DELETE FROM touchpoint.chats;
SELECT hostile.try($$INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at)
                     SELECT 'own-big', v, now() FROM hostile.big_val WHERE name = 'R'$$) AS bizible_id_1mb,
       hostile.try($$INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at)
                     SELECT v, 'own', now() FROM hostile.big_val WHERE name = 'R'$$) AS session_id_1mb,
       hostile.try($$INSERT INTO touchpoint.tasks (task_id, bizible_id, occurred_at)
                     SELECT v, 'own', now() FROM hostile.big_val WHERE name = 'R'$$) AS task_id_1mb;
INSERT INTO touchpoint.sessions
SELECT 'own-s', 'own1', '2026-03-02 12:00+00'::timestamptz, NULL, repeat('c', 1048576), NULL, 'google', 'cpc', NULL, NULL, NULL,
       'https://example.com/' || v, NULL
FROM hostile.big_val WHERE name = 'R';
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, occurred_at)
SELECT 'own-t', 'own1', 'Call', repeat('x', 1048576), '2026-03-02 12:10+00'::timestamptz;
-- one touchpoint: the merged call, channel and landing page 1 MB, FT,LC
SELECT task_id, session_id, length(channel) AS channel_len, length(landing_page) AS landing_len, length(subject) AS subject_len
FROM touchpoint.merge_calls();
SELECT touchpoints FROM touchpoint.refresh();
SELECT touchpoint_id, session_id, touchpoint_type, length(channel) AS channel_len,
       length(landing_page) AS landing_len, position
FROM touchpoint.touchpoints;
ROLLBACK;

-- ===========================================================================
-- 5. Extreme timestamps: the first (4714-11-24 BC) and last
--    (294276-12-31 23:59:59.999999) timestamptz, +-infinity, as started_at,
--    last_activity_at and occurred_at; windows from 1 microsecond to the
--    largest (2^63-1 microseconds) and beyond (refused: 22023).  A window end
--    beyond the last timestamp saturates: it covers every finite time after
--    the anchor but never 'infinity' (half-open).
--      xs-lo     xlo  4714-11-24 00:00 BC
--      xs-hi     xhi  294276-12-31 23:50
--      xs-la-inf xla  2026-03-02 12:00, last active 'infinity'
--      xs-la-ninf xlb 2026-03-02 12:00, last active '-infinity'
--      xt-lo-0    xlo  the first timestamp      merged with any window
--      xt-lo      xlo  + 20 min                  merged (30 min), not with 1 us
--      xt-lo-ninf xlo  -infinity                 before the session: never
--      xt-lo-far  xlo  269078-08-06 23:59:59.999999 (= xs-lo + 100000000 days - 1 us)
--      xt-lo-end  xlo  269078-08-07 00:00        (= xs-lo + 100000000 days): never
--                                                with that window (half-open)
--      xt-hi      xhi  the last timestamp        merged (9 min 59.999999 s)
--      xt-hi-inf  xhi  infinity                  never
--      xt-la      xla  2030-01-01                last_activity: merged (window ends
--                                                at infinity); session_start: only
--                                                with a window of > 3.8 years
--      xt-lb      xlb  2026-03-02 12:10          session_start: merged;
--                                                last_activity: never (ends at -infinity)
--      xt-la-ninf xla  -infinity                 before the session: never
-- ===========================================================================
CREATE TABLE hostile.ext_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.ext_t (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.ext_s (session_id, bizible_id, started_at, last_activity_at) VALUES
 ('xs-lo', 'xlo', '4714-11-24 00:00:00+00 BC', NULL),
 ('xs-hi', 'xhi', '294276-12-31 23:50:00+00', NULL),
 ('xs-la-inf', 'xla', '2026-03-02 12:00+00', 'infinity'),
 ('xs-la-ninf', 'xlb', '2026-03-02 12:00+00', '-infinity');
INSERT INTO hostile.ext_t (task_id, bizible_id, type, occurred_at) VALUES
 ('xt-lo-0', 'xlo', 'Call', '4714-11-24 00:00:00+00 BC'),
 ('xt-lo', 'xlo', 'Call', '4714-11-24 00:20:00+00 BC'),
 ('xt-lo-ninf', 'xlo', 'Call', '-infinity'),
 ('xt-lo-far', 'xlo', 'Call', '269078-08-06 23:59:59.999999+00'),
 ('xt-lo-end', 'xlo', 'Call', '269078-08-07 00:00:00+00'),
 ('xt-hi', 'xhi', 'Call', '294276-12-31 23:59:59.999999+00'),
 ('xt-hi-inf', 'xhi', 'Call', 'infinity'),
 ('xt-la', 'xla', 'Call', '2030-01-01 00:00+00'),
 ('xt-lb', 'xlb', 'Call', '2026-03-02 12:10+00'),
 ('xt-la-ninf', 'xla', 'Call', '-infinity');
CREATE VIEW hostile.ext_s_view AS SELECT * FROM hostile.ext_s;
CREATE VIEW hostile.ext_t_view AS SELECT * FROM hostile.ext_t;
-- the boundary is where SQL puts it
SELECT '4714-11-24 00:00:00+00 BC'::timestamptz + interval '100000000 days' AS lo_plus_100000000_days;
-- 30 min: merged xt-hi, xt-lb (session_start) / xt-la (last_activity), xt-lo, xt-lo-0
SELECT * FROM hostile.run_sql(ARRAY[
    'table', $q$SELECT hostile.merged('hostile.ext_s', 'hostile.ext_t')$q$, $q$SELECT hostile.explained('hostile.ext_s', 'hostile.ext_t')$q$,
    'view', $q$SELECT hostile.merged('hostile.ext_s_view', 'hostile.ext_t_view')$q$, $q$SELECT hostile.explained('hostile.ext_s_view', 'hostile.ext_t_view')$q$],
    ARRAY['session_start', 'last_activity']);
-- 100000000 days: also xt-lo-far and xt-la (both anchors); still never
-- xt-lo-end, xt-hi-inf, xt-lo-ninf; xt-lb only under session_start
SELECT * FROM hostile.run_all(ARRAY['table', 'hostile.ext_s', 'hostile.ext_t', 'view', 'hostile.ext_s_view', 'hostile.ext_t_view'],
    interval '100000000 days', ARRAY['session_start', 'last_activity']);
-- 1 microsecond: only xt-lo-0 (and xt-la under last_activity)
SELECT * FROM hostile.run_all(ARRAY['table', 'hostile.ext_s', 'hostile.ext_t', 'view', 'hostile.ext_s_view', 'hostile.ext_t_view'],
    interval '1 microsecond', ARRAY['session_start', 'last_activity']);
-- the largest window, 2^63-1 microseconds: xs-lo's window ends at
-- 287564-12-03 04:00:54.775807, so xt-lo-far and xt-lo-end are merged; the
-- infinities never are; xt-la/xt-lb under session_start too
SELECT * FROM hostile.run_all(ARRAY['table', 'hostile.ext_s', 'hostile.ext_t'],
    interval '106751991 days 04:00:54.775807', ARRAY['session_start']);
-- one microsecond more does not fit: 22023, as argument and as setting
SELECT hostile.try($$SELECT * FROM touchpoint.merge_calls('hostile.ext_s', 'hostile.ext_t', interval '106751991 days 04:00:54.775808')$$) AS argument,
       hostile.try($$SELECT * FROM touchpoint.explain_calls('hostile.ext_s', 'hostile.ext_t', interval '2147483647 days')$$) AS argument_days,
       hostile.try($$SET touchpoint.session_window = '106751991 days 04:00:54.775808'$$) AS setting;
SET touchpoint.session_window = '106751991 days 04:00:54.775807';
SHOW touchpoint.session_window;
SELECT hostile.merged('hostile.ext_s', 'hostile.ext_t') = hostile.merged('hostile.ext_s', 'hostile.ext_t', interval '106751991 days 04:00:54.775807') AS setting_as_argument;
RESET touchpoint.session_window;
-- The sentences: xt-lo on the first day of the calendar, xt-hi on the last,
-- a call at infinity.
SELECT task_id, status, gap, detail FROM touchpoint.explain_calls('hostile.ext_s', 'hostile.ext_t')
WHERE task_id IN ('xt-lo', 'xt-hi', 'xt-hi-inf') ORDER BY task_id COLLATE "C";
-- DISCREPANCY (a call at -infinity).  Such a call came before every session
-- by an unbounded time, as a call at infinity comes after them "an unbounded
-- time"; the sentence must not print a wrapped-around duration (today:
-- "came 104300446 days 4 h 54.775808 s before session xs-lo").  Right, for
-- xt-lo-ninf (nearest xs-lo, 4714 BC) and xt-la-ninf (nearest xs-la-inf, 2026):
--   "call at -infinity came an unbounded time before session ... started at ...;
--    a call before a session starts is never merged with it, ..."
SELECT task_id, status, nearest_session_id, gap,
       detail LIKE 'call at -infinity came an unbounded time before session % started at %; a call before a session starts is never merged with it%' AS says_unbounded
FROM touchpoint.explain_calls('hostile.ext_s', 'hostile.ext_t')
WHERE task_id IN ('xt-lo-ninf', 'xt-la-ninf') ORDER BY task_id COLLATE "C";
-- DISCREPANCY (gap overflow).  gap = occurred_at - anchor (docs/spec.md §3.3) over the
-- whole calendar exceeds 2^63 microseconds; it fits an interval (days + time)
-- and must not wrap around.  gs-lo starts on the first day, gs-hi on the
-- last; gt-hi is a call at the last microsecond for gs-lo's id, gt-lo a call
-- on the first day for gs-hi's id.  Right:
--   gt-hi: outside_window, gap = 109203527 days 23:59:59.999999 (positive),
--          the sentence says it came that long after gs-lo started
--   gt-lo: outside_window, gap = -109203527 days -23:00:00 (negative),
--          the sentence says it came 109203527 days 23 h before gs-hi started
--   and a BC year reads as SQL writes it (4714 ... BC), not as the
--   astronomical year -4713.
CREATE TABLE hostile.gap_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.gap_t (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.gap_s (session_id, bizible_id, started_at) VALUES
 ('gs-lo', 'g1', '4714-11-24 00:00:00+00 BC'), ('gs-hi', 'g2', '294276-12-31 23:00:00+00');
INSERT INTO hostile.gap_t (task_id, bizible_id, type, occurred_at) VALUES
 ('gt-hi', 'g1', 'Call', '294276-12-31 23:59:59.999999+00'), ('gt-lo', 'g2', 'Call', '4714-11-24 00:00:00+00 BC');
SELECT task_id, status, nearest_session_id,
       CASE task_id WHEN 'gt-hi' THEN gap = interval '109203527 days 23:59:59.999999'
                    ELSE gap = -interval '109203527 days 23:00:00' END AS gap_is_exact,
       CASE task_id WHEN 'gt-hi' THEN detail LIKE 'call at % came 109203527 days 23 h 59 min 59.999999 s after session gs-lo started at %'
                    ELSE detail LIKE 'call at % came 109203527 days 23 h before session gs-hi started at %' END AS detail_says_so,
       detail NOT LIKE '%-4713-%' AS bc_year_as_sql_writes_it
FROM touchpoint.explain_calls('hostile.gap_s', 'hostile.gap_t') ORDER BY task_id COLLATE "C";
-- gap_seconds over the whole calendar: the float8 nearest to extract(epoch
-- from gap) (which is exact), never wrapped; NULL exactly where gap is (a
-- call or session at infinity).
SELECT task_id, gap_seconds, gap_seconds = extract(epoch FROM gap)::float8 AS equals_epoch
FROM touchpoint.explain_calls('hostile.gap_s', 'hostile.gap_t') ORDER BY task_id COLLATE "C";
SELECT count(*) AS rows,
       count(*) FILTER (WHERE gap_seconds IS NOT DISTINCT FROM extract(epoch FROM gap)::float8) AS gap_seconds_agree,
       count(*) FILTER (WHERE gap IS NULL) AS null_gaps
FROM touchpoint.explain_calls('hostile.ext_s', 'hostile.ext_t');
-- DISCREPANCY (last activity at infinity).  Under the last_activity anchor
-- xs-la-inf (started 2026-03-02 12:00, last active 'infinity') covers the
-- call xt-la of 2030 -- a call *during* the session, before its last
-- activity; the sentence must say so ("came during session xs-la-inf"), not
-- that the call came "an unbounded time after" it was last active.
SET touchpoint.window_anchor = 'last_activity';
SELECT task_id, status, session_id, detail LIKE 'call at % came during session xs-la-inf (%' AS says_during_session
FROM touchpoint.explain_call('xt-la', 'hostile.ext_s', 'hostile.ext_t');
RESET touchpoint.window_anchor;

-- A call and a session at the same infinity: no gap, and a window that opens
-- at an infinite time holds no call (outside_window); the sentence says so
-- rather than "an unbounded time after" (found in review).
CREATE TABLE hostile.same_inf_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.same_inf_t (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.same_inf_s (session_id, bizible_id, started_at, last_activity_at) VALUES
 ('si-lo', 'si1', '-infinity', NULL), ('si-hi', 'si2', 'infinity', NULL), ('si-la', 'si3', '-infinity', '-infinity');
INSERT INTO hostile.same_inf_t (task_id, bizible_id, type, occurred_at) VALUES
 ('st-lo', 'si1', 'Call', '-infinity'), ('st-hi', 'si2', 'Call', 'infinity'), ('st-la', 'si3', 'Call', '-infinity');
SELECT task_id, status, gap, detail FROM touchpoint.explain_calls('hostile.same_inf_s', 'hostile.same_inf_t')
ORDER BY task_id COLLATE "C";
SET touchpoint.window_anchor = 'last_activity';
SELECT task_id, status, detail FROM touchpoint.explain_call('st-la', 'hostile.same_inf_s', 'hostile.same_inf_t');
RESET touchpoint.window_anchor;
-- ===========================================================================
-- 6. A window with a month or a day part.  Rule (README, src/touchpoint.c): a
--    month/year part is refused (22023) -- even '1 mon -30 days', which SQL
--    calls equal to zero; a day part counts exactly 24 hours (absolute time,
--    not calendar days; see section 7 across daylight-saving changes).  The
--    same rule for the argument and for touchpoint.session_window, and the
--    sentence shows the window as it is used.
--    With the base data a window of 1 h merges ht-1, ht-2 and ht-3
--    ('1 day -23 hours' and '-1 day 25 hours' are 1 h).
-- ===========================================================================
SELECT w AS window_argument,
       hostile.try(format('SELECT * FROM touchpoint.merge_calls(%L, %L, %L::interval)', 'hostile.base_sessions', 'hostile.base_tasks', w)) AS merge_calls,
       hostile.try(format('SELECT * FROM touchpoint.explain_call(%L, %L, %L, %L::interval)', 'ht-1', 'hostile.base_sessions', 'hostile.base_tasks', w)) AS explain_call,
       hostile.try(format('SET touchpoint.session_window = %L', w)) AS setting
FROM unnest(ARRAY['1 mon', '1 year', '1 mon -30 days', 'P1M', '-1 mon 32 days', '1 day', '1 day -23 hours',
                  '-1 day 25 hours', 'P1D', '1 week']) AS w;
RESET touchpoint.session_window;
-- the same rows for the same duration, however it is written
SELECT hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '1 hour') AS one_hour,
       hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '1 day -23 hours')
         = hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '1 hour') AS "1 day -23 hours",
       hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '-1 day 25 hours')
         = hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '1 hour') AS "-1 day 25 hours",
       hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '1 day')
         = hostile.merged('hostile.base_sessions', 'hostile.base_tasks', interval '24 hours') AS "1 day = 24 hours";
SET touchpoint.session_window = '-1 day 25 hours';
SHOW touchpoint.session_window;
SELECT hostile.merged('hostile.base_sessions', 'hostile.base_tasks') AS by_setting;
-- the sentence: the window as a duration (the setting; then arguments)
SELECT detail FROM touchpoint.explain_call('ht-3', 'hostile.base_sessions', 'hostile.base_tasks');
RESET touchpoint.session_window;
SELECT w, e.status, e.detail
FROM unnest(ARRAY['1 day', '1 day 2 hours', '1 day -23 hours 30 minutes', '0.5 mon']) WITH ORDINALITY AS u(w, o),
     LATERAL touchpoint.explain_call('ht-3', 'hostile.base_sessions', 'hostile.base_tasks', w::interval) AS e
ORDER BY u.o;
-- ('0.5 mon' is read by PostgreSQL itself as 15 days: no month part is left)

-- ===========================================================================
-- 7. Windows across a daylight-saving change.  Times are absolute: a
--    session at 01:50 local on the spring-forward night and a call 20 real
--    minutes later (local clock 03:10) are merged; a '1 day' window is 24
--    real hours (23 or 25 local hours); the sentences show local times in the
--    caller's time zone (and the real durations).
--      America/New_York  spring 2026-03-08 02:00 EST -> 03:00 EDT,
--                        fall   2026-11-01 02:00 EDT -> 01:00 EST
--      Europe/Berlin     spring 2026-03-29 02:00 CET -> 03:00 CEST
--      Australia/Lord_Howe spring 2026-10-04 02:00 +10:30 -> 02:30 +11 (30 min shift)
--      Asia/Kathmandu    +05:45, no DST
--    sessions (UTC)                              calls (UTC)
--      ny-s1 ny1 03-08 06:50 (01:50 EST),          ny-c1 07:10 (03:10 EDT) 20 min: merged
--            last active 06:55 (01:55 EST)         ny-c2 07:20 (03:20 EDT) 30 min: outside
--                                                    (last_activity: 25 min after 01:55, merged)
--      ny-s2 ny2 03-07 17:00 (12:00 EST)           ny-d1 03-08 16:30 (12:30 EDT) 23 h 30: merged with 1 day
--                                                  ny-d2 03-08 17:00 (13:00 EDT) 24 h: outside
--      ny-s3 ny3 11-01 05:50 (01:50 EDT)           ny-c3 06:10 (01:10 EST) 20 min: merged
--      ny-s4 ny4 10-31 16:00 (12:00 EDT)           ny-d3 11-01 16:30 (11:30 EST) 24 h 30: outside with 1 day
--                                                  ny-d4 11-01 15:59 (10:59 EST) 23 h 59: merged with 1 day
--      be-s1 be1 03-29 00:50 (01:50 CET)           be-c1 01:10 (03:10 CEST) 20 min: merged
--      be-s2 be2 03-28 11:00 (12:00 CET)           be-d1 03-29 10:30 (12:30 CEST) 23 h 30: merged with 1 day
--                                                  be-d2 03-29 11:00 (13:00 CEST) 24 h: outside
--      lh-s1 lh1 10-03 15:20 (01:50 +10:30)        lh-c1 15:40 (02:40 +11) 20 min: merged
--      kt-s1 kt1 03-02 18:00 (23:45 +05:45)        kt-c1 18:15 (00:00 next day) 15 min: merged
--                                                  kt-c2 kt2 03-03 00:00 (05:45): no_sessions
--    (calendar days would give the opposite for ny-d1, ny-d3, ny-d4, be-d1.)
-- ===========================================================================
CREATE TABLE hostile.dst_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.dst_t (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.dst_s (session_id, bizible_id, started_at, last_activity_at) VALUES
 ('ny-s1', 'ny1', '2026-03-08 06:50+00', '2026-03-08 06:55+00'),
 ('ny-s2', 'ny2', '2026-03-07 17:00+00', NULL),
 ('ny-s3', 'ny3', '2026-11-01 05:50+00', NULL),
 ('ny-s4', 'ny4', '2026-10-31 16:00+00', NULL),
 ('be-s1', 'be1', '2026-03-29 00:50+00', NULL),
 ('be-s2', 'be2', '2026-03-28 11:00+00', NULL),
 ('lh-s1', 'lh1', '2026-10-03 15:20+00', NULL),
 ('kt-s1', 'kt1', '2026-03-02 18:00+00', NULL);
INSERT INTO hostile.dst_t (task_id, bizible_id, type, occurred_at) VALUES
 ('ny-c1', 'ny1', 'Call', '2026-03-08 07:10+00'),
 ('ny-c2', 'ny1', 'Call', '2026-03-08 07:20+00'),
 ('ny-d1', 'ny2', 'Call', '2026-03-08 16:30+00'),
 ('ny-d2', 'ny2', 'Call', '2026-03-08 17:00+00'),
 ('ny-c3', 'ny3', 'Call', '2026-11-01 06:10+00'),
 ('ny-d3', 'ny4', 'Call', '2026-11-01 16:30+00'),
 ('ny-d4', 'ny4', 'Call', '2026-11-01 15:59+00'),
 ('be-c1', 'be1', 'Call', '2026-03-29 01:10+00'),
 ('be-d1', 'be2', 'Call', '2026-03-29 10:30+00'),
 ('be-d2', 'be2', 'Call', '2026-03-29 11:00+00'),
 ('lh-c1', 'lh1', 'Call', '2026-10-03 15:40+00'),
 ('kt-c1', 'kt1', 'Call', '2026-03-02 18:15+00'),
 ('kt-c2', 'kt2', 'Call', '2026-03-03 00:00+00');
CREATE VIEW hostile.dst_s_view AS SELECT * FROM hostile.dst_s;
-- the local clock, to check the data against the comment
SET timezone = 'America/New_York';
SELECT session_id, started_at, last_activity_at FROM hostile.dst_s WHERE session_id LIKE 'ny-%' ORDER BY session_id COLLATE "C";
SELECT task_id, occurred_at FROM hostile.dst_t WHERE task_id LIKE 'ny-%' ORDER BY task_id COLLATE "C";
-- In New York: 30 min (session_start: ny-c1, ny-c3, be-c1, lh-c1, kt-c1;
-- last_activity adds ny-c2) and 1 day (session_start: also ny-c2, ny-d1,
-- ny-d4, be-d1; last_activity the same)
SELECT * FROM hostile.run_all(ARRAY['table', 'hostile.dst_s', 'hostile.dst_t', 'view', 'hostile.dst_s_view', 'hostile.dst_t'],
    NULL, ARRAY['session_start', 'last_activity']);
SELECT * FROM hostile.run_all(ARRAY['table', 'hostile.dst_s', 'hostile.dst_t', 'view', 'hostile.dst_s_view', 'hostile.dst_t'],
    interval '1 day', ARRAY['session_start', 'last_activity']);
-- the same by setting
SET touchpoint.session_window = '1 day';
SELECT hostile.merged('hostile.dst_s', 'hostile.dst_t') = hostile.merged('hostile.dst_s', 'hostile.dst_t', interval '24 hours') AS setting_1_day_is_24_hours;
RESET touchpoint.session_window;
-- The outcome does not depend on the caller's time zone (one distinct
-- result over five zones, every strategy, both windows).
CREATE FUNCTION hostile.dst_outcome(tz text, strategy text) RETURNS text LANGUAGE sql AS $$
SELECT set_config('TimeZone', tz, false);
SELECT set_config('touchpoint.merge_strategy', strategy, false);
SELECT hostile.merged('hostile.dst_s', 'hostile.dst_t') || ' | '
       || hostile.merged('hostile.dst_s', 'hostile.dst_t', interval '1 day') || ' | '
       || hostile.explained('hostile.dst_s', 'hostile.dst_t', interval '1 day');
$$;
SELECT count(DISTINCT hostile.dst_outcome(tz, s)) AS distinct_results, count(*) AS runs
FROM unnest(ARRAY['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu']) AS tz,
     unnest(ARRAY['sorted', 'scan', 'probe', 'scan_executor', 'auto']) AS s;
RESET touchpoint.merge_strategy;
-- The sentences, in each zone's local time.
SET timezone = 'America/New_York';
SELECT task_id, status, gap, detail FROM touchpoint.explain_calls('hostile.dst_s', 'hostile.dst_t')
WHERE task_id LIKE 'ny-c%' ORDER BY task_id COLLATE "C";
SELECT task_id, status, gap, detail FROM touchpoint.explain_calls('hostile.dst_s', 'hostile.dst_t', interval '1 day')
WHERE task_id LIKE 'ny-d%' ORDER BY task_id COLLATE "C";
SET touchpoint.window_anchor = 'last_activity';
SELECT task_id, status, gap, detail FROM touchpoint.explain_call('ny-c2', 'hostile.dst_s', 'hostile.dst_t');
RESET touchpoint.window_anchor;
SET touchpoint.session_window = '1 day';
SELECT task_id, status, detail FROM touchpoint.explain_call('ny-d1', 'hostile.dst_s', 'hostile.dst_t');
RESET touchpoint.session_window;
SET timezone = 'Europe/Berlin';
SELECT task_id, status, gap, detail FROM touchpoint.explain_calls('hostile.dst_s', 'hostile.dst_t', interval '1 day')
WHERE task_id LIKE 'be-%' ORDER BY task_id COLLATE "C";
SET timezone = 'Australia/Lord_Howe';
SELECT task_id, status, gap, detail FROM touchpoint.explain_call('lh-c1', 'hostile.dst_s', 'hostile.dst_t');
-- Kathmandu: kt-c1 is local midnight (dates shown: the session's day is
-- the day before); kt-c2 is midnight UTC.  In UTC the flags swap.
SET timezone = 'Asia/Kathmandu';
SELECT task_id, status, detail FROM touchpoint.explain_calls('hostile.dst_s', 'hostile.dst_t')
WHERE task_id LIKE 'kt-%' ORDER BY task_id COLLATE "C";
SET timezone = 'UTC';
SELECT task_id, status, detail FROM touchpoint.explain_calls('hostile.dst_s', 'hostile.dst_t')
WHERE task_id LIKE 'kt-%' ORDER BY task_id COLLATE "C";

-- ===========================================================================
-- 8. Inputs of every relation kind.
--    works: a partitioned table (and one partition of it), a foreign table
--    (file_fdw reading a program's output: no file left behind), a
--    materialized view, a temporary and an unlogged table, a legacy
--    inheritance parent;
--    clear errors: a materialized view never populated (55000), a sequence,
--    an index, a partitioned index, a composite type, a TOAST table (42809).
-- ===========================================================================
CREATE TABLE hostile.part_s (LIKE touchpoint.sessions) PARTITION BY RANGE (started_at);
CREATE TABLE hostile.part_s_early PARTITION OF hostile.part_s FOR VALUES FROM (MINVALUE) TO ('2026-03-02 12:00+00');
CREATE TABLE hostile.part_s_late PARTITION OF hostile.part_s DEFAULT;
CREATE INDEX ON hostile.part_s (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
INSERT INTO hostile.part_s SELECT * FROM hostile.base_sessions;
CREATE TABLE hostile.part_t (LIKE touchpoint.tasks) PARTITION BY LIST (is_deleted);
CREATE TABLE hostile.part_t_live PARTITION OF hostile.part_t FOR VALUES IN (false);
CREATE TABLE hostile.part_t_deleted PARTITION OF hostile.part_t FOR VALUES IN (true);
INSERT INTO hostile.part_t SELECT * FROM hostile.base_tasks;
CREATE TABLE hostile.part_empty (LIKE touchpoint.tasks) PARTITION BY RANGE (occurred_at);
CREATE MATERIALIZED VIEW hostile.mv_s AS SELECT * FROM hostile.base_sessions;
CREATE MATERIALIZED VIEW hostile.mv_t AS SELECT * FROM hostile.base_tasks;
CREATE MATERIALIZED VIEW hostile.mv_never AS SELECT * FROM hostile.base_sessions WITH NO DATA;
CREATE TEMP TABLE hostile_tmp_s AS SELECT * FROM hostile.base_sessions;
CREATE UNLOGGED TABLE hostile.unlogged_t AS SELECT * FROM hostile.base_tasks;
CREATE EXTENSION file_fdw;
CREATE SERVER hostile_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE hostile.fdw_t (task_id text, bizible_id text, type text, subject text, phone text,
    person_id text, occurred_at timestamptz, is_deleted boolean)
SERVER hostile_files OPTIONS (format 'csv', program $p$printf '%s\n' 'ht-1, HB1 ,Call,s,+1,p-1,2026-03-02 12:20:00+00,false' 'ht-2,hb1,  ,s,+1,p-1,2026-03-02 12:05:00+00,false' 'ht-3,hb1,Call,s,+1,p-1,2026-03-02 12:35:00+00,false' 'ht-4,,Call,s,+1,p-1,2026-03-02 12:20:00+00,false' 'ht-5,hb1,Call,s,+1,p-1,2026-03-02 12:20:00+00,true' 'ht-6,hb9,Call,s,+1,p-1,2026-03-02 12:20:00+00,false'$p$);
CREATE FOREIGN TABLE hostile.fdw_s (session_id text, bizible_id text, started_at timestamptz,
    last_activity_at timestamptz, channel text, subchannel text, source text, medium text, campaign text,
    ad_content text, keyword text, landing_page text, referrer_page text)
SERVER hostile_files OPTIONS (format 'csv', program $p$printf '%s\n' 'hs-0,hb1,2026-03-02 11:00:00+00,,Organic,Google,google,organic,none,none,kw0,https://example.com/,https://www.google.com/' 'hs-1,hb1,2026-03-02 12:00:00+00,2026-03-02 12:10:00+00,Paid Search,Google,google,cpc,spring,Call us,call tracking,https://example.com/pricing,https://www.google.com/'$p$);
-- every working kind gives the base rows (part_s_late holds only hs-1,
-- which is what ht-1 and ht-2 merge with anyway; ht-3 is then nearest hs-1
-- too): ht-1=hs-1[Call/Call]; ht-2=hs-1[Web Visit/cpc]; ht-3=-[Call/Call]; ht-6=-[Call/Call]
SELECT * FROM hostile.run_all(ARRAY[
    'partitioned', 'hostile.part_s', 'hostile.part_t',
    'one partition', 'hostile.part_s_late', 'hostile.part_t',
    'foreign', 'hostile.fdw_s', 'hostile.fdw_t',
    'matview', 'hostile.mv_s', 'hostile.mv_t',
    'temporary + unlogged', 'hostile_tmp_s', 'hostile.unlogged_t']);
-- a partitioned table without partitions is empty
SELECT * FROM hostile.run_all(ARRAY['no partitions', 'hostile.base_sessions', 'hostile.part_empty']);
-- a materialized view never populated: 55000 however the sessions are read.
-- DISCREPANCY: with no calls in the tasks input, the one-pass strategies
-- (scan, probe, scan_executor, auto) never read the sessions and return no
-- rows, while sorted and explain_calls raise 55000; an input that cannot be
-- read is an error whatever the other input holds (and is checked up front
-- like a missing column): 55000 for every reader.
SELECT * FROM hostile.run_all(ARRAY['with calls', 'hostile.mv_never', 'hostile.base_tasks',
                                    'without calls', 'hostile.mv_never', 'hostile.empty_t']);
-- Relations that hold no rows of their own: 42809 naming the relation.
CREATE SEQUENCE hostile.seq;
CREATE TYPE hostile.comp AS (session_id text);
SELECT k.kind, hostile.try(format('SELECT * FROM touchpoint.merge_calls(%L, %L)', k.rel, 'hostile.base_tasks')) AS as_sessions,
       hostile.try(format('SELECT * FROM touchpoint.explain_calls(%L, %L)', 'hostile.base_sessions', k.rel)) AS as_tasks
FROM (VALUES (1, 'sequence', 'hostile.seq'),
             (2, 'index', 'hostile.base_sessions_pkey'),
             (3, 'partitioned index', (SELECT c.oid::regclass::text FROM pg_class c WHERE c.relkind = 'I'
                                       AND c.relnamespace = 'hostile'::regnamespace)),
             (4, 'composite type', 'hostile.comp'),
             (5, 'TOAST table', (SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'hostile.big_s'::regclass)))
     AS k(o, kind, rel)
ORDER BY k.o;
-- DISCREPANCY (legacy inheritance).  A plain table with inheritance
-- children has relkind 'r', and the heap readers (scan, probe, auto over
-- such a table) read only the parent's own heap (and the direct probe only
-- the parent's index), missing the children's rows -- which SELECT ... FROM
-- parent, and so sorted, scan_executor and explain_calls, include.  Right:
-- every reader sees the children, like SQL.
--   inh_s: hs-i0 (parent, ih1, 12:00), hs-i1 (child, ih2, 12:00)
--   inh_t: it-1 (parent, ih2, 12:05), it-2 (child, ih1, 12:05)
--   -> it-1=hs-i1[Call/Call]; it-2=hs-i0[Call/Call]
CREATE TABLE hostile.inh_s (LIKE touchpoint.sessions);
CREATE TABLE hostile.inh_s_child () INHERITS (hostile.inh_s);
CREATE TABLE hostile.inh_t (LIKE touchpoint.tasks INCLUDING DEFAULTS);
CREATE TABLE hostile.inh_t_child () INHERITS (hostile.inh_t);
INSERT INTO hostile.inh_s (session_id, bizible_id, started_at) VALUES ('hs-i0', 'ih1', '2026-03-02 12:00+00');
INSERT INTO hostile.inh_s_child (session_id, bizible_id, started_at) VALUES ('hs-i1', 'ih2', '2026-03-02 12:00+00');
INSERT INTO hostile.inh_t (task_id, bizible_id, type, occurred_at) VALUES ('it-1', 'ih2', 'Call', '2026-03-02 12:05+00');
INSERT INTO hostile.inh_t_child (task_id, bizible_id, type, occurred_at) VALUES ('it-2', 'ih1', 'Call', '2026-03-02 12:05+00');
SELECT * FROM hostile.run_all(ARRAY['inheritance', 'hostile.inh_s', 'hostile.inh_t']);
CALL hostile.add_probe_index('hostile.inh_s');
SELECT * FROM hostile.run_all(ARRAY['inheritance, with index', 'hostile.inh_s', 'hostile.inh_t']);

-- ===========================================================================
-- 9. A relation dropped or altered between two calls: every call reads the
--    catalog afresh, nothing is cached across calls, and prepared statements
--    and PL/pgSQL re-resolve the names (a regclass constant is a plan
--    dependency).
-- ===========================================================================
CREATE TABLE hostile.a9_s AS SELECT * FROM hostile.base_sessions;
CALL hostile.add_probe_index('hostile.a9_s');
CREATE TABLE hostile.a9_t AS SELECT * FROM hostile.base_tasks;
CREATE VIEW hostile.v9_t AS SELECT * FROM hostile.a9_t WHERE task_id IN ('ht-1', 'ht-3');
PREPARE p9 AS SELECT hostile.merged('hostile.a9_s', 'hostile.v9_t');
CREATE FUNCTION hostile.f9() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT string_agg(m.task_id || '=' || coalesce(m.session_id, '-'), '; ' ORDER BY m.task_id COLLATE "C")
            FROM touchpoint.merge_calls('hostile.a9_s', 'hostile.v9_t') AS m);
END $$;
-- ht-1=hs-1; ht-3=-
EXECUTE p9;
SELECT hostile.f9();
SELECT 'hostile.v9_t'::regclass::oid AS old_v9_oid \gset
-- a view re-defined: the new rows (ht-2=hs-1 only)
CREATE OR REPLACE VIEW hostile.v9_t AS SELECT * FROM hostile.a9_t WHERE task_id = 'ht-2';
EXECUTE p9;
SELECT hostile.f9();
-- dropped: 42P01 by name, and by the old OID
DROP VIEW hostile.v9_t;
SELECT hostile.try('EXECUTE p9') AS prepared, hostile.try('SELECT hostile.f9()') AS plpgsql,
       hostile.try(format('SELECT * FROM touchpoint.merge_calls(%L, %s)', 'hostile.a9_s', :old_v9_oid)) AS old_oid,
       hostile.try($$SELECT * FROM touchpoint.explain_calls('hostile.a9_s', 'hostile.v9_t')$$) AS by_name;
-- re-created: works again, with the new view's rows (every task of a9_t)
CREATE VIEW hostile.v9_t AS SELECT * FROM hostile.a9_t;
EXECUTE p9;
SELECT hostile.f9();
-- re-created with a column of an incompatible type: 42804 naming relation and column
DROP VIEW hostile.v9_t;
CREATE VIEW hostile.v9_t AS SELECT task_id, bizible_id, type, subject, phone, person_id,
    occurred_at::date AS occurred_at, is_deleted FROM hostile.a9_t;
SELECT hostile.try('EXECUTE p9') AS prepared, hostile.try('SELECT hostile.f9()') AS plpgsql;
DROP VIEW hostile.v9_t;
-- ALTER TABLE between calls, each under every strategy:
--   a column altered to an incompatible type: 42804 naming relation and column
--   a column renamed: 42703 naming the missing column
--   a column added, a column dropped before the needed ones, a text column
--   turned varchar: the base rows
SELECT * FROM hostile.run_all(ARRAY['before', 'hostile.a9_s', 'hostile.a9_t']);
ALTER TABLE hostile.a9_s ALTER started_at TYPE timestamp;
SELECT * FROM hostile.run_all(ARRAY['started_at timestamp', 'hostile.a9_s', 'hostile.a9_t']);
ALTER TABLE hostile.a9_s ALTER started_at TYPE timestamptz;
ALTER TABLE hostile.a9_t ALTER is_deleted TYPE integer USING is_deleted::integer;
SELECT * FROM hostile.run_all(ARRAY['is_deleted integer', 'hostile.a9_s', 'hostile.a9_t']);
ALTER TABLE hostile.a9_t ALTER is_deleted TYPE boolean USING is_deleted::boolean;
ALTER TABLE hostile.a9_t RENAME bizible_id TO "BizibleId";
SELECT * FROM hostile.run_all(ARRAY['bizible_id renamed', 'hostile.a9_s', 'hostile.a9_t']);
ALTER TABLE hostile.a9_t RENAME "BizibleId" TO bizible_id;
ALTER TABLE hostile.a9_s ADD COLUMN extra text DEFAULT 'x';
ALTER TABLE hostile.a9_s DROP COLUMN session_id;
ALTER TABLE hostile.a9_s ADD COLUMN session_id varchar(20);
UPDATE hostile.a9_s SET session_id = CASE WHEN started_at = '2026-03-02 11:00+00' THEN 'hs-0' ELSE 'hs-1' END;
CALL hostile.add_probe_index('hostile.a9_s');
ALTER TABLE hostile.a9_t ADD COLUMN legacy int;
ALTER TABLE hostile.a9_t DROP COLUMN legacy;
-- base rows (session_id is now a varchar column after the others)
SELECT * FROM hostile.run_all(ARRAY['added, dropped, varchar', 'hostile.a9_s', 'hostile.a9_t']);
CREATE VIEW hostile.v9_t AS SELECT * FROM hostile.a9_t;
EXECUTE p9;
-- altered inside the same transaction: the call sees the transaction's own
-- catalog (renamed: 42703; type changed: 42804), then the rollback restores it
BEGIN;
ALTER TABLE hostile.a9_t RENAME occurred_at TO created_at;
SELECT * FROM hostile.run_all(ARRAY['renamed in this transaction', 'hostile.a9_s', 'hostile.a9_t']);
ALTER TABLE hostile.a9_t RENAME created_at TO occurred_at;
ALTER TABLE hostile.a9_s ALTER channel TYPE integer USING length(channel);
SELECT * FROM hostile.run_all(ARRAY['channel integer in this transaction', 'hostile.a9_s', 'hostile.a9_t']);
ROLLBACK;
SELECT * FROM hostile.run_all(ARRAY['after rollback', 'hostile.a9_s', 'hostile.a9_t']);
DEALLOCATE p9;

-- ===========================================================================
-- 10. Identifiers that need quoting: schema, table and column names with
--     spaces, double quotes, semicolons, mixed case, "x"; DROP TABLE ...; --";
--     as the regclass argument and as columns mapped by name through a view.
--     Nothing is executed: the decoy table is still there at the end.
-- ===========================================================================
CREATE TABLE hostile.decoy (x int);
INSERT INTO hostile.decoy VALUES (1);
CREATE SCHEMA "Hostile ""Schema""; DROP TABLE hostile.decoy; --";
CREATE TABLE "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."x""; DROP TABLE hostile.decoy; --"
    (LIKE touchpoint.sessions INCLUDING ALL);
INSERT INTO "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."x""; DROP TABLE hostile.decoy; --"
SELECT * FROM hostile.base_sessions;
CREATE TABLE "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Task; SELECT 1/0; --" (
    "Task ID" text, "Bizible""Id" text, "Type;Kind" text, "sub ject" text, "PHONE" text,
    "WhoId'); DROP TABLE hostile.decoy; --" text, "When"")--" timestamptz, "is deleted?" boolean);
INSERT INTO "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Task; SELECT 1/0; --"
SELECT * FROM hostile.base_tasks;
CREATE VIEW "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Tasks View ""v1"";" AS
SELECT "Task ID" AS task_id, "Bizible""Id" AS bizible_id, "Type;Kind" AS type, "sub ject" AS subject,
       "PHONE" AS phone, "WhoId'); DROP TABLE hostile.decoy; --" AS person_id, "When"")--" AS occurred_at,
       "is deleted?" AS is_deleted
FROM "Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Task; SELECT 1/0; --";
-- the base rows
SELECT * FROM hostile.run_all(ARRAY['quoted names',
    '"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."x""; DROP TABLE hostile.decoy; --"',
    '"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Tasks View ""v1"";"'], NULL, ARRAY['session_start'], true);
SELECT task_id, status FROM touchpoint.explain_call('ht-2',
    '"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."x""; DROP TABLE hostile.decoy; --"',
    '"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Tasks View ""v1"";"');
-- errors name the relation quoted; a mixed-case column is another column
-- ("Session_Id" is not session_id: 42703); a regclass that is not a name is
-- refused by PostgreSQL before touchpoint runs (42602, 42P01); a task id
-- with quotes is a parameter, never SQL (P0002, quoted in the message)
CREATE TABLE hostile."MixedCase" ("Session_Id" text, bizible_id text, started_at timestamptz,
    last_activity_at timestamptz, channel text, subchannel text, source text, medium text, campaign text,
    ad_content text, keyword text, landing_page text, referrer_page text);
SELECT s AS statement, hostile.try(s) AS result
FROM unnest(ARRAY[
    $q$SELECT * FROM touchpoint.merge_calls('hostile."MixedCase"', 'hostile.base_tasks')$q$,
    $q$SELECT * FROM touchpoint.merge_calls('"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Task; SELECT 1/0; --"')$q$,
    $q$SELECT * FROM touchpoint.merge_calls('hostile.base_sessions', '"Hostile ""Schema""; DROP TABLE hostile.decoy; --"."Task; SELECT 1/0; --"')$q$,
    $q$SELECT * FROM touchpoint.merge_calls('hostile.decoy; DROP TABLE hostile.decoy')$q$,
    $q$SELECT * FROM touchpoint.merge_calls('"x""; DROP TABLE hostile.decoy; --"')$q$,
    $q$SELECT * FROM touchpoint.explain_call($$x'); DROP TABLE hostile.decoy; --$$, 'hostile.base_sessions', 'hostile.base_tasks')$q$
    ]) WITH ORDINALITY AS u(s, o)
ORDER BY u.o;
-- DISCREPANCY (search_path).  The SQL touchpoint builds qualifies its
-- function, operators and casts, but not the collation: COLLATE "C" is
-- looked up through the caller's search_path.  A schema ahead of pg_catalog
-- with its own collation "C" (an ICU collation, which sorts '_' before '0')
-- changes the order of the sorted reader's two streams: explain_calls and
-- the sorted strategy then fail with an internal error (XX000 "tasks arrived
-- out of BizibleId order") or silently lose sessions (no_sessions for a call
-- whose session is there).  A schema-local bizible_key() is not used (the
-- extension's is called by its qualified name).  Right: the same rows as
-- under the default search_path, for every reader:
--   spt-1 (k_1) merged with sp-1, spt-2 (k01) merged with sp-2.
CREATE SCHEMA hostile_shadow;
CREATE COLLATION hostile_shadow."C" (provider = icu, locale = 'und');
CREATE FUNCTION hostile_shadow.bizible_key(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'shadow'::text $$;
CREATE TABLE hostile.sp_s (LIKE touchpoint.sessions INCLUDING ALL);
CREATE TABLE hostile.sp_t (LIKE touchpoint.tasks INCLUDING ALL);
INSERT INTO hostile.sp_s (session_id, bizible_id, started_at) VALUES
 ('sp-1', 'k_1', '2026-03-02 12:00+00'), ('sp-2', 'k01', '2026-03-02 12:00+00');
INSERT INTO hostile.sp_t (task_id, bizible_id, type, occurred_at) VALUES
 ('spt-1', 'k_1', 'Call', '2026-03-02 12:05+00'), ('spt-2', 'k01', 'Call', '2026-03-02 12:05+00');
CREATE VIEW hostile.sp_t2 AS SELECT * FROM hostile.sp_t WHERE task_id = 'spt-2';
-- the default search_path
SELECT * FROM hostile.run_all(ARRAY['both calls', 'hostile.sp_s', 'hostile.sp_t', 'spt-2 only', 'hostile.sp_s', 'hostile.sp_t2']);
SET search_path = hostile_shadow, public, pg_catalog;
CREATE TEMP TABLE shadow_results AS
SELECT * FROM hostile.run_all(ARRAY['both calls', 'hostile.sp_s', 'hostile.sp_t', 'spt-2 only', 'hostile.sp_s', 'hostile.sp_t2']);
RESET search_path;
SELECT * FROM shadow_results;
-- the decoy survived everything
SELECT count(*) AS decoy_rows FROM hostile.decoy;

-- ---------------------------------------------------------------------------
-- Clean up: nothing left in the database, no setting changed.
-- ---------------------------------------------------------------------------
RESET touchpoint.merge_strategy;
RESET touchpoint.window_anchor;
RESET touchpoint.session_window;
SET client_min_messages = warning;
DROP SCHEMA hostile CASCADE;
DROP SCHEMA hostile_shadow CASCADE;
DROP SCHEMA "Hostile ""Schema""; DROP TABLE hostile.decoy; --" CASCADE;
DROP EXTENSION file_fdw CASCADE;
DROP TABLE hostile_tmp_s, shadow_results;
RESET client_min_messages;
SELECT count(*) AS left_behind FROM pg_namespace WHERE nspname LIKE 'hostile%' OR nspname LIKE 'Hostile%';
