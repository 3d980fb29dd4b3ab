/*
 * touchpoints_live: the touchpoints as of now (docs/spec.md §5) in one
 * statement over touchpoint's own tables.  refresh() builds the stored
 * touchpoint.touchpoints in stages instead (45_pipeline.sql); this view is
 * the one-statement reading the tests compare the stages with.  Steps:
 *   placed      one engine pass over conversion_events
 *   events      every conversion event with its session (or none), in the
 *               order form, chat, call at the same instant, then by id
 *   in_session  rank and count of the events of each session
 *   journeys    each event's person: its own, else the earliest other event
 *               of its BizibleId that names one, else anon:<bizible_id>
 *   conversion  a session's first event, and every event without session
 *   first_visit each journey's earliest session of any of its BizibleIds,
 *               when it started before the journey's first conversion and
 *               holds no touchpoint of its own
 *   positions   FT, LC, PostLC over the union (the session's web columns
 *               ride along as s_*, so sessions are joined once per branch)
 */
CREATE VIEW @extschema@.touchpoints_live WITH (security_invoker = true) AS
WITH placed AS MATERIALIZED (
    SELECT p.task_id, p.bizible_id, p.person_id, p.session_id, p.touchpoint_type,
           p.medium, p.touchpoint_date
    FROM @extschema@.merge_calls('@extschema@.sessions'::pg_catalog.regclass,
                                 '@extschema@.conversion_events'::pg_catalog.regclass,
                                 NULL::pg_catalog.interval) p
),
events AS (
    SELECT 'call'::pg_catalog.text AS kind, 3 AS kind_rank,
           pg_catalog.substr(p.task_id, 6) AS source_id,
           p.bizible_id,
           NULLIF(pg_catalog.btrim(p.person_id), '') AS own_person,
           p.session_id, p.touchpoint_date AS event_at,
           p.touchpoint_type AS call_type, p.medium AS call_medium,
           NULL::pg_catalog.text AS form_url
    FROM placed p
    WHERE pg_catalog.starts_with(p.task_id, 'call:')
    UNION ALL
    SELECT 'form', 1, f.submit_id, @extschema@.bizible_key(f.bizible_id),
           NULLIF(pg_catalog.btrim(f.person_id), ''),
           CASE WHEN f.session_id IS NULL THEN p.session_id ELSE s.session_id END,
           f.submitted_at, NULL, NULL, f.form_url
    FROM @extschema@.form_submits f
    LEFT JOIN placed p ON f.session_id IS NULL
                      AND p.task_id OPERATOR(pg_catalog.=) ('form:' OPERATOR(pg_catalog.||) f.submit_id)
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) f.session_id
    UNION ALL
    SELECT 'chat', 2, c.chat_id, @extschema@.bizible_key(c.bizible_id),
           NULLIF(pg_catalog.btrim(c.person_id), ''),
           CASE WHEN c.session_id IS NULL THEN p.session_id ELSE s.session_id END,
           c.started_at, NULL, NULL, NULL
    FROM @extschema@.chats c
    LEFT JOIN placed p ON c.session_id IS NULL
                      AND p.task_id OPERATOR(pg_catalog.=) ('chat:' OPERATOR(pg_catalog.||) c.chat_id)
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) c.session_id
),
in_session AS (
    SELECT e.*,
           CASE WHEN e.session_id IS NULL THEN 1
                ELSE pg_catalog.row_number() OVER (PARTITION BY e.session_id
                         ORDER BY e.event_at, e.kind_rank, e.source_id COLLATE "C") END AS rank_in_session,
           CASE WHEN e.session_id IS NULL THEN 1
                ELSE pg_catalog.count(*) OVER (PARTITION BY e.session_id) END AS session_conversions
    FROM events e
),
named_person AS (
    SELECT DISTINCT ON (e.bizible_id) e.bizible_id, e.own_person AS person_id
    FROM events e
    WHERE e.own_person IS NOT NULL AND e.bizible_id IS NOT NULL
    ORDER BY e.bizible_id, e.event_at, e.kind_rank, e.source_id COLLATE "C"
),
journeys AS (
    SELECT i.*,
           COALESCE(i.own_person, n.person_id) AS person_id,
           COALESCE(i.own_person, n.person_id,
               'anon:' OPERATOR(pg_catalog.||)
               COALESCE(i.bizible_id, i.kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) i.source_id)) AS journey_id
    FROM in_session i
    LEFT JOIN named_person n ON n.bizible_id OPERATOR(pg_catalog.=) i.bizible_id
),
conversion AS (
    SELECT j.* FROM journeys j WHERE j.rank_in_session OPERATOR(pg_catalog.=) 1
),
journey_start AS (
    SELECT c.journey_id, pg_catalog.min(c.event_at) AS first_conversion_at
    FROM conversion c GROUP BY c.journey_id
),
journey_ids AS MATERIALIZED (
    -- in index order, so that successive probes below share their index pages
    SELECT d.journey_id, d.bizible_id
    FROM (SELECT DISTINCT j.journey_id, j.bizible_id
          FROM journeys j
          WHERE j.bizible_id IS NOT NULL
            AND EXISTS (SELECT 1 FROM journey_start js
                        WHERE js.journey_id OPERATOR(pg_catalog.=) j.journey_id)) d
    ORDER BY d.bizible_id COLLATE "C"
),
earliest_session AS (
    SELECT DISTINCT ON (ji.journey_id) ji.journey_id, es.*
    FROM journey_ids ji
    CROSS JOIN LATERAL (
        SELECT s.session_id, s.started_at, s.bizible_id, s.channel, s.subchannel, s.source,
               s.medium, s.campaign, s.ad_content, s.keyword, s.landing_page, s.referrer_page
        FROM @extschema@.sessions s
        WHERE @extschema@.bizible_key(s.bizible_id) COLLATE "C" OPERATOR(pg_catalog.=) ji.bizible_id
        ORDER BY @extschema@.bizible_key(s.bizible_id) COLLATE "C", s.started_at, s.session_id COLLATE "C"
        LIMIT 1) es
    ORDER BY ji.journey_id, es.started_at, es.session_id COLLATE "C"
),
first_visit AS (
    SELECT es.*
    FROM earliest_session es
    JOIN journey_start js ON js.journey_id OPERATOR(pg_catalog.=) es.journey_id
    WHERE es.started_at OPERATOR(pg_catalog.<) js.first_conversion_at
      AND NOT EXISTS (SELECT 1 FROM conversion c
                      WHERE c.session_id OPERATOR(pg_catalog.=) es.session_id)
),
all_touchpoints AS (
    SELECT c.kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) c.source_id AS touchpoint_id,
           c.journey_id, c.person_id, c.bizible_id, c.session_id,
           c.kind AS source_kind, c.source_id, c.kind_rank,
           CASE WHEN c.kind OPERATOR(pg_catalog.=) 'form' THEN 'Web Form'
                WHEN c.kind OPERATOR(pg_catalog.=) 'chat' THEN 'Web Chat'
                ELSE c.call_type END AS touchpoint_type,
           c.event_at AS touchpoint_date,
           CASE WHEN c.kind OPERATOR(pg_catalog.=) 'call' THEN c.call_medium ELSE s.medium END AS medium,
           c.form_url, c.session_conversions, true AS is_conversion,
           s.channel AS s_channel, s.subchannel AS s_subchannel, s.source AS s_source,
           s.medium AS s_medium, s.campaign AS s_campaign, s.ad_content AS s_ad_content,
           s.keyword AS s_keyword, s.landing_page AS s_landing_page, s.referrer_page AS s_referrer_page
    FROM conversion c
    LEFT JOIN @extschema@.sessions s ON s.session_id OPERATOR(pg_catalog.=) c.session_id
    UNION ALL
    SELECT 'visit:' OPERATOR(pg_catalog.||) fv.journey_id OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) fv.session_id,
           fv.journey_id,
           CASE WHEN pg_catalog.starts_with(fv.journey_id, 'anon:') THEN NULL ELSE fv.journey_id END,
           @extschema@.bizible_key(fv.bizible_id), fv.session_id,
           'visit', fv.session_id, 0,
           'Web Visit', fv.started_at, fv.medium, NULL, 0, false,
           fv.channel AS s_channel, fv.subchannel AS s_subchannel, fv.source AS s_source,
           fv.medium AS s_medium, fv.campaign AS s_campaign, fv.ad_content AS s_ad_content,
           fv.keyword AS s_keyword, fv.landing_page AS s_landing_page, fv.referrer_page AS s_referrer_page
    FROM first_visit fv
),
rules AS MATERIALIZED (
    -- once: as a subquery it would be pulled up and run for every row
    SELECT touchpoint_internal.channel_rules_array() AS rules
),
ordered AS (
    SELECT t.*,
           pg_catalog.row_number() OVER (PARTITION BY t.journey_id
               ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") AS journey_rank,
           CASE WHEN t.is_conversion THEN pg_catalog.row_number() OVER (PARTITION BY t.journey_id, t.is_conversion
               ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") END AS conversion_rank
    FROM all_touchpoints t
)
SELECT o.touchpoint_id, o.journey_id, o.person_id, o.bizible_id, o.session_id,
       o.source_kind, o.source_id, o.touchpoint_type, o.touchpoint_date,
       CASE WHEN o.session_id IS NULL THEN 'Offline'
            WHEN pg_catalog.btrim(o.s_channel) OPERATOR(pg_catalog.<>) '' THEN o.s_channel
            ELSE COALESCE(cls.rule[1],
                          CASE WHEN pg_catalog.btrim(COALESCE(o.s_medium, '') OPERATOR(pg_catalog.||) COALESCE(o.s_source, '')
                                   OPERATOR(pg_catalog.||) COALESCE(o.s_campaign, '') OPERATOR(pg_catalog.||) COALESCE(o.s_referrer_page, ''))
                                   OPERATOR(pg_catalog.<>) ''
                               THEN 'Other' ELSE 'Direct' END) END AS channel,
       CASE WHEN o.session_id IS NULL THEN NULL
            WHEN pg_catalog.btrim(o.s_channel) OPERATOR(pg_catalog.<>) '' THEN o.s_subchannel
            ELSE cls.rule[2] END AS subchannel,
       o.s_source AS source, o.medium, o.s_campaign AS campaign, o.s_ad_content AS ad_content,
       o.s_keyword AS keyword, o.s_landing_page AS landing_page, o.s_referrer_page AS referrer_page,
       o.form_url,
       pg_catalog.concat_ws(',',
           CASE WHEN o.journey_rank OPERATOR(pg_catalog.=) 1 THEN 'FT' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.=) 1 THEN 'LC' END,
           CASE WHEN o.conversion_rank OPERATOR(pg_catalog.>) 1 THEN 'PostLC' END) AS position,
       o.journey_rank OPERATOR(pg_catalog.=) 1 AS is_first_touch,
       COALESCE(o.conversion_rank OPERATOR(pg_catalog.=) 1, false) AS is_lead_creation,
       o.session_conversions::pg_catalog.int4 AS session_conversions
FROM ordered o
CROSS JOIN rules r
LEFT JOIN LATERAL (
    -- sessions without a channel are classified by the channel rules (docs/spec.md §6)
    SELECT @extschema@.classify_channel(r.rules, o.s_medium, o.s_source, o.s_campaign,
                                        o.s_landing_page, o.s_referrer_page) AS rule
    WHERE o.session_id IS NOT NULL AND COALESCE(pg_catalog.btrim(o.s_channel), '') OPERATOR(pg_catalog.=) ''
) cls ON true;
COMMENT ON VIEW @extschema@.touchpoints_live IS
'the touchpoints as of now, read from touchpoint''s own tables in one statement; refresh() builds touchpoint.touchpoints in stages (docs/pipeline.md), which must give the same rows';
