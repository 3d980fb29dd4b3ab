-- ===================================================================
-- §6 Attribution and reporting
-- ===================================================================

-- People (leads and contacts) and the account they belong to.
CREATE TABLE @extschema@.people (
    person_id  pg_catalog.text PRIMARY KEY,
    account_id pg_catalog.text,
    email      pg_catalog.text
);
COMMENT ON TABLE @extschema@.people IS 'leads and contacts with their account (docs/spec.md §6)';
CREATE INDEX people_account_idx ON @extschema@.people (account_id);

-- Opportunities: open while closed_at IS NULL.
CREATE TABLE @extschema@.opportunities (
    opportunity_id pg_catalog.text PRIMARY KEY,
    account_id     pg_catalog.text NOT NULL,
    amount         pg_catalog.numeric NOT NULL,
    created_at     pg_catalog.timestamptz NOT NULL,
    closed_at      pg_catalog.timestamptz,
    is_won         pg_catalog.bool
);
COMMENT ON TABLE @extschema@.opportunities IS 'opportunities; open while closed_at IS NULL (docs/spec.md §6)';
CREATE INDEX opportunities_account_idx ON @extschema@.opportunities (account_id);

-- Channel rules: lowest priority first, first match wins (see classify_channel).
CREATE TABLE @extschema@.channel_rules (
    priority     pg_catalog.int4 PRIMARY KEY,
    channel      pg_catalog.text,
    subchannel   pg_catalog.text,
    medium       pg_catalog.text,
    source       pg_catalog.text,
    campaign     pg_catalog.text,
    landing_page pg_catalog.text,
    referrer     pg_catalog.text
);
COMMENT ON TABLE @extschema@.channel_rules IS
'ordered channel rules for sessions without a channel: *x* contains, x* starts with, *x ends with, * anything, a;b either (docs/spec.md §6)';

-- The custom model's weights; the middle keeps 10, so these sum to 90.
CREATE TABLE @extschema@.custom_model (
    position pg_catalog.text PRIMARY KEY
        CHECK (position OPERATOR(pg_catalog.=) ANY (ARRAY['FT', 'LC', 'OC', 'Closed']::pg_catalog.text[])),
    weight   pg_catalog.numeric NOT NULL CHECK (weight OPERATOR(pg_catalog.>=) 0)
);
COMMENT ON TABLE @extschema@.custom_model IS
'custom model weights for FT, LC, OC and Closed (Pending uses Closed); they must sum to 90, the middle keeps 10';
INSERT INTO @extschema@.custom_model VALUES ('FT', 22.5), ('LC', 22.5), ('OC', 22.5), ('Closed', 22.5);

/*
 * pg_dump dumps the rows of custom_model, and a restore first re-creates the
 * shipped rows: this trigger turns the restored INSERT of an existing
 * position into an update, so a restore brings back the user's weights.
 */
CREATE FUNCTION touchpoint_internal.custom_model_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE @extschema@.custom_model m SET weight = NEW.weight
    WHERE m.position OPERATOR(pg_catalog.=) NEW.position;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER custom_model_upsert BEFORE INSERT ON @extschema@.custom_model
    FOR EACH ROW EXECUTE FUNCTION touchpoint_internal.custom_model_upsert();

/*
 * User-defined position models (docs/spec.md §6 "Models are data"): weights
 * for FT, LC, OC, Closed/Pending and the middle, summing to 100.  The
 * trigger refuses a built-in name and a bad sum with a hint; refresh checks
 * again (a restore or a disabled trigger could let a row in).
 */
CREATE TABLE @extschema@.position_models (
    model  pg_catalog.text PRIMARY KEY,
    ft     pg_catalog.numeric NOT NULL DEFAULT 0,
    lc     pg_catalog.numeric NOT NULL DEFAULT 0,
    oc     pg_catalog.numeric NOT NULL DEFAULT 0,
    closed pg_catalog.numeric NOT NULL DEFAULT 0,
    middle pg_catalog.numeric NOT NULL DEFAULT 0
);
COMMENT ON TABLE @extschema@.position_models IS
'user-defined position-based models: weights for FT, LC, OC, Closed/Pending and the middle summing to 100; each is a model of touchpoint.credits after the next refresh';

-- The built-in models, in the order the reports list them.
CREATE FUNCTION touchpoint_internal.builtin_models()
RETURNS pg_catalog.text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['first_touch', 'lead_creation', 'u_shaped', 'w_shaped', 'full_path', 'linear',
             'time_decay', 'custom']::pg_catalog.text[];

-- Refuse one position model that is not usable: the error, its SQLSTATE and a hint that works.
CREATE FUNCTION touchpoint_internal.check_position_model(model pg_catalog.text, ft pg_catalog.numeric,
    lc pg_catalog.numeric, oc pg_catalog.numeric, closed pg_catalog.numeric, middle pg_catalog.numeric)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    total numeric := ft OPERATOR(pg_catalog.+) lc OPERATOR(pg_catalog.+) oc
                     OPERATOR(pg_catalog.+) closed OPERATOR(pg_catalog.+) middle;
