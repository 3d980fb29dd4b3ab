-- differential: touchpoint.merge_calls / touchpoint.explain_calls (C) against a
-- plain-SQL reference of SPEC §3.1 written here, on ~24,000 random tasks and
-- ~22,000 random sessions, under several time zones, windows and anchors.
-- Everything printed is a count or a boolean; every "only_engine"/"only_ref"
-- count must be 0.
SET client_min_messages = warning;
LOAD 'touchpoint';
SET max_parallel_workers_per_gather = 0;
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
-- a zone-less literal below is read in this zone
SET timezone = 'Europe/Berlin';
CREATE SCHEMA diff;
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
-- an inner space (only A-Z fold, inner space kept).
CREATE TABLE diff.ids AS
SELECT i,
       CASE WHEN i % 50 = 0 THEN 'v' || substr(md5('tp' || i), 1, 30) || 'v'
            WHEN i % 50 = 25 THEN 'kunde Ä-ß ' || substr(md5('tp' || i), 1, 8) || 'é'
            ELSE md5('tp' || i) END AS k,
       CASE WHEN random() < 0.15 THEN 0 ELSE 1 + floor(random() * 8)::int END AS n_sessions,
       CASE WHEN r < 0.3 THEN timestamptz '2024-03-10 07:00:00+00' - diff.us(random() * 8 * 3600e6)
            WHEN r < 0.6 THEN timestamptz '2024-11-03 06:00:00+00' - diff.us(random() * 8 * 3600e6)
            WHEN r < 0.7 THEN timestamptz '2024-04-06 15:00:00+00' - diff.us(random() * 8 * 3600e6)
            ELSE timestamptz '2024-01-01 00:00:00+00' + diff.us(random() * 360 * 86400e6) END AS base
FROM (SELECT i, random() AS r FROM generate_series(1, 5000) i) g;

