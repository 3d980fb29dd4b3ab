-- ===================================================================
-- §8 Incremental refresh (docs/incremental.md): change capture on the
-- inputs, the keys a change can affect, and their recomputation.
-- ===================================================================

/*
 * The change log.  Statement-level triggers on every watched input write,
 * in the writer's transaction, one row per statement and kind of key: the
 * keys the statement's old and new rows name.  refresh() deletes the rows
 * its snapshot sees and recomputes what they can affect; a row committed
 * while a refresh runs is not seen by it and stays for the next.
 *
 *   bizible_key  a normalised BizibleId (sessions, calls, form fills, chats)
 *   person       a person an event names (its journey)
 *   session      a session a form fill or chat names (its owner's id)
 *   keyless      a form fill or chat without BizibleId: form:<id>, chat:<id>
 *   account      an account a person belongs or belonged to (credit)
 *   opportunity  an opportunity (credit)
 *   everything   an input was truncated: the next refresh is full (keys
 *                holds the input's kind)
 */
CREATE TABLE touchpoint_internal.changes (
    kind      pg_catalog.text NOT NULL,
    keys      pg_catalog.text[] NOT NULL,
    input     pg_catalog.text NOT NULL,
    logged_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE touchpoint_internal.changes IS
'the keys changed since the last refresh, written by the inputs'' capture triggers, consumed by touchpoint.refresh() (docs/incremental.md)';

/*
 * What the last refresh was computed with: when any of it differs, the next
 * refresh is full.  One row; empty before the first refresh (and after a
 * restore or an upgrade: the first refresh there is full).
 */
CREATE TABLE touchpoint_internal.refresh_state (
    only_row                bool PRIMARY KEY DEFAULT true CHECK (only_row),
    inputs_fingerprint      pg_catalog.text NOT NULL,
    credit_fingerprint      pg_catalog.text NOT NULL,
    touchpoints             pg_catalog.int8 NOT NULL,
    opportunity_touchpoints pg_catalog.int8 NOT NULL,
    -- when the last refresh that ran its procedure began (one that found
    -- nothing changed answers without writing here: src/tp_refresh.c)
    refreshed_at            pg_catalog.timestamptz NOT NULL,
    -- touchpoint_internal.quick_signature() when the last refresh began
    quick_signature         pg_catalog.int8
);
COMMENT ON TABLE touchpoint_internal.refresh_state IS
'the settings, rules and registrations the last refresh used (as fingerprints) and the row counts it left';

/*
 * The capture trigger (AFTER ... FOR EACH STATEMENT, argument: the input's
 * kind), in C (src/tp_capture.c): one pass over the statement's transition
 * tables, the distinct keys of each kind hashed, one log row per kind.
 * SECURITY DEFINER: every role that may write an input may log its changes,
 * and only that (EXECUTE is revoked from PUBLIC, so no one else can attach
 * it to a table).  TRUNCATE has no transition table: it asks for a full
 * refresh.
 */
CREATE FUNCTION touchpoint_internal.capture_changes()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tp_capture_changes'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION touchpoint_internal.capture_changes() FROM PUBLIC;

/* Is the relation a Citus table (its rows on the workers)?  False without Citus (src/tp_keyed.c). */
CREATE FUNCTION touchpoint_internal.is_citus_table(relation pg_catalog.regclass)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'tp_is_citus_table'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

/*
 * Watch a table: the four capture triggers, ENABLE ALWAYS so that they also
 * fire for logical replication's apply workers and pg_restore's data
 * (session_replication_role = replica), which is how many users sync.
 * Returns whether the table is watched now; a relation that cannot carry
 * them (a view, a foreign table, a Citus table) or a role that may not create them leaves
 * it unwatched, and every refresh reads it in full (touchpoint.sources says so).
 */
CREATE FUNCTION touchpoint_internal.watch(kind pg_catalog.text, relation pg_catalog.regclass)
RETURNS bool
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    op pg_catalog.text;
BEGIN
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relation)
       OPERATOR(pg_catalog.<>) ALL (ARRAY['r', 'p']::"char"[]) THEN
        RETURN false;
    END IF;
    PERFORM touchpoint_internal.unwatch(relation);
    -- a Citus table (a user's own, distributed): Citus refuses triggers on it and
    -- would not run them on the coordinator; change_detection says full rebuild.
    -- Registering it again after distributing it removes the triggers it had.
    IF touchpoint_internal.is_citus_table(relation) THEN
        RETURN false;
    END IF;
    BEGIN
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE pg_catalog.format(
                'CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_internal.capture_changes(%L)',
                'touchpoint_capture_' OPERATOR(pg_catalog.||) op, pg_catalog.upper(op), relation,
                CASE op WHEN 'insert' THEN 'NEW TABLE AS new_rows' WHEN 'delete' THEN 'OLD TABLE AS old_rows'
                        ELSE 'OLD TABLE AS old_rows NEW TABLE AS new_rows' END, kind);
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', relation, 'touchpoint_capture_' OPERATOR(pg_catalog.||) op);
        END LOOP;
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER touchpoint_capture_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_internal.capture_changes(%L)',
            relation, kind);
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER touchpoint_capture_truncate', relation);
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN false;     -- the subtransaction undid the triggers made so far
    END;
    RETURN true;
