/*
 * tp_input.c
 *		The input relations: the one description of their columns and the
 *		checks of a user-named relation (it exists, is readable, has every
 *		column with a usable type, and is not the other input given by mistake).
 *
 * Inputs are any relation with the needed columns, found by name, so a view
 * over a CRM's own tables works.  Checks happen up front so that errors name
 * the relation and every column at fault.  Reading the rows is in
 * tp_input_read.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "touchpoint.h"
#include "tp_compat.h"

/*
 * The columns of each input (docs/spec.md §2), in the order the queries select them
 * (the TP_S_* and TP_T_* positions of tp_input.h).  `fill` is what a mapping
 * view may put when the CRM has no such data; NULL means the column must be
 * mapped from a real column.
 */
static const TpColumn session_columns[TP_S_COUNT] = {
	{"session_id", TP_COL_ID, true, NULL, "the session's primary key"},
	{"bizible_id", TP_COL_BIZIBLE_ID, true, NULL, "the cookie id of the session"},
	{"started_at", TP_COL_TIMESTAMPTZ, true, NULL, "the session's first page view"},
	{"last_activity_at", TP_COL_TIMESTAMPTZ, false, "NULL::timestamptz", "the session's last page view"},
	{"channel", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"subchannel", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"source", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"medium", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"campaign", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"ad_content", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"keyword", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"landing_page", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
	{"referrer_page", TP_COL_TEXT, false, "NULL::text", "web-tracking data"},
};

static const TpColumn task_columns[TP_T_COUNT] = {
	{"task_id", TP_COL_ID, true, NULL, "the task's CRM id"},
	{"bizible_id", TP_COL_BIZIBLE_ID, false, "NULL::text", "the BizibleId the call-tracking vendor filled"},
	{"type", TP_COL_TEXT, false, "NULL::text", "Task.Type"},
	{"subject", TP_COL_TEXT, false, "NULL::text", "free text"},
	{"phone", TP_COL_TEXT, false, "NULL::text", "free text"},
	{"person_id", TP_COL_ID, false, "NULL::text", "Task.WhoId, the lead or contact"},
	{"occurred_at", TP_COL_TIMESTAMPTZ, true, NULL, "when the call happened"},
	{"is_deleted", TP_COL_BOOL, true, "false", "the CRM's soft delete"},
};

const TpInputDesc tp_session_input = {"sessions", session_columns, TP_S_COUNT};
const TpInputDesc tp_task_input = {"tasks", task_columns, TP_T_COUNT};

/* The inputs of §5 and §6: checked when registered and when used (§7). */
static const TpColumn form_submit_columns[] = {
	{"submit_id", TP_COL_ID, true, NULL, "the form fill's id"},
	{"bizible_id", TP_COL_BIZIBLE_ID, true, NULL, "the BizibleId of the visitor"},
	{"session_id", TP_COL_ID, false, "NULL::text", "the session of the fill, when tracking knows it"},
	{"submitted_at", TP_COL_TIMESTAMPTZ, true, NULL, "when the form was submitted"},
	{"form_url", TP_COL_TEXT, false, "NULL::text", "the URL of the form"},
	{"person_id", TP_COL_ID, false, "NULL::text", "the lead or contact"},
};

static const TpColumn chat_columns[] = {
	{"chat_id", TP_COL_ID, true, NULL, "the chat's id"},
	{"bizible_id", TP_COL_BIZIBLE_ID, true, NULL, "the BizibleId of the visitor"},
	{"session_id", TP_COL_ID, false, "NULL::text", "the session of the chat, when tracking knows it"},
	{"started_at", TP_COL_TIMESTAMPTZ, true, NULL, "when the chat started"},
	{"person_id", TP_COL_ID, false, "NULL::text", "the lead or contact"},
};

static const TpColumn people_columns[] = {
	{"person_id", TP_COL_ID, true, NULL, "the lead or contact id"},
	{"account_id", TP_COL_ID, false, "NULL::text", "the person's account"},
	{"email", TP_COL_TEXT, false, "NULL::text", "the person's e-mail address"},
};

static const TpColumn opportunity_columns[] = {
	{"opportunity_id", TP_COL_ID, true, NULL, "the opportunity's id"},
	{"account_id", TP_COL_ID, true, NULL, "the opportunity's account"},
	{"amount", TP_COL_NUMERIC, true, NULL, "the revenue the models share out"},
	{"created_at", TP_COL_TIMESTAMPTZ, true, NULL, "when the opportunity was created"},
	{"closed_at", TP_COL_TIMESTAMPTZ, false, "NULL::timestamptz", "when it closed; NULL while open"},
	{"is_won", TP_COL_BOOL, false, "NULL::boolean", "true when won"},
};

const TpInputDesc tp_form_submit_input = {"form_submits", form_submit_columns, lengthof(form_submit_columns)};
const TpInputDesc tp_chat_input = {"chats", chat_columns, lengthof(chat_columns)};
const TpInputDesc tp_people_input = {"people", people_columns, lengthof(people_columns)};
const TpInputDesc tp_opportunity_input = {"opportunities", opportunity_columns, lengthof(opportunity_columns)};

static const TpInputDesc *const all_inputs[] = {
	&tp_session_input, &tp_task_input, &tp_form_submit_input, &tp_chat_input,
	&tp_people_input, &tp_opportunity_input
};

const TpInputDesc *
TpInputByKind(const char *kind)
{
	int			i;

	for (i = 0; i < (int) lengthof(all_inputs); i++)
		if (strcmp(all_inputs[i]->argname, kind) == 0)
			return all_inputs[i];
	return NULL;
}

static const char *
kind_description(TpColumnKind kind)
{
	switch (kind)
	{
		case TP_COL_ID:
			return "text, an integer type, numeric or uuid";
		case TP_COL_TEXT:
			return "text (or varchar, char, name)";
		case TP_COL_BIZIBLE_ID:
			return "text (or varchar, char, name) or uuid";
		case TP_COL_TIMESTAMPTZ:
			return "timestamp with time zone";
		case TP_COL_BOOL:
			return "boolean";
		case TP_COL_NUMERIC:
			return "numeric (or an integer type)";
	}
	return "?";
}

/* Is a column of base type typid acceptable for kind? */
static bool
type_fits(TpColumnKind kind, Oid typid)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(typid, &category, &preferred);
	switch (kind)
	{
		case TP_COL_ID:
			return category == TYPCATEGORY_STRING ||
				typid == INT2OID || typid == INT4OID || typid == INT8OID ||
				typid == NUMERICOID || typid == UUIDOID;
		case TP_COL_TEXT:
			return category == TYPCATEGORY_STRING;
		case TP_COL_BIZIBLE_ID:
			return category == TYPCATEGORY_STRING || typid == UUIDOID;
		case TP_COL_TIMESTAMPTZ:
			return typid == TIMESTAMPTZOID;
		case TP_COL_BOOL:
			return typid == BOOLOID;
		case TP_COL_NUMERIC:
			return typid == NUMERICOID || typid == INT2OID || typid == INT4OID ||
				typid == INT8OID;
	}
	return false;
}

