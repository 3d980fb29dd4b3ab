-- hijack: a hostile role that can put a schema on the search_path cannot make
-- touchpoint run its code (CVE-2018-1058 style).  The hostile role creates
-- look-alikes of every pg_catalog function, operator and common aggregate it
-- can imitate (same names, same argument types) in its own schema; the victim
-- then runs with search_path = evil, pg_catalog — the strongest form, where
-- an unqualified name resolves to the look-alike — and installs touchpoint,
-- loads data, runs every function and refreshes.  Each look-alike records
-- its name in the setting evil.hits when it runs: it must stay empty.
-- The test runs in a fresh database so that CREATE EXTENSION runs too.
CREATE DATABASE regress_tp_hijack;
\c regress_tp_hijack
SET timezone = 'UTC';
CREATE ROLE regress_tp_evil;
CREATE SCHEMA evil AUTHORIZATION regress_tp_evil;
SET ROLE regress_tp_evil;

-- The look-alikes.  A type is imitable when a PL/pgSQL function can take and
-- return it; each look-alike records itself, then returns NULL (no rows).
DO $$
DECLARE
    imitable pg_catalog.regtype[] := ARRAY['text', 'varchar', 'bpchar', 'name', 'bool', 'char',
        'int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'oid', 'regclass', 'bytea',
        'timestamptz', 'timestamp', 'date', 'time', 'interval', 'text[]', 'name[]',
        'anyelement', 'anyarray', 'anynonarray', 'anycompatible', 'anycompatiblearray']::pg_catalog.regtype[];
    f record;
    o record;
    body pg_catalog.text;
    made_functions pg_catalog.int4 := 0;
    made_operators pg_catalog.int4 := 0;
BEGIN
    FOR f IN
        SELECT p.oid, p.proname, p.proretset, p.prorettype::pg_catalog.regtype AS rettype,
               pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace
          AND p.prokind OPERATOR(pg_catalog.=) 'f' AND p.provariadic OPERATOR(pg_catalog.=) 0
          AND p.prorettype::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (imitable)
          AND p.proargtypes::pg_catalog.regtype[] OPERATOR(pg_catalog.<@) imitable
          -- a polymorphic result needs a polymorphic argument
          AND (p.prorettype::pg_catalog.regtype OPERATOR(pg_catalog.<>) ALL (ARRAY['anyelement', 'anyarray',
                    'anynonarray', 'anycompatible', 'anycompatiblearray']::pg_catalog.regtype[])
               OR p.pronargs OPERATOR(pg_catalog.>) 0)
    LOOP
        body := pg_catalog.format(
            'BEGIN PERFORM pg_catalog.set_config(''evil.hits'', pg_catalog.concat_ws('' '', '
            'pg_catalog.current_setting(''evil.hits'', true), %L), false); RETURN%s; END',
            f.proname::pg_catalog.text, CASE WHEN f.proretset THEN '' ELSE ' NULL' END);
        BEGIN
            EXECUTE pg_catalog.format('CREATE FUNCTION evil.%I(%s) RETURNS %s%s LANGUAGE plpgsql AS %L',
                f.proname, f.args, CASE WHEN f.proretset THEN 'SETOF ' ELSE '' END, f.rettype, body);
            made_functions := made_functions OPERATOR(pg_catalog.+) 1;
        EXCEPTION WHEN duplicate_function OR invalid_function_definition OR datatype_mismatch THEN
            NULL;   -- an overload that differs only in ways PL/pgSQL cannot express
        END;
    END LOOP;

    -- every binary and prefix operator on imitable types, with a look-alike function
    FOR o IN
        SELECT r.oid, r.oprname, r.oprleft::pg_catalog.regtype AS l, r.oprright::pg_catalog.regtype AS rt,
               r.oprresult::pg_catalog.regtype AS res
        FROM pg_catalog.pg_operator r
        WHERE r.oprnamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace
          AND (r.oprleft OPERATOR(pg_catalog.=) 0 OR r.oprleft::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (imitable))
          AND r.oprright::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (imitable)
          AND r.oprresult::pg_catalog.regtype OPERATOR(pg_catalog.=) ANY (imitable)
    LOOP
        body := pg_catalog.format(
            'BEGIN PERFORM pg_catalog.set_config(''evil.hits'', pg_catalog.concat_ws('' '', '
            'pg_catalog.current_setting(''evil.hits'', true), %L), false); RETURN NULL; END',
            'operator ' OPERATOR(pg_catalog.||) o.oprname::pg_catalog.text);
        BEGIN
            IF o.l IS NULL OR o.l OPERATOR(pg_catalog.=) 0 THEN
                EXECUTE pg_catalog.format('CREATE FUNCTION evil.op_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                    o.oid, o.rt, o.res, body);
                EXECUTE pg_catalog.format('CREATE OPERATOR evil.%s (RIGHTARG = %s, FUNCTION = evil.op_%s)',
                    o.oprname, o.rt, o.oid);
            ELSE
                EXECUTE pg_catalog.format('CREATE FUNCTION evil.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
                    o.oid, o.l, o.rt, o.res, body);
                EXECUTE pg_catalog.format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.op_%s)',
                    o.oprname, o.l, o.rt, o.oid);
            END IF;
            made_operators := made_operators OPERATOR(pg_catalog.+) 1;
        EXCEPTION WHEN duplicate_function OR invalid_function_definition OR datatype_mismatch THEN
            NULL;
        END;
    END LOOP;
    RAISE NOTICE 'look-alikes: more than 1000 functions: %, more than 100 operators: %',
        made_functions OPERATOR(pg_catalog.>) 1000, made_operators OPERATOR(pg_catalog.>) 100;