BEGIN
    IF model IS NULL OR pg_catalog.btrim(model) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a position model needs a name'
            USING ERRCODE = 'not_null_violation',
                  HINT = 'Name the model, e.g. INSERT INTO touchpoint.position_models VALUES (''my_model'', 30, 30, 15, 15, 10);';
    END IF;
    IF pg_catalog.lower(pg_catalog.btrim(model)) OPERATOR(pg_catalog.=) ANY (touchpoint_internal.builtin_models()) THEN
        RAISE EXCEPTION 'position model "%" has the name of a built-in model', model
            USING ERRCODE = 'reserved_name',
                  DETAIL = pg_catalog.format('The built-in models are %s; the custom model takes its weights from touchpoint.custom_model.',
                                             pg_catalog.array_to_string(touchpoint_internal.builtin_models(), ', ')),
                  HINT = pg_catalog.format('Give the model another name, e.g. INSERT INTO touchpoint.position_models VALUES (%L, %s, %s, %s, %s, %s);',
                                           'my_' OPERATOR(pg_catalog.||) pg_catalog.lower(pg_catalog.btrim(model)),
                                           ft, lc, oc, closed, middle);
    END IF;
    IF total IS NULL OR total OPERATOR(pg_catalog.<>) 100 OR LEAST(ft, lc, oc, closed, middle) OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'position model "%" weights must be at least 0 and sum to 100', model
            USING ERRCODE = 'check_violation',
                  DETAIL = pg_catalog.format('ft %s + lc %s + oc %s + closed %s + middle %s = %s.',
                                             ft, lc, oc, closed, middle, COALESCE(total::text, 'NULL')),
                  HINT = pg_catalog.format('Make the five weights sum to 100, e.g. UPDATE touchpoint.position_models SET ft = 22.5, lc = 22.5, oc = 22.5, closed = 22.5, middle = 10 WHERE model = %L;',
                                           model);
    END IF;
END
$$;

-- trigger: every inserted or updated position model is checked.
CREATE FUNCTION touchpoint_internal.position_models_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM touchpoint_internal.check_position_model(NEW.model, NEW.ft, NEW.lc, NEW.oc, NEW.closed, NEW.middle);
    RETURN NEW;
END
$$;
CREATE TRIGGER position_models_check BEFORE INSERT OR UPDATE ON @extschema@.position_models
    FOR EACH ROW EXECUTE FUNCTION touchpoint_internal.position_models_check();

SELECT pg_catalog.pg_extension_config_dump('@extschema@.people', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.channel_rules', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.custom_model', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.position_models', '');

-- One rule cell against one value (docs/spec.md §6 wildcards, ASCII case ignored).
CREATE FUNCTION @extschema@.channel_rule_matches(pattern pg_catalog.text, value pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'tp_channel_rule_matches'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_rule_matches(pg_catalog.text, pg_catalog.text) IS
'does value match one channel-rule cell (*x*, x*, *x, *, a;b; NULL cell = no condition)';

-- The first matching rule's ARRAY[channel, subchannel], or NULL.
CREATE FUNCTION @extschema@.classify_channel(rules pg_catalog.text[], medium pg_catalog.text,
    source pg_catalog.text, campaign pg_catalog.text, landing_page pg_catalog.text,
    referrer pg_catalog.text)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'tp_classify_channel'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.classify_channel(pg_catalog.text[], pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
'first matching rule of rules (rows of channel, subchannel, medium, source, campaign, landing_page, referrer) as ARRAY[channel, subchannel], NULL when none';

-- The rules table as the array classify_channel takes, in priority order.
CREATE FUNCTION touchpoint_internal.channel_rules_array()
RETURNS pg_catalog.text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(ARRAY[r.channel, r.subchannel, r.medium, r.source, r.campaign,
                                      r.landing_page, r.referrer] ORDER BY r.priority)
    FROM @extschema@.channel_rules r
$$;


/*
 * One model's share for one touchpoint, in percent, before rounding: its raw
 * weight over the weight present in the opportunity, or an equal share when
 * no touchpoint can take any of the model's weight (the linear fallback).
 */
CREATE FUNCTION touchpoint_internal.credit_share(raw pg_catalog.numeric, present pg_catalog.numeric, touchpoints pg_catalog.int8)
RETURNS pg_catalog.numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (no search_path at run time) and
-- stays inlinable, which matters: the view calls it eight times a row.
RETURN CASE WHEN present OPERATOR(pg_catalog.>) 0
            THEN (raw OPERATOR(pg_catalog.*) 100)::pg_catalog.numeric(60,30) OPERATOR(pg_catalog./) present
            ELSE 100::pg_catalog.numeric(60,30) OPERATOR(pg_catalog./) touchpoints END;