/*
 * Open one input relation: not NULL, exists, a kind of relation that has
 * rows.  Takes AccessShareLock so the relation cannot be dropped or altered
 * under the read.
 */
void
TpOpenInput(TpInput *input, const TpInputDesc *desc, Datum reloid, bool isnull)
{
	Oid			relid;
	char		relkind;

	memset(input, 0, sizeof(TpInput));
	input->desc = desc;
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", desc->argname),
				 errhint("Name a table or view, e.g. 'touchpoint.%s'.", desc->argname)));

	relid = DatumGetObjectId(reloid);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errdetail("Argument \"%s\" names no relation; was it dropped?", desc->argname)));

	LockRelationOid(relid, AccessShareLock);
	/* It may have been dropped while we waited for the lock. */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	input->relid = relid;
	input->qualified_name =
		quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
								   get_rel_name(relid));
	input->display_name = input->qualified_name;

	relkind = get_rel_relkind(relid);
	input->relkind = relkind;
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" cannot be used as %s input", input->display_name, desc->argname),
				 errdetail("Only tables, views, materialized views, partitioned and foreign tables can be read.")));
}

static bool
has_column(Oid relid, const char *name)
{
	return get_attnum(relid, name) > 0;
}

/*
 * Does the relation carry what only `own` has and miss some of what only
 * `other` has?  "Only" means a column that must be mapped from a real column
 * (no fill) and that the other input lacks: session_id and started_at for
 * sessions, task_id and occurred_at for tasks.
 */
