-- ===================================================================
-- §7 Your own tables, all the way through: the registered sources
-- ===================================================================

/*
 * Check a relation as the input of one kind, as merge_calls checks its
 * arguments (tp_input.c holds the one description of every kind's columns):
 * an unknown kind, a relation that is not a table or a view, missing
 * columns (all named at once, with a line of a mapping view for each), a
 * column of an unusable type, no SELECT, an unpopulated materialized view.
 * With a NULL relation only the kind is checked.
 */
CREATE FUNCTION touchpoint_internal.check_source(kind pg_catalog.text, relation pg_catalog.regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'tp_check_source'
LANGUAGE C STABLE PARALLEL RESTRICTED;

/*
 * One row per registered source.  The relation is kept by its qualified
 * name (how it is found again, also after a dump and restore) and by its
 * oid as it was when registered (how a rename is told from a drop).  No
 * regclass column: pg_upgrade refuses tables that store reg* values.
 */
CREATE TABLE touchpoint_internal.source_registry (
    kind          pg_catalog.text PRIMARY KEY
        CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['sessions', 'tasks', 'form_submits', 'chats',
                                                      'people', 'opportunities']::pg_catalog.text[])),
    relation      pg_catalog.text NOT NULL,
    relid         pg_catalog.oid,
    registered_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE touchpoint_internal.source_registry IS
'the relations registered with touchpoint.use_source (read them through the view touchpoint.sources)';
COMMENT ON COLUMN touchpoint_internal.source_registry.kind IS
'the input: sessions, tasks, form_submits, chats, people or opportunities';
COMMENT ON COLUMN touchpoint_internal.source_registry.relation IS
'the registered relation''s schema-qualified, quoted name: how it is found';
COMMENT ON COLUMN touchpoint_internal.source_registry.relid IS
'its oid when registered or restored: tells a rename from a drop';
COMMENT ON COLUMN touchpoint_internal.source_registry.registered_at IS
'when it was registered';
-- Every role may see which relations are registered (the defaults of
-- merge_calls read them as their caller); only the owner changes them.
GRANT SELECT ON touchpoint_internal.source_registry TO PUBLIC;

/*
 * pg_dump dumps the registrations with the extension; the relations they
 * name are restored before them (their rows come after every definition),
 * so a restored row takes the oid of the relation its name now names.
 */
CREATE FUNCTION touchpoint_internal.source_registry_resolve()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.relid := pg_catalog.to_regclass(NEW.relation)::pg_catalog.oid;
    RETURN NEW;
END
$$;
CREATE TRIGGER source_registry_resolve BEFORE INSERT ON touchpoint_internal.source_registry
    FOR EACH ROW EXECUTE FUNCTION touchpoint_internal.source_registry_resolve();

SELECT pg_catalog.pg_extension_config_dump('touchpoint_internal.source_registry', '');

/*
 * The relation to read for one kind of input: the registered one, else
 * touchpoint's own table.  A registered relation that was dropped or
 * renamed, or that no longer has the columns of its kind, is an error that
 * says how to register it again, never an empty result.  merge_calls and
 * the explain functions take it as their default; refresh() reads every
 * input through it.
 */
CREATE FUNCTION touchpoint_internal.source(kind pg_catalog.text)
RETURNS pg_catalog.regclass
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reg touchpoint_internal.source_registry;
    found_rel pg_catalog.regclass;
    renamed_to pg_catalog.text;
    again pg_catalog.text;
    e_state pg_catalog.text;
    e_message pg_catalog.text;
    e_detail pg_catalog.text;
    e_hint pg_catalog.text;
