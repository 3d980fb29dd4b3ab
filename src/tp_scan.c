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

/* A session that covered at least one call (the offer comes first). */
typedef struct ScanSession
{
	TpOffer		offer;
	TpSessionData data;
} ScanSession;

/*
 * Sessions wanted by id (TpRun.named): open addressing over the ids' hashes;
 * found is filled by the pass when a session with that id is read.
 */
typedef struct NamedSlot
{
	const char *id;				/* NULL: empty slot */
	int			len;
	uint32		hash;
	ScanSession *found;
} NamedSlot;

typedef struct TpNamedSet
{
	NamedSlot  *slots;
	uint32		mask;
	uint64	   *bits;			/* one bit per hash, before the slots: most ids are not wanted */
	uint32		bits_mask;		/* bits - 1 */
} TpNamedSet;

static inline bool
named_may_have(const TpNamedSet *set, uint32 hash)
{
	uint32		bit = hash & set->bits_mask;

	return (set->bits[bit >> 6] >> (bit & 63)) & 1;
}

static NamedSlot *
named_slot(const TpNamedSet *set, const char *id, int len, uint32 hash)
{
	uint32		h;

	for (h = hash & set->mask;; h = (h + 1) & set->mask)
	{
		NamedSlot  *slot = &set->slots[h];

		if (slot->id == NULL ||
			(slot->hash == hash && slot->len == len && memcmp(slot->id, id, len) == 0))
			return slot;
	}
}

static void
named_add(TpNamedSet *set, const char *id)
{
	int			len = strlen(id);
	uint32		hash = hash_bytes((const unsigned char *) id, len);
	NamedSlot  *slot = named_slot(set, id, len, hash);

	slot->id = id;
	slot->len = len;
	slot->hash = hash;
	set->bits[(hash & set->bits_mask) >> 6] |= UINT64CONST(1) << ((hash & set->bits_mask) & 63);
}