END
$$;

-- Remove the capture triggers from a relation (a registration that ends).
CREATE FUNCTION touchpoint_internal.unwatch(relation pg_catalog.regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    trigger_name pg_catalog.name;
BEGIN
    FOR trigger_name IN
        SELECT t.tgname FROM pg_catalog.pg_trigger t
        WHERE t.tgrelid OPERATOR(pg_catalog.=) relation
          AND t.tgfoid OPERATOR(pg_catalog.=) 'touchpoint_internal.capture_changes()'::pg_catalog.regprocedure
    LOOP
        BEGIN
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', trigger_name, relation);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;     -- left in place: it only logs keys
        END;
    END LOOP;
END
$$;

/*
 * How refresh() sees the changes of one input: 'triggers' when its relation
 * carries the four capture triggers, enabled always, for this kind; else
 * 'full rebuild: <why>' (every refresh then reads it in full).
 */
CREATE FUNCTION touchpoint_internal.change_detection(kind pg_catalog.text)
RETURNS pg_catalog.text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    relid pg_catalog.oid;
    relkind "char";
    armed int;
BEGIN
    SELECT COALESCE(pg_catalog.to_regclass(r.relation)::pg_catalog.oid, r.relid) INTO relid
    FROM touchpoint_internal.source_registry r WHERE r.kind OPERATOR(pg_catalog.=) change_detection.kind;
    IF relid IS NULL THEN
        relid := pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', kind))::pg_catalog.oid;
    END IF;
    SELECT c.relkind INTO relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relid;
    IF relkind IS NULL THEN
        RETURN 'full rebuild: the relation does not exist';
    ELSIF relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::"char"[]) THEN
        RETURN 'full rebuild: a view (its changes cannot be watched)';
    ELSIF relkind OPERATOR(pg_catalog.=) 'f' THEN
        RETURN 'full rebuild: a foreign table''s changes cannot be watched';
    END IF;
    -- a Citus table: Citus runs no triggers on distributed tables (touchpoint.distribute())
    IF touchpoint_internal.is_citus_table(relid) THEN
        RETURN 'full rebuild: a Citus table (Citus runs no triggers on distributed tables)';
    END IF;
    SELECT pg_catalog.count(*) INTO armed
    FROM pg_catalog.pg_trigger t
    WHERE t.tgrelid OPERATOR(pg_catalog.=) relid
      AND t.tgfoid OPERATOR(pg_catalog.=) 'touchpoint_internal.capture_changes()'::pg_catalog.regprocedure
      AND t.tgenabled OPERATOR(pg_catalog.=) 'A'
      AND t.tgname OPERATOR(pg_catalog.=) ANY (ARRAY['touchpoint_capture_insert', 'touchpoint_capture_update',
                                                     'touchpoint_capture_delete', 'touchpoint_capture_truncate']::pg_catalog.name[])
      AND pg_catalog.encode(t.tgargs, 'escape') OPERATOR(pg_catalog.=) (kind OPERATOR(pg_catalog.||) '\000');
    IF armed OPERATOR(pg_catalog.=) 4 THEN
        RETURN 'triggers';
    END IF;
    RETURN pg_catalog.format('full rebuild: the table lacks touchpoint''s capture triggers (its owner can add them: SELECT @extschema@.use_source(%L, %L);)',
                             kind, relid::pg_catalog.regclass::pg_catalog.text);
END
$$;