BEGIN
    PERFORM touchpoint_internal.check_source(kind, NULL);
    SELECT * INTO reg FROM touchpoint_internal.source_registry r WHERE r.kind OPERATOR(pg_catalog.=) source.kind;
    IF NOT FOUND THEN
        RETURN pg_catalog.format('@extschema@.%I', kind)::pg_catalog.regclass;
    END IF;

    again := pg_catalog.format('Register it again: SELECT @extschema@.use_source(%L, %L); or go back to touchpoint''s own table: SELECT @extschema@.use_source(%L, NULL);',
                               kind, 'new_name', kind, kind);
    found_rel := pg_catalog.to_regclass(reg.relation);
    IF found_rel IS NULL THEN
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO renamed_to
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
        WHERE c.oid OPERATOR(pg_catalog.=) reg.relid;
        IF renamed_to IS NOT NULL THEN
            RAISE EXCEPTION 'the % source "%" was renamed to "%"', kind, reg.relation, renamed_to
                USING ERRCODE = 'undefined_table',
                      DETAIL = pg_catalog.format('touchpoint.use_source registered relation %s as the %s source; no relation has that name now.', reg.relation, kind),
                      HINT = pg_catalog.format('Register it under its new name: SELECT @extschema@.use_source(%L, %L); or go back to touchpoint''s own table: SELECT @extschema@.use_source(%L, NULL);',
                                               kind, renamed_to, kind, kind);
        END IF;
        RAISE EXCEPTION 'the % source "%" does not exist', kind, reg.relation
            USING ERRCODE = 'undefined_table',
                  DETAIL = pg_catalog.format('touchpoint.use_source registered relation %s as the %s source; it was dropped (or its schema renamed).', reg.relation, kind),
                  HINT = again;
    END IF;

    BEGIN
        PERFORM touchpoint_internal.check_source(kind, found_rel);
    EXCEPTION WHEN undefined_column OR datatype_mismatch OR wrong_object_type THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message,
            DETAIL = pg_catalog.concat_ws(' ', pg_catalog.format('Relation %s is registered as the %s source (touchpoint.use_source).', reg.relation, kind),
                                          NULLIF(e_detail, '')),
            HINT = CASE WHEN e_hint OPERATOR(pg_catalog.<>) '' AND e_state OPERATOR(pg_catalog.=) '42703'
                        THEN e_hint OPERATOR(pg_catalog.||) pg_catalog.format(' Then register the view: SELECT @extschema@.use_source(%L, %L); or go back to touchpoint''s own table: SELECT @extschema@.use_source(%L, NULL);',
                                                                              kind, 'your_view', kind, kind)
                        ELSE pg_catalog.concat_ws(' ', NULLIF(e_hint, ''),
                                                  pg_catalog.format('Change the relation, or register a view with the columns of %s: SELECT @extschema@.use_source(%L, %L); or go back to touchpoint''s own table: SELECT @extschema@.use_source(%L, NULL);',
                                                                    kind, kind, 'your_view', kind, kind)) END;
    END;
    RETURN found_rel;
END
$$;

/*
 * Register the user's relation as one input (docs/spec.md §7); a NULL
 * relation, or touchpoint's own table, goes back to the default.  Only the
 * extension's owner (or a member of that role, or a superuser) may: a
 * registration changes what every role's refresh and merge reads.
 */
CREATE FUNCTION @extschema@.use_source(kind pg_catalog.text, relation pg_catalog.regclass)
RETURNS pg_catalog.text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    owner_name pg_catalog.name;
    rel_name pg_catalog.text;
    persistence "char";
