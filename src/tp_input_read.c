/*
 * tp_input_read.c
 *		Reading the input relations: the queries every strategy reads them
 *		with (built from the one description in tp_input.c), the cursor they
 *		stream through, and the helpers that turn their rows into C values.
 *
 * The reads go through SPI as the caller, so the executor still applies
 * privileges and row-level security (or straight from the heap where that
 * changes nothing: TpHeapReadable; never for a relation whose rows are not
 * in its heap, such as a Citus table: TpRowsElsewhere).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "touchpoint.h"

/* How many rows a cursor fetches at a time. */
#define TP_FETCH_BATCH 2000

/* Append column col of the description, quoted, with the cast the engine needs. */
void
TpAppendColumn(StringInfo buf, const TpInput *input, int col)
{
	const TpColumn *c = &input->desc->columns[col];

	appendStringInfo(buf, "i.%s", quote_identifier(c->name));
	if (input->needs_text_cast[col])
		appendStringInfoString(buf, "::pg_catalog.text");
	else if (input->needs_base_cast[col])
		appendStringInfoString(buf, c->kind == TP_COL_BOOL ?
							   "::pg_catalog.bool" : "::pg_catalog.timestamptz");
}

/* Append key_function(bizible_id) COLLATE "C": the normalised BizibleId. */
static void
append_key(StringInfo q, const TpRun *run, const TpInput *in, int bizible_col)
{
	appendStringInfo(q, "%s(", run->key_function);
	TpAppendColumn(q, in, bizible_col);
	appendStringInfoString(q, ") COLLATE pg_catalog.\"C\"");
}

static int
sessions_query_columns(const TpRun *run)
{
	return run->with_web_data ? TP_S_COUNT : TP_S_WEB;
}

int
TpSessionsKeyColumn(const TpRun *run)
{
	return sessions_query_columns(run) + 1;
}

/* The one builder of the sessions queries (TpSessionsQuery). */
void
TpBuildSessionsQuery(StringInfo q, const TpRun *run, TpSessionsQuery which)
{
	const TpInput *in = &run->sessions;
	int			ncols = sessions_query_columns(run);
	int			c;

	appendStringInfoString(q, "SELECT ");
	for (c = 0; c < ncols; c++)
	{
		if (c > 0)
			appendStringInfoString(q, ", ");
		TpAppendColumn(q, in, c);
	}
	if (which == TP_SQ_SORTED || which == TP_SQ_ONE_ID)
	{
		appendStringInfoString(q, ", ");
		append_key(q, run, in, TP_S_BIZIBLE_ID);
	}

	switch (which)
	{
		case TP_SQ_ALL:
			appendStringInfo(q, " FROM %s i", in->qualified_name);
			break;
		case TP_SQ_SORTED:
			appendStringInfo(q, " FROM %s i WHERE %s(", in->qualified_name, run->key_function);
			TpAppendColumn(q, in, TP_S_BIZIBLE_ID);
			appendStringInfoString(q, ") IS NOT NULL ORDER BY ");
			append_key(q, run, in, TP_S_BIZIBLE_ID);
			appendStringInfoString(q, ", ");
			TpAppendColumn(q, in, TP_S_STARTED_AT);
			appendStringInfoString(q, ", ");
			TpAppendColumn(q, in, TP_S_SESSION_ID);
			appendStringInfoString(q, " COLLATE pg_catalog.\"C\"");
			break;
		case TP_SQ_BY_IDS:
			appendStringInfo(q, " FROM %s i WHERE ", in->qualified_name);
			TpAppendColumn(q, in, TP_S_SESSION_ID);
			appendStringInfoString(q, " OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])");
			break;
		case TP_SQ_ONE_ID:
			appendStringInfo(q, " FROM %s i WHERE ", in->qualified_name);
			append_key(q, run, in, TP_S_BIZIBLE_ID);
			appendStringInfoString(q, " OPERATOR(pg_catalog.=) $1");
			break;
		case TP_SQ_CALL_RANGES:

			/*
			 * One index range per called id, like a LATERAL probe: the
			 * sessions of that id that can cover one of its calls, started_at
			 * in (lo, hi] (no lower bound for the last_activity anchor) --
			 * and those without a start or an id, which are an error for a
			 * called id however merge_calls reads (the whole-table pass sees
			 * them too).
			 */
			appendStringInfo(q, " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]),"
							 " pg_catalog.unnest($2::pg_catalog.timestamptz[]),"
							 " pg_catalog.unnest($3::pg_catalog.timestamptz[])) AS k(key, lo, hi)"
							 " JOIN %s i ON ", in->qualified_name);
			append_key(q, run, in, TP_S_BIZIBLE_ID);
			appendStringInfoString(q, " OPERATOR(pg_catalog.=) k.key AND ((");
			if (run->anchor == TP_ANCHOR_SESSION_START)
			{
				TpAppendColumn(q, in, TP_S_STARTED_AT);
				appendStringInfoString(q, " OPERATOR(pg_catalog.>) k.lo AND ");
			}
			TpAppendColumn(q, in, TP_S_STARTED_AT);
			appendStringInfoString(q, " OPERATOR(pg_catalog.<=) k.hi) OR ");
			TpAppendColumn(q, in, TP_S_STARTED_AT);
			appendStringInfoString(q, " IS NULL OR ");
			TpAppendColumn(q, in, TP_S_SESSION_ID);
			appendStringInfoString(q, " IS NULL)");
			break;
	}
}