static bool
looks_like(Oid relid, const TpInputDesc *own, const TpInputDesc *other)
{
	int			round;

	for (round = 0; round < 2; round++)
	{
		const TpInputDesc *d = round == 0 ? own : other;
		const TpInputDesc *o = round == 0 ? other : own;
		bool		all = true;
		int			i;

		for (i = 0; i < d->ncolumns; i++)
		{
			const TpColumn *c = &d->columns[i];
			bool		shared = false;
			int			j;

			if (c->fill != NULL)
				continue;
			for (j = 0; j < o->ncolumns; j++)
				shared |= strcmp(o->columns[j].name, c->name) == 0;
			if (!shared && !has_column(relid, c->name))
				all = false;
		}
		/* all of its own, and not all of the other's */
		if (round == 0 && !all)
			return false;
		if (round == 1 && all)
			return false;
	}
	return true;
}

/* "session_id, started_at": the columns that tell an input apart. */
static char *
signature(const TpInputDesc *d, const TpInputDesc *other)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < d->ncolumns; i++)
	{
		bool		shared = false;
		int			j;

		if (d->columns[i].fill != NULL)
			continue;
		for (j = 0; j < other->ncolumns; j++)
			shared |= strcmp(other->columns[j].name, d->columns[i].name) == 0;
		if (!shared)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", d->columns[i].name);
	}
	return buf.data;
}

/*
 * The tasks given as sessions (or the sessions as tasks) would otherwise
 * get "column session_id does not exist", which does not say what to do.
 */
void
TpCheckSwapped(const TpInput *sessions, const TpInput *tasks, const char *function,
			   const char *call_prefix, const char *call_suffix)
{
	const TpInputDesc *sd = sessions->desc;
	const TpInputDesc *td = tasks->desc;
	bool		sessions_are_tasks = looks_like(sessions->relid, td, sd);
	bool		tasks_are_sessions = looks_like(tasks->relid, sd, td);
	StringInfoData detail;

	if (!(sessions_are_tasks && !looks_like(tasks->relid, td, sd)) &&
		!(tasks_are_sessions && !looks_like(sessions->relid, sd, td)))
		return;

	initStringInfo(&detail);
	if (sessions_are_tasks)
		appendStringInfo(&detail, "Relation \"%s\", given as sessions, has the columns of tasks (%s)",
						 sessions->display_name, signature(td, sd));
	if (sessions_are_tasks && tasks_are_sessions)
		appendStringInfo(&detail, "; relation \"%s\", given as tasks, has those of sessions (%s).",
						 tasks->display_name, signature(sd, td));
	else if (tasks_are_sessions)
		appendStringInfo(&detail, "Relation \"%s\", given as tasks, has the columns of sessions (%s).",
						 tasks->display_name, signature(sd, td));
	else
		appendStringInfoChar(&detail, '.');
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("the arguments of %s look swapped: the sessions come first, then the tasks",
					function),
			 errdetail_internal("%s", detail.data),
			 errhint("Pass the sessions first: SELECT * FROM %s%s, %s%s;",
					 call_prefix, quote_literal_cstr(tasks->qualified_name),
					 quote_literal_cstr(sessions->qualified_name), call_suffix)));
}

/*
 * Refuse a relation that lacks columns, naming every one at once, with a
 * line of a mapping view for each: a NULL of the right type where the CRM
 * may have no such data, a real column where touchpoint needs a value.
 */
static void
missing_columns_error(const TpInput *input, const int *missing, int nmissing)
{
	const TpColumn *columns = input->desc->columns;
	StringInfoData names;
	StringInfoData select;
	StringInfoData required;
	int			nrequired = 0;
	int			nrequired_total = 0;
	int			i;

	initStringInfo(&names);
	initStringInfo(&select);
	initStringInfo(&required);
	for (i = 0; i < nmissing; i++)
		nrequired_total += columns[missing[i]].fill == NULL;
	for (i = 0; i < nmissing; i++)
	{
		const TpColumn *c = &columns[missing[i]];

		if (i > 0)
			appendStringInfoString(&names, i == nmissing - 1 ? " and " : ", ");
		appendStringInfo(&names, "\"%s\"", c->name);
		if (c->fill != NULL)
			appendStringInfo(&select, ", %s AS %s", c->fill, c->name);
		else
		{
			appendStringInfo(&select, ", \"YourColumn\" AS %s", c->name);
			appendStringInfo(&required, "%s%s (%s; %s)",
							 nrequired == 0 ? "" : nrequired == nrequired_total - 1 ? " and " : ", ",
							 c->name, c->role, kind_description(c->kind));
			nrequired++;
		}
	}
	if (nrequired > 0)
		appendStringInfo(&required, " must be mapped from %s: touchpoint needs a value in every row.",
						 nrequired == 1 ? "a real column" : "real columns");

	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 nmissing == 1 ?
			 errmsg("column %s of relation \"%s\" does not exist",
					names.data, input->display_name) :
			 errmsg("columns %s of relation \"%s\" do not exist",
					names.data, input->display_name),
			 errdetail("touchpoint reads %s input columns by name.", input->desc->argname),
			 errhint("Create a view that maps your columns, e.g. SELECT ...%s FROM your_table.%s%s",
					 select.data, nrequired > 0 ? " " : "", required.data)));
}

