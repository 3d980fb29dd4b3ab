-- init: the extension installs, and what it creates is what docs/spec.md §2-§3 promises.
CREATE EXTENSION touchpoint;
SELECT extname, extrelocatable, extversion, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'touchpoint';
-- not trusted: only a superuser may install it (every version)
SELECT name, version, trusted, superuser, relocatable, schema
FROM pg_available_extension_versions WHERE name = 'touchpoint' ORDER BY version;
-- the input tables and their columns
SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind = 'r'
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum;
-- indexes the engine uses
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) AS definition
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'touchpoint'::regnamespace
ORDER BY indexrelid::regclass::text;
-- the views (the stored relations are tables: refresh() fills them)
SELECT relname, relkind, relispopulated FROM pg_class
WHERE relnamespace = 'touchpoint'::regnamespace AND relkind IN ('v', 'm') ORDER BY 1;
-- pg_dump keeps the input rows
SELECT t::regclass AS dumped_table FROM pg_extension, unnest(extconfig) AS t WHERE extname = 'touchpoint' ORDER BY t::regclass::text;
-- functions: volatility, parallel safety, strictness, rows, security; users
-- call those in touchpoint, the extension's own helpers live in touchpoint_internal
SELECT p.pronamespace::regnamespace AS schema, p.proname, p.pronargs, p.provolatile, p.proparallel, p.proisstrict, p.prorows, p.prosecdef, p.proretset,
       l.lanname, p.proconfig
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace IN ('touchpoint'::regnamespace, 'touchpoint_internal'::regnamespace) ORDER BY 1, 2, 3;
-- every function, relation and column of the extension has a comment
SELECT p.pronamespace::regnamespace AS schema, p.proname AS uncommented_function
FROM pg_proc p WHERE p.pronamespace IN ('touchpoint'::regnamespace, 'touchpoint_internal'::regnamespace)
  AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT c.relname AS uncommented_relation FROM pg_class c
WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
  AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT count(*) AS columns, count(col_description(c.oid, a.attnum)) AS commented
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'touchpoint'::regnamespace AND c.relkind IN ('r', 'v', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped;
-- a few of them, as \d+ shows them
SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a WHERE a.attrelid = 'touchpoint.tasks'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a WHERE a.attrelid = 'touchpoint.channel_report'::regclass AND a.attname LIKE 'w_shaped%' ORDER BY a.attnum;
-- the schemas: touchpoint_internal is the extension's, owned by the installer,
-- readable by everyone (refresh() and schedule_refresh() call into it as their caller)
SELECT n.nspname, r.rolsuper AS owner_is_superuser, has_schema_privilege('public', n.oid, 'USAGE') AS public_usage,
       has_schema_privilege('public', n.oid, 'CREATE') AS public_create, obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
WHERE n.nspname IN ('touchpoint', 'touchpoint_internal') ORDER BY 1;
SELECT count(*) AS internal_schema_is_a_member FROM pg_depend d
WHERE d.classid = 'pg_namespace'::regclass AND d.objid = 'touchpoint_internal'::regnamespace
  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e';
-- arguments, defaults and result (OUT) columns of the three set-returning functions
\x on
SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments
FROM pg_proc p WHERE p.pronamespace = 'touchpoint'::regnamespace AND p.proretset ORDER BY 1;
\x off
-- the settings exist with their defaults once the library is loaded
LOAD 'touchpoint';
SELECT name, setting, unit, vartype, enumvals, boot_val FROM pg_settings WHERE name LIKE 'touchpoint.%' ORDER BY 1;
SHOW touchpoint.session_window;
SHOW touchpoint.window_anchor;
