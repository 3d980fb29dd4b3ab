-- 1.3 -> 1.4: where each input kind is read from (a stub: the source registry replaces it).

/*
 * The relation an input kind ('people', 'opportunities', ...) is read from.
 * For now always touchpoint's own table of that name; the source registry
 * (touchpoint.use_source) replaces this function.
 */
CREATE FUNCTION touchpoint_internal.source(kind pg_catalog.text) RETURNS pg_catalog.regclass
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.format('@extschema@.%I', kind)::pg_catalog.regclass $$;
COMMENT ON FUNCTION touchpoint_internal.source(pg_catalog.text) IS
'the relation an input kind (people, opportunities, ...) is read from';