/*
 * What each input reads, one row per kind (docs/spec.md §7), and how its
 * changes are seen (§8).  Read as the querying role: status says whether
 * that role can read the source now.  Defined here, after change_detection;
 * its columns' comments are in the glossary of 90_catalog.sql.
 */
CREATE VIEW @extschema@.sources WITH (security_invoker = true) AS
SELECT k.kind,
       COALESCE(r.relation, pg_catalog.format('@extschema@.%I', k.kind)) AS relation,
       r.kind IS NULL AS is_own_table,
       touchpoint_internal.change_detection(k.kind) AS change_detection,
       touchpoint_internal.source_status(k.kind) AS status,
       r.registered_at
FROM pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities'])
         WITH ORDINALITY AS k(kind, n)
LEFT JOIN touchpoint_internal.source_registry r ON r.kind OPERATOR(pg_catalog.=) k.kind
ORDER BY k.n;
COMMENT ON VIEW @extschema@.sources IS
'the relation each input (sessions, tasks, form_submits, chats, people, opportunities) reads, registered with touchpoint.use_source (docs/spec.md §7)';

-- touchpoint's own inputs are watched from the start.
SELECT touchpoint_internal.watch(k, pg_catalog.format('@extschema@.%I', k)::pg_catalog.regclass)
FROM pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities']) k;

