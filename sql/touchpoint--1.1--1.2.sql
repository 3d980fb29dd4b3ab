/*
 * touchpoint 1.1 -> 1.2:
 * - the install script refuses a schema "touchpoint" that a role other than a
 *   superuser owns; an update checks the same, so a database where that
 *   already happened finds out;
 * - the plain views read the inputs as the querying role (security_invoker),
 *   so privileges and row-level security on the inputs hold through them.
 */
\echo Use "ALTER EXTENSION touchpoint UPDATE TO '1.2'" to load this file. \quit

-- Refuse a schema that a role other than a superuser owns.  A schema's owner
-- can drop and replace every object in it, so a hostile role that created
-- schema touchpoint before a superuser installed the extension would own
-- touchpoint's functions in effect (CREATE EXTENSION reuses an existing schema).
DO $$
DECLARE
    owner_name pg_catalog.name;
BEGIN
    SELECT r.rolname INTO owner_name
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
    WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@' AND NOT r.rolsuper;
    IF FOUND THEN
        RAISE EXCEPTION 'schema "@extschema@" is owned by role "%", which is not a superuser', owner_name
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The owner of a schema can drop and replace the objects in it, so it could replace touchpoint''s functions.',
                  HINT = 'Check what the schema holds, then drop it or run ALTER SCHEMA "@extschema@" OWNER TO a superuser, and try again.';
    END IF;
END
$$;

ALTER VIEW @extschema@.conversion_events SET (security_invoker = true);
ALTER VIEW @extschema@.touchpoints_live SET (security_invoker = true);
ALTER VIEW @extschema@.opportunity_touchpoints_live SET (security_invoker = true);
ALTER VIEW @extschema@.channel_report SET (security_invoker = true);
