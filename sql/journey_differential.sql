-- journey_differential: touchpoint.touchpoints (the materialized view, and
-- touchpoints_live) against a plain-SQL reading of docs/spec.md §5 written here, on
-- 3,000 random BizibleIds (2,398 journeys; 7,525 sessions, 3,055 tasks,
-- 3,020 form fills, 2,217 chats) loaded into the extension's own tables,
-- compared column by column with EXCEPT ALL both ways; then a second round
-- after 40 late calls, 50 deleted tasks and a refresh that is CONCURRENTLY.
-- The reference places events itself (it never calls merge_calls,
-- touchpoints_live, conversion_events or bizible_key).
-- Everything printed is a count or a boolean; every only_* count must be 0.
SET client_min_messages = warning;
LOAD 'touchpoint';
-- the defaults, whatever a role or database setting says
SET touchpoint.session_window = '30min';
SET touchpoint.window_anchor = 'session_start';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET datestyle = 'ISO, YMD';
SET timezone = 'America/New_York';
CREATE SCHEMA jd;
-- docs/spec.md §6 with no channel rules (this test loads none): a session's own
-- channel when it has one, else Other when it has tracking data, else Direct.
CREATE FUNCTION jd.channel_of(channel text, medium text, source text, campaign text, referrer text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN btrim(channel) <> '' THEN channel
              WHEN btrim(coalesce(medium, '') || coalesce(source, '') || coalesce(campaign, '') || coalesce(referrer, '')) <> ''
              THEN 'Other' ELSE 'Direct' END $$;
-- random() is only called in the output list of queries sorted on a unique
-- key (PostgreSQL evaluates it after the sort), so the data does not depend on
-- plans
SELECT setseed(0.31415);

-- The normalised BizibleId (docs/spec.md §3.1.1): ASCII white space trimmed, A-Z
-- folded, NULL when missing.  NB: E'\v' is NOT a vertical tab in PostgreSQL.
CREATE FUNCTION jd.wsset() RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) $$;
CREATE FUNCTION jd.norm(x text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT NULLIF(translate(btrim(x, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)),
                              'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '') $$;

-- one way a tracker or CRM may spell the key k (case, surrounding white space)
CREATE FUNCTION jd.present(k text, rc float8, rw float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN rw < 0.60 THEN '' WHEN rw < 0.70 THEN ' ' WHEN rw < 0.76 THEN chr(9)
              WHEN rw < 0.82 THEN chr(11) || chr(12) WHEN rw < 0.90 THEN chr(10) ELSE '  ' END ||
         CASE WHEN rc < 0.60 THEN k
              WHEN rc < 0.80 THEN translate(k, 'abcdef', 'ABCDEF')
              ELSE translate(k, 'ace', 'ACE') END ||
         CASE WHEN rw < 0.55 THEN '' WHEN rw < 0.65 THEN chr(13) || chr(10)
              WHEN rw < 0.80 THEN ' ' ELSE chr(9) || ' ' END $$;

-- a mixed-case record id with '_' (so that "C" order is not case-insensitive
-- dictionary order)
CREATE FUNCTION jd.rid(prefix text, seed text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT prefix || translate(substr(md5(seed), 1, 12), 'def0', 'DEF_') $$;

-- BizibleIds ---------------------------------------------------------------
-- 60% of the ids belong to one of 1,200 persons (so most persons have several
-- ids); the ids of one person start close together (10-minute grid) so that
-- their events interleave and tie.  Everything is on a 5-minute grid (plus
-- exact window boundaries) to make same-instant events common.
CREATE TABLE jd.ids AS
SELECT i, md5('journey' || i) AS k,
       CASE WHEN r1 < 0.4 THEN NULL ELSE 1 + floor(r2 * 1200)::int END AS person,
       floor(r3 * 6)::int AS n_sessions,
       floor(r4 * 3)::int AS n_calls,
       floor(r5 * 3)::int AS n_forms,
       CASE WHEN r6 < 0.5 THEN 0 ELSE 1 + floor(r7 * 2)::int END AS n_chats,
       r8
FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
             random() AS r6, random() AS r7, random() AS r8
      FROM generate_series(1, 3000) i ORDER BY i) g
ORDER BY i;
ALTER TABLE jd.ids ADD base timestamptz;
UPDATE jd.ids SET base = CASE WHEN person IS NULL
                              THEN timestamptz '2024-01-01 00:00:00+00' + i * interval '2 hours'
                              ELSE timestamptz '2024-01-01 00:00:00+00' + person * interval '5 hours'
                                   + floor(r8 * 4) * interval '10 minutes' END;

-- sessions: 0..5 per id, each some gap after the previous one (0 = a tie on
-- started_at, 30 min = starts where the previous window ends)
CREATE TABLE jd.sgen AS
SELECT i, j, (ARRAY[interval '0', '5 min', '10 min', '20 min', '30 min', '30 min', '45 min',
                    '2 hours', '1 day'])[1 + floor(rg * 9)::int] AS gap,
       rc, rw, rblank, r1, r2, r3, r4, r5, r6, r7, r8, r9
FROM (SELECT d.i, j, random() AS rg, random() AS rc, random() AS rw, random() AS rblank,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
             random() AS r6, random() AS r7, random() AS r8, random() AS r9
      FROM jd.ids d, generate_series(1, d.n_sessions) j ORDER BY d.i, j) g
ORDER BY i, j;
CREATE TABLE jd.gsess AS
SELECT row_number() OVER (ORDER BY g.i, g.j) AS sno, g.i, g.j,
       jd.rid('Ses', 's' || g.i || ':' || g.j) AS session_id,
       CASE WHEN g.rblank < 0.02 THEN (ARRAY['', ' ', chr(9) || chr(11)])[1 + floor(g.rc * 3)::int]
            ELSE jd.present(d.k, g.rc, g.rw) END AS bizible_id,
       d.base + sum(CASE WHEN g.j = 1 THEN interval '0' ELSE g.gap END)
                    OVER (PARTITION BY g.i ORDER BY g.j)
         AS started_at,
       g.r1, g.r2, g.r3, g.r4, g.r5, g.r6, g.r7, g.r8, g.r9
FROM jd.sgen g JOIN jd.ids d USING (i);
CREATE UNIQUE INDEX ON jd.gsess (i, j);
CREATE UNIQUE INDEX ON jd.gsess (sno);

-- events: calls, forms and chats of each id, anchored at one of its sessions
-- (or at its base time) plus an offset: before the session, at its start, on
-- the grid, at 29:59.999999 and at exactly 30:00
CREATE TABLE jd.egen AS
SELECT d.i, x.kind, x.n, d.n_sessions, d.person, d.k, d.base,
       random() AS ranchor, random() AS rsess, random() AS roff, random() AS rbase,
       random() AS rperson, random() AS rother, random() AS rc, random() AS rw,
       random() AS rblank, random() AS rtype, random() AS rdel, random() AS rexpl,
       random() AS rexpl2, random() AS rurl
FROM jd.ids d
CROSS JOIN LATERAL (SELECT 'call'::text AS kind, n FROM generate_series(1, d.n_calls) n
                    UNION ALL SELECT 'form', n FROM generate_series(1, d.n_forms) n
                    UNION ALL SELECT 'chat', n FROM generate_series(1, d.n_chats) n) x
ORDER BY d.i, x.kind, x.n;

CREATE TABLE jd.gev AS
SELECT e.i, e.kind, e.n,
       jd.rid(CASE e.kind WHEN 'call' THEN '00T' WHEN 'form' THEN 'FS-' ELSE 'CH-' END,
              e.kind || e.i || ':' || e.n) AS source_id,
       -- explicit session_id (forms and chats only): own session, another
       -- id's session, or one that does not exist
       CASE WHEN e.kind = 'call' THEN NULL
            WHEN e.rexpl < 0.20 AND e.n_sessions > 0 THEN 'own'
            WHEN e.rexpl < 0.25 THEN 'other'
            WHEN e.rexpl < 0.31 THEN 'unknown' END AS expl,
       CASE WHEN e.n_sessions > 0 AND e.ranchor < 0.85
            THEN (SELECT s.started_at FROM jd.gsess s
                  WHERE s.i = e.i AND s.j = 1 + floor(e.rsess * e.n_sessions)::int)
            ELSE e.base + (ARRAY[interval '-1 hour', '0', '1 hour', '3 days'])[1 + floor(e.rbase * 4)::int]
       END AS anchor,
       (ARRAY[interval '-10 min', '0', '0', '5 min', '10 min', '10 min', '15 min', '20 min',
              '25 min', '29 min 59.999999 s', '30 min', '40 min', '3 hours', '5 min'])
         [1 + floor(e.roff * 14)::int] AS off,
       CASE WHEN e.person IS NOT NULL THEN
              CASE WHEN e.rperson < 0.35 THEN 'P' || e.person
                   WHEN e.rperson < 0.42 THEN '  P' || e.person || ' '
                   WHEN e.rperson < 0.47 THEN '  '
                   WHEN e.rperson < 0.52 THEN 'P' || (1 + floor(e.rother * 1200)::int)
              END
            ELSE CASE WHEN e.rperson < 0.05 THEN ''
                      WHEN e.rperson < 0.09 THEN 'P' || (1 + floor(e.rother * 1200)::int) END
       END AS person_id,
       CASE WHEN e.rblank < 0.04 THEN
              CASE WHEN e.kind = 'call' THEN (ARRAY[NULL, '', '  ', chr(9) || chr(11)])[1 + floor(e.rc * 4)::int]
                   ELSE (ARRAY['', '  ', chr(10) || ' ', chr(12)])[1 + floor(e.rc * 4)::int] END
            ELSE jd.present(e.k, e.rc, e.rw) END AS bizible_id,
       (ARRAY['Call', 'Inbound Call', ' Phone Call ', 'Outbound Call' || chr(13), NULL, '', '  ',
              chr(9) || chr(11), 'Call'])[1 + floor(e.rtype * 9)::int] AS type,
       e.kind = 'call' AND e.rdel < 0.08 AS is_deleted,
       e.rexpl2, e.n_sessions,
       CASE WHEN e.rurl < 0.2 THEN NULL ELSE 'https://example.com/form/' || floor(e.rurl * 7)::int END AS form_url
FROM jd.egen e
ORDER BY e.i, e.kind, e.n;
ALTER TABLE jd.gev ADD session_id text, ADD at timestamptz;
-- an explicit session: the event happens around that session's start
UPDATE jd.gev e SET session_id = s.session_id, anchor = s.started_at
FROM jd.gsess s
WHERE e.expl = 'own' AND s.i = e.i AND s.j = 1 + floor(e.rexpl2 * e.n_sessions)::int;
UPDATE jd.gev e SET session_id = s.session_id, anchor = s.started_at
FROM jd.gsess s
WHERE e.expl = 'other' AND s.sno = 1 + floor(e.rexpl2 * (SELECT count(*) FROM jd.gsess))::int;
UPDATE jd.gev SET session_id = jd.rid('Ses', 'unknown' || source_id) WHERE expl = 'unknown';
UPDATE jd.gev SET at = anchor + off;

-- load ------------------------------------------------------------------------
-- earlier tests leave rows behind; and the stored touchpoints start empty
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats, touchpoint.channel_rules;
DELETE FROM touchpoint.touchpoints;

INSERT INTO touchpoint.sessions
SELECT session_id, bizible_id, started_at,
       CASE WHEN r9 < 0.5 THEN NULL ELSE started_at + interval '20 minutes' END,
       (ARRAY[NULL, 'Paid Search', 'Organic Search', 'Social', 'Email', ''])[1 + floor(r1 * 6)::int],
       (ARRAY[NULL, 'Google', 'Bing', 'LinkedIn'])[1 + floor(r2 * 4)::int],
       (ARRAY[NULL, 'google', 'bing', 'linkedin', 'newsletter'])[1 + floor(r3 * 5)::int],
       (ARRAY[NULL, NULL, 'cpc', 'organic', 'email', ' social '])[1 + floor(r4 * 6)::int],
       CASE WHEN r5 < 0.3 THEN NULL ELSE 'camp-' || floor(r5 * 40)::int END,
       CASE WHEN r6 < 0.5 THEN NULL ELSE 'ad-' || floor(r6 * 90)::int END,
       CASE WHEN r7 < 0.5 THEN NULL ELSE 'kw ' || floor(r7 * 300)::int END,
       'https://example.com/p/' || floor(r8 * 50)::int,
       CASE WHEN r9 < 0.4 THEN NULL ELSE 'https://ref.example/' || floor(r9 * 20)::int END
FROM jd.gsess ORDER BY sno;

INSERT INTO touchpoint.tasks (task_id, bizible_id, type, subject, phone, person_id, occurred_at, is_deleted)
SELECT source_id, bizible_id, type, 'call ' || n, '+1 555 01' || lpad((i % 100)::text, 2, '0'),
       person_id, at, is_deleted
FROM jd.gev WHERE kind = 'call' ORDER BY i, kind, n;
INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT source_id, bizible_id, session_id, at, form_url, person_id
FROM jd.gev WHERE kind = 'form' ORDER BY i, kind, n;
INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
SELECT source_id, bizible_id, session_id, at, person_id
FROM jd.gev WHERE kind = 'chat' ORDER BY i, kind, n;
ANALYZE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;

-- sizes
SELECT (SELECT count(*) FROM jd.ids) AS bizible_ids,
       (SELECT count(DISTINCT person) FROM jd.ids) AS persons,
       (SELECT count(*) FROM touchpoint.sessions) AS sessions,
       (SELECT count(*) FROM touchpoint.tasks) AS tasks,
       (SELECT count(*) FROM touchpoint.form_submits) AS form_submits,
       (SELECT count(*) FROM touchpoint.chats) AS chats;

-- the reference --------------------------------------------------------------
-- jd.build_ref() reads the four input tables and writes jd.ref (one row per
-- touchpoint, the columns of touchpoint.touchpoints) and helper tables.
CREATE PROCEDURE jd.build_ref() LANGUAGE plpgsql AS $proc$
BEGIN
  DROP TABLE IF EXISTS jd.r_sess, jd.r_raw, jd.r_ev, jd.r_ev2, jd.r_conv, jd.r_jour,
                       jd.r_jkeys, jd.r_visit, jd.r_all, jd.ref;

  -- sessions with their normalised BizibleId
  CREATE TABLE jd.r_sess AS
  SELECT s.*, jd.norm(s.bizible_id) AS k FROM touchpoint.sessions s;
  CREATE UNIQUE INDEX ON jd.r_sess (session_id);
  CREATE INDEX ON jd.r_sess (k, started_at);
  ANALYZE jd.r_sess;

  -- rule 1: the conversion events (kind rank form 1, chat 2, call 3)
  CREATE TABLE jd.r_raw AS
  SELECT 'call'::text AS kind, 3 AS kr, t.task_id AS src, jd.norm(t.bizible_id) AS k,
         NULLIF(btrim(t.person_id), '') AS own, t.occurred_at AS at,
         NULLIF(btrim(t.type, jd.wsset()), '') AS tt, NULL::text AS form_url,
         false AS explicit, NULL::text AS sid_in
  FROM touchpoint.tasks t
  WHERE NOT t.is_deleted AND jd.norm(t.bizible_id) IS NOT NULL
  UNION ALL
  SELECT 'form', 1, f.submit_id, jd.norm(f.bizible_id), NULLIF(btrim(f.person_id), ''),
         f.submitted_at, NULL, f.form_url, f.session_id IS NOT NULL, f.session_id
  FROM touchpoint.form_submits f
  UNION ALL
  SELECT 'chat', 2, c.chat_id, jd.norm(c.bizible_id), NULLIF(btrim(c.person_id), ''),
         c.started_at, NULL, NULL, c.session_id IS NOT NULL, c.session_id
  FROM touchpoint.chats c;

  -- placement: the named session when it exists; else the covering session of
  -- the same BizibleId that started last (ties: smallest id, bytewise)
  CREATE TABLE jd.r_ev AS
  SELECT r.*,
         CASE WHEN r.explicit THEN (SELECT s.session_id FROM jd.r_sess s WHERE s.session_id = r.sid_in)
              WHEN r.k IS NULL THEN NULL
              ELSE (SELECT s.session_id FROM jd.r_sess s
                    WHERE s.k = r.k AND s.started_at <= r.at AND r.at < s.started_at + interval '30 minutes'
                    ORDER BY s.started_at DESC, s.session_id COLLATE "C" LIMIT 1) END AS sid
  FROM jd.r_raw r;
  CREATE INDEX ON jd.r_ev (sid);
  CREATE INDEX ON jd.r_ev (k);
  ANALYZE jd.r_ev;

  -- rules 2-4: first event of its session?  events in the session; person
  CREATE TABLE jd.r_ev2 AS
  SELECT e.*,
         (e.sid IS NULL OR NOT EXISTS (
            SELECT 1 FROM jd.r_ev e2
            WHERE e2.sid = e.sid
              AND (e2.at < e.at OR (e2.at = e.at AND (e2.kr < e.kr OR
                   (e2.kr = e.kr AND e2.src COLLATE "C" < e.src COLLATE "C")))))) AS makes_tp,
         CASE WHEN e.sid IS NULL THEN 1 ELSE (SELECT count(*) FROM jd.r_ev e2 WHERE e2.sid = e.sid) END AS n_conv,
         COALESCE(e.own, CASE WHEN e.k IS NOT NULL THEN
                    (SELECT e2.own FROM jd.r_ev e2 WHERE e2.k = e.k AND e2.own IS NOT NULL
                     ORDER BY e2.at, e2.kr, e2.src COLLATE "C" LIMIT 1) END) AS person
  FROM jd.r_ev e;
  ALTER TABLE jd.r_ev2 ADD journey text;
  UPDATE jd.r_ev2 SET journey = COALESCE(person, 'anon:' || k, 'anon:' || kind || ':' || src);
  CREATE INDEX ON jd.r_ev2 (journey);
  ANALYZE jd.r_ev2;

  -- rule 7: conversion touchpoints
  CREATE TABLE jd.r_conv AS
  SELECT e.kind || ':' || e.src AS touchpoint_id, e.journey AS journey_id, e.person AS person_id,
         e.k AS bizible_id, e.sid AS session_id, e.kind AS source_kind, e.src AS source_id, e.kr,
         CASE e.kind WHEN 'form' THEN 'Web Form' WHEN 'chat' THEN 'Web Chat'
              ELSE COALESCE(e.tt, CASE WHEN e.sid IS NOT NULL THEN 'Web Visit' ELSE 'Phone Call' END) END
           AS touchpoint_type,
         e.at AS touchpoint_date,
         CASE WHEN e.sid IS NULL THEN 'Offline' ELSE jd.channel_of(s.channel, s.medium, s.source, s.campaign, s.referrer_page) END AS channel,
         CASE WHEN btrim(s.channel) <> '' THEN s.subchannel END AS subchannel, s.source,
         CASE WHEN e.kind = 'call'
              THEN COALESCE(e.tt, CASE WHEN e.sid IS NOT NULL THEN s.medium ELSE 'Phone Call' END)
              ELSE s.medium END AS medium,
         s.campaign, s.ad_content, s.keyword, s.landing_page, s.referrer_page,
         CASE WHEN e.kind = 'form' THEN e.form_url END AS form_url,
         e.n_conv AS session_conversions
  FROM jd.r_ev2 e LEFT JOIN jd.r_sess s ON s.session_id = e.sid
  WHERE e.makes_tp;

  -- rules 5-6: journeys with a conversion touchpoint, their BizibleIds (of
  -- all their events), and the first-touch visit
  CREATE TABLE jd.r_jour AS
  SELECT c.journey_id, min(c.person_id) AS person_id, min(c.touchpoint_date) AS first_conv_at
  FROM jd.r_conv c GROUP BY c.journey_id;
  CREATE TABLE jd.r_jkeys AS
  SELECT DISTINCT e.journey AS journey_id, e.k FROM jd.r_ev2 e
  WHERE e.k IS NOT NULL AND e.journey IN (SELECT journey_id FROM jd.r_jour);
  CREATE INDEX ON jd.r_jkeys (journey_id);
  ANALYZE jd.r_jkeys;
  CREATE TABLE jd.r_visit AS
  SELECT j.journey_id, j.person_id, j.first_conv_at, s.*
  FROM jd.r_jour j
  CROSS JOIN LATERAL (SELECT s.session_id AS sid, s.started_at AS s_started_at
                      FROM jd.r_sess s
                      WHERE s.k IN (SELECT jk.k FROM jd.r_jkeys jk WHERE jk.journey_id = j.journey_id)
                      ORDER BY s.started_at, s.session_id COLLATE "C" LIMIT 1) s;

  CREATE TABLE jd.r_all AS
  SELECT touchpoint_id, journey_id, person_id, bizible_id, session_id, source_kind, source_id, kr,
         touchpoint_type, touchpoint_date, channel, subchannel, source, medium, campaign, ad_content,
         keyword, landing_page, referrer_page, form_url, session_conversions, true AS conv
  FROM jd.r_conv
  UNION ALL
  SELECT 'visit:' || v.journey_id || ':' || v.sid, v.journey_id, v.person_id, s.k, v.sid, 'visit', v.sid, 0,
         'Web Visit', s.started_at, jd.channel_of(s.channel, s.medium, s.source, s.campaign, s.referrer_page),
         CASE WHEN btrim(s.channel) <> '' THEN s.subchannel END, s.source, s.medium, s.campaign,
         s.ad_content, s.keyword, s.landing_page, s.referrer_page, NULL, 0, false
  FROM jd.r_visit v JOIN jd.r_sess s ON s.session_id = v.sid
  WHERE v.s_started_at < v.first_conv_at
    AND NOT EXISTS (SELECT 1 FROM jd.r_conv c WHERE c.session_id = v.sid);
  CREATE INDEX ON jd.r_all (journey_id);
  ANALYZE jd.r_all;

  -- rule 8: positions
  CREATE TABLE jd.ref AS
  SELECT a.touchpoint_id, a.journey_id, a.person_id, a.bizible_id, a.session_id, a.source_kind,
         a.source_id, a.touchpoint_type, a.touchpoint_date, a.channel, a.subchannel, a.source,
         a.medium, a.campaign, a.ad_content, a.keyword, a.landing_page, a.referrer_page, a.form_url,
         concat_ws(',', CASE WHEN ft THEN 'FT' END, CASE WHEN lc THEN 'LC' END,
                        CASE WHEN a.conv AND NOT lc THEN 'PostLC' END) AS position,
         ft AS is_first_touch, lc AS is_lead_creation, a.session_conversions::int4 AS session_conversions
  FROM jd.r_all a
  CROSS JOIN LATERAL (
    SELECT NOT EXISTS (SELECT 1 FROM jd.r_all b
                       WHERE b.journey_id = a.journey_id
                         AND (b.touchpoint_date < a.touchpoint_date OR (b.touchpoint_date = a.touchpoint_date
                              AND (b.kr < a.kr OR (b.kr = a.kr AND b.source_id COLLATE "C" < a.source_id COLLATE "C")))))
             AS ft,
           a.conv AND NOT EXISTS (SELECT 1 FROM jd.r_all b
                       WHERE b.journey_id = a.journey_id AND b.conv
                         AND (b.touchpoint_date < a.touchpoint_date OR (b.touchpoint_date = a.touchpoint_date
                              AND (b.kr < a.kr OR (b.kr = a.kr AND b.source_id COLLATE "C" < a.source_id COLLATE "C")))))
             AS lc) p;
END
$proc$;

-- round 1 ----------------------------------------------------------------------
SELECT mode, touchpoints > 0 AS has_rows FROM touchpoint.refresh();
CALL jd.build_ref();
-- the comparisons: matview vs reference, live view vs matview
CREATE FUNCTION jd.compare(OUT tp_rows bigint, OUT ref_rows bigint, OUT only_matview bigint,
                           OUT only_ref bigint, OUT live_not_matview bigint, OUT matview_not_live bigint)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM touchpoint.touchpoints),
         (SELECT count(*) FROM jd.ref),
         (SELECT count(*) FROM (SELECT touchpoint_id, journey_id, person_id, bizible_id, session_id, source_kind,
                 source_id, touchpoint_type, touchpoint_date, channel, subchannel, source, medium, campaign,
                 ad_content, keyword, landing_page, referrer_page, form_url, position, is_first_touch,
                 is_lead_creation, session_conversions FROM touchpoint.touchpoints
                 EXCEPT ALL SELECT * FROM jd.ref) x),
         (SELECT count(*) FROM (SELECT * FROM jd.ref EXCEPT ALL
                 SELECT touchpoint_id, journey_id, person_id, bizible_id, session_id, source_kind,
                 source_id, touchpoint_type, touchpoint_date, channel, subchannel, source, medium, campaign,
                 ad_content, keyword, landing_page, referrer_page, form_url, position, is_first_touch,
                 is_lead_creation, session_conversions FROM touchpoint.touchpoints) x),
         (SELECT count(*) FROM (SELECT * FROM touchpoint.touchpoints_live
                 EXCEPT ALL SELECT * FROM touchpoint.touchpoints) x),
         (SELECT count(*) FROM (SELECT * FROM touchpoint.touchpoints
                 EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live) x) $$;

SELECT * FROM jd.compare();

-- the data hits every case (counted on the reference and the inputs)
-- journeys
SELECT count(*) AS journeys,
       count(*) FILTER (WHERE person_id IS NULL) AS anon_journeys,
       count(*) FILTER (WHERE journey_id LIKE 'anon:form:%' OR journey_id LIKE 'anon:chat:%') AS anon_without_bizible_id,
       (SELECT count(*) FROM (SELECT journey_id FROM jd.r_jkeys GROUP BY 1 HAVING count(*) > 1) x) AS multi_id_journeys,
       (SELECT count(DISTINCT journey) FROM jd.r_ev2
        WHERE journey NOT IN (SELECT journey_id FROM jd.r_jour)) AS journeys_without_conversion_tp
FROM jd.r_jour;
-- persons: stitching (a call without person stitched by a form of its id), an
-- id whose events name two persons, padded and blank person ids
SELECT (SELECT count(*) FROM jd.r_ev2 e WHERE e.kind = 'call' AND e.own IS NULL AND e.person IS NOT NULL
          AND (SELECT e2.kind FROM jd.r_ev2 e2 WHERE e2.k = e.k AND e2.own IS NOT NULL
               ORDER BY e2.at, e2.kr, e2.src COLLATE "C" LIMIT 1) = 'form') AS calls_stitched_by_form,
       (SELECT count(DISTINCT journey) FROM jd.r_ev2 e WHERE e.kind = 'call' AND e.own IS NULL AND e.person IS NOT NULL
          AND e.makes_tp) AS journeys_with_stitched_call_tp,
       (SELECT count(*) FROM jd.r_ev2 WHERE own IS NULL AND person IS NOT NULL) AS events_stitched,
       (SELECT count(DISTINCT e.k) FROM jd.r_ev2 e WHERE e.own IS NOT NULL
          AND EXISTS (SELECT 1 FROM jd.r_ev2 e2 WHERE e2.k = e.k AND e2.own IS NOT NULL AND e2.own <> e.own))
         AS ids_naming_two_persons,
       (SELECT count(*) FROM jd.gev WHERE person_id <> btrim(person_id) AND btrim(person_id) <> '') AS padded_person_ids,
       (SELECT count(*) FROM jd.gev WHERE btrim(person_id) = '') AS blank_person_ids;
-- placement of the events
SELECT kind,
       count(*) FILTER (WHERE NOT explicit AND sid IS NOT NULL) AS by_window,
       count(*) FILTER (WHERE NOT explicit AND sid IS NULL AND k IS NOT NULL) AS not_covered,
       count(*) FILTER (WHERE NOT explicit AND k IS NULL) AS blank_id,
       count(*) FILTER (WHERE explicit AND sid IS NOT NULL) AS named_session,
       count(*) FILTER (WHERE explicit AND sid IS NULL) AS unknown_session,
       count(*) FILTER (WHERE explicit AND sid IS NOT NULL
                          AND k IS DISTINCT FROM (SELECT s.k FROM jd.r_sess s WHERE s.session_id = sid)) AS named_other_id
FROM jd.r_ev2 GROUP BY kind ORDER BY kind;
SELECT (SELECT count(*) FROM touchpoint.tasks WHERE is_deleted) AS deleted_tasks,
       (SELECT count(*) FROM touchpoint.tasks WHERE NOT is_deleted AND jd.norm(bizible_id) IS NULL) AS tasks_missing_id,
       (SELECT count(*) FROM touchpoint.sessions WHERE jd.norm(bizible_id) IS NULL) AS sessions_missing_id,
       (SELECT count(*) FROM touchpoint.sessions WHERE bizible_id <> jd.norm(bizible_id)) AS sessions_id_not_canonical,
       (SELECT count(*) FROM jd.r_ev e JOIN jd.r_sess s ON s.k = e.k
        WHERE NOT e.explicit AND e.at = s.started_at) AS events_at_session_start,
       (SELECT count(*) FROM jd.r_ev e JOIN jd.r_sess s ON s.k = e.k
        WHERE NOT e.explicit AND e.at = s.started_at + interval '30 minutes') AS events_at_window_end,
       (SELECT count(*) FROM jd.r_ev e JOIN jd.r_sess s ON s.k = e.k
        WHERE NOT e.explicit AND e.at = s.started_at + interval '30 minutes' - interval '1 microsecond'
          AND e.sid = s.session_id) AS merged_at_last_microsecond,
       (SELECT count(*) FROM jd.r_ev e
        WHERE NOT e.explicit AND e.sid IS NOT NULL
          AND (SELECT count(*) FROM jd.r_sess s WHERE s.k = e.k AND s.started_at <= e.at
                 AND e.at < s.started_at + interval '30 minutes') > 1) AS events_with_several_covering,
       (SELECT count(*) FROM jd.r_ev e JOIN jd.r_sess s ON s.session_id = e.sid
        WHERE NOT e.explicit AND EXISTS (SELECT 1 FROM jd.r_sess s2 WHERE s2.k = e.k AND s2.started_at = s.started_at
                                            AND s2.session_id <> s.session_id)) AS placed_by_session_id_tie;
-- sessions: several conversions, same-instant events of different kinds,
-- events of another journey in a session
SELECT (SELECT count(*) FROM (SELECT sid FROM jd.r_ev WHERE sid IS NOT NULL GROUP BY sid HAVING count(*) > 1) x)
         AS sessions_several_conversions,
       (SELECT max(session_conversions) FROM jd.r_conv) AS max_session_conversions,
       (SELECT count(*) FROM jd.r_ev a JOIN jd.r_ev b ON a.sid = b.sid AND a.at = b.at
        WHERE a.kind = 'form' AND b.kind = 'chat') AS same_instant_form_chat,
       (SELECT count(*) FROM jd.r_ev a JOIN jd.r_ev b ON a.sid = b.sid AND a.at = b.at
        WHERE a.kind = 'form' AND b.kind = 'call') AS same_instant_form_call,
       (SELECT count(*) FROM jd.r_ev a JOIN jd.r_ev b ON a.sid = b.sid AND a.at = b.at
        WHERE a.kind = 'chat' AND b.kind = 'call') AS same_instant_chat_call,
       (SELECT count(*) FROM jd.r_ev a JOIN jd.r_ev b ON a.sid = b.sid AND a.at = b.at
        WHERE a.kind = b.kind AND a.src < b.src) AS same_instant_same_kind,
       (SELECT count(*) FROM jd.r_ev2 a JOIN jd.r_ev2 b ON a.sid = b.sid AND a.at = b.at AND a.src <> b.src
        WHERE a.makes_tp) AS first_event_tied,
       (SELECT count(*) FROM jd.r_ev2 a JOIN jd.r_ev2 b ON a.sid = b.sid
        WHERE a.makes_tp AND NOT b.makes_tp AND a.journey <> b.journey) AS events_in_other_journeys_session;
-- journeys: cross-id ties at the same instant; first-touch visits and why
-- a journey's earliest session is not one
SELECT (SELECT count(*) FROM jd.r_all a JOIN jd.r_all b ON a.journey_id = b.journey_id
          AND a.touchpoint_date = b.touchpoint_date AND a.touchpoint_id < b.touchpoint_id) AS same_instant_in_journey,
       (SELECT count(*) FROM jd.r_visit) AS journeys_with_session,
       (SELECT count(*) FROM jd.r_visit v WHERE v.s_started_at < v.first_conv_at
          AND NOT EXISTS (SELECT 1 FROM jd.r_conv c WHERE c.session_id = v.sid)) AS ft_visits,
       (SELECT count(*) FROM jd.r_visit v WHERE v.s_started_at < v.first_conv_at
          AND EXISTS (SELECT 1 FROM jd.r_conv c WHERE c.session_id = v.sid)) AS earliest_holds_tp,
       (SELECT count(*) FROM jd.r_visit v WHERE v.s_started_at < v.first_conv_at
          AND EXISTS (SELECT 1 FROM jd.r_conv c WHERE c.session_id = v.sid AND c.journey_id <> v.journey_id))
         AS earliest_holds_other_journeys_tp,
       (SELECT count(*) FROM jd.r_visit v WHERE v.s_started_at = v.first_conv_at) AS earliest_at_first_conversion,
       (SELECT count(*) FROM jd.r_visit v WHERE v.s_started_at > v.first_conv_at) AS earliest_after_first_conversion,
       (SELECT count(*) FROM (SELECT session_id FROM jd.ref WHERE source_kind = 'visit'
                              GROUP BY 1 HAVING count(*) > 1) x) AS visit_sessions_shared,
       (SELECT count(*) FROM jd.ref t WHERE source_kind = 'visit'
          AND bizible_id <> ALL (SELECT k FROM jd.r_ev2 e WHERE e.journey = t.journey_id AND e.makes_tp AND e.k IS NOT NULL))
         AS visits_of_id_without_tp;
-- the touchpoints by kind and position, and by type and channel
SELECT source_kind, position, is_first_touch, is_lead_creation, count(*)
FROM touchpoint.touchpoints GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
SELECT source_kind, touchpoint_type, channel IS NOT DISTINCT FROM 'Offline' AS offline, session_id IS NULL AS no_session,
       count(*), sum(session_conversions) AS conversions
FROM touchpoint.touchpoints GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;

-- round 2: a late call that becomes the new LC, deleted tasks -----------------
-- late calls: for 40 person journeys whose LC is a form or a chat, a call of
-- the same person and id one minute before it, loaded now
CREATE TABLE jd.late AS
SELECT jd.rid('00T', 'late' || t.touchpoint_id) AS task_id, t.journey_id, t.touchpoint_id AS old_lc,
       t.bizible_id, t.touchpoint_date - interval '1 minute' AS occurred_at
FROM touchpoint.touchpoints t
WHERE t.is_lead_creation AND t.source_kind IN ('form', 'chat') AND t.person_id IS NOT NULL
  AND t.bizible_id IS NOT NULL
ORDER BY t.touchpoint_id COLLATE "C" LIMIT 40;
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at)
SELECT task_id, ' ' || upper(bizible_id), 'Inbound Call', journey_id, occurred_at FROM jd.late;
-- deleted tasks: 25 calls that are a journey's LC are removed, 25 calls that
-- are the first of several events of their session are marked deleted
CREATE TABLE jd.gone AS
(SELECT source_id, 'removed' AS how FROM touchpoint.touchpoints
 WHERE source_kind = 'call' AND is_lead_creation ORDER BY source_id COLLATE "C" LIMIT 25)
UNION ALL
(SELECT source_id, 'is_deleted' FROM touchpoint.touchpoints
 WHERE source_kind = 'call' AND NOT is_lead_creation AND session_conversions > 1
 ORDER BY source_id COLLATE "C" LIMIT 25);
DELETE FROM touchpoint.tasks WHERE task_id IN (SELECT source_id FROM jd.gone WHERE how = 'removed');
UPDATE touchpoint.tasks SET is_deleted = true WHERE task_id IN (SELECT source_id FROM jd.gone WHERE how = 'is_deleted');
SELECT (SELECT count(*) FROM jd.late) AS late_calls, (SELECT count(*) FROM jd.gone) AS gone_tasks;
-- the stored touchpoints are stale until refreshed
SELECT count(*) > 0 AS live_differs_before_refresh
FROM (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints) x;
SELECT mode, touchpoints > 0 AS has_rows FROM touchpoint.refresh();
CALL jd.build_ref();
SELECT * FROM jd.compare();
-- what changed
SELECT (SELECT count(*) FROM touchpoint.touchpoints t JOIN jd.late l ON t.source_id = l.task_id
        WHERE t.source_kind = 'call' AND t.is_lead_creation AND t.journey_id = l.journey_id) AS late_calls_now_lc,
       (SELECT count(*) FROM touchpoint.touchpoints t JOIN jd.late l ON t.source_id = l.task_id
        WHERE t.source_kind = 'call' AND t.session_id IS NOT NULL) AS late_calls_merged,
       (SELECT count(*) FROM touchpoint.touchpoints t JOIN jd.late l ON t.touchpoint_id = l.old_lc
        WHERE t.position = 'PostLC') AS old_lc_now_postlc,
       (SELECT count(*) FROM jd.late l
        WHERE NOT EXISTS (SELECT 1 FROM touchpoint.touchpoints t WHERE t.touchpoint_id = l.old_lc)) AS old_lc_now_none,
       (SELECT count(*) FROM touchpoint.touchpoints t JOIN jd.gone g ON t.source_kind = 'call'
          AND t.source_id = g.source_id) AS gone_tasks_still_touchpoints,
       (SELECT count(*) FROM jd.gone g JOIN jd.r_raw r ON r.kind = 'call' AND r.src = g.source_id) AS gone_tasks_in_ref;

-- the end: leave the tables empty and the materialized view refreshed
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats;
SELECT mode, touchpoints FROM touchpoint.refresh();
RESET timezone;
DROP SCHEMA jd CASCADE;