-- The lookups by person and by named session that the closure of a change needs.
CREATE INDEX tasks_person_idx ON @extschema@.tasks (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX form_submits_person_idx ON @extschema@.form_submits (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX form_submits_session_idx ON @extschema@.form_submits (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX chats_person_idx ON @extschema@.chats (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX chats_session_idx ON @extschema@.chats (session_id) WHERE session_id IS NOT NULL;
-- ... and the stored touchpoints of a set of BizibleIds and of journeys (and
-- credit's people: a touchpoint with a person is in that person's journey).
CREATE INDEX touchpoints_bizible_id_idx ON @extschema@.touchpoints (bizible_id);
CREATE INDEX touchpoints_journey_id_idx ON @extschema@.touchpoints (journey_id);

/*
 * What every touchpoint depends on, as one string: the version, the window
 * and anchor settings of this session, the channel rules, the registered
 * sources and how each input's changes are seen; then, after a space, the
 * row-level security of each input as it applies to the role that refreshes
 * (refresh() reads the sources as that role): whether it applies, and when it
 * does, the role and the policies a SELECT uses.  No change of these is
 * logged, yet each changes the rows read: a different fingerprint makes the
 * refresh full (refresh_work tells the two halves apart for its reason).
 * What a policy reads besides its row (another table, a setting) is not in
 * it (docs/incremental.md).  Credit's: the custom and position models'
 * weights.
 */
CREATE FUNCTION touchpoint_internal.inputs_fingerprint(detections pg_catalog.text[] DEFAULT NULL)
RETURNS pg_catalog.text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.md5(pg_catalog.concat_ws(E'\n',
        (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'touchpoint'),
        pg_catalog.current_setting('touchpoint.session_window'),
        pg_catalog.current_setting('touchpoint.window_anchor'),
        touchpoint_internal.channel_rules_array()::pg_catalog.text,
        (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', r.kind, r.relation, r.relid), ',' ORDER BY r.kind)
         FROM touchpoint_internal.source_registry r),
        -- how each input is watched; refresh() passes what it already read
        COALESCE(pg_catalog.array_to_string(detections, ','),
                 (SELECT pg_catalog.string_agg(touchpoint_internal.change_detection(k), ',' ORDER BY o)
                  FROM pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities'])
                       WITH ORDINALITY u(k, o)))))
    OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
    pg_catalog.md5((
        SELECT pg_catalog.string_agg(
                   CASE WHEN COALESCE(pg_catalog.row_security_active(s.relid), false) THEN
                       pg_catalog.concat_ws(' ', s.kind, CURRENT_USER,
                           (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', p.polname, p.polcmd, p.polpermissive,
                                                                              p.polroles::pg_catalog.text,
                                                                              pg_catalog.pg_get_expr(p.polqual, p.polrelid)),
                                                         ';' ORDER BY p.polname)
                            FROM pg_catalog.pg_policy p
                            WHERE p.polrelid OPERATOR(pg_catalog.=) s.relid
                              AND p.polcmd OPERATOR(pg_catalog.=) ANY (ARRAY['r', '*']::"char"[])))
                   ELSE s.kind END,
                   ',' ORDER BY s.o)
        FROM (SELECT u.k AS kind, u.o,
                     COALESCE(pg_catalog.to_regclass(r.relation)::pg_catalog.oid, r.relid,
                              pg_catalog.to_regclass(pg_catalog.format('@extschema@.%I', u.k))::pg_catalog.oid) AS relid
              FROM pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities'])
                       WITH ORDINALITY u(k, o)
              LEFT JOIN touchpoint_internal.source_registry r ON r.kind OPERATOR(pg_catalog.=) u.k) s))
$$;

CREATE FUNCTION touchpoint_internal.credit_fingerprint()
RETURNS pg_catalog.text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.md5(pg_catalog.concat_ws(E'\n',
        (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', m.position, m.weight), ',' ORDER BY m.position)
         FROM @extschema@.custom_model m),
        (SELECT pg_catalog.string_agg(pg_catalog.concat_ws(' ', p.model, p.ft, p.lc, p.oc, p.closed, p.middle), ',' ORDER BY p.model)
         FROM @extschema@.position_models p)))
$$;

/*
 * The rows of the events of some BizibleIds, persons, named sessions or
 * keyless events, as the closure reads them: one query over the three event
 * sources.  by: 'key' (bizible_key in $1), 'person' (person_id in $1),
 * 'session' (session_id in $1), 'keyless' (form:<id> / chat:<id> in $1).
 * Gives each event's key, person, named session and keyless id.
 */
CREATE FUNCTION touchpoint_internal.events_by(by pg_catalog.text, vals pg_catalog.text[])
RETURNS TABLE (key pg_catalog.text, person pg_catalog.text, session pg_catalog.text, keyless pg_catalog.text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cond pg_catalog.text;
    calls pg_catalog.text;
BEGIN
    IF vals IS NULL OR pg_catalog.cardinality(vals) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    cond := CASE by
        WHEN 'key' THEN '@extschema@.bizible_key(e.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) ANY ($1)'
        WHEN 'person' THEN 'e.person_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)'
        WHEN 'session' THEN 'e.session_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)'
        WHEN 'keyless' THEN '%2$L OPERATOR(pg_catalog.||) e.%1$I::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)'
    END;
    -- calls name no session, and one without a BizibleId makes no touchpoint
    calls := CASE WHEN by OPERATOR(pg_catalog.=) ANY (ARRAY['key', 'person']) THEN pg_catalog.format($q$
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), e.person_id::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text
        FROM %s e WHERE %s UNION ALL $q$, touchpoint_internal.source('tasks'), cond) ELSE '' END;
    RETURN QUERY EXECUTE calls OPERATOR(pg_catalog.||) pg_catalog.format($q$
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), e.person_id::pg_catalog.text, e.session_id::pg_catalog.text,
               CASE WHEN @extschema@.bizible_key(e.bizible_id::pg_catalog.text) IS NULL THEN 'form:' OPERATOR(pg_catalog.||) e.submit_id::pg_catalog.text END
        FROM %1$s e WHERE %2$s
        UNION ALL
        SELECT @extschema@.bizible_key(e.bizible_id::pg_catalog.text), e.person_id::pg_catalog.text, e.session_id::pg_catalog.text,
               CASE WHEN @extschema@.bizible_key(e.bizible_id::pg_catalog.text) IS NULL THEN 'chat:' OPERATOR(pg_catalog.||) e.chat_id::pg_catalog.text END
        FROM %3$s e WHERE %4$s $q$,
        touchpoint_internal.source('form_submits'), pg_catalog.format(cond, 'submit_id', 'form:'),
        touchpoint_internal.source('chats'), pg_catalog.format(cond, 'chat_id', 'chat:'))
        USING vals;
END
$$;

-- The elements of a not in b (NULLs dropped, each once).
CREATE FUNCTION touchpoint_internal.array_minus(a pg_catalog.text[], b pg_catalog.text[])
RETURNS pg_catalog.text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(pg_catalog.array_agg(x), '{}')
    FROM (SELECT DISTINCT u AS x FROM pg_catalog.unnest(a) u WHERE u IS NOT NULL
          EXCEPT SELECT v FROM pg_catalog.unnest(b) v) d
$$;

/*
 * The closure of a change (docs/incremental.md): from the changed
 * BizibleIds, persons, named sessions and keyless events, every BizibleId,
 * person and keyless event whose touchpoints they can affect, following the
 * ties of the sources as they are now — the persons the events of an id name
 * (its journeys), the ids whose events name those persons, the sessions
 * form fills and chats name (another id's session) and the events naming an
 * id's sessions.  The ties a change removed are in the log itself (the
 * triggers logged the old rows' keys).  sessions: in, the logged named
 * sessions; out, every session the closure's events name (a session without
 * BizibleId is nobody's, but the events naming it share it).  Stops as soon
 * as the closure holds more than max_keys BizibleIds (the caller then
 * rebuilds in full).
 */
CREATE FUNCTION touchpoint_internal.change_closure(
    INOUT keys pg_catalog.text[], INOUT persons pg_catalog.text[], INOUT keyless pg_catalog.text[],
    INOUT sessions pg_catalog.text[], max_keys pg_catalog.int8, OUT overflow bool)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off      -- index lookups of a few keys (as build_touchpoints_of)
SET jit = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    new_keys pg_catalog.text[] := COALESCE(keys, '{}');
    new_persons pg_catalog.text[] := COALESCE(persons, '{}');
    new_keyless pg_catalog.text[] := COALESCE(keyless, '{}');
    new_sessions pg_catalog.text[] := COALESCE(sessions, '{}');
    session_owners pg_catalog.text[];
BEGIN
    keys := '{}';
    persons := '{}';
    keyless := '{}';
    sessions := '{}';
    overflow := false;
    LOOP
        -- the owners of the named sessions are ids like any other
        new_sessions := touchpoint_internal.array_minus(new_sessions, sessions);
        sessions := sessions OPERATOR(pg_catalog.||) new_sessions;
        IF pg_catalog.cardinality(new_sessions) OPERATOR(pg_catalog.>) 0 THEN
            EXECUTE pg_catalog.format(
                'SELECT pg_catalog.array_agg(DISTINCT @extschema@.bizible_key(s.bizible_id::pg_catalog.text)) FROM %s s
                 WHERE s.session_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)', touchpoint_internal.source('sessions'))
                INTO session_owners USING new_sessions;
            new_keys := new_keys OPERATOR(pg_catalog.||) COALESCE(session_owners, '{}');
        END IF;
        new_keys := touchpoint_internal.array_minus(new_keys, keys);
        new_persons := touchpoint_internal.array_minus(new_persons, persons);
        new_keyless := touchpoint_internal.array_minus(new_keyless, keyless);
        EXIT WHEN pg_catalog.cardinality(new_keys) OPERATOR(pg_catalog.=) 0
              AND pg_catalog.cardinality(new_sessions) OPERATOR(pg_catalog.=) 0
              AND pg_catalog.cardinality(new_persons) OPERATOR(pg_catalog.=) 0
              AND pg_catalog.cardinality(new_keyless) OPERATOR(pg_catalog.=) 0;
        keys := keys OPERATOR(pg_catalog.||) new_keys;
        persons := persons OPERATOR(pg_catalog.||) new_persons;
        keyless := keyless OPERATOR(pg_catalog.||) new_keyless;
        IF pg_catalog.cardinality(keys) OPERATOR(pg_catalog.>) max_keys THEN
            overflow := true;
            RETURN;
        END IF;
        /*
         * One step from what was new: the events of the new ids (their
         * persons, the sessions they name), of the new persons (their ids,
         * their keyless events), the new keyless events (their persons and
         * sessions), and the events naming a session of a new id.
         */
        SELECT COALESCE(pg_catalog.array_agg(DISTINCT e.key) FILTER (WHERE e.key IS NOT NULL), '{}'),
               COALESCE(pg_catalog.array_agg(DISTINCT e.person) FILTER (WHERE e.person IS NOT NULL), '{}'),
               COALESCE(pg_catalog.array_agg(DISTINCT e.session) FILTER (WHERE e.session IS NOT NULL), '{}'),
               COALESCE(pg_catalog.array_agg(DISTINCT e.keyless) FILTER (WHERE e.keyless IS NOT NULL), '{}')
        INTO new_keys, new_persons, new_sessions, new_keyless
        FROM (SELECT * FROM touchpoint_internal.events_by('key', new_keys)
              UNION ALL SELECT * FROM touchpoint_internal.events_by('person', new_persons)
              UNION ALL SELECT * FROM touchpoint_internal.events_by('keyless', new_keyless)
              UNION ALL SELECT * FROM touchpoint_internal.events_by('session', new_sessions)
              UNION ALL SELECT * FROM touchpoint_internal.events_by('session', touchpoint_internal.sessions_of(new_keys))) e;
    END LOOP;
END
$$;

-- The ids of the sessions of some BizibleIds.
CREATE FUNCTION touchpoint_internal.sessions_of(keys pg_catalog.text[])
RETURNS pg_catalog.text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids pg_catalog.text[];
BEGIN
    IF keys IS NULL OR pg_catalog.cardinality(keys) OPERATOR(pg_catalog.=) 0 THEN
        RETURN '{}';
    END IF;
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.array_agg(s.session_id::pg_catalog.text) FROM %s s
         WHERE @extschema@.bizible_key(s.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) ANY ($1)',
        touchpoint_internal.source('sessions'))
        INTO ids USING keys;
    RETURN COALESCE(ids, '{}');
