/*
 * tp_run.c
 *		The merge driver: reads sessions and tasks sorted by normalised
 *		BizibleId, loads one BizibleId's sessions at a time and asks the engine
 *		(tp_match.c) about each task of that id.
 *
 * Memory is bounded by the largest BizibleId group, not by the inputs: the
 * group context is reset whenever the next id is loaded, the row context for
 * every task.  explain_call reads only its task (by key) and that task's
 * sessions (by normalised id), never a whole table.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "touchpoint.h"

/* Positions of the columns in the sessions query. */
#define SQ_KEY 1
#define SQ_STARTED 2
#define SQ_LAST 3
#define SQ_ID 4
#define SQ_WEB 5				/* first of the nine web columns */

/* Positions in the tasks query. */
#define TQ_KEY 1
#define TQ_ID 2
#define TQ_OCCURRED 3
#define TQ_DELETED 4
#define TQ_TYPE 5
#define TQ_PERSON 6
#define TQ_PHONE 7
#define TQ_SUBJECT 8

/* A session row while a group is being loaded (sorted as a unit). */
typedef struct LoadedRow
{
	TpSession	s;
	TpSessionData d;
} LoadedRow;

/* State of the driver while it runs. */
typedef struct DriverState
{
	TpRun	   *run;
	MemoryContext group_ctx;	/* the loaded group, reset per BizibleId */
	MemoryContext row_ctx;		/* one task row, reset per task */
	TpStream	session_stream; /* stream mode: all sessions, sorted */
	bool		session_stream_open;
	HeapTuple	pending;		/* a session row read but not yet used */
	TupleDesc	pending_desc;
	char	   *session_query;	/* probe mode: sessions of one id, $1 */
	TpLoadedGroup group;		/* group.key NULL: nothing loaded yet */
} DriverState;

/* Read a text column as a palloc'd C string, or NULL. */
static char *
get_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Bytewise comparison of a text datum with a C string (COLLATE "C" order). */
static int
compare_key(HeapTuple tup, TupleDesc desc, int col, const char *key)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	text	   *t;
	int			len;
	int			keylen = strlen(key);
	int			cmp;

	if (isnull)
		return 1;				/* NULLs sort last */
	t = DatumGetTextPP(d);
	len = VARSIZE_ANY_EXHDR(t);
	cmp = memcmp(VARDATA_ANY(t), key, Min(len, keylen));
	if (cmp != 0)
		return cmp;
	return (len > keylen) - (len < keylen);
}

/* Build the SELECT list and FROM of a sessions query. */
static void
build_session_query(StringInfo q, TpRun *run, bool probe)
{
	TpInput    *in = &run->sessions;
	int			w;

	appendStringInfo(q, "SELECT %s(", run->key_function);
	TpAppendColumn(q, in, TpColumnIndex(in, "bizible_id"));
	appendStringInfoString(q, ") COLLATE pg_catalog.\"C\", ");
	TpAppendColumn(q, in, TpColumnIndex(in, "started_at"));
	appendStringInfoString(q, ", ");
	TpAppendColumn(q, in, TpColumnIndex(in, "last_activity_at"));
	appendStringInfoString(q, ", ");
	TpAppendColumn(q, in, TpColumnIndex(in, "session_id"));
	if (run->with_web_data)
		for (w = 0; w < 9; w++)
		{
			appendStringInfoString(q, ", ");
			TpAppendColumn(q, in, TpColumnIndex(in, tp_web_columns[w]));
		}
	appendStringInfo(q, " FROM %s i WHERE %s(", in->qualified_name, run->key_function);
	TpAppendColumn(q, in, TpColumnIndex(in, "bizible_id"));
	if (probe)
		appendStringInfoString(q, ") COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.=) $1");
	else
	{
		appendStringInfoString(q, ") IS NOT NULL ORDER BY ");
		appendStringInfo(q, "%s(", run->key_function);
		TpAppendColumn(q, in, TpColumnIndex(in, "bizible_id"));
		appendStringInfoString(q, ") COLLATE pg_catalog.\"C\", ");
		TpAppendColumn(q, in, TpColumnIndex(in, "started_at"));
		appendStringInfoString(q, ", ");
		TpAppendColumn(q, in, TpColumnIndex(in, "session_id"));
		appendStringInfoString(q, " COLLATE pg_catalog.\"C\"");
	}
}