END
$$;

-- aggregates: count(*), count(any) and min, max, sum, avg, bool_or, bool_and,
-- every, array_agg, string_agg over the types the views aggregate
CREATE FUNCTION evil.agg_final(state pg_catalog.text) RETURNS pg_catalog.text
LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.set_config('evil.hits',
    pg_catalog.concat_ws(' ', pg_catalog.current_setting('evil.hits', true), 'aggregate'), false);
    RETURN NULL; END $$;
CREATE FUNCTION evil.agg_final_int8(state pg_catalog.int8) RETURNS pg_catalog.int8
LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.set_config('evil.hits',
    pg_catalog.concat_ws(' ', pg_catalog.current_setting('evil.hits', true), 'count'), false);
    RETURN NULL; END $$;
CREATE AGGREGATE evil.count(*) (SFUNC = pg_catalog.int8inc, STYPE = pg_catalog.int8,
    FINALFUNC = evil.agg_final_int8, INITCOND = '0');
CREATE AGGREGATE evil.count("any") (SFUNC = pg_catalog.int8inc_any, STYPE = pg_catalog.int8,
    FINALFUNC = evil.agg_final_int8, INITCOND = '0');
DO $$
DECLARE
    agg pg_catalog.text;
    typ pg_catalog.text;
BEGIN
    FOREACH typ IN ARRAY ARRAY['text', 'timestamptz', 'numeric', 'int4', 'int8', 'bool', 'interval'] LOOP
        EXECUTE pg_catalog.format('CREATE FUNCTION evil.agg_step(state pg_catalog.text, v %s) '
            'RETURNS pg_catalog.text LANGUAGE plpgsql AS ''BEGIN RETURN state; END''', typ);
        FOREACH agg IN ARRAY ARRAY['min', 'max', 'sum', 'avg', 'bool_or', 'bool_and', 'every', 'array_agg'] LOOP
            EXECUTE pg_catalog.format('CREATE AGGREGATE evil.%I(%s) (SFUNC = evil.agg_step, '
                'STYPE = pg_catalog.text, FINALFUNC = evil.agg_final)', agg, typ);
        END LOOP;
    END LOOP;
