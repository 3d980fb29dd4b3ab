-- differential: touchpoint.merge_calls / touchpoint.explain_calls (C) against a
-- plain-SQL reference of docs/spec.md §3.1 written here, on 37,121 random tasks and
-- 26,679 random sessions, in 9 runs under several time zones, windows
-- (argument or setting) and anchors.
-- Everything printed is a count or a boolean; every "only_engine"/"only_ref"
-- count must be 0.
SET client_min_messages = warning;
LOAD 'touchpoint';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
-- a zone-less literal below is read in this zone
SET timezone = 'Europe/Berlin';
CREATE SCHEMA diff;
-- random() is only ever called in the output list of a query sorted on a
-- unique key (PostgreSQL evaluates it after the sort), so the data does not
-- depend on plans
SELECT setseed(0.20240310);

-- ASCII white space as the engine trims it.  NB: E'\v' is NOT a vertical tab
-- in PostgreSQL (it is the letter v), hence chr(11).
CREATE FUNCTION diff.wsset() RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) $$;

-- random surrounding white space (often none)
CREATE FUNCTION diff.ws(r float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['', '', '', '', ' ', '  ', chr(9), chr(10), chr(11), chr(12), chr(13),
                chr(13) || chr(10), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || ' '])
         [1 + floor(r * 13)::int] $$;

