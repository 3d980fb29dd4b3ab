-- 1.3 -> 1.4: user-defined position models (docs/spec.md §6 "Models are data"), as sql/src/30_attribution_inputs.sql creates them.
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

SELECT pg_catalog.pg_extension_config_dump('@extschema@.position_models', '');