END
$$;
CREATE FUNCTION evil.agg_step2(state pg_catalog.text, v pg_catalog.text, d pg_catalog.text)
RETURNS pg_catalog.text LANGUAGE plpgsql AS 'BEGIN RETURN state; END';
CREATE AGGREGATE evil.string_agg(pg_catalog.text, pg_catalog.text) (SFUNC = evil.agg_step2,
    STYPE = pg_catalog.text, FINALFUNC = evil.agg_final);
-- and a collation "C" that does not sort bytewise ('k_1' before 'k01'): the
-- engine's queries order ids by pg_catalog."C" and compare them bytewise
CREATE COLLATION evil."C" (provider = icu, locale = 'und');
RESET ROLE;

-- The detector works: an unqualified call under the hostile search_path runs a look-alike.
SET search_path = evil, pg_catalog;
SELECT lower('A') IS NULL AS hijacked, 'a' = 'a' IS NULL AS operator_hijacked;
SELECT count(*), count(x), max(x::text) FROM (VALUES (1)) v(x);
RESET search_path;
SELECT current_setting('evil.hits') AS hits_of_the_control;
SELECT set_config('evil.hits', '', false) IS NOT NULL AS reset;

-- A schema "touchpoint" that the hostile role created first is refused: its
-- owner could drop and replace the extension's functions (42501).  An older
-- version installed into such a schema is refused an update.
GRANT CREATE ON DATABASE regress_tp_hijack TO regress_tp_evil;
SET ROLE regress_tp_evil;
CREATE SCHEMA touchpoint;
RESET ROLE;
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION touchpoint;
DO $$
BEGIN
    CREATE EXTENSION touchpoint;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END $$;
CREATE EXTENSION touchpoint VERSION '1.1';
ALTER EXTENSION touchpoint UPDATE;
\set VERBOSITY terse
\set SHOW_CONTEXT errors
DROP EXTENSION touchpoint;
DROP SCHEMA touchpoint;
REVOKE CREATE ON DATABASE regress_tp_hijack FROM regress_tp_evil;

-- Everything touchpoint does, under the hostile search_path: the install
-- and update scripts (from the first released version)...
SET search_path = evil, pg_catalog;
CREATE EXTENSION touchpoint VERSION '1.0';
ALTER EXTENSION touchpoint UPDATE;
DROP EXTENSION touchpoint;
-- ...and the current version's, then every function and view.
CREATE EXTENSION touchpoint;
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, last_activity_at, channel, medium, source) VALUES
    ('s1', ' BZ-1 ', '2026-05-04 09:00+00', '2026-05-04 09:20+00', 'Paid Search', 'cpc', 'google'),
    ('s2', 'bz-1', '2026-05-05 10:00+00', NULL, NULL, 'email', 'newsletter'),
    ('s3', 'bz-2', '2026-05-06 11:00+00', NULL, NULL, NULL, NULL),
    ('s4', 'k_1', '2026-05-07 09:00+00', NULL, 'Display', NULL, NULL),
    ('s5', 'k01', '2026-05-07 09:00+00', NULL, 'Referral', NULL, NULL);
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at, subject, phone) VALUES
    ('t1', 'bz-1', 'Call', 'p1', '2026-05-05 10:10+00', 'Inbound', '+1 555 0100'),
    ('t2', 'BZ-2', NULL, NULL, '2026-05-06 13:00+00', NULL, NULL),
    ('t3', NULL, 'Call', NULL, '2026-05-06 13:00+00', NULL, NULL),
    ('t4', 'k_1', 'Call', NULL, '2026-05-07 09:05+00', NULL, NULL),
    ('t5', 'k01', 'Call', NULL, '2026-05-07 09:05+00', NULL, NULL);
INSERT INTO touchpoint.form_submits VALUES ('f1', 'bz-1', NULL, '2026-05-04 09:10+00', 'https://example.com/demo', 'p1');
INSERT INTO touchpoint.chats VALUES ('c1', 'bz-2', NULL, '2026-05-06 11:05+00', NULL);
INSERT INTO touchpoint.people VALUES ('p1', 'ACME', 'ann@example.com');
INSERT INTO touchpoint.opportunities VALUES ('o1', 'ACME', 1000, '2026-05-10+00', '2026-06-01+00', true);
INSERT INTO touchpoint.channel_rules (priority, channel, medium) VALUES (1, 'Email', 'email');

