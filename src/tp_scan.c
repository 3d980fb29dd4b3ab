/*
 * tp_scan.c
 *		merge_calls' one-pass strategy: the calls in memory, the sessions read
 *		once, unsorted.
 *
 * The sorted strategy (tp_run.c) sorts every session by BizibleId, which
 * costs far more than reading them.  Here the tasks (few, next to sessions)
 * are read first (tp_calls.c) and indexed by normalised BizibleId
 * (tp_index.c); then the sessions are read once in whatever order the heap
 * or the executor gives them, and each session of a BizibleId that has calls
 * is offered to those calls' tree (tp_match.c, TpCallTree): O(sessions +
 * calls log calls) time, memory O(calls + sessions that cover a call), never
 * O(sessions).
 *
 * With few calls against many sessions only the sessions that can cover
 * them are fetched, one index range per called id (walking the
 * (bizible_key, started_at) index directly when the table has it);
 * otherwise the whole relation is read with no sort and no per-row SQL
 * function (straight from the heap for a plain table without row-level
 * security; anything else goes through the executor as the caller).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "touchpoint.h"
#include "tp_compat.h"
#include "tp_index.h"
#include "tp_scan.h"

/*
 * Copy a session that covers calls into long-lived memory: one allocation
 * holds the session and its text strings (touchpoint.h).
 */
ScanSession *
keep_session(PassState *st, const SessionRow *row, TimestampTz started_at,
			 bool last_null, TimestampTz last_activity)
{
	text	   *values[10];
	Size		total = MAXALIGN(sizeof(ScanSession));
	ScanSession *s;
	char	   *p;
	int			w;

	for (w = 0; w < 10; w++)
	{
		bool		isnull;
		Datum		d = row_get(row, w == 0 ? TP_S_SESSION_ID : TP_S_WEB + w - 1, &isnull);

		values[w] = isnull ? NULL : row_text(st, d);
		if (values[w] != NULL)
			total += TP_TEXT_STRING_SIZE(VARSIZE_ANY_EXHDR(values[w]));
	}
	s = MemoryContextAllocExtended(st->work_ctx, total, MCXT_ALLOC_HUGE);
	p = (char *) s + MAXALIGN(sizeof(ScanSession));
	for (w = 0; w < 10; w++)
	{
		char	   *str = NULL;

		if (values[w] != NULL)
		{
			Size		len = VARSIZE_ANY_EXHDR(values[w]);

			str = tp_text_string_init(p, VARDATA_ANY(values[w]), len);
			p += TP_TEXT_STRING_SIZE(len);
		}
		if (w == 0)
			s->offer.session_id = str;
		else
			s->data.web[w - 1] = str;
	}
	s->offer.started_at = started_at;
	s->data.last_activity_null = last_null;
	s->data.last_activity_at = last_null ? 0 : last_activity;
	return s;
}

/* Raise the error for a NULL session_id or started_at of a called id. */
static void
null_session_column(PassState *st, const SessionRow *row, const char *key, int keylen)
{
	bool		isnull;

	(void) row_get(row, TP_S_SESSION_ID, &isnull);
	if (isnull)
		TpNullColumnError(&st->run->sessions, "session_id", "a session of BizibleId",
						  pnstrdup(key, keylen));
	TpNullColumnError(&st->run->sessions, "started_at", "session",
					  TextDatumGetCString(row_get(row, TP_S_SESSION_ID, &isnull)));
}