END
$$;

/*
 * Stages 1 and 2 for a closed set (change_closure) of BizibleIds, persons
 * and keyless events: their sessions and events are copied into temporary
 * tables, the C pass runs over them, and the stored touchpoints of those ids
 * and journeys are compared with the result — only the rows that differ are
 * deleted and inserted.  Returns the rows deleted and inserted and, for
 * each person of those rows (old or new), the earliest date among them: the
 * credit of an opportunity closed before that date cannot change.  Index
 * scans only (enable_seqscan off in here): the sets are small by
 * construction (refresh() rebuilds in full past a tenth of the table), and
 * with the default cost settings the planner otherwise reads the whole
 * touchpoints table for a few thousand rows.  No JIT: the disabled scans'
 * cost would make every small query compile (300 ms each).  No parallel
 * workers: the lookups of a few hundred keys take a few ms, starting two
 * workers 30-60 ms (read_conversion_events' UNION ALL went parallel).
 */
CREATE FUNCTION touchpoint_internal.build_touchpoints_of(
    keys pg_catalog.text[], persons pg_catalog.text[], keyless pg_catalog.text[], named_sessions pg_catalog.text[],
    OUT deleted pg_catalog.int8, OUT inserted pg_catalog.int8,
    OUT changed_persons pg_catalog.text[], OUT changed_since pg_catalog.timestamptz[])
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET jit = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    journeys pg_catalog.text[];
    gone_ids pg_catalog.text[];
