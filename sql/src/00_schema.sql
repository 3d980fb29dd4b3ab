/*
 * touchpoint — the install script of the current version.  Its one source is
 * sql/src/, a file per stage read in name order; the Makefile concatenates
 * them into sql/touchpoint--<default_version>.sql.
 * A change here needs the same change in the upgrade script from the previous
 * version (test/upgrade.sh compares the two catalogs).  The § numbers refer
 * to docs/spec.md: inputs (§2), the merge (§3), errors (§4), touchpoints and
 * journeys (§5), attribution (§6), refresh (§8).
 */
\echo Use "CREATE EXTENSION touchpoint" to load this file. \quit

-- Every object is created as @extschema@.name and everything else is
-- qualified with pg_catalog, so nothing here depends on the search_path.

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

COMMENT ON SCHEMA @extschema@ IS
'touchpoint: call-tracking tasks merged with web sessions, touchpoints, journeys and revenue attribution (see the README)';

/*
 * Helpers the extension's own functions and views call, kept out of the
 * user's way (\df touchpoint.* lists only what users call).  CREATE SCHEMA
 * fails if a schema of that name already exists, whoever owns it, so no role
 * can prepare it for us.  Everyone may look names up in it: each helper is
 * harmless or checks its caller, and refresh() and schedule_refresh() run as
 * their caller and call into it.
 */
CREATE SCHEMA touchpoint_internal;
COMMENT ON SCHEMA touchpoint_internal IS
'touchpoint''s internal helpers; not an interface: they change between versions';
GRANT USAGE ON SCHEMA touchpoint_internal TO PUBLIC;