/* The set of the ids the calls' phones and run->named_extra name. */
static TpNamedSet *
build_named_set(TpRun *run, const TpScanCall *calls, int ncalls)
{
	TpNamedSet *set = palloc(sizeof(TpNamedSet));
	uint32		nslots = 2;
	int			n = run->n_named_extra;
	int			i;

	for (i = 0; i < ncalls; i++)
		n += calls[i].task.phone != NULL;
	while (nslots < 2 * (uint32) n + 2)
		nslots <<= 1;
	set->mask = nslots - 1;
	set->slots = palloc_extended(sizeof(NamedSlot) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	set->bits_mask = nslots * 8 - 1;	/* 16 bits per id: a few percent pass wrongly */
	set->bits = palloc_extended(nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < ncalls; i++)
		if (calls[i].task.phone != NULL)
			named_add(set, calls[i].task.phone);
	for (i = 0; i < run->n_named_extra; i++)
		named_add(set, run->named_extra[i]);
	return set;
}

bool
TpNamedSession(const TpRun *run, const char *session_id, TpSession *session,
			   TpSessionData **data)
{
	int			len = strlen(session_id);
	NamedSlot  *slot;

	if (run->named == NULL)
		return false;
	slot = named_slot(run->named, session_id, len,
					  hash_bytes((const unsigned char *) session_id, len));
	if (slot->id == NULL || slot->found == NULL)
		return false;
	session->session_id = slot->found->offer.session_id;
	session->started_at = slot->found->offer.started_at;
	session->anchor = slot->found->offer.started_at;
	*data = &slot->found->data;
	return true;
}

/*
 * One session row, wherever it comes from: an SPI tuple (any relation, read
 * by the executor as the caller) or a heap slot (a plain table read
 * directly).  row_get(row, column) returns the Datum of a column of the
 * description (TP_S_*): SPI column column + 1, or heap attribute
 * attnums[column].
 */
typedef struct SessionRow
{
	HeapTuple	tuple;			/* SPI path */
	TupleDesc	desc;
	TupleTableSlot *slot;		/* direct path */
	const AttrNumber *attnums;	/* TP_S_* -> attribute number, direct path */
	AttrNumber	deform_upto;	/* direct path: the last of the four columns every row needs */
} SessionRow;

static inline Datum
row_get(const SessionRow *row, int column, bool *isnull)
{
	if (row->slot != NULL)
		return slot_getattr(row->slot, row->attnums[column], isnull);
	return SPI_getbinval(row->tuple, row->desc, column + 1, isnull);
}

/* What one pass over the sessions needs. */
typedef struct PassState
{
	TpRun	   *run;
	KeyIndex   *index;
	MemoryContext work_ctx;
	MemoryContext row_ctx;		/* detoasted values of the current row */
	bool		row_ctx_used;
	char	   *keybuf;
	int			keybuf_len;
} PassState;

static inline text *
row_text(PassState *st, Datum d)
{
	return TpPlainText(d, st->row_ctx, &st->row_ctx_used);
}

/*
 * Copy a session that covers calls into long-lived memory: one allocation
 * holds the session and its text strings (touchpoint.h).
 */
static ScanSession *
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

/* What every session needs before its id's calls are consulted. */
typedef struct SessionHead
{
	uint32		hash;			/* of the normalised id, which is in st->keybuf */
	int			keylen;
	bool		id_null;
	bool		start_null;
	bool		last_null;
	TimestampTz started_at;
	TimestampTz last_activity;
	int64		end;			/* covers calls with started_at <= t < end */
} SessionHead;

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
 * The pipeline: may the session's id have calls (a slot with its hash)?
 * Only those sessions can be an id's earliest or one an event names
 * (others named are fetched by find_named_leftovers).
 */
static inline bool
key_is_called(const KeyIndex *index, const SessionHead *head)
{
	uint32		h;

	for (h = head->hash & index->mask; index->slots[h].entry != 0; h = (h + 1) & index->mask)
		if (index->slots[h].hash == head->hash)
			return true;
	return false;
}

/*
 * The pipeline: keep a session some event names by id.  The pass looks at
 * the sessions of called BizibleIds (a form fill or chat that names its
 * session is itself an event of that id, so almost always there);
 * find_named_leftovers() fetches any other by id afterwards.
 */
static void
check_named(PassState *st, const SessionRow *row)
{
	bool		isnull;
	Datum		d = row_get(row, TP_S_SESSION_ID, &isnull);
	text	   *id;
	uint32		hash;
	NamedSlot  *slot;
	TimestampTz started_at;
	TimestampTz last_activity;
	bool		last_null;

	if (isnull)
		return;
	id = row_text(st, d);
	hash = hash_bytes((const unsigned char *) VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
	if (!named_may_have(st->run->named, hash))
		return;
	slot = named_slot(st->run->named, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id), hash);
	if (slot->id == NULL || slot->found != NULL)
		return;
	d = row_get(row, TP_S_STARTED_AT, &isnull);
	if (isnull)
		TpNullColumnError(&st->run->sessions, "started_at", "session", slot->id);
	started_at = DatumGetTimestampTz(d);
	d = row_get(row, TP_S_LAST_ACTIVITY_AT, &last_null);
	last_activity = last_null ? 0 : DatumGetTimestampTz(d);
	slot->found = keep_session(st, row, started_at, last_null, last_activity);
}

/*
 * The pipeline's first-touch visits: remember the earliest session (by
 * started_at, then session_id bytewise) of every called id.  Sessions come
 * in heap order, so a key's earliest is replaced a few times (about ln n for
 * n sessions); the one replaced is freed, so memory stays one session per id.
 */
/* -1, 0, 1 as a (len bytes) is bytewise before, equal to, after b (NUL-terminated). */
static int
cmp_id_bytes(const char *a, int len, const char *b)
{
	int			c = strncmp(a, b, len);

	if (c != 0)
		return c;
	return b[len] == '\0' ? 0 : -1;	/* a is a prefix of b: smaller */
}

static void
track_first_session(PassState *st, const SessionRow *row, const SessionHead *head)
{
	const KeyIndex *index = st->index;
	uint32		h;

	if (head->id_null || head->start_null)
		return;					/* offer_session raises the error for a called id */
	for (h = head->hash & index->mask; index->slots[h].entry != 0; h = (h + 1) & index->mask)
	{
		KeySlot    *slot = &index->slots[h];
		KeyEntry   *e;
		ScanSession *old;

		/*
		 * Most sessions are not their id's earliest so far: the start kept
		 * in the slot says so without touching the entry or the id (if the
		 * hash is another id's, there is nothing to do either).
		 */
		if (slot->hash != head->hash || head->started_at > slot->first_session_at)
			continue;
		e = &index->entries[slot->entry - 1];
		if (e->keylen != head->keylen || memcmp(e->key, st->keybuf, head->keylen) != 0)
			continue;
		if (head->started_at == slot->first_session_at)
		{
			/* a tie on the start: the smaller session_id, bytewise */
			bool		isnull;
			text	   *id = row_text(st, row_get(row, TP_S_SESSION_ID, &isnull));
			char	   *mine = pnstrdup(VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
			int			c;

			c = cmp_id_bytes(mine, strlen(mine),
							 ((ScanSession *) e->first_session)->offer.session_id);
			pfree(mine);
			if (c >= 0)
				return;			/* not smaller bytewise */
		}
		slot->first_session_at = head->started_at;
		old = (ScanSession *) e->first_session;
		e->first_session = keep_session(st, row, head->started_at, head->last_null,
										head->last_activity);
		if (old != NULL)
			pfree(old);
		return;
	}
}

/*
 * The pipeline: a session of a called id may be one some event names (the
 * bit set answers for most without a probe); see check_named.
 */
static inline void
track_named(PassState *st, const SessionRow *row, const SessionHead *head)
{
	if (!head->id_null)
		check_named(st, row);
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
		track_first_session(st, row, &head);
	if (st->run->named != NULL && key_is_called(st->index, &head))
		track_named(st, row, &head);
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

		if (!batch[i].candidate &&
			(st->run->first_session == NULL || !key_is_called(index, &batch[i].head)))
			continue;
		ExecStoreBufferHeapTuple(&batch[i].tuple, row->slot, buffer);
		/* read again: the id goes back into st->keybuf for the comparison */
		if (!session_head(st, row, &head))
			continue;
		if (st->run->first_session != NULL)
			track_first_session(st, row, &head);
		if (st->run->named != NULL && key_is_called(index, &head))
			track_named(st, row, &head);
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

/*
 * The named sessions the pass did not meet (of a BizibleId without calls,
 * without BizibleId, or unknown): one query by id, through the executor.
 */
static void
find_named_leftovers(PassState *st)
{
	TpNamedSet *set = st->run->named;
	Datum	   *ids;
	int			nids = 0;
	uint32		h;
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	SessionRow	row;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];

	ids = palloc_extended(sizeof(Datum) * (set->mask + 1), MCXT_ALLOC_HUGE);
	for (h = 0; h <= set->mask; h++)
		if (set->slots[h].id != NULL && set->slots[h].found == NULL)
			ids[nids++] = PointerGetDatum(cstring_to_text(set->slots[h].id));
	if (nids == 0)
		return;
	args[0] = PointerGetDatum(construct_array(ids, nids, TEXTOID, -1, false, TYPALIGN_INT));
	initStringInfo(&q);
	TpBuildSessionsQuery(&q, st->run, TP_SQ_BY_IDS);
	TpStreamOpen(&stream, q.data, 1, argtypes, args);
	memset(&row, 0, sizeof(row));
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (st->row_ctx_used)
		{
			MemoryContextReset(st->row_ctx);
			st->row_ctx_used = false;
		}
		row.tuple = tup;
		row.desc = desc;
		check_named(st, &row);
	}
	TpStreamClose(&stream);
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

		run->named = build_named_set(run, run->phone_names_session ? calls : NULL,
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
		find_named_leftovers(&st);

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
