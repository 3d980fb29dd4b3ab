-- ===================================================================
-- The pipeline (docs/pipeline.md): stage 1 placements, per normalised
-- BizibleId; stage 2 touchpoints, per journey.  Stage 3, the credit per
-- opportunity, is in 50_attribution.sql.
-- ===================================================================

/*
 * Stage 1, key bizible_key: every conversion event (call, form fill, chat)
 * with the session it belongs to, as the C engine places it (one merge_calls
 * pass), with that session's web columns and channel, and the event's
 * journey.  The journey is a function of the events of one BizibleId (the
 * event's person, else the person the earliest event of the BizibleId names,
 * else anon:<bizible_key>), so it is computed here, per key; stage 2 is then
 * keyed by journey.  Events without a BizibleId (a blank one on a form fill
 * or chat; a call without one makes nothing) have a NULL bizible_key and a
 * journey of their own.
 */
CREATE TABLE @extschema@.placements (
    bizible_key     pg_catalog.text,
    source_kind     pg_catalog.text NOT NULL,
    source_id       pg_catalog.text NOT NULL,
    journey_id      pg_catalog.text NOT NULL,
    person_id       pg_catalog.text,
    session_id      pg_catalog.text,
    touchpoint_type pg_catalog.text NOT NULL,
    touchpoint_date pg_catalog.timestamptz NOT NULL,
    channel         pg_catalog.text NOT NULL,
    subchannel      pg_catalog.text,
    source          pg_catalog.text,
    medium          pg_catalog.text,
    campaign        pg_catalog.text,
    ad_content      pg_catalog.text,
    keyword         pg_catalog.text,
    landing_page    pg_catalog.text,
    referrer_page   pg_catalog.text,
    form_url        pg_catalog.text,
    PRIMARY KEY (source_kind, source_id)
);
COMMENT ON TABLE @extschema@.placements IS
'pipeline stage 1, per bizible_key: each conversion event with its session and journey (docs/pipeline.md); rebuilt by refresh()';
CREATE INDEX placements_bizible_key_idx ON @extschema@.placements (bizible_key COLLATE "C");
CREATE INDEX placements_journey_idx ON @extschema@.placements (journey_id COLLATE "C");
CREATE INDEX placements_session_idx ON @extschema@.placements (session_id COLLATE "C");

/*
 * Stage 2, key journey_id: what BI tools read (docs/spec.md §5), one row
 * per touchpoint; rebuilt by refresh() (DELETE and INSERT in its
 * transaction: readers see all before or all after).
 */
CREATE TABLE @extschema@.touchpoints (
    touchpoint_id       pg_catalog.text NOT NULL,
    journey_id          pg_catalog.text,
    person_id           pg_catalog.text,
    bizible_id          pg_catalog.text,
    session_id          pg_catalog.text,
    source_kind         pg_catalog.text,
    source_id           pg_catalog.text,
    touchpoint_type     pg_catalog.text,
    touchpoint_date     pg_catalog.timestamptz,
    channel             pg_catalog.text,
    subchannel          pg_catalog.text,
    source              pg_catalog.text,
    medium              pg_catalog.text,
    campaign            pg_catalog.text,
    ad_content          pg_catalog.text,
    keyword             pg_catalog.text,
    landing_page        pg_catalog.text,
    referrer_page       pg_catalog.text,
    form_url            pg_catalog.text,
    position            pg_catalog.text,
    is_first_touch      pg_catalog.bool,
    is_lead_creation    pg_catalog.bool,
    session_conversions pg_catalog.int4
);
COMMENT ON TABLE @extschema@.touchpoints IS
'one row per touchpoint with its journey and position (FT, LC, PostLC); pipeline stage 2, per journey_id; rebuilt by touchpoint.refresh()';
CREATE UNIQUE INDEX touchpoints_touchpoint_id_idx ON @extschema@.touchpoints (touchpoint_id);
CREATE INDEX touchpoints_journey_idx ON @extschema@.touchpoints (journey_id, touchpoint_date);

/*
 * The condition "expr is one of the keys $1" (all when $1 is NULL; a NULL
 * element stands for the NULL key), for the builders' dynamic statements.
 */
