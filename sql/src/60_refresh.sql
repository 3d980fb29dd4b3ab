-- Refuse custom-model weights that do not leave exactly 10 to the middle.
CREATE FUNCTION touchpoint_internal.check_custom_model()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    positions int;
    total numeric;
    listing text;
BEGIN
    SELECT pg_catalog.count(*), pg_catalog.sum(m.weight),
           pg_catalog.string_agg(m.position OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) m.weight::text, ', '
                                 ORDER BY pg_catalog.array_position(ARRAY['FT', 'LC', 'OC', 'Closed'], m.position))
    INTO positions, total, listing
    FROM @extschema@.custom_model m;
    IF positions OPERATOR(pg_catalog.<>) 4 OR total OPERATOR(pg_catalog.<>) 90 THEN
        RAISE EXCEPTION 'custom model weights must sum to 90'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('touchpoint.custom_model has %s (%s positions, sum %s); FT, LC, OC and Closed must each have a weight.',
                                             COALESCE(listing, 'no rows'), positions, COALESCE(total, 0)),
                  HINT = 'The middle touchpoints keep 10, so the four weights sum to 90, e.g. UPDATE touchpoint.custom_model SET weight = 22.5;';
    END IF;
END
$$;

/*
 * Only a role with the privileges of the stored relations' owner may refresh
 * them (the owner may write them; others are granted at most SELECT).  Say so, and what to
 * do, before anything fails deep inside with a bare "permission denied".
 */
CREATE FUNCTION touchpoint_internal.check_refresh_privilege()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    owner_oid pg_catalog.oid;
    owner_name pg_catalog.name;
BEGIN
    -- the owner's oid, not pg_roles: a view over three catalogs, dear in a new session
    SELECT c.relowner INTO owner_oid FROM pg_catalog.pg_class c
    WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.touchpoints'::pg_catalog.regclass;
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, owner_oid, 'USAGE') THEN
        owner_name := pg_catalog.pg_get_userbyid(owner_oid);
        RAISE EXCEPTION 'role "%" cannot refresh touchpoint: only the owner of its stored relations can', CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('touchpoint.touchpoints and touchpoint.opportunity_touchpoints are owned by role "%s"; reading them needs only SELECT, refreshing them needs that role.', owner_name),
                  HINT = pg_catalog.format('Run SELECT touchpoint.refresh() as role "%s", or let pg_cron run it as that role: connected as "%s", SELECT touchpoint.schedule_refresh();', owner_name, owner_name);
    END IF;
END
$$;

/*
 * Say when there is nothing to build from (docs/spec.md §7: a refresh whose
 * inputs are all empty says so): the registered sessions, tasks, form fills
 * and chats.  A warning, not an error: an empty result is then right.
 */
CREATE FUNCTION touchpoint_internal.warn_empty_inputs()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind pg_catalog.text;
    rel pg_catalog.regclass;
    found_rows bool;
    names pg_catalog.text[] := '{}';
BEGIN
    FOREACH kind IN ARRAY ARRAY['sessions', 'tasks', 'form_submits', 'chats'] LOOP
        rel := touchpoint_internal.source(kind);
        -- LIMIT 1, not EXISTS (...): Citus pushes a LIMIT down to each shard, but
        -- plans EXISTS over a distributed table by pulling all its rows to the
        -- coordinator (1 s of a 500,000-session refresh, growing with the sessions)
        EXECUTE pg_catalog.format('SELECT true FROM %s LIMIT 1', rel) INTO found_rows;
        IF found_rows THEN
            RETURN;
        END IF;
        names := names OPERATOR(pg_catalog.||) rel::pg_catalog.text;
    END LOOP;
    RAISE WARNING 'the inputs are all empty: refresh() makes no touchpoints'
        USING DETAIL = pg_catalog.format('%s have no rows.', pg_catalog.array_to_string(names, ', ')),
              HINT = 'Load touchpoint''s tables with INSERT or COPY, or register your own with touchpoint.use_source (README: Adopting it with your own data), then run SELECT touchpoint.refresh(); again.';
END
$$;