/* Build the tasks query: all tasks sorted by id, or the one task. */
void
TpBuildTaskQuery(StringInfo q, TpRun *run, bool ordered)
{
	TpInput    *in = &run->tasks;
	static const char *const cols[] = {
		"task_id", "occurred_at", "is_deleted", "type", "person_id", "phone", "subject"
	};
	int			c;
	int			key_col = TpColumnIndex(in, "bizible_id");

	appendStringInfo(q, "SELECT %s(", run->key_function);
	TpAppendColumn(q, in, key_col);
	appendStringInfoString(q, ") COLLATE pg_catalog.\"C\"");
	for (c = 0; c < (int) lengthof(cols); c++)
	{
		appendStringInfoString(q, ", ");
		TpAppendColumn(q, in, TpColumnIndex(in, cols[c]));
	}
	appendStringInfo(q, " FROM %s i", in->qualified_name);

	if (run->single_task_id != NULL)
	{
		AttrNumber	attnum = get_attnum(in->relid, "task_id");
		Oid			typid = get_atttype(in->relid, attnum);

		/* Compare in the column's own type so its primary key index is used. */
		appendStringInfo(q, " WHERE i.task_id OPERATOR(pg_catalog.=) $1::%s",
						 format_type_be_qualified(typid));
		return;
	}
	if (run->skip_unmatchable)
	{
		appendStringInfo(q, " WHERE %s(", run->key_function);
		TpAppendColumn(q, in, key_col);
		appendStringInfoString(q, ") IS NOT NULL AND i.is_deleted IS NOT TRUE");
	}
	if (!ordered)
		return;
	appendStringInfo(q, " ORDER BY %s(", run->key_function);
	TpAppendColumn(q, in, key_col);
	appendStringInfoString(q, ") COLLATE pg_catalog.\"C\" NULLS LAST");
}

static int
loaded_row_cmp(const void *a, const void *b)
{
	return tp_session_cmp(&((const LoadedRow *) a)->s, &((const LoadedRow *) b)->s);
}

/* Raise the error for a NULL where a value is required. */
void
TpNullColumnError(TpInput *in, const char *column, const char *row_kind,
				  const char *row_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("column \"%s\" of relation \"%s\" is NULL for %s %s",
					column, in->display_name, row_kind,
					row_id ? quote_literal_cstr(row_id) : "with a NULL id"),
			 errhint("touchpoint needs a value here; filter or fill such rows in a view.")));
}

/* Add one session row (of the group being loaded) to rows[]. */
static void
add_session_row(DriverState *st, LoadedRow **rows, int *n, int *cap,
				HeapTuple tup, TupleDesc desc)
{
	TpRun	   *run = st->run;
	LoadedRow  *r;
	bool		isnull;
	Datum		d;
	int			w;

	if (*n >= *cap)
	{
		/* the engine indexes one id's sessions with int (tp_match.c) */
		if (*cap > PG_INT32_MAX / 4)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many sessions for one BizibleId: more than %d", PG_INT32_MAX / 4)));
		*cap *= 2;
		*rows = repalloc_huge(*rows, sizeof(LoadedRow) * (*cap));
	}
	r = &(*rows)[(*n)++];
	memset(r, 0, sizeof(LoadedRow));

	r->s.session_id = get_text(tup, desc, SQ_ID);
	if (r->s.session_id == NULL)
		TpNullColumnError(&run->sessions, "session_id", "a session of BizibleId",
						  st->group.key);

	d = SPI_getbinval(tup, desc, SQ_STARTED, &isnull);
	if (isnull)
		TpNullColumnError(&run->sessions, "started_at", "session", r->s.session_id);
	r->s.started_at = DatumGetTimestampTz(d);

	d = SPI_getbinval(tup, desc, SQ_LAST, &isnull);
	r->d.last_activity_null = isnull;
	r->d.last_activity_at = isnull ? 0 : DatumGetTimestampTz(d);

	r->s.anchor = r->s.started_at;
	if (run->anchor == TP_ANCHOR_LAST_ACTIVITY && !isnull)
		r->s.anchor = r->d.last_activity_at;

	if (run->with_web_data)
		for (w = 0; w < 9; w++)
			r->d.web[w] = get_text(tup, desc, SQ_WEB + w);
}