BEGIN
    EXECUTE pg_catalog.format('CREATE TEMPORARY TABLE tp_inc_sessions ON COMMIT DROP AS SELECT * FROM %s WITH NO DATA',
                              touchpoint_internal.source('sessions'));
    -- the ids' sessions, and the sessions their events name (also those of no id)
    EXECUTE pg_catalog.format(
        'INSERT INTO pg_temp.tp_inc_sessions
         SELECT * FROM %1$s s
         WHERE @extschema@.bizible_key(s.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) ANY ($1)
         UNION ALL
         SELECT * FROM %1$s s
         WHERE s.session_id::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($2)
           AND NOT COALESCE(@extschema@.bizible_key(s.bizible_id::pg_catalog.text) COLLATE "C" OPERATOR(pg_catalog.=) ANY ($1), false)',
        touchpoint_internal.source('sessions')) USING keys, named_sessions;
    CREATE TEMPORARY TABLE tp_inc_events ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.read_conversion_events(keys);
    CREATE TEMPORARY TABLE tp_inc_keyless ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.read_keyless_events(keyless);
    CREATE TEMPORARY TABLE tp_inc_rows ON COMMIT DROP AS
        SELECT * FROM touchpoint_internal.pipeline_touchpoints(
            'pg_temp.tp_inc_sessions', 'pg_temp.tp_inc_events', 'pg_temp.tp_inc_keyless',
            touchpoint_internal.channel_rules_array(), NULL);
    -- the journeys of these ids, persons and keyless events, before and after
    journeys := persons
        OPERATOR(pg_catalog.||) ARRAY(SELECT 'anon:' OPERATOR(pg_catalog.||) k FROM pg_catalog.unnest(keys) k)
        OPERATOR(pg_catalog.||) ARRAY(SELECT 'anon:' OPERATOR(pg_catalog.||) x FROM pg_catalog.unnest(keyless) x)
        OPERATOR(pg_catalog.||) ARRAY(SELECT DISTINCT r.journey_id FROM pg_temp.tp_inc_rows r);
    -- their stored rows, by the two indexes
    CREATE TEMPORARY TABLE tp_inc_old ON COMMIT DROP AS
        SELECT * FROM @extschema@.touchpoints o WHERE o.bizible_id OPERATOR(pg_catalog.=) ANY (keys)
        UNION
        SELECT * FROM @extschema@.touchpoints o WHERE o.journey_id OPERATOR(pg_catalog.=) ANY (journeys::pg_catalog.text[] COLLATE "C");
    SELECT pg_catalog.array_agg(d.touchpoint_id) INTO gone_ids
    FROM (SELECT * FROM pg_temp.tp_inc_old EXCEPT ALL SELECT * FROM pg_temp.tp_inc_rows) d;
    DELETE FROM @extschema@.touchpoints t WHERE t.touchpoint_id OPERATOR(pg_catalog.=) ANY (gone_ids);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    -- every row left with an id of the result is that very row
    INSERT INTO @extschema@.touchpoints
    SELECT * FROM pg_temp.tp_inc_rows r
    WHERE NOT EXISTS (SELECT 1 FROM @extschema@.touchpoints t
                      WHERE t.touchpoint_id OPERATOR(pg_catalog.=) r.touchpoint_id);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    -- the persons of the rows that went or came, each with the earliest date among them
    SELECT COALESCE(pg_catalog.array_agg(c.person_id), '{}'), COALESCE(pg_catalog.array_agg(c.since), '{}')
    INTO changed_persons, changed_since
    FROM (SELECT x.person_id, pg_catalog.min(x.touchpoint_date) AS since
          FROM ((SELECT * FROM pg_temp.tp_inc_old EXCEPT ALL SELECT * FROM pg_temp.tp_inc_rows)
                UNION ALL
                (SELECT * FROM pg_temp.tp_inc_rows EXCEPT ALL SELECT * FROM pg_temp.tp_inc_old)) x
          WHERE x.person_id IS NOT NULL
          GROUP BY x.person_id) c;
    DROP TABLE pg_temp.tp_inc_sessions, pg_temp.tp_inc_events, pg_temp.tp_inc_keyless, pg_temp.tp_inc_rows,
               pg_temp.tp_inc_old;