SET touchpoint.merge_strategy = 'scan';
SELECT task_id, session_id, touchpoint_type, channel FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C";
SET touchpoint.merge_strategy = 'probe';
SELECT task_id, session_id, touchpoint_type, channel FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C";
SET touchpoint.merge_strategy = 'sorted';
SELECT task_id, session_id, touchpoint_type, channel FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C";
SET touchpoint.merge_strategy = 'scan_executor';
SELECT task_id, session_id, touchpoint_type, channel FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C";
RESET touchpoint.merge_strategy;
SET touchpoint.window_anchor = 'last_activity';
SELECT task_id, session_id FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks', '1 hour') ORDER BY task_id COLLATE "C";
RESET touchpoint.window_anchor;
SELECT task_id, status, session_id, nearest_session_id FROM touchpoint.explain_calls() ORDER BY task_id COLLATE "C";
SELECT task_id, status, detail FROM touchpoint.explain_call('t2');
-- a view as input goes through SPI, where the query text is parsed under the caller's path
CREATE VIEW public.crm_tasks AS SELECT * FROM touchpoint.tasks;
SELECT task_id, session_id FROM touchpoint.merge_calls('touchpoint.sessions', 'public.crm_tasks') ORDER BY task_id COLLATE "C";
SELECT task_id, status FROM touchpoint.explain_call('t1', 'touchpoint.sessions', 'public.crm_tasks');
CREATE VIEW public.web_sessions AS SELECT * FROM touchpoint.sessions;
SET touchpoint.merge_strategy = 'probe';
SELECT task_id, session_id FROM touchpoint.merge_calls('public.web_sessions', 'public.crm_tasks') ORDER BY task_id COLLATE "C";
SET touchpoint.merge_strategy = 'sorted';
SELECT task_id, session_id FROM touchpoint.merge_calls('public.web_sessions', 'public.crm_tasks') ORDER BY task_id COLLATE "C";
SELECT task_id, status FROM touchpoint.explain_calls('public.web_sessions', 'public.crm_tasks') ORDER BY task_id COLLATE "C";
SET touchpoint.merge_strategy = 'scan';
SELECT task_id, session_id FROM touchpoint.merge_calls('public.web_sessions', 'public.crm_tasks') ORDER BY task_id COLLATE "C";
RESET touchpoint.merge_strategy;
SELECT task_id, status FROM touchpoint.explain_call('t2', 'public.web_sessions', 'public.crm_tasks');
SELECT mode, touchpoints FROM touchpoint.refresh();
SELECT mode, touchpoints FROM touchpoint.refresh();
SELECT touchpoint_id, journey_id, position, channel, touchpoint_type FROM touchpoint.touchpoints ORDER BY touchpoint_id COLLATE "C";
SELECT opportunity_id, touchpoint_id, position, w_shaped_pct FROM touchpoint.opportunity_touchpoints ORDER BY touchpoint_id COLLATE "C";
SELECT channel, touchpoints, phone_calls, linear_revenue FROM touchpoint.channel_report ORDER BY channel COLLATE "C";
UPDATE touchpoint.custom_model SET weight = 30 WHERE position OPERATOR(pg_catalog.=) 'FT';
SELECT touchpoint.refresh();
UPDATE touchpoint.custom_model SET weight = 22.5 WHERE position OPERATOR(pg_catalog.=) 'FT';
SELECT touchpoint.schedule_refresh();
SELECT touchpoint.classify_channel(touchpoint_internal.channel_rules_array(), 'email', NULL, NULL, NULL, NULL) AS classified;
RESET search_path;

-- None of the look-alikes ran.
SELECT coalesce(current_setting('evil.hits', true), '') AS hits;

\c contrib_regression
DROP DATABASE regress_tp_hijack;
DROP ROLE regress_tp_evil;