CREATE FUNCTION touchpoint_internal.key_filter(expr pg_catalog.text)
RETURNS pg_catalog.text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('($1 IS NULL OR %1$s OPERATOR(pg_catalog.=) ANY ($1)
        OR (%1$s IS NULL AND pg_catalog.array_position($1, NULL::pg_catalog.text) IS NOT NULL))', expr)
$$;

-- The same with the keys as a literal, for a temporary view: the BizibleId
-- of the relation aliased alias is one of keys (all when keys is NULL).
CREATE FUNCTION touchpoint_internal.key_filter_literal(alias pg_catalog.text, keys pg_catalog.text[])
RETURNS pg_catalog.text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN keys IS NULL THEN 'true' ELSE
        pg_catalog.replace(touchpoint_internal.key_filter(
            pg_catalog.format('@extschema@.bizible_key(%I.bizible_id::pg_catalog.text)', alias)),
            '$1', pg_catalog.format('%L::pg_catalog.text[]', keys)) END
$$;

-- Drop build_placements' temporary views, if any (quietly).
CREATE FUNCTION touchpoint_internal.drop_placement_views()
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('pg_temp.tp_placement_events') IS NOT NULL THEN
        DROP VIEW pg_temp.tp_placement_events;
    END IF;
    IF pg_catalog.to_regclass('pg_temp.tp_placement_sessions') IS NOT NULL THEN
        DROP VIEW pg_temp.tp_placement_sessions;
    END IF;
END
$$;

/*
 * build_placements(keys): DELETE the placements of these normalised
 * BizibleIds (NULL: all) and INSERT them again from the sources.  One
 * merge_calls pass places every call, and every form fill and chat without
 * session_id, of those keys; for a subset it reads the sessions and events
 * of those keys only (through temporary views, dropped at the end).  The
 * per-row functions (bizible_key, classify_channel) take values and give
 * values.  Returns the rows inserted.
 */