/*
 * refresh(full): the pipeline's stages in order — placements and journeys
 * (the C pass, written to touchpoints), then credit — in the caller's
 * transaction, so readers never wait and see everything before or
 * everything after.  EXCLUSIVE locks on the stage tables (which SELECT's
 * ACCESS SHARE does not conflict with) make two refreshes wait for each
 * other; the one that waited then reads what the first committed.
 *
 * Incremental unless asked otherwise (docs/incremental.md): the change log
 * rows this refresh sees are taken (deleted) first; their keys are closed
 * over the ties of the sources (change_closure), and only those BizibleIds,
 * journeys and opportunities are recomputed, their differences written.
 * Full when asked, the first time, when what every row depends on changed
 * (inputs_fingerprint, credit_fingerprint), when an input was truncated or
 * cannot be watched, or when the batch is a tenth of the table or more.
 */
CREATE FUNCTION touchpoint_internal.refresh_work(
    "full" pg_catalog.bool DEFAULT false,
    OUT mode pg_catalog.text,
    OUT touchpoints pg_catalog.int8,
    OUT opportunity_touchpoints pg_catalog.int8,
    OUT duration pg_catalog.interval,
    OUT touchpoints_written pg_catalog.int8,
    OUT touchpoints_duration pg_catalog.interval,
    OUT credits_duration pg_catalog.interval,
    OUT keys_recomputed pg_catalog.int8,
    OUT opportunities_recomputed pg_catalog.int8,
    OUT reason pg_catalog.text)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    step timestamptz;
    caller_work_mem text := pg_catalog.current_setting('work_mem');
    state touchpoint_internal.refresh_state;
    fp_inputs text;
    fp_credit text;
    detections text[];
    ch record;
    closure record;
    rows_deleted int8 := 0;
    rows_inserted int8 := 0;
    changed_persons text[] := '{}';
    changed_since timestamptz[] := '{}';
    published record;
    credit_reason text;
    to_credit text[];
    before_rows int8;
    written int8;
    signature int8;