/* The session's normalised id (into st->keybuf), its hash and times; false: no id. */
static inline bool
session_head(PassState *st, const SessionRow *row, SessionHead *head)
{
	TpRun	   *run = st->run;
	bool		isnull;
	Datum		d;

	if (st->row_ctx_used)
	{
		MemoryContextReset(st->row_ctx);
		st->row_ctx_used = false;
	}
	/* the four columns every row needs, deformed in one go */
	if (row->slot != NULL)
		slot_getsomeattrs(row->slot, row->deform_upto);
	d = row_get(row, TP_S_BIZIBLE_ID, &isnull);
	if (isnull)
		return false;
	head->keylen = TpNormaliseKey(row_text(st, d), &st->keybuf, &st->keybuf_len, st->work_ctx);
	if (head->keylen == 0)
		return false;
	head->hash = hash_bytes((const unsigned char *) st->keybuf, head->keylen);

	(void) row_get(row, TP_S_SESSION_ID, &head->id_null);
	d = row_get(row, TP_S_STARTED_AT, &head->start_null);
	head->started_at = head->start_null ? 0 : DatumGetTimestampTz(d);
	d = row_get(row, TP_S_LAST_ACTIVITY_AT, &head->last_null);
	head->last_activity = head->last_null ? 0 : DatumGetTimestampTz(d);
	head->end = tp_time_add(run->anchor == TP_ANCHOR_LAST_ACTIVITY && !head->last_null ?
							head->last_activity : head->started_at, run->window);
	return true;
}

/* May the session cover a call of its id?  A NULL id or start must be looked up. */
static inline bool
session_may_cover(const KeyIndex *index, const SessionHead *head)
{
	return head->id_null || head->start_null ||
		filter_may_cover(index, head->hash, head->started_at, head->end);
}

/*
 * Offer a session to its id's calls: the slot (hash and the span of the
 * id's calls), then the id's call tree, and only for a session that covers
 * a call the id itself (a hash collision merely fails that comparison).
 */
static void
offer_session(PassState *st, const SessionRow *row, const SessionHead *head)
{
	const KeyIndex *index = st->index;
	uint32		h;

	for (h = head->hash & index->mask; index->slots[h].entry != 0; h = (h + 1) & index->mask)
	{
		const KeySlot *slot = &index->slots[h];
		KeyEntry   *e;

		if (slot->hash != head->hash)
			continue;
		e = &index->entries[slot->entry - 1];
		if (head->id_null || head->start_null)
		{
			/* A NULL id or start is an error even when the session covers nothing. */
			if (e->keylen == head->keylen && memcmp(e->key, st->keybuf, head->keylen) == 0)
				null_session_column(st, row, st->keybuf, head->keylen);
			continue;
		}
		/* covers a call at t when started_at <= t < end */
		if (head->started_at > slot->last_call || head->end <= slot->first_call)
			continue;
		if (e->ncalls > 1 && tp_calltree_count(&e->tree, head->started_at, head->end) == 0)
			continue;
		if (e->keylen != head->keylen || memcmp(e->key, st->keybuf, head->keylen) != 0)
			continue;			/* same hash, another id */
		tp_calltree_offer(&e->tree,
						  &keep_session(st, row, head->started_at, head->last_null,
										head->last_activity)->offer,
						  head->end);
		return;
	}
}

/*
 * Consider one session: skip it unless its BizibleId has calls and it covers
 * at least one of them; then keep it and offer it to those calls.  The
 * filter of (id, time) comes first: it is in the CPU cache and dismisses
 * most sessions without touching the slot table.
 */
static void
consider_session(PassState *st, const SessionRow *row)
{
	SessionHead head;

	if (st->index->nentries == 0 || !session_head(st, row, &head))
		return;
	if (st->run->first_session != NULL)
		TpTrackFirstSession(st, row, &head);
	if (st->run->named != NULL && TpKeyIsCalled(st->index, &head))
		TpTrackNamed(st, row, &head);
	if (session_may_cover(st->index, &head))
		offer_session(st, row, &head);
}

