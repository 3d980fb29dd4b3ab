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
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "touchpoint.h"
#include "tp_index.h"

/* SPI column of a sessions-query column (the description's position + 1). */
#define SQ(col) ((col) + 1)

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

static int
loaded_row_cmp(const void *a, const void *b)
{
	return tp_session_cmp(&((const LoadedRow *) a)->s, &((const LoadedRow *) b)->s);
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

	r->s.session_id = TpGetText(tup, desc, SQ(TP_S_SESSION_ID));
	if (r->s.session_id == NULL)
		TpNullColumnError(&run->sessions, "session_id", "a session of BizibleId",
						  st->group.key);

	d = SPI_getbinval(tup, desc, SQ(TP_S_STARTED_AT), &isnull);
	if (isnull)
		TpNullColumnError(&run->sessions, "started_at", "session", r->s.session_id);
	r->s.started_at = DatumGetTimestampTz(d);

	d = SPI_getbinval(tup, desc, SQ(TP_S_LAST_ACTIVITY_AT), &isnull);
	r->d.last_activity_null = isnull;
	r->d.last_activity_at = isnull ? 0 : DatumGetTimestampTz(d);

	r->s.anchor = r->s.started_at;
	if (run->anchor == TP_ANCHOR_LAST_ACTIVITY && !isnull)
		r->s.anchor = r->d.last_activity_at;

	if (run->with_web_data)
		for (w = 0; w < 9; w++)
			r->d.web[w] = TpGetText(tup, desc, SQ(TP_S_WEB + w));
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

			cmp = compare_key(tup, desc, TpSessionsKeyColumn(st->run), key);
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

/*
 * Should explain_calls fetch the sessions one BizibleId at a time, as
 * explain_call does, instead of reading them all sorted?  When the tasks
 * (by their table's estimate) are few next to the sessions and the sessions
 * have the key index to fetch them by; when they lack it, say so
 * (TpAdviseKeyIndex) and read them all.
 */
static bool
probe_by_id(TpRun *run)
{
	double		task_rows;
	double		session_rows;
	bool		indexed = false;

	if (run->single_task_id != NULL)
		return true;			/* explain_call: never a whole table */
	if (run->strategy != TP_STRATEGY_AUTO)
		return false;
	task_rows = TpEstimatedRows(run->tasks.relid);
	session_rows = TpEstimatedRows(run->sessions.relid);
	if (task_rows < 0 || session_rows <= 0 || task_rows * TP_PROBE_RATIO >= session_rows)
		return false;
	if (run->sessions.relkind == RELKIND_RELATION || run->sessions.relkind == RELKIND_MATVIEW)
	{
		Relation	rel = table_open(run->sessions.relid, AccessShareLock);

		indexed = OidIsValid(TpFindKeyIndex(run, rel, false));
		table_close(rel, AccessShareLock);
	}
	if (!indexed)
		TpAdviseKeyIndex(run, "explain_calls", psprintf("about %.0f tasks", task_rows),
						 session_rows);
	return indexed;
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
	if (probe_by_id(run))
	{
		/* explain_call, few tasks: sessions are probed per id, never scanned whole. */
		TpBuildSessionsQuery(&q, run, TP_SQ_ONE_ID);
		st.session_query = MemoryContextStrdup(caller_ctx, q.data);
	}
	else
	{
		TpBuildSessionsQuery(&q, run, TP_SQ_SORTED);
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