/*
 * Check an opened input's columns: every one present (all missing ones
 * reported together) with a usable type, SELECT allowed (on the relation,
 * or on each column read), a materialized view populated.  Fills
 * attnums and the casts the queries need.
 */
void
TpCheckColumns(TpInput *input)
{
	const TpInputDesc *desc = input->desc;
	Oid			relid = input->relid;
	int			missing[TP_MAX_INPUT_COLUMNS];
	int			nmissing = 0;
	AclResult	aclresult;
	int			i;

	for (i = 0; i < desc->ncolumns; i++)
	{
		input->attnums[i] = get_attnum(relid, desc->columns[i].name);
		if (input->attnums[i] <= 0)
			missing[nmissing++] = i;
	}
	if (nmissing > 0)
		missing_columns_error(input, missing, nmissing);

	for (i = 0; i < desc->ncolumns; i++)
	{
		const TpColumn *c = &desc->columns[i];
		Oid			typid = get_atttype(relid, input->attnums[i]);
		Oid			basetype = getBaseType(typid);

		if (!type_fits(c->kind, basetype))
		{
			const char *hint = NULL;

			if (c->kind == TP_COL_TIMESTAMPTZ && basetype == TIMESTAMPOID)
				hint = "Say which time zone the values are in, e.g. \"col AT TIME ZONE 'UTC' AS col\" in a view.";
			else if (c->kind == TP_COL_TIMESTAMPTZ && basetype == DATEOID)
				hint = "A date-only field (such as ActivityDate) puts every call at midnight; use a date-time such as CreatedDate.";
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of relation \"%s\" has type %s, but touchpoint needs %s",
							c->name, input->display_name,
							format_type_be(typid), kind_description(c->kind)),
					 hint ? errhint("%s", hint) : 0));
		}
		input->needs_text_cast[i] = (c->kind != TP_COL_TIMESTAMPTZ &&
									 c->kind != TP_COL_BOOL &&
									 c->kind != TP_COL_NUMERIC && typid != TEXTOID);
		input->needs_base_cast[i] = (c->kind == TP_COL_TIMESTAMPTZ && typid != TIMESTAMPTZOID) ||
			(c->kind == TP_COL_BOOL && typid != BOOLOID);
	}

	/* Table-level SELECT, or SELECT on every column we read. */
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
	{
		for (i = 0; i < desc->ncolumns; i++)
			if (pg_attribute_aclcheck(relid, input->attnums[i], GetUserId(), ACL_SELECT) != ACLCHECK_OK)
				aclcheck_error(aclresult, get_relkind_objtype(input->relkind),
							   get_rel_name(relid));
	}

	if (input->relkind == RELKIND_MATVIEW)
	{
		/* as SQL would say, whichever way the rows are read (or not at all) */
		Relation	rel = table_open(relid, AccessShareLock);
		bool		populated = RelationIsPopulated(rel);

		table_close(rel, NoLock);
		if (!populated)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("materialized view \"%s\" has not been populated", input->display_name),
					 errhint("Use the REFRESH MATERIALIZED VIEW command.")));
	}
}

/*
 * touchpoint_internal.check_source(kind text, relation regclass): refuse an
 * unknown kind; with a relation, check it as that kind's input exactly as
 * merge_calls checks its arguments (kind of relation, every column present
 * with a usable type, SELECT allowed, a materialized view populated).
 * use_source, source() and the touchpoint.sources view call it (§7).
 */
TP_FUNCTION_INFO(tp_check_source);

Datum
tp_check_source(PG_FUNCTION_ARGS)
{
	const TpInputDesc *desc;
	char	   *kind;
	TpInput		input;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"kind\" must not be NULL"),
				 errhint("The kinds are sessions, tasks, form_submits, chats, people and opportunities.")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	desc = TpInputByKind(kind);
	if (desc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown source kind %s", quote_literal_cstr(kind)),
				 errhint("The kinds are sessions, tasks, form_submits, chats, people and opportunities.")));
	if (PG_ARGISNULL(1))
		PG_RETURN_VOID();
	TpOpenInput(&input, desc, PG_GETARG_DATUM(1), false);
	TpCheckColumns(&input);
	PG_RETURN_VOID();
}
