/*
 * tp_calls.c
 *		merge_calls' calls: every task that can make a touchpoint, read into
 *		memory for the one-pass strategy (tp_scan.c).
 *
 * A plain task table without row-level security is read straight from the
 * heap, its key normalised here as bizible_key() does; any other relation
 * through the tasks query (TpBuildTaskQuery, tp_input.c), as the caller.  Strings go
 * side by side into large blocks (an arena), not one palloc each.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "touchpoint.h"

/*
 * Strings copied side by side into large blocks: one allocation per 64 kB
 * of text rather than one per string (fewer pallocs, less memory).  Each is
 * a text string (touchpoint.h), int-aligned.
 */
typedef struct StrArena
{
	MemoryContext ctx;
	char	   *next;
	Size		left;
} StrArena;

#define TP_ARENA_BLOCK (64 * 1024)

/* A text string (touchpoint.h) of len bytes. */
static char *
arena_strndup(StrArena *a, const char *bytes, Size len)
{
	Size		size = TP_TEXT_STRING_SIZE(len);
	char	   *p;

	if (size > a->left)
	{
		Size		block = Max(size, TP_ARENA_BLOCK);

		a->next = MemoryContextAllocExtended(a->ctx, block, MCXT_ALLOC_HUGE);
		a->left = block;
	}
	p = a->next;
	a->next += size;
	a->left -= size;
	return tp_text_string_init(p, bytes, len);
}

/* A C string (or NULL) as a text string. */
static char *
arena_cstring(StrArena *a, const char *s)
{
	return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

static char *
arena_text(StrArena *a, text *t)
{
	return arena_strndup(a, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* The calls being read: a growing array. */
typedef struct CallList
{
	TpScanCall   *calls;
	int			ncalls;
	int			capacity;
} CallList;

static TpScanCall *
next_call(CallList *list)
{
	if (list->ncalls >= list->capacity)
	{
		/* the slot table (tp_index.c) takes two slots per call in a uint32 */
		if (list->capacity > PG_INT32_MAX / 4)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many tasks for merge_calls: more than %d", PG_INT32_MAX / 4),
					 errhint("Split the tasks by date and merge each part.")));
		list->capacity = Max(list->capacity * 2, 1024);
		list->calls = list->calls == NULL ?
			palloc_extended(sizeof(TpScanCall) * list->capacity, MCXT_ALLOC_HUGE) :
			repalloc_huge(list->calls, sizeof(TpScanCall) * list->capacity);
	}
	return &list->calls[list->ncalls++];
}

/* A call read in full: refuse the NULLs docs/spec.md forbids, hash its key. */
static void
finish_call(TpRun *run, TpScanCall *c)
{
	if (c->task.task_id == NULL)
		TpNullColumnError(&run->tasks, "task_id", "a task", NULL);
	if (c->task.deleted_null)
		TpNullColumnError(&run->tasks, "is_deleted", "task", c->task.task_id);
	if (c->task.occurred_null)
		TpNullColumnError(&run->tasks, "occurred_at", "task", c->task.task_id);
	c->keylen = strlen(c->task.bizible_key);
	c->hash = hash_bytes((const unsigned char *) c->task.bizible_key, c->keylen);
}

/* Every task that can make a touchpoint, through the executor (any relation). */
static void
read_calls_spi(TpRun *run, CallList *list)
{
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	StrArena	arena = {CurrentMemoryContext, NULL, 0};
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint task row",
												  ALLOCSET_SMALL_SIZES);

	initStringInfo(&q);
	TpBuildTaskQuery(&q, run, false);
	TpStreamOpen(&stream, q.data, 0, NULL, NULL);
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		TpScanCall *c = next_call(list);
		MemoryContext old = MemoryContextSwitchTo(row_ctx);
		TpTaskRow	read;

		CHECK_FOR_INTERRUPTS();
		TpReadTask(&read, tup, desc);
		MemoryContextSwitchTo(old);
		c->task = read;
		c->task.task_id = arena_cstring(&arena, read.task_id);
		c->task.bizible_key = arena_cstring(&arena, read.bizible_key);
		c->task.type = arena_cstring(&arena, read.type);
		c->task.person_id = arena_cstring(&arena, read.person_id);
		c->task.phone = arena_cstring(&arena, read.phone);
		c->task.subject = arena_cstring(&arena, read.subject);
		MemoryContextReset(row_ctx);
		finish_call(run, c);
	}
	TpStreamClose(&stream);
	MemoryContextDelete(row_ctx);
}

