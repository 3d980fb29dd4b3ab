/*
 * tp_input.c
 *		Checking a user-named input relation and streaming it through SPI.
 *
 * Inputs are any relation with the needed columns, found by name, so a view
 * over a CRM's own tables works.  Checks happen up front so that errors name
 * the relation and the column; the reads themselves go through SPI as the
 * caller, so the executor still applies privileges and row-level security.
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

/* How many rows a cursor fetches at a time. */
#define TP_FETCH_BATCH 2000

/* The columns every sessions input must have (SPEC §2). */
const TpColumn tp_session_columns[] = {
	{"session_id", TP_COL_ID},
	{"bizible_id", TP_COL_BIZIBLE_ID},
	{"started_at", TP_COL_TIMESTAMPTZ},
	{"last_activity_at", TP_COL_TIMESTAMPTZ},
	{"channel", TP_COL_TEXT},
	{"subchannel", TP_COL_TEXT},
	{"source", TP_COL_TEXT},
	{"medium", TP_COL_TEXT},
	{"campaign", TP_COL_TEXT},
	{"ad_content", TP_COL_TEXT},
	{"keyword", TP_COL_TEXT},
	{"landing_page", TP_COL_TEXT},
	{"referrer_page", TP_COL_TEXT},
};
const int	tp_session_ncolumns = lengthof(tp_session_columns);

/* A session's web columns, in the order of TpSessionData.web. */
const char *const tp_web_columns[9] = {
	"channel", "subchannel", "source", "medium", "campaign",
	"ad_content", "keyword", "landing_page", "referrer_page"
};

/* The columns every tasks input must have (SPEC §2). */
const TpColumn tp_task_columns[] = {
	{"task_id", TP_COL_ID},
	{"bizible_id", TP_COL_BIZIBLE_ID},
	{"type", TP_COL_TEXT},
	{"subject", TP_COL_TEXT},
	{"phone", TP_COL_TEXT},
	{"person_id", TP_COL_ID},
	{"occurred_at", TP_COL_TIMESTAMPTZ},
	{"is_deleted", TP_COL_BOOL},
};
const int	tp_task_ncolumns = lengthof(tp_task_columns);

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
	}
	return false;
}

/*
 * Check one input relation: not NULL, exists, a kind of relation that has
 * rows, every needed column present with a usable type, and SELECT allowed
 * (on the table, or on each needed column).  Takes AccessShareLock so the
 * relation cannot be dropped or altered under the read.
 */
