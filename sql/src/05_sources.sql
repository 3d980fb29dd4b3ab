-- ===================================================================
-- §7 Sources: which relation each input is read from
-- ===================================================================

/*
 * Every stage of the pipeline reads its inputs through this function, at
 * refresh time.  Stub: always touchpoint's own table of that kind; the
 * sources registry (touchpoint.use_source, SPEC §7) replaces its body.
 */
CREATE FUNCTION touchpoint_internal.source(kind pg_catalog.text) RETURNS pg_catalog.regclass
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.format('@extschema@.%I', kind)::pg_catalog.regclass $$;
COMMENT ON FUNCTION touchpoint_internal.source(pg_catalog.text) IS
'the relation an input kind (sessions, tasks, form_submits, chats, people, opportunities) is read from';