CREATE FUNCTION touchpoint_internal.build_placements(keys pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src_sessions pg_catalog.regclass := touchpoint_internal.source('sessions');
    src_tasks pg_catalog.regclass := touchpoint_internal.source('tasks');
    src_forms pg_catalog.regclass := touchpoint_internal.source('form_submits');
    src_chats pg_catalog.regclass := touchpoint_internal.source('chats');
    placed_sessions text;
    n bigint;
BEGIN
    PERFORM touchpoint_internal.drop_placement_views();
    -- every event the window rule must place, shaped as tasks; the call's
    -- own type rides in subject so that merge_calls gives the session's medium
    EXECUTE pg_catalog.format($q$
        CREATE TEMPORARY VIEW tp_placement_events AS
        SELECT 'call:' OPERATOR(pg_catalog.||) t.task_id AS task_id, t.bizible_id::pg_catalog.text AS bizible_id,
               NULL::pg_catalog.text AS type, t.type::pg_catalog.text AS subject, NULL::pg_catalog.text AS phone,
               t.person_id::pg_catalog.text AS person_id, t.occurred_at, t.is_deleted
        FROM %1$s t WHERE %4$s
        UNION ALL
        SELECT 'form:' OPERATOR(pg_catalog.||) f.submit_id, f.bizible_id::pg_catalog.text, NULL, f.form_url::pg_catalog.text,
               NULL, f.person_id::pg_catalog.text, f.submitted_at, false
        FROM %2$s f WHERE f.session_id IS NULL AND %5$s
        UNION ALL
        SELECT 'chat:' OPERATOR(pg_catalog.||) c.chat_id, c.bizible_id::pg_catalog.text, NULL, NULL,
               NULL, c.person_id::pg_catalog.text, c.started_at, false
        FROM %3$s c WHERE c.session_id IS NULL AND %6$s $q$,
        src_tasks, src_forms, src_chats,
        touchpoint_internal.key_filter_literal('t', keys), touchpoint_internal.key_filter_literal('f', keys),
        touchpoint_internal.key_filter_literal('c', keys));
    IF keys IS NULL THEN
        placed_sessions := src_sessions::text;
    ELSE
        EXECUTE pg_catalog.format('CREATE TEMPORARY VIEW tp_placement_sessions AS SELECT s.* FROM %s s WHERE %s',
                                  src_sessions, touchpoint_internal.key_filter_literal('s', keys));
        placed_sessions := 'pg_temp.tp_placement_sessions';
    END IF;

    EXECUTE pg_catalog.format('DELETE FROM @extschema@.placements p WHERE %s',
                              touchpoint_internal.key_filter('p.bizible_key')) USING keys;
    EXECUTE pg_catalog.format($q$
        INSERT INTO @extschema@.placements
        WITH events AS (
            -- placed by the engine: the session's web columns come with it
            SELECT pg_catalog.substr(m.task_id, 1, 4) AS source_kind, pg_catalog.substr(m.task_id, 6) AS source_id,
                   m.bizible_id AS bizible_key, NULLIF(pg_catalog.btrim(m.person_id), '') AS own_person,
                   m.session_id, m.touchpoint_date,
                   CASE pg_catalog.substr(m.task_id, 1, 4)
                        WHEN 'form' THEN 'Web Form' WHEN 'chat' THEN 'Web Chat'
                        ELSE COALESCE(NULLIF(pg_catalog.btrim(m.subject, E' \t\n\013\f\r'), ''),
                                      CASE WHEN m.session_id IS NULL THEN 'Phone Call' ELSE 'Web Visit' END) END AS touchpoint_type,
                   CASE WHEN m.session_id IS NOT NULL THEN m.medium END AS s_medium,
                   CASE WHEN pg_catalog.starts_with(m.task_id, 'call:')
                        THEN NULLIF(pg_catalog.btrim(m.subject, E' \t\n\013\f\r'), '') END AS call_type,
                   CASE WHEN pg_catalog.starts_with(m.task_id, 'form:') THEN m.subject END AS form_url,
                   m.channel AS s_channel, m.subchannel AS s_subchannel, m.source AS s_source,
                   m.campaign AS s_campaign, m.ad_content AS s_ad_content, m.keyword AS s_keyword,
                   m.landing_page AS s_landing_page, m.referrer_page AS s_referrer_page
            FROM @extschema@.merge_calls(%1$L::pg_catalog.regclass, 'pg_temp.tp_placement_events'::pg_catalog.regclass,
                                         NULL::pg_catalog.interval) m
            UNION ALL
            -- form fills that name their session, or that the engine cannot place (no BizibleId)
            SELECT 'form', f.submit_id::pg_catalog.text, @extschema@.bizible_key(f.bizible_id::pg_catalog.text),
                   NULLIF(pg_catalog.btrim(f.person_id::pg_catalog.text), ''),
                   s.session_id::pg_catalog.text, f.submitted_at, 'Web Form', s.medium::pg_catalog.text, NULL,
                   f.form_url::pg_catalog.text,
                   s.channel::pg_catalog.text, s.subchannel::pg_catalog.text, s.source::pg_catalog.text,
                   s.campaign::pg_catalog.text, s.ad_content::pg_catalog.text, s.keyword::pg_catalog.text,
                   s.landing_page::pg_catalog.text, s.referrer_page::pg_catalog.text
            FROM %2$s f
            LEFT JOIN %4$s s ON f.session_id IS NOT NULL AND s.session_id OPERATOR(pg_catalog.=) f.session_id
            WHERE (f.session_id IS NOT NULL OR @extschema@.bizible_key(f.bizible_id::pg_catalog.text) IS NULL)
              AND %5$s
            UNION ALL
            SELECT 'chat', c.chat_id::pg_catalog.text, @extschema@.bizible_key(c.bizible_id::pg_catalog.text),
                   NULLIF(pg_catalog.btrim(c.person_id::pg_catalog.text), ''),
                   s.session_id::pg_catalog.text, c.started_at, 'Web Chat', s.medium::pg_catalog.text, NULL, NULL,
                   s.channel::pg_catalog.text, s.subchannel::pg_catalog.text, s.source::pg_catalog.text,
                   s.campaign::pg_catalog.text, s.ad_content::pg_catalog.text, s.keyword::pg_catalog.text,
                   s.landing_page::pg_catalog.text, s.referrer_page::pg_catalog.text
            FROM %3$s c
            LEFT JOIN %4$s s ON c.session_id IS NOT NULL AND s.session_id OPERATOR(pg_catalog.=) c.session_id
            WHERE (c.session_id IS NOT NULL OR @extschema@.bizible_key(c.bizible_id::pg_catalog.text) IS NULL)
              AND %6$s
        ),
        stitched AS (
            -- the person the earliest event of the BizibleId names
            SELECT e.*,
                   CASE WHEN e.bizible_key IS NOT NULL THEN
                       pg_catalog.first_value(e.own_person) OVER (PARTITION BY e.bizible_key
                           ORDER BY e.own_person IS NULL, e.touchpoint_date,
                                    CASE e.source_kind WHEN 'form' THEN 1 WHEN 'chat' THEN 2 ELSE 3 END,
                                    e.source_id COLLATE "C") END AS named_person
            FROM events e
        )
        SELECT x.bizible_key, x.source_kind, x.source_id,
               COALESCE(x.own_person, x.named_person,
                        'anon:' OPERATOR(pg_catalog.||) COALESCE(x.bizible_key,
                            x.source_kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) x.source_id)),
               COALESCE(x.own_person, x.named_person),
               x.session_id, x.touchpoint_type, x.touchpoint_date,
               CASE WHEN x.session_id IS NULL THEN 'Offline'
                    WHEN pg_catalog.btrim(x.s_channel) OPERATOR(pg_catalog.<>) '' THEN x.s_channel
                    ELSE COALESCE(cls.rule[1],
                         CASE WHEN pg_catalog.btrim(COALESCE(x.s_medium, '') OPERATOR(pg_catalog.||) COALESCE(x.s_source, '')
                                  OPERATOR(pg_catalog.||) COALESCE(x.s_campaign, '') OPERATOR(pg_catalog.||) COALESCE(x.s_referrer_page, ''))
                                  OPERATOR(pg_catalog.<>) ''
                              THEN 'Other' ELSE 'Direct' END) END,
               CASE WHEN x.session_id IS NULL THEN NULL
                    WHEN pg_catalog.btrim(x.s_channel) OPERATOR(pg_catalog.<>) '' THEN x.s_subchannel
                    ELSE cls.rule[2] END,
               x.s_source,
               CASE WHEN x.source_kind OPERATOR(pg_catalog.=) 'call'
                    THEN COALESCE(x.call_type, CASE WHEN x.session_id IS NULL THEN 'Phone Call' ELSE x.s_medium END)
                    ELSE x.s_medium END,
               x.s_campaign, x.s_ad_content, x.s_keyword, x.s_landing_page, x.s_referrer_page, x.form_url
        FROM stitched x
        LEFT JOIN LATERAL (
            -- sessions without a channel are classified by the channel rules (docs/spec.md §6)
            SELECT @extschema@.classify_channel($2, x.s_medium, x.s_source, x.s_campaign,
                                                x.s_landing_page, x.s_referrer_page) AS rule
            WHERE x.session_id IS NOT NULL AND COALESCE(pg_catalog.btrim(x.s_channel), '') OPERATOR(pg_catalog.=) ''
        ) cls ON true $q$,
        placed_sessions, src_forms, src_chats, src_sessions,
        pg_catalog.format(touchpoint_internal.key_filter('@extschema@.bizible_key(%1$s.bizible_id::pg_catalog.text)'), 'f'),
        pg_catalog.format(touchpoint_internal.key_filter('@extschema@.bizible_key(%1$s.bizible_id::pg_catalog.text)'), 'c'))
        USING keys, touchpoint_internal.channel_rules_array();
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM touchpoint_internal.drop_placement_views();
    RETURN n;