BEGIN
    PERFORM touchpoint_internal.check_refresh_privilege();
    /*
     * What the fingerprints and the quick signature read stays as it is
     * until this refresh commits, so that the two stored with its result
     * describe the same state: the rules, models and registry (SHARE: their
     * writers wait) and touchpoint's input tables' triggers and columns (ROW
     * EXCLUSIVE: rows are written meanwhile, trigger and column DDL waits).
     * Taken before the stage tables, in the order refresh()'s quick path
     * takes them (src/tp_refresh.c): a transaction that truncated an input
     * and then refreshes is waited for, never deadlocked with.
     */
    LOCK TABLE @extschema@.channel_rules, @extschema@.custom_model, @extschema@.position_models,
               touchpoint_internal.source_registry IN SHARE MODE;
    LOCK TABLE @extschema@.sessions, @extschema@.tasks, @extschema@.form_submits, @extschema@.chats,
               @extschema@.people, @extschema@.opportunities IN ROW EXCLUSIVE MODE;
    PERFORM touchpoint_internal.check_custom_model();
    PERFORM touchpoint_internal.check_sources();
    PERFORM touchpoint_internal.warn_empty_inputs();
    LOCK TABLE @extschema@.touchpoints, @extschema@.opportunity_touchpoints IN EXCLUSIVE MODE;
    -- what the next refresh() compares to answer at once (src/tp_refresh.c); what
    -- it reads cannot change before this commits (the locks above)
    signature := touchpoint_internal.quick_signature();
    /*
     * The refresh sorts a few hundred thousand wide rows; below 64MB of
     * work_mem those sorts spill to disk.  Raised while refresh() runs, only
     * when lower (never lowered).
     */
    IF pg_catalog.pg_size_bytes(caller_work_mem) OPERATOR(pg_catalog.<) 67108864 THEN  -- 64MB
        PERFORM pg_catalog.set_config('work_mem', '64MB', true);
    END IF;
    step := pg_catalog.clock_timestamp();

    -- take the changes this refresh sees; later ones stay for the next
    WITH taken AS (DELETE FROM touchpoint_internal.changes c RETURNING c.kind, c.keys),
    per_kind AS (SELECT t.kind, pg_catalog.array_agg(DISTINCT k) AS keys
                 FROM taken t CROSS JOIN LATERAL pg_catalog.unnest(t.keys) k GROUP BY t.kind)
    SELECT COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'bizible_key'), '{}') AS keys,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'person'), '{}') AS persons,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'session'), '{}') AS sessions,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'keyless'), '{}') AS keyless,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'account'), '{}') AS accounts,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'opportunity'), '{}') AS opportunities,
           COALESCE(pg_catalog.max(p.keys) FILTER (WHERE p.kind OPERATOR(pg_catalog.=) 'everything'), '{}') AS truncated
    INTO ch FROM per_kind p;

    SELECT * INTO state FROM touchpoint_internal.refresh_state;
    -- how each input is watched, read once (sessions, tasks, form_submits, chats, people, opportunities)
    detections := ARRAY(SELECT touchpoint_internal.change_detection(k)
                        FROM pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats', 'people', 'opportunities'])
                             WITH ORDINALITY u(k, o) ORDER BY o);
    fp_inputs := touchpoint_internal.inputs_fingerprint(detections);
    fp_credit := touchpoint_internal.credit_fingerprint();
    reason := CASE
        WHEN "full" THEN 'asked: refresh(full => true)'
        WHEN state.only_row IS NULL THEN 'first refresh'
        WHEN pg_catalog.split_part(state.inputs_fingerprint, ' ', 1) OPERATOR(pg_catalog.<>) pg_catalog.split_part(fp_inputs, ' ', 1)
            THEN 'the window, the anchor, the channel rules, a source registration or how a source is watched changed'
        -- the second half: row-level security as it applies to this role
        WHEN state.inputs_fingerprint OPERATOR(pg_catalog.<>) fp_inputs
            THEN 'row-level security on an input changed, or applies differently to the role that refreshes'
        WHEN ch.truncated OPERATOR(pg_catalog.&&) ARRAY['sessions', 'tasks', 'form_submits', 'chats']
            THEN pg_catalog.format('%s truncated', pg_catalog.array_to_string(ch.truncated, ', '))
        END;
    IF reason IS NULL THEN
        SELECT pg_catalog.format('%s cannot be watched', pg_catalog.string_agg(u.k, ', ' ORDER BY u.o)) INTO reason
        FROM ROWS FROM (pg_catalog.unnest(ARRAY['sessions', 'tasks', 'form_submits', 'chats']),
                        pg_catalog.unnest(detections[1:4])) WITH ORDINALITY u(k, d, o)
        WHERE u.d OPERATOR(pg_catalog.<>) 'triggers'
        HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0;
    END IF;
    IF reason IS NULL THEN
        IF pg_catalog.cardinality(ch.keys) OPERATOR(pg_catalog.=) 0 AND pg_catalog.cardinality(ch.persons) OPERATOR(pg_catalog.=) 0
           AND pg_catalog.cardinality(ch.keyless) OPERATOR(pg_catalog.=) 0 AND pg_catalog.cardinality(ch.sessions) OPERATOR(pg_catalog.=) 0 THEN
            -- nothing logged for stages 1 and 2: an empty closure, without
            -- the first-call cost of change_closure in a new session (~2.6 ms)
            SELECT '{}'::pg_catalog.text[] AS keys, '{}'::pg_catalog.text[] AS persons, '{}'::pg_catalog.text[] AS keyless,
                   '{}'::pg_catalog.text[] AS sessions, false AS overflow INTO closure;
        ELSE
            closure := touchpoint_internal.change_closure(ch.keys, ch.persons, ch.keyless, ch.sessions,
                                                          GREATEST(1000, state.touchpoints OPERATOR(pg_catalog./) 10));
        END IF;
        IF closure.overflow THEN
            reason := pg_catalog.format('a large batch: more than %s BizibleIds to recompute',
                                        GREATEST(1000, state.touchpoints OPERATOR(pg_catalog./) 10));
        END IF;
    END IF;

    IF reason IS NOT NULL THEN
        mode := 'full';
        published := touchpoint_internal.publish_all();
        touchpoints_written := published.written;
        touchpoints := published.total;
    ELSE
        mode := 'incremental';
        keys_recomputed := pg_catalog.cardinality(closure.keys);
        IF keys_recomputed OPERATOR(pg_catalog.>) 0 OR pg_catalog.cardinality(closure.keyless) OPERATOR(pg_catalog.>) 0 THEN
            SELECT b.deleted, b.inserted, b.changed_persons, b.changed_since
            INTO rows_deleted, rows_inserted, changed_persons, changed_since
            FROM touchpoint_internal.build_touchpoints_of(closure.keys, closure.persons, closure.keyless, closure.sessions) b;
        END IF;
        touchpoints_written := rows_deleted OPERATOR(pg_catalog.+) rows_inserted;
        touchpoints := state.touchpoints OPERATOR(pg_catalog.-) rows_deleted OPERATOR(pg_catalog.+) rows_inserted;
    END IF;
    /*
     * ANALYZE the table before credit reads it when this refresh changed much
     * of it, or it was never analyzed: credit is otherwise planned on the
     * statistics of what the table held before (none after CREATE EXTENSION
     * or a restore: 1-row estimates, nested loops over hundreds of thousands
     * of rows).  ANALYZE takes SHARE UPDATE EXCLUSIVE, which readers never
     * wait for, and sees this transaction's rows.  Only the owner may: for
     * another caller it is skipped (autovacuum catches up).
     */
    IF (touchpoints_written OPERATOR(pg_catalog.*) 10 OPERATOR(pg_catalog.>) touchpoints
        OR (SELECT c.reltuples OPERATOR(pg_catalog.<) 0 FROM pg_catalog.pg_class c
            WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.touchpoints'::pg_catalog.regclass))
       AND pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                   WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.touchpoints'::pg_catalog.regclass), 'USAGE') THEN
        ANALYZE @extschema@.touchpoints;
    END IF;
    touchpoints_duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) step;

    step := pg_catalog.clock_timestamp();
    credit_reason := CASE
        WHEN mode OPERATOR(pg_catalog.=) 'full' THEN NULL
        WHEN state.credit_fingerprint OPERATOR(pg_catalog.<>) fp_credit THEN 'credit: the model weights changed'
        WHEN ch.truncated OPERATOR(pg_catalog.&&) ARRAY['people', 'opportunities']
            THEN pg_catalog.format('credit: %s truncated', pg_catalog.array_to_string(ch.truncated, ', '))
        WHEN detections[5] OPERATOR(pg_catalog.<>) 'triggers' OR detections[6] OPERATOR(pg_catalog.<>) 'triggers'
            THEN 'credit: people or opportunities cannot be watched'
        END;
    IF mode OPERATOR(pg_catalog.=) 'full' OR credit_reason IS NOT NULL THEN
        opportunity_touchpoints := touchpoint_internal.build_credits(NULL);
        reason := COALESCE(reason, credit_reason);
    ELSE
        to_credit := touchpoint_internal.opportunities_to_credit(ch.opportunities, ch.accounts, changed_persons, changed_since);
        opportunities_recomputed := pg_catalog.cardinality(to_credit);
        opportunity_touchpoints := state.opportunity_touchpoints;
        IF opportunities_recomputed OPERATOR(pg_catalog.>) 0 THEN
            SELECT pg_catalog.count(*) INTO before_rows FROM @extschema@.opportunity_touchpoints ot
            WHERE ot.opportunity_id OPERATOR(pg_catalog.=) ANY (to_credit);
            written := touchpoint_internal.build_credits(to_credit);
            opportunity_touchpoints := opportunity_touchpoints OPERATOR(pg_catalog.-) before_rows OPERATOR(pg_catalog.+) written;
        END IF;
    END IF;
    credits_duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) step;

    INSERT INTO touchpoint_internal.refresh_state AS s
        (only_row, inputs_fingerprint, credit_fingerprint, touchpoints, opportunity_touchpoints, refreshed_at, quick_signature)
    VALUES (true, fp_inputs, fp_credit, touchpoints, opportunity_touchpoints, started, signature)
    ON CONFLICT (only_row) DO UPDATE
        SET inputs_fingerprint = EXCLUDED.inputs_fingerprint, credit_fingerprint = EXCLUDED.credit_fingerprint,
            touchpoints = EXCLUDED.touchpoints, opportunity_touchpoints = EXCLUDED.opportunity_touchpoints,
            refreshed_at = EXCLUDED.refreshed_at, quick_signature = EXCLUDED.quick_signature;
    duration := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started;
    PERFORM pg_catalog.set_config('work_mem', caller_work_mem, true);