BEGIN
    PERFORM touchpoint_internal.check_source(kind, NULL);

    SELECT r.rolname INTO owner_name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
    WHERE c.oid OPERATOR(pg_catalog.=) 'touchpoint_internal.source_registry'::pg_catalog.regclass;
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, owner_name, 'USAGE') THEN
        RAISE EXCEPTION 'role "%" cannot register touchpoint sources', CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('A registration changes what every role''s refresh and merge read; only the extension''s owner, role "%s", or a superuser may change it.', owner_name),
                  HINT = pg_catalog.format('Ask role "%s" to run SELECT @extschema@.use_source(%L, ...);', owner_name, kind);
    END IF;

    -- the relation registered until now no longer needs its capture triggers
    PERFORM touchpoint_internal.unwatch(pg_catalog.to_regclass(r.relation))
    FROM touchpoint_internal.source_registry r
    WHERE r.kind OPERATOR(pg_catalog.=) use_source.kind AND pg_catalog.to_regclass(r.relation) IS NOT NULL;
    IF relation IS NULL OR relation OPERATOR(pg_catalog.=) pg_catalog.format('@extschema@.%I', kind)::pg_catalog.regclass THEN
        DELETE FROM touchpoint_internal.source_registry r WHERE r.kind OPERATOR(pg_catalog.=) use_source.kind;
        RETURN pg_catalog.format('%s: touchpoint''s own table @extschema@.%s', kind, kind);
    END IF;

    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relpersistence INTO rel_name, persistence
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
    WHERE c.oid OPERATOR(pg_catalog.=) relation;
    IF persistence OPERATOR(pg_catalog.=) 't' THEN
        RAISE EXCEPTION 'a temporary relation cannot be the % source', kind
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = pg_catalog.format('Relation %s disappears at the end of this session, and other sessions cannot read it.', relation),
                  HINT = 'Register a permanent table or view.';
    END IF;
    -- kind of relation, columns and their types, SELECT, a populated
    -- materialized view: as merge_calls checks them (errors name every
    -- missing column, with a mapping view to create)
    PERFORM touchpoint_internal.check_source(kind, relation);

    INSERT INTO touchpoint_internal.source_registry AS r (kind, relation)
    VALUES (kind, rel_name)
    ON CONFLICT ON CONSTRAINT source_registry_pkey DO UPDATE
        SET relation = EXCLUDED.relation, relid = EXCLUDED.relid, registered_at = EXCLUDED.registered_at;
    -- a table's changes are captured by triggers (incremental refresh); a
    -- view's cannot be (touchpoint.sources says so)
    PERFORM touchpoint_internal.watch(kind, relation);
    RETURN pg_catalog.format('%s: %s', kind, rel_name);
END
$$;

/*
 * Every registered source checked at once, for refresh(): each kind with
 * the relation to read.  When one or more cannot be read, one error names
 * them all (a single failure keeps its own SQLSTATE, detail and hint).
 */
CREATE FUNCTION touchpoint_internal.check_sources(OUT kind pg_catalog.text, OUT relation pg_catalog.regclass)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 6
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k pg_catalog.text;
    failures pg_catalog.text[] := '{}';
    e_state pg_catalog.text;
    e_message pg_catalog.text;
    e_detail pg_catalog.text;
    e_hint pg_catalog.text;
    first_state pg_catalog.text;
    first_detail pg_catalog.text;
    first_hint pg_catalog.text;
BEGIN
    FOREACH k IN ARRAY ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities'] LOOP
        BEGIN
            kind := k;
            relation := touchpoint_internal.source(k);
            RETURN NEXT;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            IF first_state IS NULL THEN
                first_state := e_state;
                first_detail := e_detail;
                first_hint := e_hint;
            END IF;
            failures := failures OPERATOR(pg_catalog.||) pg_catalog.format('%s: %s', k, e_message);
        END;
    END LOOP;
    IF pg_catalog.cardinality(failures) OPERATOR(pg_catalog.=) 1 THEN
        RAISE EXCEPTION USING ERRCODE = first_state, MESSAGE = pg_catalog.substr(failures[1], pg_catalog.strpos(failures[1], ': ') OPERATOR(pg_catalog.+) 2),
                              DETAIL = COALESCE(first_detail, ''), HINT = COALESCE(first_hint, '');
    ELSIF pg_catalog.cardinality(failures) OPERATOR(pg_catalog.>) 1 THEN
        RAISE EXCEPTION '% touchpoint sources cannot be read', pg_catalog.cardinality(failures)
            USING ERRCODE = first_state,
                  DETAIL = pg_catalog.array_to_string(failures, E'\n'),
                  HINT = 'SELECT kind, relation, status FROM @extschema@.sources; shows each; fix each relation or register it again with touchpoint.use_source.';
    END IF;
END
$$;

-- A source's state as a sentence: 'ok', or the error that reading it would raise.
CREATE FUNCTION touchpoint_internal.source_status(kind pg_catalog.text)
RETURNS pg_catalog.text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e_message pg_catalog.text;
BEGIN
    PERFORM touchpoint_internal.check_source(kind, touchpoint_internal.source(kind));
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT;
    RETURN e_message;
END
$$;