void
TpCheckInput(TpInput *input, Datum reloid, bool isnull, const char *argname,
			 const TpColumn *columns, int ncolumns)
{
	Oid			relid;
	char		relkind;
	AclResult	aclresult;
	int			i;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", argname),
				 errhint("Name a table or view, e.g. 'touchpoint.%s'.", argname)));

	relid = DatumGetObjectId(reloid);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errdetail("Argument \"%s\" names no relation; was it dropped?", argname)));

	LockRelationOid(relid, AccessShareLock);
	/* It may have been dropped while we waited for the lock. */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	input->relid = relid;
	input->columns = columns;
	input->ncolumns = ncolumns;
	input->qualified_name =
		quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
								   get_rel_name(relid));
	input->display_name = input->qualified_name;

	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" cannot be used as %s input", input->display_name, argname),
				 errdetail("Only tables, views, materialized views, partitioned and foreign tables can be read.")));
	input->needs_text_cast = palloc0(sizeof(bool) * ncolumns);
	input->needs_base_cast = palloc0(sizeof(bool) * ncolumns);
	for (i = 0; i < ncolumns; i++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[i].name);
		Oid			typid;
		Oid			basetype;

		if (attnum == InvalidAttrNumber || attnum < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							columns[i].name, input->display_name),
					 errdetail("touchpoint reads %s input columns by name.", argname),
					 errhint("Create a view that renames your columns, e.g. SELECT \"YourColumn\" AS %s, or NULL::text AS %s when you have no such data.",
							 columns[i].name, columns[i].name)));

		typid = get_atttype(relid, attnum);
		basetype = getBaseType(typid);
		if (!type_fits(columns[i].kind, basetype))
		{
			const char *hint = NULL;

			if (columns[i].kind == TP_COL_TIMESTAMPTZ && basetype == TIMESTAMPOID)
				hint = "Say which time zone the values are in, e.g. \"col AT TIME ZONE 'UTC' AS col\" in a view.";
			else if (columns[i].kind == TP_COL_TIMESTAMPTZ && basetype == DATEOID)
				hint = "A date-only field (such as ActivityDate) puts every call at midnight; use a date-time such as CreatedDate.";
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of relation \"%s\" has type %s, but touchpoint needs %s",
							columns[i].name, input->display_name,
							format_type_be(typid), kind_description(columns[i].kind)),
					 hint ? errhint("%s", hint) : 0));
		}
		input->needs_text_cast[i] = (columns[i].kind != TP_COL_TIMESTAMPTZ &&
									 columns[i].kind != TP_COL_BOOL &&
									 typid != TEXTOID);
		input->needs_base_cast[i] = (columns[i].kind == TP_COL_TIMESTAMPTZ &&
								   typid != TIMESTAMPTZOID) ||
			(columns[i].kind == TP_COL_BOOL && typid != BOOLOID);
	}

	/* Table-level SELECT, or SELECT on every column we read. */
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
	{
		for (i = 0; i < ncolumns; i++)
		{
			AttrNumber	attnum = get_attnum(relid, columns[i].name);

			if (pg_attribute_aclcheck(relid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
				aclcheck_error(aclresult, get_relkind_objtype(relkind),
							   get_rel_name(relid));
		}
	}

	if (relkind == RELKIND_MATVIEW)
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

/* Index of a named column in input->columns; elog when absent (a bug). */
int
TpColumnIndex(const TpInput *input, const char *name)
{
	int			i;

	for (i = 0; i < input->ncolumns; i++)
		if (strcmp(input->columns[i].name, name) == 0)
			return i;
	elog(ERROR, "touchpoint: no column \"%s\" in the column list", name);
	return -1;
}

/* Append the column, quoted, with the cast the engine needs. */
void
TpAppendColumn(StringInfo buf, const TpInput *input, int col)
{
	appendStringInfo(buf, "i.%s", quote_identifier(input->columns[col].name));
	if (input->needs_text_cast[col])
		appendStringInfoString(buf, "::pg_catalog.text");
	else if (input->needs_base_cast[col])
		appendStringInfoString(buf,
							   input->columns[col].kind == TP_COL_BOOL ?
							   "::pg_catalog.bool" : "::pg_catalog.timestamptz");
}

/* Open a read-only, no-scroll cursor over query with its parameters. */
void
TpStreamOpen(TpStream *stream, const char *query,
			 int nargs, Oid *argtypes, Datum *values)
{
	stream->portal = SPI_cursor_open_with_args(NULL, query, nargs, argtypes,
											   values, NULL, true,
											   CURSOR_OPT_NO_SCROLL);
	stream->batch = NULL;
	stream->pos = 0;
	stream->exhausted = false;
}

/*
 * Next row of the stream, or NULL at the end.  The tuple stays valid until
 * the next call; the previous batch is freed when a new one is fetched.
 */
HeapTuple
TpStreamNext(TpStream *stream, TupleDesc *desc)
{
	if (stream->batch != NULL && stream->pos < stream->batch->numvals)
	{
		*desc = stream->batch->tupdesc;
		return stream->batch->vals[stream->pos++];
	}
	if (stream->exhausted)
		return NULL;

	if (stream->batch != NULL)
		SPI_freetuptable(stream->batch);
	stream->batch = NULL;

	CHECK_FOR_INTERRUPTS();
	SPI_cursor_fetch(stream->portal, true, TP_FETCH_BATCH);
	stream->batch = SPI_tuptable;
	stream->pos = 0;
	if (stream->batch == NULL || stream->batch->numvals == 0)
	{
		stream->exhausted = true;
		return NULL;
	}
	*desc = stream->batch->tupdesc;
	return stream->batch->vals[stream->pos++];
}

void
TpStreamClose(TpStream *stream)
{
	if (stream->batch != NULL)
		SPI_freetuptable(stream->batch);
	stream->batch = NULL;
	if (stream->portal != NULL)
		SPI_cursor_close(stream->portal);
	stream->portal = NULL;
}

/*
 * Can these columns be read straight from the heap, bypassing the executor?
 * Only from a plain table without inheritance children and without
 * row-level security for this user (RLS needs the executor), each column
 * stored exactly as the engine reads it:
 * types[c], where TEXTOID also takes varchar and a domain counts as its base
 * type.  Privileges were checked by TpCheckInput.  Fills attnums[0..n).
 */
bool
TpHeapReadable(Oid relid, const char *const *columns, const Oid *types, int ncolumns,
			   AttrNumber *attnums)
{
	int			c;

	if (get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	/* an inheritance parent's rows include its children's: SQL reads those */
	if (has_subclass(relid))
		return false;
	if (check_enable_rls(relid, InvalidOid, true) != RLS_NONE)
		return false;
	for (c = 0; c < ncolumns; c++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[c]);
		Oid			type = getBaseType(get_atttype(relid, attnum));

		if (type != types[c] && !(types[c] == TEXTOID && type == VARCHAROID))
			return false;
		attnums[c] = attnum;
	}
	return true;
}