END
$$;
COMMENT ON FUNCTION touchpoint_internal.refresh_work(pg_catalog.bool) IS
'the whole procedure of touchpoint.refresh(), which calls it unless nothing can have changed since the last refresh';

/*
 * The signature of what refresh_work() compares besides the change log —
 * the version, the window and anchor settings, the channel rules, the
 * custom and position models, the registry, each input table's columns,
 * triggers, row security and privileges — as the procedure stores it for
 * the next refresh() (src/tp_refresh.c).
 */
CREATE FUNCTION touchpoint_internal.quick_signature()
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tp_quick_signature'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION touchpoint_internal.quick_refreshes()
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'tp_quick_refreshes'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION touchpoint_internal.quick_refreshes() IS
'how many refresh() calls of this session saw that nothing had changed and answered at once (tests and diagnosis)';
COMMENT ON FUNCTION touchpoint_internal.quick_signature() IS
'the signature of the settings, rules, models, registry and input tables a refresh compares, stored for the next refresh to answer at once when nothing changed';

/*
 * refresh(full): in C (src/tp_refresh.c).  When an incremental refresh can
 * see that nothing changed since the last one — the change log empty, the
 * signature above equal, touchpoint's own tables as inputs — it answers at
 * once (a scheduled refresh runs in a new backend, where compiling the
 * procedure alone costs ~25 ms); otherwise it runs refresh_work().
 */