-- one way a CRM or tracker may spell the canonical key k
CREATE FUNCTION diff.present(k text, rc float8, rl float8, rt float8) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT diff.ws(rl) ||
         CASE WHEN rc < 0.4 THEN k
              WHEN rc < 0.7 THEN translate(k, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
              ELSE translate(k, 'acevx', 'ACEVX') END ||
         diff.ws(rt) $$;

-- a timestamptz written as a literal in one of several zones (text)
CREATE FUNCTION diff.lit(ts timestamptz, r float8) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN r < 0.15 THEN to_char(ts AT TIME ZONE INTERVAL '+05:45', 'YYYY-MM-DD HH24:MI:SS.US') || '+05:45'
    WHEN r < 0.30 THEN to_char(ts AT TIME ZONE INTERVAL '-03:30', 'YYYY-MM-DD HH24:MI:SS.US') || '-03:30'
    WHEN r < 0.45 THEN to_char(ts AT TIME ZONE INTERVAL '+12:45', 'YYYY-MM-DD HH24:MI:SS.US') || '+12:45'
    WHEN r < 0.70 THEN to_char(ts AT TIME ZONE 'America/New_York', 'YYYY-MM-DD HH24:MI:SS.US') || ' America/New_York'
    WHEN r < 0.80 THEN to_char(ts AT TIME ZONE 'Australia/Lord_Howe', 'YYYY-MM-DD HH24:MI:SS.US') || ' Australia/Lord_Howe'
    WHEN r < 0.90 THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z'
    ELSE to_char(ts AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS.US')
  END $$;

CREATE FUNCTION diff.us(n float8) RETURNS interval LANGUAGE sql IMMUTABLE
AS $$ SELECT floor(n)::bigint * interval '1 microsecond' $$;

-- BizibleIds: canonical (normalised) keys.  Every 50th contains 'v' at both
-- ends (a wrong trim of 'v' breaks it), every 50th (+25) non-ASCII letters and
-- an inner space (only A-Z fold, inner space kept).  Ids 5001-5040 are heavy:
-- 20-319 densely overlapping sessions each.
CREATE TABLE diff.ids AS
SELECT i, i > 5000 AS heavy,
       CASE WHEN i % 50 = 0 THEN 'v' || substr(md5('tp' || i), 1, 30) || 'v'
            WHEN i % 50 = 25 THEN 'kunde Ä-ß ' || substr(md5('tp' || i), 1, 8) || 'é'
            ELSE md5('tp' || i) END AS k,
       CASE WHEN i > 5000 THEN 20 + floor(random() * 300)::int
            WHEN random() < 0.15 THEN 0 ELSE 1 + floor(random() * 8)::int END AS n_sessions,
       CASE WHEN r < 0.3 THEN timestamptz '2024-03-10 07:00:00+00' - diff.us(random() * 8 * 3600e6)
            WHEN r < 0.6 THEN timestamptz '2024-11-03 06:00:00+00' - diff.us(random() * 8 * 3600e6)
            WHEN r < 0.7 THEN timestamptz '2024-04-06 15:00:00+00' - diff.us(random() * 8 * 3600e6)
            ELSE timestamptz '2024-01-01 00:00:00+00' + diff.us(random() * 360 * 86400e6) END AS base
FROM (SELECT i, random() AS r FROM generate_series(1, 5040) i ORDER BY i) g
ORDER BY i;

-- sessions: 0..8 per id (heavy ids: 20-319), each started some gap after the previous one
-- (0 = a tie on started_at, minutes = overlapping sessions, 30/45 min exactly
-- = one session starts where another's window ends, hours, days)
CREATE TABLE diff.sgen AS
SELECT i, j, d.k, d.base,
       CASE WHEN j = 1 THEN interval '0'
            WHEN d.heavy THEN CASE WHEN r < 0.1 THEN interval '0' ELSE diff.us(1 + random() * 1500e6) END
            WHEN r < 0.12 THEN interval '0'
            WHEN r < 0.30 THEN diff.us(1 + random() * 600e6)
            WHEN r < 0.45 THEN diff.us(600e6 + random() * 1800e6)
            WHEN r < 0.48 THEN interval '30 minutes'
            WHEN r < 0.50 THEN interval '45 minutes'
            WHEN r < 0.70 THEN diff.us(3600e6 + random() * 3 * 3600e6)
            ELSE diff.us(86400e6 + random() * 19 * 86400e6) END AS gap,
       random() AS r_la, random() AS r_la2, random() AS r_lit, random() AS r_lit2,
       random() AS r_perm, random() AS r_pfx
FROM (SELECT d.i, j, random() AS r
      FROM diff.ids d, generate_series(1, d.n_sessions) j
      ORDER BY d.i, j) g
JOIN diff.ids d USING (i)
ORDER BY i, j;

-- session ids: prefixes s, S, s-, S_, s., é, ~ over a random permutation, so
-- that bytewise ("C") order differs from case-insensitive order within ties
-- (and a byte >= 0x80 sorts after every ASCII one)
CREATE TABLE diff.sgen2 AS
SELECT (ARRAY['s', 'S', 's-', 'S_', 's.', 'é', '~'])[1 + floor(r_pfx * 7)::int]
         || lpad(row_number() OVER (ORDER BY r_perm, i, j)::text, 6, '0') AS session_id,
       i, j, k, r_la, r_la2, r_lit, r_lit2,
       base + sum(gap) OVER (PARTITION BY i ORDER BY j) AS st
FROM diff.sgen;

CREATE TABLE diff.sgen3 AS
SELECT session_id, i, j, k, st,
       CASE WHEN r_la < 0.20 THEN NULL
            WHEN r_la < 0.23 THEN st - diff.us(1 + r_la2 * 600e6)   -- before its start
            WHEN r_la < 0.30 THEN st
            ELSE st + diff.us(1 + r_la2 * 7200e6) END AS la,
       r_lit, r_lit2
FROM diff.sgen2 ORDER BY i, j;

CREATE TABLE diff.sessions (
    session_id text PRIMARY KEY, bizible_id text NOT NULL,
    started_at timestamptz NOT NULL, last_activity_at timestamptz,
    channel text, subchannel text, source text, medium text, campaign text,
    ad_content text, keyword text, landing_page text, referrer_page text);

CREATE TABLE diff.slit AS
SELECT session_id, i, j, k, st, la, diff.lit(st, r_lit) AS lit_st, diff.lit(la, r_lit2) AS lit_la,
       diff.present(k, random(), random(), random()) AS bizible_id
FROM diff.sgen3 ORDER BY i, j;

INSERT INTO diff.sessions
SELECT session_id, bizible_id, lit_st::timestamptz, lit_la::timestamptz,
       (ARRAY[NULL, 'Paid Search', 'Organic Search', 'Social', 'Email', ''])[1 + floor(random() * 6)::int],
       (ARRAY[NULL, 'Google', 'Bing', 'LinkedIn'])[1 + floor(random() * 4)::int],
       (ARRAY[NULL, 'google', 'bing', 'linkedin', 'newsletter'])[1 + floor(random() * 5)::int],
       (ARRAY[NULL, NULL, 'cpc', 'organic', 'email', ' social '])[1 + floor(random() * 6)::int],
       CASE WHEN random() < 0.3 THEN NULL ELSE 'camp-' || floor(random() * 40)::int END,
       CASE WHEN random() < 0.5 THEN NULL ELSE 'ad-' || floor(random() * 90)::int END,
       CASE WHEN random() < 0.5 THEN NULL ELSE 'kw ' || floor(random() * 300)::int END,
       'https://example.com/p/' || floor(random() * 50)::int,
       CASE WHEN random() < 0.4 THEN NULL ELSE 'https://ref.example/' || floor(random() * 20)::int END
FROM diff.slit ORDER BY i, j;

-- sessions whose BizibleId is blank: they must never match anything
INSERT INTO diff.sessions (session_id, bizible_id, started_at, medium)
SELECT 'blank' || n, (ARRAY['', ' ', chr(9), chr(10) || chr(13), chr(11) || chr(12)])[1 + n % 5],
       timestamptz '2024-03-10 06:00:00+00' + n * interval '1 minute', 'cpc'
FROM generate_series(1, 20) n;

-- tasks ----------------------------------------------------------------------
CREATE TABLE diff.tgen (n serial, bizible_id text, occurred timestamptz, src text, kind int);

-- A. one task for 90% of the sessions, at a chosen offset from that session
-- (0..11: exact boundaries of the 30 min, 45 min and 29:59.999999 windows,
-- from the start or from the last activity)
INSERT INTO diff.tgen (bizible_id, occurred, src, kind)
SELECT diff.present(k, random(), random(), random()),
       CASE kind
         WHEN 0 THEN st
         WHEN 1 THEN st - interval '1 microsecond'
         WHEN 2 THEN st + interval '30 minutes' - interval '1 microsecond'
         WHEN 3 THEN st + interval '30 minutes'
         WHEN 4 THEN st + interval '45 minutes' - interval '1 microsecond'
         WHEN 5 THEN st + interval '45 minutes'
         WHEN 6 THEN st + interval '29 min 59.999998 s'
         WHEN 7 THEN st + interval '29 min 59.999999 s'
         WHEN 8 THEN la + interval '30 minutes' - interval '1 microsecond'
         WHEN 9 THEN la + interval '30 minutes'
         WHEN 10 THEN la + interval '45 minutes' - interval '1 microsecond'
         WHEN 11 THEN la + interval '45 minutes'
         WHEN 12 THEN st + diff.us(random() * 1800e6)
         WHEN 13 THEN st + diff.us(1800e6 + random() * 6 * 3600e6)
         WHEN 14 THEN st + diff.us(6 * 3600e6 + random() * 30 * 86400e6)
         WHEN 15 THEN st - diff.us(1 + random() * 3 * 86400e6)
         ELSE date_trunc('day', st, 'UTC') END,
       'session', kind
FROM (SELECT l.i, l.j, l.k, s.started_at AS st, coalesce(s.last_activity_at, s.started_at) AS la,
             (CASE WHEN r < 0.48 THEN floor(r / 0.04)
                   WHEN r < 0.63 THEN 12 WHEN r < 0.75 THEN 13 WHEN r < 0.87 THEN 14
                   WHEN r < 0.97 THEN 15 ELSE 16 END)::int AS kind
      FROM (SELECT session_id, i, j, k, random() AS r, random() AS keep FROM diff.slit ORDER BY i, j) l
      JOIN diff.sessions s USING (session_id)
      WHERE l.keep < 0.9) x
ORDER BY i, j;

-- B. ids that have no session at all
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT bizible_id, occurred, 'nosession'
FROM (SELECT d.i, m, diff.present(d.k, random(), random(), random()) AS bizible_id,
             d.base + diff.us(random() * 5 * 86400e6) AS occurred, random() AS keep
      FROM diff.ids d, generate_series(1, 3) m
      WHERE d.n_sessions = 0
      ORDER BY d.i, m) x
WHERE keep < 0.7
ORDER BY i, m;

-- C. ids with sessions, at a random time around them (often before them all)
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT diff.present(d.k, random(), random(), random()),
       d.base + diff.us(-5 * 86400e6 + random() * 65 * 86400e6), 'random'
FROM (SELECT n, 1 + floor(random() * 5000)::int AS i FROM generate_series(1, 2500) n ORDER BY n) p
JOIN diff.ids d USING (i)
WHERE d.n_sessions > 0
ORDER BY n;
-- C2. the heavy ids: as many calls as sessions, anywhere around them
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT diff.present(d.k, random(), random(), random()),
       d.base + diff.us(-3600e6 + random() * (d.n_sessions * 750e6 + 4 * 3600e6)), 'heavy'
FROM diff.ids d, generate_series(1, d.n_sessions) m
WHERE d.heavy
ORDER BY d.i, m;

-- D. missing BizibleId: NULL, empty, white space only
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT (ARRAY[NULL, '', ' ', chr(9), chr(10) || chr(13), chr(11) || chr(12),
              '   ' || chr(9), chr(13) || chr(10) || ' '])[1 + floor(random() * 8)::int],
       timestamptz '2024-03-10 07:00:00+00' + diff.us(-3 * 86400e6 + random() * 6 * 86400e6), 'missing'
FROM generate_series(1, 800) n ORDER BY n;

-- E. decoys that must NOT match: non-ASCII white space (U+00A0, U+0085,
-- U+2029), non-ASCII case folding (Ä -> ä), inner white space; unknown ids
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT CASE m WHEN 1 THEN chr(160) || d.k
              WHEN 2 THEN CASE WHEN d.k ~ '^[ -~]*$' THEN d.k || chr(133) ELSE replace(d.k, 'Ä', 'ä') END
              WHEN 3 THEN d.k || chr(8233)
              ELSE substr(d.k, 1, 4) || ' ' || substr(d.k, 5) END,
       d.base + diff.us(random() * 600e6), 'decoy'
FROM diff.ids d, generate_series(1, 4) m
WHERE d.n_sessions > 0 AND (d.i % 25 = 0 OR d.i % 97 = 0)
ORDER BY d.i, m;
INSERT INTO diff.tgen (bizible_id, occurred, src)
SELECT diff.present(md5('unknown' || n), random(), random(), random()),
       timestamptz '2024-11-03 06:00:00+00' + diff.us(-86400e6 + random() * 2 * 86400e6), 'unknown'
FROM generate_series(1, 400) n ORDER BY n;

CREATE TABLE diff.tlit AS
SELECT n, src, kind, bizible_id, occurred, diff.lit(occurred, r_lit) AS lit,
       (CASE WHEN r_pfx < 0.5 THEN 't' ELSE 'T' END) || lpad(row_number() OVER (ORDER BY r_perm, n)::text, 6, '0') AS task_id
FROM (SELECT g.*, random() AS r_lit, random() AS r_pfx, random() AS r_perm FROM diff.tgen g ORDER BY n) x
ORDER BY n;

CREATE TABLE diff.tasks (
    task_id text PRIMARY KEY, bizible_id text, type text, subject text, phone text,
    person_id text, occurred_at timestamptz NOT NULL, is_deleted boolean NOT NULL DEFAULT false);

INSERT INTO diff.tasks
SELECT task_id, bizible_id,
       (ARRAY[NULL, '', ' ', chr(9) || chr(10), chr(11), chr(12) || chr(13), 'Call', ' Call ',
              'Inbound Call' || chr(10), chr(9) || 'Phone Call', 'call', chr(160) || 'Call', 'Outbound  Call   '])
         [1 + floor(random() * 13)::int],
       (ARRAY[NULL, '', '  spaced subject  ', 'Call from +1 555 0100', 'Inbound call ' || n])[1 + floor(random() * 5)::int],
       (ARRAY[NULL, '', '+1 555 ' || lpad((n % 10000)::text, 4, '0'), ' +44 20 7946 0018 '])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.25 THEN NULL ELSE 'P' || floor(random() * 3000)::int END,
       lit::timestamptz,
       random() < 0.06
FROM diff.tlit ORDER BY n;
ANALYZE diff.sessions;
ANALYZE diff.tasks;

-- the data hits every case ---------------------------------------------------
SELECT (SELECT count(*) FROM diff.tasks) AS tasks,
       (SELECT count(*) FROM diff.sessions) AS sessions,
       (SELECT count(*) FROM diff.ids WHERE n_sessions > 0) AS ids_with_sessions,
       (SELECT sum(n_sessions) FROM diff.ids WHERE heavy) AS sessions_of_heavy_ids,
       (SELECT count(*) FROM diff.ids WHERE n_sessions = 0) AS ids_without_sessions,
       (SELECT max(n_sessions) FROM diff.ids) AS max_sessions_per_id;
SELECT src, count(*) AS tasks FROM diff.tlit GROUP BY src ORDER BY src;
SELECT kind, count(*) AS session_offset_tasks FROM diff.tlit WHERE src = 'session' GROUP BY kind ORDER BY kind;
-- the literals were written in these zones
SELECT CASE WHEN lit ~ '[+-]\d\d:\d\d$' THEN right(lit, 6)
            WHEN lit LIKE '%Z' THEN 'Z'
            WHEN lit ~ '[A-Za-z]$' THEN substring(lit FROM ' ([A-Za-z_/]+)$')
            ELSE 'no zone (Europe/Berlin)' END COLLATE "C" AS literal_zone,
       count(*) AS literals
FROM (SELECT lit_st AS lit FROM diff.slit UNION ALL SELECT lit_la FROM diff.slit WHERE lit_la IS NOT NULL
      UNION ALL SELECT lit FROM diff.tlit) l
GROUP BY 1 ORDER BY 1;
-- literals that did not read back as the instant they were written from: only
-- local times repeated by a DST fall-back (America/New_York, Australia/Lord_Howe,
-- Europe/Berlin) can, and the data simply holds what they read as
SELECT (SELECT count(*) FROM diff.slit WHERE lit_st::timestamptz <> st) AS session_start_shifted,
       (SELECT count(*) FROM diff.slit WHERE lit_la::timestamptz <> la) AS session_last_activity_shifted,
       (SELECT count(*) FROM diff.tlit WHERE lit::timestamptz <> occurred) AS task_shifted,
       (SELECT count(*) FROM diff.tlit WHERE lit ~ '[+-]\d\d:\d\dZ?$|Z$' AND lit::timestamptz <> occurred) AS offset_literal_shifted;
-- sessions and tasks, by how the BizibleId and the type are written
SELECT (SELECT count(*) FROM diff.sessions WHERE bizible_id ~ '^[ \t\n\v\f\r]|[ \t\n\v\f\r]$') AS sessions_padded,
       (SELECT count(*) FROM diff.sessions WHERE bizible_id ~ '[A-Z]') AS sessions_upper,
       (SELECT count(*) FROM diff.sessions WHERE btrim(bizible_id, diff.wsset()) = '') AS sessions_blank_id,
       (SELECT count(*) FROM diff.sessions WHERE last_activity_at IS NULL) AS sessions_no_last_activity,
       (SELECT count(*) FROM diff.sessions WHERE last_activity_at < started_at) AS sessions_activity_before_start,
       (SELECT count(*) FROM diff.sessions WHERE medium IS NULL) AS sessions_no_medium;
SELECT (SELECT count(*) FROM diff.tasks WHERE bizible_id ~ '^[ \t\n\v\f\r]|[ \t\n\v\f\r]$') AS tasks_padded,
       (SELECT count(*) FROM diff.tasks WHERE bizible_id ~ '[A-Z]') AS tasks_upper,
       (SELECT count(*) FROM diff.tasks WHERE bizible_id IS NULL) AS tasks_null_id,
       (SELECT count(*) FROM diff.tasks WHERE btrim(bizible_id, diff.wsset()) = '') AS tasks_blank_id,
       (SELECT count(*) FROM diff.tasks WHERE octet_length(bizible_id) > length(bizible_id)) AS tasks_non_ascii_id,
       (SELECT count(*) FROM diff.tasks WHERE coalesce(btrim(type, diff.wsset()), '') = '') AS tasks_blank_type,
       (SELECT count(*) FROM diff.tasks WHERE type <> btrim(type, diff.wsset())) AS tasks_padded_type,
       (SELECT count(*) FROM diff.tasks WHERE person_id IS NULL) AS tasks_no_person,
       (SELECT count(*) FROM diff.tasks WHERE is_deleted) AS tasks_deleted;
-- ties on started_at within a BizibleId, and those where the bytewise ("C")
-- smallest session id is not the case-insensitively smallest
SELECT count(*) AS tie_groups,
       count(*) FILTER (WHERE ci_first <> c_first) AS tie_groups_c_order_differs
FROM (SELECT k, started_at, count(*) AS n,
             min(session_id COLLATE "C") AS c_first,
             (array_agg(session_id ORDER BY lower(session_id) COLLATE "C", session_id COLLATE "C"))[1] AS ci_first
      FROM (SELECT session_id, started_at,
                   NULLIF(translate(btrim(bizible_id, diff.wsset()), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '') AS k
            FROM diff.sessions) s
      WHERE k IS NOT NULL
      GROUP BY k, started_at HAVING count(*) > 1) g;

-- The reference (docs/spec.md §3.1) in plain SQL ------------------------------------
-- rule 1: normalised BizibleId and trimmed type
CREATE TABLE diff.rs AS
SELECT session_id,
       NULLIF(translate(btrim(bizible_id, diff.wsset()), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '') AS k,
       started_at, coalesce(last_activity_at, started_at) AS la_anchor
FROM diff.sessions;
CREATE INDEX ON diff.rs (k, started_at);
CREATE TABLE diff.rt AS
SELECT task_id,
       NULLIF(translate(btrim(bizible_id, diff.wsset()), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '') AS k,
       NULLIF(btrim(type, diff.wsset()), '') AS tt,
       occurred_at, is_deleted
FROM diff.tasks;
CREATE INDEX ON diff.rt (k);
ANALYZE diff.rs;
ANALYZE diff.rt;

CREATE TABLE diff.ref_e (task_id text, status text, session_id text, nearest_session_id text,
                         nearest_session_started_at timestamptz, gap interval);
CREATE TABLE diff.eng_e (task_id text, status text, session_id text, nearest_session_id text,
                         nearest_session_started_at timestamptz, gap interval, detail text,
                         gap_seconds float8);
CREATE TABLE diff.ref_m AS SELECT * FROM touchpoint.merge_calls('diff.sessions', 'diff.tasks', NULL) WITH NO DATA;
CREATE TABLE diff.eng_m AS SELECT * FROM touchpoint.merge_calls('diff.sessions', 'diff.tasks', NULL) WITH NO DATA;
CREATE TABLE diff.runs (run serial, inputs text, timezone text, win interval, window_arg interval, anchor text,
    merge_rows bigint, merge_only_engine bigint, merge_only_ref bigint,
    explain_rows bigint, explain_only_engine bigint, explain_only_ref bigint,
    detail_null bigint, detail_lacks_nearest bigint,
    merged bigint, outside_window bigint, no_sessions bigint, deleted bigint, no_bizible_id bigint,
    before_all bigint, tie_decided bigint, tie_c_order bigint, overlap_decided bigint,
    at_start bigint, before_start_1us bigint, at_end bigint, end_minus_1us bigint);

CREATE FUNCTION diff.check(p_win interval, p_sessions regclass DEFAULT 'diff.sessions',
                           p_tasks regclass DEFAULT 'diff.tasks') RETURNS int LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    v_anchor text := current_setting('touchpoint.window_anchor');
    -- rule 3: the argument, else the setting
    v_win interval := coalesce(p_win, current_setting('touchpoint.session_window')::interval);
BEGIN
    TRUNCATE diff.ref_e, diff.eng_e, diff.ref_m, diff.eng_m;
    INSERT INTO diff.eng_e SELECT * FROM touchpoint.explain_calls(p_sessions, p_tasks, p_win);
    -- gap_seconds is gap in seconds, NULL exactly when gap is
    IF EXISTS (SELECT FROM diff.eng_e
               WHERE gap_seconds IS DISTINCT FROM extract(epoch FROM gap)::float8) THEN
        RAISE EXCEPTION 'gap_seconds differs from extract(epoch from gap)';
    END IF;
    INSERT INTO diff.eng_m SELECT * FROM touchpoint.merge_calls(p_sessions, p_tasks, p_win);

    -- rules 2-4 and 6
    INSERT INTO diff.ref_e
    SELECT t.task_id,
           CASE WHEN t.is_deleted THEN 'deleted'
                WHEN t.k IS NULL THEN 'no_bizible_id'
                WHEN NOT EXISTS (SELECT 1 FROM diff.rs s WHERE s.k = t.k) THEN 'no_sessions'
                WHEN m.session_id IS NOT NULL THEN 'merged'
                ELSE 'outside_window' END,
           m.session_id,
           coalesce(m.session_id, n.session_id),
           coalesce(m.started_at, n.started_at),
           t.occurred_at - coalesce(m.anchor, n.anchor)
    FROM diff.rt t
    LEFT JOIN LATERAL (
        SELECT c.session_id, c.started_at, c.anchor
        FROM (SELECT s.session_id, s.started_at,
                     CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END AS anchor
              FROM diff.rs s
              WHERE s.k = t.k AND s.started_at <= t.occurred_at) c
        WHERE NOT t.is_deleted AND t.occurred_at < c.anchor + v_win
        ORDER BY c.started_at DESC, c.session_id COLLATE "C"
        LIMIT 1) m ON true
    LEFT JOIN LATERAL (
        SELECT x.session_id, x.started_at, x.anchor
        FROM ((SELECT 1 AS pri, s.session_id, s.started_at,
                      CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END AS anchor
               FROM diff.rs s
               WHERE s.k = t.k AND s.started_at <= t.occurred_at
               ORDER BY s.started_at DESC, s.session_id COLLATE "C" LIMIT 1)
              UNION ALL
              (SELECT 2, s.session_id, s.started_at,
                      CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END
               FROM diff.rs s
               WHERE s.k = t.k
               ORDER BY s.started_at, s.session_id COLLATE "C" LIMIT 1)) x
        ORDER BY x.pri
        LIMIT 1) n ON NOT t.is_deleted AND m.session_id IS NULL;

    -- rule 5
    INSERT INTO diff.ref_m
    SELECT e.task_id, rt.k, t.person_id, e.session_id,
           CASE WHEN e.status = 'merged' THEN coalesce(rt.tt, 'Web Visit') ELSE coalesce(rt.tt, 'Phone Call') END,
           CASE WHEN e.status = 'merged' THEN coalesce(rt.tt, s.medium) ELSE coalesce(rt.tt, 'Phone Call') END,
           t.occurred_at, s.started_at, s.channel, s.subchannel, s.source, s.campaign,
           s.ad_content, s.keyword, s.landing_page, s.referrer_page, t.phone, t.subject
    FROM diff.ref_e e
    JOIN diff.tasks t ON t.task_id = e.task_id
    JOIN diff.rt rt ON rt.task_id = e.task_id
    LEFT JOIN diff.sessions s ON s.session_id = e.session_id
    WHERE e.status IN ('merged', 'no_sessions', 'outside_window');
    ANALYZE diff.ref_e;

    INSERT INTO diff.runs (inputs, timezone, win, window_arg, anchor,
        merge_rows, merge_only_engine, merge_only_ref,
        explain_rows, explain_only_engine, explain_only_ref, detail_null, detail_lacks_nearest,
        merged, outside_window, no_sessions, deleted, no_bizible_id,
        before_all, tie_decided, tie_c_order, overlap_decided,
        at_start, before_start_1us, at_end, end_minus_1us)
    SELECT p_sessions::text || ', ' || p_tasks::text, current_setting('TimeZone'), v_win, p_win, v_anchor,
        (SELECT count(*) FROM diff.eng_m),
        (SELECT count(*) FROM (SELECT * FROM diff.eng_m EXCEPT ALL SELECT * FROM diff.ref_m) d),
        (SELECT count(*) FROM (SELECT * FROM diff.ref_m EXCEPT ALL SELECT * FROM diff.eng_m) d),
        (SELECT count(*) FROM diff.eng_e),
        (SELECT count(*) FROM (SELECT task_id, status, session_id, nearest_session_id, nearest_session_started_at, gap::text FROM diff.eng_e
                               EXCEPT ALL
                               SELECT task_id, status, session_id, nearest_session_id, nearest_session_started_at, gap::text FROM diff.ref_e) d),
        (SELECT count(*) FROM (SELECT task_id, status, session_id, nearest_session_id, nearest_session_started_at, gap::text FROM diff.ref_e
                               EXCEPT ALL
                               SELECT task_id, status, session_id, nearest_session_id, nearest_session_started_at, gap::text FROM diff.eng_e) d),
        (SELECT count(*) FROM diff.eng_e WHERE detail IS NULL),
        (SELECT count(*) FROM diff.eng_e WHERE status IN ('merged', 'outside_window')
                                          AND coalesce(strpos(detail, nearest_session_id), 0) = 0),
        (SELECT count(*) FROM diff.ref_e WHERE status = 'merged'),
        (SELECT count(*) FROM diff.ref_e WHERE status = 'outside_window'),
        (SELECT count(*) FROM diff.ref_e WHERE status = 'no_sessions'),
        (SELECT count(*) FROM diff.ref_e WHERE status = 'deleted'),
        (SELECT count(*) FROM diff.ref_e WHERE status = 'no_bizible_id'),
        -- outside_window calls that came before every session of their id
        (SELECT count(*) FROM diff.ref_e e JOIN diff.rt t USING (task_id)
          WHERE e.status = 'outside_window' AND t.occurred_at < e.nearest_session_started_at),
        tc.tie_decided, tc.tie_c_order, tc.overlap_decided,
        -- calls (not deleted, with an id) at exact boundaries of a session of their id
        (SELECT count(*) FROM diff.rt t WHERE NOT t.is_deleted AND EXISTS (
                SELECT 1 FROM diff.rs s WHERE s.k = t.k AND s.started_at = t.occurred_at)),
        (SELECT count(*) FROM diff.rt t WHERE NOT t.is_deleted AND EXISTS (
                SELECT 1 FROM diff.rs s WHERE s.k = t.k AND s.started_at = t.occurred_at + interval '1 microsecond')),
        (SELECT count(*) FROM diff.rt t WHERE NOT t.is_deleted AND EXISTS (
                SELECT 1 FROM diff.rs s WHERE s.k = t.k AND s.started_at <= t.occurred_at
                  AND t.occurred_at = CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END + v_win)),
        (SELECT count(*) FROM diff.rt t WHERE NOT t.is_deleted AND EXISTS (
                SELECT 1 FROM diff.rs s WHERE s.k = t.k AND s.started_at <= t.occurred_at
                  AND t.occurred_at = CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END + v_win - interval '1 microsecond'))
    FROM (SELECT
            -- merged calls that another covering session with the same start
            -- also claimed (the smallest id won) ...
            count(*) FILTER (WHERE c.same_start > 0) AS tie_decided,
            -- ... where case-insensitive order would have chosen another one
            count(*) FILTER (WHERE c.same_start_ci_smaller > 0) AS tie_c_order,
            -- merged calls also covered by an earlier-starting session
            count(*) FILTER (WHERE c.earlier > 0) AS overlap_decided
          FROM diff.ref_e e
          JOIN diff.rt t USING (task_id)
          CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE s.started_at = e.nearest_session_started_at
                                      AND s.session_id <> e.session_id) AS same_start,
                   count(*) FILTER (WHERE s.started_at = e.nearest_session_started_at
                                      AND s.session_id <> e.session_id
                                      AND lower(s.session_id) COLLATE "C" < lower(e.session_id) COLLATE "C") AS same_start_ci_smaller,
                   count(*) FILTER (WHERE s.started_at < e.nearest_session_started_at) AS earlier
            FROM diff.rs s
            WHERE s.k = t.k AND s.started_at <= e.nearest_session_started_at
              AND t.occurred_at < CASE WHEN v_anchor = 'last_activity' THEN s.la_anchor ELSE s.started_at END + v_win) c
          WHERE e.status = 'merged') tc;
    RETURN (SELECT max(run) FROM diff.runs);
END $fn$;

-- The runs: time zones, windows (argument or setting), anchors --------------
SET timezone = 'UTC';
SELECT diff.check(NULL) AS run;
SET timezone = 'Asia/Kathmandu';
SET touchpoint.session_window = '10min';   -- the argument overrides it
SELECT diff.check('45 minutes') AS run;
SET timezone = 'America/New_York';
SELECT diff.check('29 min 59.999999 s') AS run;
SET timezone = 'Pacific/Chatham';
SET touchpoint.session_window = '29 min 59.999999 s';
SELECT diff.check(NULL) AS run;
RESET touchpoint.session_window;
SET timezone = 'America/St_Johns';
SET touchpoint.window_anchor = 'last_activity';
SELECT diff.check(NULL) AS run;
SET timezone = 'Australia/Lord_Howe';
SELECT diff.check('45 minutes') AS run;
SET timezone = 'America/New_York';
SELECT diff.check('26 hours') AS run;
SET touchpoint.window_anchor = 'session_start';
SET timezone = 'UTC';
SELECT diff.check('00:00:00.000001') AS run;
RESET touchpoint.window_anchor;
-- views that rename nothing but reorder the columns and add one: columns are
-- found by name
CREATE VIEW diff.sessions_v AS
SELECT referrer_page, landing_page, keyword, ad_content, campaign, medium, source, subchannel,
       channel, last_activity_at, started_at, bizible_id, 42 AS extra, session_id
FROM diff.sessions;
CREATE VIEW diff.tasks_v AS
SELECT is_deleted, occurred_at, person_id, 'x'::text AS extra, phone, subject, type, bizible_id, task_id
FROM diff.tasks;
SET timezone = 'Asia/Kathmandu';
SELECT diff.check(NULL, 'diff.sessions_v', 'diff.tasks_v') AS run;
-- merge_calls' three ways of reading the sessions give the same rows: the
-- runs above used the one auto picks here (scan: many ids); these force the
-- sorted merge (explain's way) and the probe by BizibleId, with both anchors.
SET timezone = 'UTC';
SET touchpoint.merge_strategy = 'sorted';
SELECT diff.check(NULL) AS run;
SET touchpoint.merge_strategy = 'probe';
SELECT diff.check('45 minutes') AS run;
-- with the (bizible_key, started_at) index the probe walks it directly
CREATE INDEX diff_sessions_key_idx ON diff.sessions
    (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
SELECT diff.check('45 minutes') AS run;
SET touchpoint.window_anchor = 'last_activity';
SELECT diff.check(NULL) AS run;
SET touchpoint.merge_strategy = 'scan';
SELECT diff.check('26 hours') AS run;
RESET touchpoint.window_anchor;
RESET touchpoint.merge_strategy;

-- every run agrees with the reference: all only_* counts are 0
SELECT run, inputs, timezone, win, window_arg IS NOT NULL AS by_argument, anchor,
       merge_rows, merge_only_engine, merge_only_ref,
       explain_rows, explain_only_engine, explain_only_ref, detail_null, detail_lacks_nearest
FROM diff.runs ORDER BY run;
-- and each run hits every case
SELECT run, merged, outside_window, no_sessions, deleted, no_bizible_id, before_all,
       tie_decided, tie_c_order, overlap_decided, at_start, before_start_1us, at_end, end_minus_1us
FROM diff.runs ORDER BY run;
SELECT bool_and(merge_only_engine = 0 AND merge_only_ref = 0 AND explain_only_engine = 0 AND explain_only_ref = 0
                AND detail_null = 0 AND detail_lacks_nearest = 0
                AND explain_rows = (SELECT count(*) FROM diff.tasks)
                AND merge_rows = merged + outside_window + no_sessions) AS all_runs_agree
FROM diff.runs;

RESET timezone;
DROP SCHEMA diff CASCADE;