/* The tasks query (see touchpoint.h). */
void
TpBuildTaskQuery(StringInfo q, const TpRun *run, bool ordered)
{
	const TpInput *in = &run->tasks;
	int			c;

	appendStringInfoString(q, "SELECT ");
	for (c = 0; c < TP_T_COUNT; c++)
	{
		TpAppendColumn(q, in, c);
		appendStringInfoString(q, ", ");
	}
	append_key(q, run, in, TP_T_BIZIBLE_ID);
	appendStringInfo(q, " FROM %s i", in->qualified_name);

	if (run->single_task_id != NULL)
	{
		Oid			typid = get_atttype(in->relid, in->attnums[TP_T_TASK_ID]);

		/* Compare in the column's own type so its primary key index is used. */
		appendStringInfo(q, " WHERE i.task_id OPERATOR(pg_catalog.=) $1::%s",
						 format_type_be_qualified(typid));
		return;
	}
	if (run->skip_unmatchable)
	{
		appendStringInfo(q, " WHERE %s(", run->key_function);
		TpAppendColumn(q, in, TP_T_BIZIBLE_ID);
		appendStringInfoString(q, ") IS NOT NULL AND i.is_deleted IS NOT TRUE");
	}
	if (!ordered)
		return;
	appendStringInfoString(q, " ORDER BY ");
	append_key(q, run, in, TP_T_BIZIBLE_ID);
	appendStringInfoString(q, " NULLS LAST");
}

/* A text column (SPI column number) as a palloc'd C string, or NULL. */
char *
TpGetText(HeapTuple tup, TupleDesc desc, int spi_col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, spi_col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Read one row of the tasks query into a TpTaskRow (strings in the current context). */
void
TpReadTask(TpTaskRow *t, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d;

	memset(t, 0, sizeof(TpTaskRow));
	t->bizible_key = TpGetText(tup, desc, TP_T_COUNT + 1);
	t->task_id = TpGetText(tup, desc, TP_T_TASK_ID + 1);
	d = SPI_getbinval(tup, desc, TP_T_OCCURRED_AT + 1, &isnull);
	t->occurred_null = isnull;
	t->occurred_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, TP_T_IS_DELETED + 1, &isnull);
	t->is_deleted = isnull ? false : DatumGetBool(d);
	t->deleted_null = isnull;
	t->type = TpGetText(tup, desc, TP_T_TYPE + 1);
	t->person_id = TpGetText(tup, desc, TP_T_PERSON_ID + 1);
	t->phone = TpGetText(tup, desc, TP_T_PHONE + 1);
	t->subject = TpGetText(tup, desc, TP_T_SUBJECT + 1);
}

/* Raise the error for a NULL where a value is required. */
void
TpNullColumnError(const TpInput *in, const char *column, const char *row_kind,
				  const char *row_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("column \"%s\" of relation \"%s\" is NULL for %s %s",
					column, in->display_name, row_kind,
					row_id ? quote_literal_cstr(row_id) : "with a NULL id"),
			 errhint("touchpoint needs a value here; filter or fill such rows in a view.")));
}