CREATE FUNCTION @extschema@.refresh(
    "full" pg_catalog.bool DEFAULT false,
    OUT mode pg_catalog.text,
    OUT touchpoints pg_catalog.int8,
    OUT opportunity_touchpoints pg_catalog.int8,
    OUT duration pg_catalog.interval,
    OUT touchpoints_written pg_catalog.int8,
    OUT touchpoints_duration pg_catalog.interval,
    OUT credits_duration pg_catalog.interval,
    OUT keys_recomputed pg_catalog.int8,
    OUT opportunities_recomputed pg_catalog.int8,
    OUT reason pg_catalog.text)
RETURNS record
AS 'MODULE_PATHNAME', 'tp_refresh'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.refresh(pg_catalog.bool) IS
'refresh the pipeline: incremental (only what the logged changes can affect) unless full => true or a full rebuild is needed; readers never wait; returns the mode, rows, durations per stage and why it was full';

/*
 * The pg_cron job's name: 'touchpoint-refresh' when pg_cron lives in this
 * database, 'touchpoint-refresh:<database>' when it runs the job from its own
 * database (cron.database_name), where jobs of several databases meet.
 */
CREATE FUNCTION touchpoint_internal.refresh_job_name(cross_database pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN cross_database THEN 'touchpoint-refresh:' OPERATOR(pg_catalog.||) pg_catalog.current_database()
                ELSE 'touchpoint-refresh' END
$$;

/*
 * Where pg_cron stands, seen from this database:
 *   here     the pg_cron extension is created in this database
 *   not_here pg_cron is loaded and keeps its jobs in another database,
 *            cron.database_name: jobs must be made there
 *   hidden   pg_cron is loaded, but only a superuser (or pg_read_all_settings)
 *            may read cron.database_name, so which database is unknown
 *   create   pg_cron is loaded for this database but not created in it
 *   missing  pg_cron's library is not loaded in this server
 * Returns the state and pg_cron's database when known.
 */
CREATE FUNCTION touchpoint_internal.pg_cron_state(OUT state pg_catalog.text, OUT cron_database pg_catalog.text)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        state := 'here';
        RETURN;
    END IF;
    BEGIN
        cron_database := pg_catalog.current_setting('cron.database_name', true);
    EXCEPTION WHEN insufficient_privilege THEN
        state := 'hidden';   -- pg_cron marks the setting superuser-only
        RETURN;
    END;
    IF cron_database IS NULL THEN
        state := 'missing';
    ELSIF cron_database OPERATOR(pg_catalog.<>) pg_catalog.current_database() THEN
        state := 'not_here';
    ELSE
        state := 'create';
    END IF;
END
$$;

-- The error that says how to get pg_cron where schedule_refresh() can use it.
CREATE FUNCTION touchpoint_internal.raise_pg_cron_unavailable(state pg_catalog.text, cron_database pg_catalog.text,
                                                             schedule pg_catalog.text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pg_major int := pg_catalog.current_setting('server_version_num')::int OPERATOR(pg_catalog./) 10000;
BEGIN
    IF state OPERATOR(pg_catalog.=) 'hidden' THEN
        RAISE EXCEPTION 'the pg_cron extension is not created in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'pg_cron keeps its jobs in the database named by cron.database_name, which only a superuser can read (SHOW cron.database_name).',
                  HINT = pg_catalog.format('Connected to that database as the role that owns touchpoint''s relations here, run: '
                                           'CREATE EXTENSION IF NOT EXISTS pg_cron; SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           touchpoint_internal.refresh_job_name(true), schedule,
                                           'SELECT @extschema@.refresh()', pg_catalog.current_database());
    ELSIF state OPERATOR(pg_catalog.=) 'not_here' THEN
        RAISE EXCEPTION 'pg_cron runs its jobs from database "%", not from "%"', cron_database, pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'cron.database_name names the one database where pg_cron keeps its jobs; a job there can run in any database.',
                  HINT = pg_catalog.format('Connected to database "%s" as the role that owns touchpoint''s relations here, run: '
                                           'CREATE EXTENSION IF NOT EXISTS pg_cron; SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           cron_database, touchpoint_internal.refresh_job_name(true), schedule,
                                           'SELECT @extschema@.refresh()', pg_catalog.current_database());
    ELSIF state OPERATOR(pg_catalog.=) 'create' THEN
        RAISE EXCEPTION 'the pg_cron extension is not created in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The server loads pg_cron, and cron.database_name names this database.',
                  HINT = pg_catalog.format('Run CREATE EXTENSION pg_cron; then SELECT touchpoint.schedule_refresh(%L);', schedule);
    END IF;
    RAISE EXCEPTION 'pg_cron is not installed'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'touchpoint schedules its refresh with the pg_cron extension, which this server does not load.',
              HINT = pg_catalog.format('Install the package postgresql-%s-cron (apt-get install postgresql-%s-cron), '
                     'set shared_preload_libraries = ''pg_cron'' and cron.database_name = ''%s'' in postgresql.conf, '
                     'restart the server, run CREATE EXTENSION pg_cron in this database and call touchpoint.schedule_refresh() again. '
                     'Any other scheduler can run SELECT touchpoint.refresh() instead.',
                     pg_major, pg_major, pg_catalog.current_database());
END
$$;

-- schedule_refresh(): a pg_cron job that runs refresh() on a cron schedule.
CREATE FUNCTION @extschema@.schedule_refresh(schedule pg_catalog.text DEFAULT '*/15 * * * *')
RETURNS pg_catalog.int8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron record;
    jobid bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a cron schedule such as ''*/15 * * * *'' (every 15 minutes).';
    END IF;
    -- the job runs refresh() as this role: refuse a role that cannot refresh
    PERFORM touchpoint_internal.check_refresh_privilege();
    cron := touchpoint_internal.pg_cron_state();
    IF cron.state OPERATOR(pg_catalog.<>) 'here' THEN
        PERFORM touchpoint_internal.raise_pg_cron_unavailable(cron.state, cron.cron_database, schedule);
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
        INTO jobid
        USING touchpoint_internal.refresh_job_name(), schedule, 'SELECT @extschema@.refresh()'::text;
    RETURN jobid;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_refresh(pg_catalog.text) IS
'schedule touchpoint.refresh() with pg_cron (job touchpoint-refresh, run as the calling role); returns the job id';

-- unschedule_refresh(): remove the job; false when there was none.
CREATE FUNCTION @extschema@.unschedule_refresh()
RETURNS pg_catalog.bool
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron record;
    removed bigint;
BEGIN
    cron := touchpoint_internal.pg_cron_state();
    IF cron.state OPERATOR(pg_catalog.=) ANY (ARRAY['not_here', 'hidden']) THEN
        RAISE EXCEPTION 'pg_cron keeps its jobs in database %, where this database cannot see them',
                        COALESCE('"' OPERATOR(pg_catalog.||) cron.cron_database OPERATOR(pg_catalog.||) '"', '(cron.database_name)')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('Connected to %s, run: SELECT cron.unschedule(jobid) FROM cron.job '
                                           'WHERE jobname IN (%L, %L) AND database = %L;',
                                           COALESCE('database "' OPERATOR(pg_catalog.||) cron.cron_database OPERATOR(pg_catalog.||) '"',
                                                    'the database that SHOW cron.database_name names'),
                                           touchpoint_internal.refresh_job_name(),
                                           touchpoint_internal.refresh_job_name(true), pg_catalog.current_database());
    ELSIF cron.state OPERATOR(pg_catalog.<>) 'here' THEN
        RETURN false;     -- without pg_cron in this database no job can exist
    END IF;
    -- this role's refresh jobs for this database, under either name
    EXECUTE 'SELECT pg_catalog.count(cron.unschedule(j.jobid)) FROM cron.job j
             WHERE j.jobname OPERATOR(pg_catalog.=) ANY ($1) AND j.database OPERATOR(pg_catalog.=) $2
               AND j.username OPERATOR(pg_catalog.=) CURRENT_USER'
        INTO removed
        USING ARRAY[touchpoint_internal.refresh_job_name(), touchpoint_internal.refresh_job_name(true)],
              pg_catalog.current_database();
    RETURN removed OPERATOR(pg_catalog.>) 0;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_refresh() IS
'remove the pg_cron job that schedule_refresh() created; false when there was none';