/*
 * Every task that can make a touchpoint, straight from the heap: the rows
 * the tasks query of TpBuildTaskQuery returns (a BizibleId, not deleted),
 * the key normalised here as bizible_key() does.
 */
static void
read_calls_direct(TpRun *run, CallList *list, MemoryContext row_ctx)
{
	const AttrNumber *attnums = run->tasks.attnums;
	Relation	rel = table_open(run->tasks.relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	StrArena	arena = {CurrentMemoryContext, NULL, 0};
	char	   *keybuf = NULL;
	int			keybuf_len = 0;
	bool		row_ctx_used = false;
	uint64		n = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		TpScanCall *c;
		int			keylen;
		bool		isnull;
		Datum		d;
		static const int string_columns[4] = {TP_T_TYPE, TP_T_PERSON_ID, TP_T_PHONE, TP_T_SUBJECT};
		char	   **strings[4];
		int			w;

		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (row_ctx_used)
		{
			MemoryContextReset(row_ctx);
			row_ctx_used = false;
		}
		d = slot_getattr(slot, attnums[TP_T_BIZIBLE_ID], &isnull);
		if (isnull)
			continue;
		keylen = TpNormaliseKey(TpPlainText(d, row_ctx, &row_ctx_used), &keybuf, &keybuf_len,
								CurrentMemoryContext);
		if (keylen == 0)
			continue;
		d = slot_getattr(slot, attnums[TP_T_IS_DELETED], &isnull);
		if (!isnull && DatumGetBool(d))
			continue;

		c = next_call(list);
		memset(&c->task, 0, sizeof(TpTaskRow));
		c->task.bizible_key = arena_strndup(&arena, keybuf, keylen);
		c->task.deleted_null = isnull;
		d = slot_getattr(slot, attnums[TP_T_TASK_ID], &isnull);
		if (!isnull)
			c->task.task_id = arena_text(&arena, TpPlainText(d, row_ctx, &row_ctx_used));
		d = slot_getattr(slot, attnums[TP_T_OCCURRED_AT], &c->task.occurred_null);
		c->task.occurred_at = c->task.occurred_null ? 0 : DatumGetTimestampTz(d);
		strings[0] = &c->task.type;
		strings[1] = &c->task.person_id;
		strings[2] = &c->task.phone;
		strings[3] = &c->task.subject;
		for (w = 0; w < 4; w++)
		{
			d = slot_getattr(slot, attnums[string_columns[w]], &isnull);
			*strings[w] = isnull ? NULL :
				arena_text(&arena, TpPlainText(d, row_ctx, &row_ctx_used));
		}
		finish_call(run, c);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Every task that can make a touchpoint (a BizibleId, not deleted), with its
 * key hashed: straight from the heap when possible, else through SPI (the
 * caller is connected).  Allocated in the current memory context.
 */
TpScanCall *
TpReadCalls(TpRun *run, MemoryContext row_ctx, int *ncalls)
{
	CallList	list;

	memset(&list, 0, sizeof(list));
	if (run->strategy != TP_STRATEGY_SCAN_SPI && TpHeapReadable(&run->tasks))
		read_calls_direct(run, &list, row_ctx);
	else
		read_calls_spi(run, &list);
	*ncalls = list.ncalls;
	return list.calls;
}