/* Turn the loaded rows into the engine's group: sort if needed, build tree. */
static void
finish_group(DriverState *st, LoadedRow *rows, int n)
{
	TpLoadedGroup *g = &st->group;
	int			i;
	bool		sorted = true;

	for (i = 1; i < n && sorted; i++)
		if (loaded_row_cmp(&rows[i - 1], &rows[i]) > 0)
			sorted = false;
	if (!sorted)
		qsort(rows, n, sizeof(LoadedRow), loaded_row_cmp);

	g->sessions = palloc_extended(sizeof(TpSession) * Max(n, 1), MCXT_ALLOC_HUGE);
	g->data = palloc_extended(sizeof(TpSessionData) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		g->sessions[i] = rows[i].s;
		g->data[i] = rows[i].d;
	}
	g->group.sessions = g->sessions;
	g->group.nsessions = n;
	g->group.window = st->run->window;
	g->group.tree = palloc_extended(sizeof(int64_t) * tp_group_tree_size(n),
									MCXT_ALLOC_HUGE);
	tp_group_build(&g->group);
}

/*
 * Load the sessions of `key` into st->group.  Stream mode walks the sorted
 * session cursor forward (rows of smaller ids are skipped); probe mode runs
 * the per-id query.
 */
static void
load_group(DriverState *st, const char *key)
{
	MemoryContext oldcxt;
	LoadedRow  *rows;
	int			n = 0;
	int			cap = 16;

	MemoryContextReset(st->group_ctx);
	oldcxt = MemoryContextSwitchTo(st->group_ctx);
	st->group.key = pstrdup(key);
	rows = palloc(sizeof(LoadedRow) * cap);

	if (st->session_stream_open)
	{
		for (;;)
		{
			HeapTuple	tup = st->pending;
			TupleDesc	desc = st->pending_desc;
			int			cmp;

			if (tup == NULL)
			{
				tup = TpStreamNext(&st->session_stream, &desc);
				if (tup == NULL)
					break;
			}
			st->pending = NULL;
			CHECK_FOR_INTERRUPTS();

			cmp = compare_key(tup, desc, SQ_KEY, key);
			if (cmp < 0)
				continue;		/* a BizibleId no remaining task carries */
			if (cmp > 0)
			{
				/* Belongs to a later id: keep it for the next load. */
				st->pending = tup;
				st->pending_desc = desc;
				break;
			}
			add_session_row(st, &rows, &n, &cap, tup, desc);
		}
	}
	else
	{
		TpStream	probe;
		Oid			argtype = TEXTOID;
		Datum		arg = CStringGetTextDatum(key);
		HeapTuple	tup;
		TupleDesc	desc;

		TpStreamOpen(&probe, st->session_query, 1, &argtype, &arg);
		while ((tup = TpStreamNext(&probe, &desc)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			add_session_row(st, &rows, &n, &cap, tup, desc);
		}
		TpStreamClose(&probe);
	}

	finish_group(st, rows, n);
	MemoryContextSwitchTo(oldcxt);
}

/* Read one task row into a TpTaskRow (strings in the current context). */
void
TpReadTask(TpTaskRow *t, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d;

	memset(t, 0, sizeof(TpTaskRow));
	t->bizible_key = get_text(tup, desc, TQ_KEY);
	t->task_id = get_text(tup, desc, TQ_ID);
	d = SPI_getbinval(tup, desc, TQ_OCCURRED, &isnull);
	t->occurred_null = isnull;
	t->occurred_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, TQ_DELETED, &isnull);
	t->is_deleted = isnull ? false : DatumGetBool(d);
	t->deleted_null = isnull;
	t->type = get_text(tup, desc, TQ_TYPE);
	t->person_id = get_text(tup, desc, TQ_PERSON);
	t->phone = get_text(tup, desc, TQ_PHONE);
	t->subject = get_text(tup, desc, TQ_SUBJECT);
}