/*
 * A text Datum as bytes without copying when it is stored plainly;
 * compressed or out-of-line values are expanded in row_ctx (and *used set,
 * so that the caller resets it before the next row).
 */
text *
TpPlainText(Datum d, MemoryContext row_ctx, bool *used)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v))
	{
		MemoryContext old = MemoryContextSwitchTo(row_ctx);

		v = pg_detoast_datum_packed(v);
		MemoryContextSwitchTo(old);
		*used = true;
	}
	return (text *) v;
}

/*
 * Normalise a BizibleId (tp_normalize_bizible_id) into *buf, grown in ctx as
 * needed; returns the key's length, 0 when the id is missing.
 */
int
TpNormaliseKey(text *raw, char **buf, int *buflen, MemoryContext ctx)
{
	int			rawlen = VARSIZE_ANY_EXHDR(raw);

	if (rawlen > *buflen)
	{
		if (*buf != NULL)
			pfree(*buf);
		*buflen = Max(rawlen, 64);
		*buf = MemoryContextAlloc(ctx, *buflen);
	}
	return tp_normalize_bizible_id(VARDATA_ANY(raw), rawlen, *buf);
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
 * Are the relation's rows somewhere other than its own heap?  Citus keeps
 * a distributed, reference or Citus-managed local table's rows in shards
 * (on the workers, or in a shard table beside it); the table of that name
 * on the coordinator is an empty or stale shell that only Citus's planner
 * knows to route around.  Citus lists every such table in its catalog
 * pg_catalog.pg_dist_partition (first column logicalrelid); without Citus
 * that catalog does not exist.  Such a relation is read through the
 * executor, as SQL reads it — never straight from its heap.
 */
bool
TpRowsElsewhere(Oid relid)
{
	Oid			catalog = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	if (!OidIsValid(catalog))
		return false;
	rel = table_open(catalog, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Can the input be read straight from the heap, bypassing the executor?
 * Only a plain table without inheritance children and without row-level
 * security for this user (RLS needs the executor), each column stored
 * exactly as the engine reads it: text (or varchar, or a domain over
 * them) for every text-like kind, timestamptz and boolean as such.
 * Privileges were checked by TpCheckColumns; the columns are at attnums.
 */
bool
TpHeapReadable(const TpInput *input)
{
	int			c;

	if (input->relkind != RELKIND_RELATION)
		return false;
	/* an inheritance parent's rows include its children's: SQL reads those */
	if (has_subclass(input->relid))
		return false;
	if (check_enable_rls(input->relid, InvalidOid, true) != RLS_NONE)
		return false;
	/* a Citus table's rows are in its shards: its own heap would read as empty */
	if (TpRowsElsewhere(input->relid))
		return false;
	for (c = 0; c < input->desc->ncolumns; c++)
	{
		TpColumnKind kind = input->desc->columns[c].kind;
		Oid			want = kind == TP_COL_TIMESTAMPTZ ? TIMESTAMPTZOID :
			kind == TP_COL_BOOL ? BOOLOID : TEXTOID;
		Oid			type = getBaseType(get_atttype(input->relid, input->attnums[c]));

		if (type != want && !(want == TEXTOID && type == VARCHAROID))
			return false;
	}
	return true;
}

/*
 * One of touchpoint's own tables (a full rebuild's stored rows), opened to be
 * read straight from the heap as the caller may: SELECT privilege checked,
 * and a table it must be (given a view by a direct call of `function`, a heap
 * scan would have no heap).
 */
Relation
TpOpenOwnTable(Oid relid, const char *function)
{
	Relation	rel = table_open(relid, AccessShareLock);

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(rel->rd_rel->relkind),
					   RelationGetRelationName(rel));
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				 errhint("touchpoint_internal.%s reads touchpoint's own tables; refresh() passes them.",
						 function)));
	if (TpRowsElsewhere(relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("touchpoint's table \"%s\" is distributed by Citus", RelationGetRelationName(rel)),
				 errdetail("refresh() reads and compares its stored rows on this node, where a distributed table holds none."),
				 errhint("Make it a local table again: SELECT undistribute_table('%s');",
						 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
													RelationGetRelationName(rel)))));
	return rel;
}

