/*
 * The pipeline in stages (docs/pipeline.md): the materialized views become
 * tables built by stage functions.  Drop what 1.3 had for them (the stored
 * rows are derived: refresh() rebuilds them), then the files that follow
 * (links to sql/src/, so the objects are exactly a fresh install's) create
 * the stages, the credit, refresh() and the catalog notes.
 */
DROP VIEW @extschema@.channel_report;
DROP MATERIALIZED VIEW @extschema@.opportunity_touchpoints;
DROP VIEW @extschema@.opportunity_touchpoints_live;
DROP MATERIALIZED VIEW @extschema@.touchpoints;
DROP FUNCTION @extschema@.refresh();
DROP FUNCTION @extschema@.schedule_refresh(pg_catalog.text);
DROP FUNCTION @extschema@.unschedule_refresh();
DROP FUNCTION touchpoint_internal.refresh_view(pg_catalog.regclass);
DROP FUNCTION touchpoint_internal.check_custom_model();
DROP FUNCTION touchpoint_internal.check_refresh_privilege();
DROP FUNCTION touchpoint_internal.refresh_job_name(pg_catalog.bool);
DROP FUNCTION touchpoint_internal.pg_cron_state();
DROP FUNCTION touchpoint_internal.raise_pg_cron_unavailable(pg_catalog.text, pg_catalog.text, pg_catalog.text);
COMMENT ON VIEW @extschema@.touchpoints_live IS
'the touchpoints as of now, read from touchpoint''s own tables in one statement; refresh() builds touchpoint.touchpoints in stages (docs/pipeline.md), which must give the same rows';