/* Order of ids as the index has them (COLLATE "C": bytewise). */
static int
entry_key_cmp(const void *a, const void *b, void *arg)
{
	const KeyEntry *x = *(const KeyEntry *const *) a;
	const KeyEntry *y = *(const KeyEntry *const *) b;
	int			c = memcmp(x->key, y->key, Min(x->keylen, y->keylen));

	return c != 0 ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/*
 * The probe without the executor: for each called id, one descent of the
 * (id, started_at) index to the sessions that can cover one of its calls,
 * started_at in (first call - window, last call] (or all of the id's
 * sessions, see below).  Returns false when the table has no such index
 * (the caller probes through SPI).
 */
static bool
probe_sessions_direct(PassState *st, const AttrNumber *attnums, const int64 *times)
{
	TpRun	   *run = st->run;
	const KeyIndex *index = st->index;
	Relation	rel = table_open(run->sessions.relid, AccessShareLock);
	Oid			index_oid = TpFindKeyIndex(run, rel, true);
	TupleDesc	desc = RelationGetDescr(rel);
	Relation	irel;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	SessionRow	row;
	text	   *key = NULL;
	int			key_room = 0;
	const KeyEntry **sorted;
	bool		whole_id;
	int			nkeys;
	int			i;

	if (!OidIsValid(index_oid))
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	irel = index_open(index_oid, AccessShareLock);
	slot = table_slot_create(rel, NULL);

	/*
	 * A called id's session without a start or an id is an error however
	 * merge_calls reads (the whole-table pass sees it), but the range of
	 * starts below never returns it.  Where the columns allow NULL, each id
	 * is read whole instead (its sessions are few; the times are checked
	 * here anyway).  The last_activity anchor has no lower bound: a session
	 * that started long before may have been active until just before the
	 * call.
	 */
	whole_id = !TupleDescAttr(desc, attnums[TP_S_STARTED_AT] - 1)->attnotnull ||
		!TupleDescAttr(desc, attnums[TP_S_SESSION_ID] - 1)->attnotnull;
	nkeys = whole_id ? 1 : run->anchor == TP_ANCHOR_SESSION_START ? 3 : 2;
	/* the number of keys is fixed at the start (index_rescan copies that many) */
	scan = index_beginscan(rel, irel, GetActiveSnapshot(), nkeys, 0);
	memset(&row, 0, sizeof(row));
	row.slot = slot;
	row.attnums = attnums;
	row.deform_upto = Max(Max(attnums[TP_S_BIZIBLE_ID], attnums[TP_S_SESSION_ID]),
						  Max(attnums[TP_S_STARTED_AT], attnums[TP_S_LAST_ACTIVITY_AT]));

	/* in index order, so that successive descents share their upper pages */
	sorted = palloc_extended(sizeof(KeyEntry *) * Max(index->nentries, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < index->nentries; i++)
		sorted[i] = &index->entries[i];
	/* about a second for a million ids: a sort that honours a cancel */
	qsort_interruptible(sorted, index->nentries, sizeof(KeyEntry *), entry_key_cmp, NULL);
	for (i = 0; i < index->nentries; i++)
	{
		const KeyEntry *e = sorted[i];
		ScanKeyData keys[3];
		int			k = 0;

		CHECK_FOR_INTERRUPTS();
		if (e->keylen + VARHDRSZ > key_room)
		{
			if (key != NULL)
				pfree(key);
			key_room = Max(e->keylen + VARHDRSZ, 64);
			key = MemoryContextAlloc(st->work_ctx, key_room);
		}
		SET_VARSIZE(key, e->keylen + VARHDRSZ);
		memcpy(VARDATA(key), e->key, e->keylen);
		ScanKeyInit(&keys[k++], 1, BTEqualStrategyNumber, F_TEXTEQ, PointerGetDatum(key));
		if (!whole_id)
		{
			if (run->anchor == TP_ANCHOR_SESSION_START)
				ScanKeyInit(&keys[k++], 2, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT,
							TimestampTzGetDatum(tp_time_add(times[e->first], -run->window)));
			ScanKeyInit(&keys[k++], 2, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE,
						TimestampTzGetDatum(times[e->first + e->ncalls - 1]));
		}
		Assert(k == nkeys);
		index_rescan(scan, keys, nkeys, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
			consider_session(st, &row);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
	return true;
}

/*
 * The heap scan in batches of one page's sessions (at most TP_BATCH), so
 * that the memory latency of the filter and the slot table overlaps instead
 * of being paid one session at a time: first every session's id and times
 * are read and the filter words it needs are prefetched, then the filter is
 * checked and the slots of those that pass prefetched, then those are
 * offered.  The batch's page stays pinned until it is done, so its tuples
 * stay where they are.
 */
#define TP_BATCH 64

typedef struct PendingSession
{
	HeapTupleData tuple;		/* points into the pinned page */
	SessionHead head;
	bool		candidate;
} PendingSession;

static inline void
prefetch_filter(const KeyIndex *index, const SessionHead *head)
{
	int64		first;
	int64		last;
	int64		b;

	if (head->id_null || head->start_null || head->end <= head->started_at ||
		!filter_buckets(index, head->started_at, head->end, &first, &last))
		return;
	for (b = first; b <= last; b++)
	{
		uint32		word;

		(void) filter_word_bits(head->hash, b, &word);
		tp_prefetch(&index->filter[word & index->filter_mask]);
	}
}

/*
 * The pipeline: does a session that covers no call still need a look — as
 * possibly its id's earliest so far, or as one some event names?  Most
 * sessions of called ids are neither; answering from the slot and the named
 * set's bits spares them the slot store and the second reading of their id.
 */
static bool
pipeline_wants(PassState *st, const PendingSession *p, const SessionRow *row)
{
	bool		isnull;
	Datum		d;
	struct varlena *id;

	if (st->run->first_session != NULL && TpMayBeFirstSession(st->index, &p->head))
		return true;
	if (st->run->named == NULL || p->head.id_null || !TpKeyIsCalled(st->index, &p->head))
		return false;
	d = heap_getattr((HeapTuple) &p->tuple, row->attnums[TP_S_SESSION_ID],
					 row->slot->tts_tupleDescriptor, &isnull);
	if (isnull)
		return false;
	id = (struct varlena *) DatumGetPointer(d);
	if (VARATT_IS_EXTERNAL(id) || VARATT_IS_COMPRESSED(id))
		return true;			/* out of line or compressed: TpTrackNamed reads it */
	return TpNamedMayHave(st->run->named, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
}

static void
offer_batch(PassState *st, PendingSession *batch, int n, Buffer buffer, SessionRow *row)
{
	const KeyIndex *index = st->index;
	int			i;

	for (i = 0; i < n; i++)
	{
		batch[i].candidate = session_may_cover(index, &batch[i].head);
		if (batch[i].candidate || st->run->first_session != NULL)
			tp_prefetch(&index->slots[batch[i].head.hash & index->mask]);
	}
	for (i = 0; i < n; i++)
	{
		SessionHead head;

		if (!batch[i].candidate && !pipeline_wants(st, &batch[i], row))
			continue;
		ExecStoreBufferHeapTuple(&batch[i].tuple, row->slot, buffer);
		/* read again: the id goes back into st->keybuf for the comparison */
		if (!session_head(st, row, &head))
			continue;
		if (st->run->first_session != NULL)
			TpTrackFirstSession(st, row, &head);
		if (st->run->named != NULL && TpKeyIsCalled(index, &head))
			TpTrackNamed(st, row, &head);
		if (batch[i].candidate)
			offer_session(st, row, &head);
	}
	ExecClearTuple(row->slot);
}

/* Read every row of the sessions table through a heap scan. */
static void
scan_sessions_direct(PassState *st, const AttrNumber *attnums)
{
	Relation	rel = table_open(st->run->sessions.relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TupleTableSlot *batch_slot = table_slot_create(rel, NULL);
	PendingSession *batch = palloc(sizeof(PendingSession) * TP_BATCH);
	int			nbatch = 0;
	Buffer		batch_buffer = InvalidBuffer;
	SessionRow	row;
	SessionRow	batch_row;
	uint64		n = 0;

	memset(&row, 0, sizeof(row));
	row.slot = slot;
	row.attnums = attnums;
	row.deform_upto = Max(Max(attnums[TP_S_BIZIBLE_ID], attnums[TP_S_SESSION_ID]),
						  Max(attnums[TP_S_STARTED_AT], attnums[TP_S_LAST_ACTIVITY_AT]));
	batch_row = row;
	batch_row.slot = batch_slot;
	for (;;)
	{
		bool		got = table_scan_getnextslot(scan, ForwardScanDirection, slot);
		Buffer		buffer = InvalidBuffer;
		PendingSession *p;

		if (got && TTS_IS_BUFFERTUPLE(slot))
			buffer = ((BufferHeapTupleTableSlot *) slot)->buffer;
		if (nbatch > 0 && (buffer != batch_buffer || nbatch == TP_BATCH))
		{
			offer_batch(st, batch, nbatch, batch_buffer, &batch_row);
			ReleaseBuffer(batch_buffer);
			nbatch = 0;
		}
		if (!got)
			break;
		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!BufferIsValid(buffer))
		{
			/* not a heap page (another table access method): one at a time */
			consider_session(st, &row);
			continue;
		}
		p = &batch[nbatch];
		if (st->index->nentries == 0 || !session_head(st, &row, &p->head))
			continue;
		prefetch_filter(st->index, &p->head);
		if (nbatch == 0)
		{
			IncrBufferRefCount(buffer);
			batch_buffer = buffer;
		}
		p->tuple = *ExecFetchSlotHeapTuple(slot, false, NULL);
		nbatch++;
	}
	ExecDropSingleTupleTableSlot(batch_slot);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* A kept session as the one-session group the emit callbacks take. */
static void
group_of_one(TpLoadedGroup *one, TpSession *session, const char *key, const ScanSession *s)
{
	session->started_at = s->offer.started_at;
	session->anchor = s->offer.started_at;
	session->session_id = s->offer.session_id;
	memset(one, 0, sizeof(TpLoadedGroup));
	one->key = (char *) key;
	one->sessions = session;
	one->data = (TpSessionData *) &s->data;
}

/* Run merge_calls by one pass over the sessions (or the probe by id). */
void
TpRunMergeScan(TpRun *run)
{
	MemoryContext caller_ctx = CurrentMemoryContext;
	MemoryContext work_ctx = run->keep_ctx != NULL ? run->keep_ctx :
		AllocSetContextCreate(caller_ctx, "touchpoint scan", ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_ctx = AllocSetContextCreate(caller_ctx, "touchpoint scan row",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt;
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	TpScanCall *calls;
	int			ncalls;
	KeyIndex	index;
	int		   *order;
	int64	   *times;
	PassState	st;
	const AttrNumber *attnums = run->sessions.attnums;
	int			nestlevel;
	double		session_rows;
	bool		probe;
	bool		direct;
	bool		done;
	int			i;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	oldcxt = MemoryContextSwitchTo(work_ctx);

	/* 1. Every task that can make a touchpoint, into memory (tp_calls.c). */
	calls = TpReadCalls(run, row_ctx, &ncalls);
	run->text_strings = true;	/* the calls' strings and keep_session's */
	/* 2. Grouped by BizibleId, by time within each, indexed. */
	TpBuildKeyIndex(&index, calls, ncalls, run->window, &order, &times);
	if (run->phone_names_session || run->n_named_extra > 0)
	{
		/* the caller looks sessions up in it after the pass (TpNamedSession) */
		MemoryContext setcxt = MemoryContextSwitchTo(run->keep_ctx != NULL ? run->keep_ctx : work_ctx);

		run->named = TpBuildNamedSet(run, run->phone_names_session ? calls : NULL,
									 run->phone_names_session ? ncalls : 0);
		MemoryContextSwitchTo(setcxt);
	}

	/* 3. The sessions, once: by id when few, else all of them, unsorted. */
	session_rows = TpEstimatedRows(run->sessions.relid);
	probe = run->strategy == TP_STRATEGY_PROBE ||
		(run->strategy == TP_STRATEGY_AUTO && session_rows > 0 &&
		 (double) index.nentries * TP_PROBE_RATIO < session_rows);
	/* few calls, many sessions, but nothing to probe them with: say so */
	if (probe && run->strategy == TP_STRATEGY_AUTO && index.nentries > 0)
		TpAdviseKeyIndex(run, "merge_calls",
						 psprintf("%d BizibleId%s", index.nentries, index.nentries == 1 ? "" : "s"),
						 session_rows);
	initStringInfo(&q);
	TpBuildSessionsQuery(&q, run, probe ? TP_SQ_CALL_RANGES : TP_SQ_ALL);
	memset(&st, 0, sizeof(st));
	st.run = run;
	st.index = &index;
	st.work_ctx = work_ctx;
	st.row_ctx = row_ctx;
	direct = (index.nentries > 0 || run->named != NULL) && run->strategy != TP_STRATEGY_SCAN_SPI &&
		TpHeapReadable(&run->sessions);
	done = false;
	if (direct && !probe)
	{
		scan_sessions_direct(&st, attnums);
		done = true;
	}
	else if (direct)
		done = probe_sessions_direct(&st, attnums, times);
	if (!done && (index.nentries > 0 || run->named != NULL))
	{
		SessionRow	row;

		if (probe)
		{
			Datum	   *keys = palloc(sizeof(Datum) * index.nentries);
			Datum	   *los = palloc(sizeof(Datum) * index.nentries);
			Datum	   *his = palloc(sizeof(Datum) * index.nentries);
			Oid			argtypes[3] = {TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
			Datum		args[3];

			for (i = 0; i < index.nentries; i++)
			{
				KeyEntry   *e = &index.entries[i];
				int64		first = times[e->first];
				int64		last = times[e->first + e->ncalls - 1];

				keys[i] = PointerGetDatum(cstring_to_text_with_len(e->key, e->keylen));
				/* a session covers a call only if it started within the window before it */
				los[i] = TimestampTzGetDatum(run->anchor == TP_ANCHOR_SESSION_START ?
											 tp_time_add(first, -run->window) : DT_NOBEGIN);
				his[i] = TimestampTzGetDatum(last);
			}
			args[0] = PointerGetDatum(construct_array(keys, index.nentries, TEXTOID, -1, false,
													  TYPALIGN_INT));
			args[1] = PointerGetDatum(construct_array(los, index.nentries, TIMESTAMPTZOID, 8,
													  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			args[2] = PointerGetDatum(construct_array(his, index.nentries, TIMESTAMPTZOID, 8,
													  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));

			/*
			 * Meant as one index descent per id (a nested loop over the ids),
			 * which the planner underrates for a long list: sequential and
			 * bitmap scans are discouraged while the cursor opens (the plan
			 * is made then) and restored at once.  Joins stay free, so a
			 * relation without a usable index still gets one hash join over
			 * one scan, never a scan per id.
			 */
			nestlevel = NewGUCNestLevel();
			(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			TpStreamOpen(&stream, q.data, 3, argtypes, args);
			AtEOXact_GUC(true, nestlevel);
		}
		else
			TpStreamOpen(&stream, q.data, 0, NULL, NULL);

		memset(&row, 0, sizeof(row));
		while ((tup = TpStreamNext(&stream, &desc)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			row.tuple = tup;
			row.desc = desc;
			consider_session(&st, &row);
		}
		TpStreamClose(&stream);
	}
	if (run->named != NULL)
		TpFindNamedLeftovers(&st);

	/* 4. The pipeline: every called id's earliest session. */
	if (run->first_session != NULL)
	{
		for (i = 0; i < index.nentries; i++)
		{
			KeyEntry   *e = &index.entries[i];
			TpLoadedGroup one;
			TpSession	session;

			if (e->first_session == NULL)
				continue;
			group_of_one(&one, &session, e->key, (const ScanSession *) e->first_session);
			e->first_cookie = run->first_session(run, e->key, &one);
		}
	}

	/* 5. Every call with its winner, or none. */
	for (i = 0; i < index.nentries; i++)
	{
		KeyEntry   *e = &index.entries[i];
		int			j;

		run->current_first = e->first_cookie;
		for (j = 0; j < e->ncalls; j++)
		{
			const TpOffer *won = tp_calltree_winner(&e->tree, j);
			TpScanCall   *c = &calls[order[e->first + j]];

			CHECK_FOR_INTERRUPTS();
			if (won == NULL)
				run->emit(run, &c->task, TP_STATUS_OUTSIDE_WINDOW, NULL, -1);
			else
			{
				TpLoadedGroup one;
				TpSession	session;

				group_of_one(&one, &session, e->key, (const ScanSession *) won);
				run->emit(run, &c->task, TP_STATUS_MERGED, &one, 0);
			}
		}
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	MemoryContextDelete(row_ctx);
	if (run->keep_ctx == NULL)
		MemoryContextDelete(work_ctx);
}