END
$$;

/*
 * The opportunities whose credit a change can affect: those named in the
 * log; every opportunity of an account named in it (a person joined or left
 * it, an old account was logged when a person moved); and the opportunities
 * of the account of a person whose touchpoints changed — open, or closed at
 * or after the earliest date among that person's changed rows (an
 * opportunity's credit reads only the touchpoints up to its close).  As the
 * people and opportunities sources are now.
 */
CREATE FUNCTION touchpoint_internal.opportunities_to_credit(
    opportunities pg_catalog.text[], accounts pg_catalog.text[],
    persons pg_catalog.text[], since pg_catalog.timestamptz[])
RETURNS pg_catalog.text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET max_parallel_workers_per_gather = 0    -- a few accounts' rows: never worth starting workers
AS $$
DECLARE
    found_opportunities pg_catalog.text[];
BEGIN
    IF pg_catalog.cardinality(persons) OPERATOR(pg_catalog.>) 0 OR pg_catalog.cardinality(accounts) OPERATOR(pg_catalog.>) 0 THEN
        EXECUTE pg_catalog.format($q$
            WITH touched AS (
                SELECT p.account_id::pg_catalog.text AS account_id, pg_catalog.min(c.since) AS since
                FROM %1$s p JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS c(person_id, since)
                  ON p.person_id::pg_catalog.text OPERATOR(pg_catalog.=) c.person_id
                GROUP BY 1
                UNION ALL
                SELECT a, '-infinity' FROM pg_catalog.unnest($3) a
            )
            SELECT pg_catalog.array_agg(o.opportunity_id::pg_catalog.text)
            FROM (SELECT t.account_id, pg_catalog.min(t.since) AS since FROM touched t GROUP BY 1) a
            JOIN %2$s o ON o.account_id::pg_catalog.text OPERATOR(pg_catalog.=) a.account_id
            WHERE o.closed_at IS NULL OR o.closed_at OPERATOR(pg_catalog.>=) a.since $q$,
            touchpoint_internal.source('people'), touchpoint_internal.source('opportunities'))
            INTO found_opportunities USING persons, since, accounts;
    END IF;
    RETURN touchpoint_internal.array_minus(COALESCE(opportunities, '{}') OPERATOR(pg_catalog.||)
                                           COALESCE(found_opportunities, '{}'), '{}');
END
$$;