/*
 * Run one merge: every task of the input (or the one task of explain_call)
 * gets a status and, where it has one, its session, handed to run->emit.
 */
void
TpRunMerge(TpRun *run)
{
	DriverState st;
	StringInfoData q;
	TpStream	tasks;
	HeapTuple	tup;
	TupleDesc	desc;
	char	   *prev_key = NULL;
	MemoryContext caller_ctx = CurrentMemoryContext;

	memset(&st, 0, sizeof(st));
	st.run = run;
	st.group_ctx = AllocSetContextCreate(caller_ctx, "touchpoint group",
										 ALLOCSET_DEFAULT_SIZES);
	st.row_ctx = AllocSetContextCreate(caller_ctx, "touchpoint task row",
									   ALLOCSET_SMALL_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");

	initStringInfo(&q);
	if (run->single_task_id != NULL)
	{
		/* explain_call: sessions are probed per id, never scanned whole. */
		build_session_query(&q, run, true);
		st.session_query = MemoryContextStrdup(caller_ctx, q.data);
	}
	else
	{
		build_session_query(&q, run, false);
		TpStreamOpen(&st.session_stream, q.data, 0, NULL, NULL);
		st.session_stream_open = true;
	}

	resetStringInfo(&q);
	TpBuildTaskQuery(&q, run, true);
	if (run->single_task_id != NULL)
	{
		Oid			argtype = TEXTOID;
		Datum		arg = CStringGetTextDatum(run->single_task_id);

		TpStreamOpen(&tasks, q.data, 1, &argtype, &arg);
	}
	else
		TpStreamOpen(&tasks, q.data, 0, NULL, NULL);

	while ((tup = TpStreamNext(&tasks, &desc)) != NULL)
	{
		TpTaskRow	task;
		MemoryContext oldcxt;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(st.row_ctx);
		oldcxt = MemoryContextSwitchTo(st.row_ctx);
		TpReadTask(&task, tup, desc);

		if (task.task_id == NULL)
			TpNullColumnError(&run->tasks, "task_id", "a task", NULL);
		if (task.deleted_null)
			TpNullColumnError(&run->tasks, "is_deleted", "task", task.task_id);

		if (task.is_deleted)
			run->emit(run, &task, TP_STATUS_DELETED, NULL, -1);
		else if (task.bizible_key == NULL)
			run->emit(run, &task, TP_STATUS_NO_BIZIBLE_ID, NULL, -1);
		else
		{
			TpMatchResult res;
			TpTaskStatus status;

			if (task.occurred_null)
				TpNullColumnError(&run->tasks, "occurred_at", "task", task.task_id);

			if (st.group.key == NULL || strcmp(st.group.key, task.bizible_key) != 0)
			{
				/* The task stream must never go back to a smaller id. */
				if (st.session_stream_open && prev_key != NULL &&
					strcmp(task.bizible_key, prev_key) < 0)
					elog(ERROR, "touchpoint: tasks arrived out of BizibleId order");
				load_group(&st, task.bizible_key);
				prev_key = st.group.key;
			}
			res = tp_match_call(&st.group.group, task.occurred_at);
			status = res.status == TP_MATCH_MERGED ? TP_STATUS_MERGED :
				res.status == TP_MATCH_OUTSIDE_WINDOW ? TP_STATUS_OUTSIDE_WINDOW :
				TP_STATUS_NO_SESSIONS;
			run->emit(run, &task, status, &st.group, res.index);
		}
		MemoryContextSwitchTo(oldcxt);
	}

	TpStreamClose(&tasks);
	if (st.session_stream_open)
		TpStreamClose(&st.session_stream);
	SPI_finish();
	MemoryContextDelete(st.group_ctx);
	MemoryContextDelete(st.row_ctx);
}