END
$$;

/*
 * build_touchpoints(journeys): DELETE the touchpoints of these journeys
 * (NULL: all) and INSERT them again from the placements and the sessions.
 *   in_session  rank and count of the events of each session (a session's
 *               events may belong to other journeys: all are ranked)
 *   conversion  a session's first event, and every event without session
 *   first_visit each journey's earliest session of any of its BizibleIds,
 *               when it started before the journey's first conversion and
 *               holds no event (so no touchpoint) of its own
 *   positions   FT, LC, PostLC per journey
 * Returns the rows inserted.
 */
CREATE FUNCTION touchpoint_internal.build_touchpoints(journeys pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE pg_catalog.format('DELETE FROM @extschema@.touchpoints t WHERE %s',
                              touchpoint_internal.key_filter('t.journey_id')) USING journeys;
    EXECUTE pg_catalog.format($q$
        INSERT INTO @extschema@.touchpoints
        WITH mine AS MATERIALIZED (
            SELECT p.*, CASE p.source_kind WHEN 'form' THEN 1 WHEN 'chat' THEN 2 ELSE 3 END AS kind_rank
            FROM @extschema@.placements p WHERE %2$s
        ),
        shared AS (
            -- every event of the sessions the journeys' events are in
            SELECT p.*, CASE p.source_kind WHEN 'form' THEN 1 WHEN 'chat' THEN 2 ELSE 3 END AS kind_rank
            FROM @extschema@.placements p
            WHERE p.session_id IS NOT NULL
              AND ($1 IS NULL OR p.session_id IN (SELECT m.session_id FROM mine m))
        ),
        in_session AS (
            SELECT s.*,
                   pg_catalog.row_number() OVER (PARTITION BY s.session_id
                       ORDER BY s.touchpoint_date, s.kind_rank, s.source_id COLLATE "C") AS rank_in_session,
                   pg_catalog.count(*) OVER (PARTITION BY s.session_id) AS session_conversions
            FROM shared s
        ),
        conversion AS (
            SELECT m.*, 1::pg_catalog.int8 AS session_conversions FROM mine m WHERE m.session_id IS NULL
            UNION ALL
            SELECT i.bizible_key, i.source_kind, i.source_id, i.journey_id, i.person_id, i.session_id,
                   i.touchpoint_type, i.touchpoint_date, i.channel, i.subchannel, i.source, i.medium,
                   i.campaign, i.ad_content, i.keyword, i.landing_page, i.referrer_page, i.form_url,
                   i.kind_rank, i.session_conversions
            FROM in_session i
            WHERE i.rank_in_session OPERATOR(pg_catalog.=) 1 AND %3$s
        ),
        journey_start AS (
            SELECT c.journey_id, pg_catalog.min(c.touchpoint_date) AS first_conversion_at
            FROM conversion c GROUP BY c.journey_id
        ),
        journey_keys AS (
            SELECT DISTINCT m.journey_id, m.bizible_key
            FROM mine m JOIN journey_start js ON js.journey_id OPERATOR(pg_catalog.=) m.journey_id
            WHERE m.bizible_key IS NOT NULL
        ),
        key_first AS (
            -- each BizibleId's earliest session: one step down the sessions'
            -- (bizible_key, started_at, session_id) index per key, no sort of all
            -- the keys' sessions
            SELECT s.*
            FROM (SELECT DISTINCT jk.bizible_key COLLATE "C" AS k FROM journey_keys jk) jk
            CROSS JOIN LATERAL (
                SELECT jk.k, s.session_id::pg_catalog.text AS session_id, s.started_at,
                       s.channel::pg_catalog.text AS channel, s.subchannel::pg_catalog.text AS subchannel,
                       s.source::pg_catalog.text AS source, s.medium::pg_catalog.text AS medium,
                       s.campaign::pg_catalog.text AS campaign, s.ad_content::pg_catalog.text AS ad_content,
                       s.keyword::pg_catalog.text AS keyword, s.landing_page::pg_catalog.text AS landing_page,
                       s.referrer_page::pg_catalog.text AS referrer_page
                FROM %1$s s
                WHERE @extschema@.bizible_key(s.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) jk.k
                ORDER BY @extschema@.bizible_key(s.bizible_id::pg_catalog.text) COLLATE "C", s.started_at,
                         s.session_id::pg_catalog.text COLLATE "C"
                LIMIT 1) s
        ),
        first_visit AS (
            SELECT f.*
            FROM (SELECT DISTINCT ON (jk.journey_id) jk.journey_id, kf.*
                  FROM journey_keys jk
                  JOIN key_first kf ON kf.k OPERATOR(pg_catalog.=) jk.bizible_key COLLATE "C"
                  ORDER BY jk.journey_id, kf.started_at, kf.session_id COLLATE "C") f
            JOIN journey_start js ON js.journey_id OPERATOR(pg_catalog.=) f.journey_id
            WHERE f.started_at OPERATOR(pg_catalog.<) js.first_conversion_at
              AND NOT EXISTS (SELECT 1 FROM @extschema@.placements p
                              WHERE p.session_id OPERATOR(pg_catalog.=) f.session_id)
        ),
        all_touchpoints AS (
            SELECT c.source_kind OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) c.source_id AS touchpoint_id,
                   c.journey_id, c.person_id, c.bizible_key, c.session_id, c.source_kind, c.source_id, c.kind_rank,
                   c.touchpoint_type, c.touchpoint_date, c.channel, c.subchannel, c.source, c.medium, c.campaign,
                   c.ad_content, c.keyword, c.landing_page, c.referrer_page, c.form_url,
                   c.session_conversions, true AS is_conversion
            FROM conversion c
            UNION ALL
            SELECT 'visit:' OPERATOR(pg_catalog.||) fv.journey_id OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) fv.session_id,
                   fv.journey_id,
                   CASE WHEN pg_catalog.starts_with(fv.journey_id, 'anon:') THEN NULL ELSE fv.journey_id END,
                   fv.k, fv.session_id, 'visit', fv.session_id, 0,
                   'Web Visit', fv.started_at,
                   CASE WHEN pg_catalog.btrim(fv.channel) OPERATOR(pg_catalog.<>) '' THEN fv.channel
                        ELSE COALESCE(cls.rule[1],
                             CASE WHEN pg_catalog.btrim(COALESCE(fv.medium, '') OPERATOR(pg_catalog.||) COALESCE(fv.source, '')
                                      OPERATOR(pg_catalog.||) COALESCE(fv.campaign, '') OPERATOR(pg_catalog.||) COALESCE(fv.referrer_page, ''))
                                      OPERATOR(pg_catalog.<>) ''
                                  THEN 'Other' ELSE 'Direct' END) END,
                   CASE WHEN pg_catalog.btrim(fv.channel) OPERATOR(pg_catalog.<>) '' THEN fv.subchannel
                        ELSE cls.rule[2] END,
                   fv.source, fv.medium, fv.campaign, fv.ad_content, fv.keyword, fv.landing_page, fv.referrer_page,
                   NULL, 0, false
            FROM first_visit fv
            LEFT JOIN LATERAL (
                SELECT @extschema@.classify_channel($2, fv.medium, fv.source, fv.campaign,
                                                    fv.landing_page, fv.referrer_page) AS rule
                WHERE COALESCE(pg_catalog.btrim(fv.channel), '') OPERATOR(pg_catalog.=) ''
            ) cls ON true
        ),
        ordered AS (
            SELECT t.*,
                   pg_catalog.row_number() OVER (PARTITION BY t.journey_id
                       ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") AS journey_rank,
                   CASE WHEN t.is_conversion THEN pg_catalog.row_number() OVER (PARTITION BY t.journey_id, t.is_conversion
                       ORDER BY t.touchpoint_date, t.kind_rank, t.source_id COLLATE "C") END AS conversion_rank
            FROM all_touchpoints t
        )
        SELECT o.touchpoint_id, o.journey_id, o.person_id, o.bizible_key, o.session_id,
               o.source_kind, o.source_id, o.touchpoint_type, o.touchpoint_date, o.channel, o.subchannel,
               o.source, o.medium, o.campaign, o.ad_content, o.keyword, o.landing_page, o.referrer_page,
               o.form_url,
               pg_catalog.concat_ws(',',
                   CASE WHEN o.journey_rank OPERATOR(pg_catalog.=) 1 THEN 'FT' END,
                   CASE WHEN o.conversion_rank OPERATOR(pg_catalog.=) 1 THEN 'LC' END,
                   CASE WHEN o.conversion_rank OPERATOR(pg_catalog.>) 1 THEN 'PostLC' END),
               o.journey_rank OPERATOR(pg_catalog.=) 1,
               COALESCE(o.conversion_rank OPERATOR(pg_catalog.=) 1, false),
               o.session_conversions::pg_catalog.int4
        FROM ordered o $q$,
        touchpoint_internal.source('sessions'),
        touchpoint_internal.key_filter('p.journey_id'),
        touchpoint_internal.key_filter('i.journey_id'))
        USING journeys, touchpoint_internal.channel_rules_array();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
