/*
 * tp_scan.c
 *		merge_calls' one-pass strategy: the calls in memory, the sessions read
 *		once, unsorted.
 *
 * The sorted strategy (tp_run.c) sorts every session by BizibleId, which
 * costs far more than reading them.  Here the tasks (few, next to sessions)
 * are read first and indexed by normalised BizibleId; then the sessions are
 * read once in whatever order the executor likes and each session of a
 * BizibleId that has calls is offered to those calls' tree (tp_match.c,
 * TpCallTree): O(sessions + calls log calls) time, memory O(calls + sessions
 * that cover a call), never O(sessions).
 *
 * With few calls against many sessions only the sessions that can cover
 * them are fetched, one index range per called id; otherwise the whole
 * relation is read with no sort and no per-row SQL function (straight from
 * the heap for a plain table without row-level security).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "commands/defrem.h"
#include "parser/parse_func.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/regproc.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "touchpoint.h"

/* Probe by BizibleId when sessions outnumber distinct ids this many times. */
#define TP_PROBE_RATIO 64

/* Columns of the sessions query (1-based), then the nine web columns. */
#define SC_BIZIBLE 1
#define SC_STARTED 2
#define SC_LAST 3
#define SC_ID 4
#define SC_WEB 5
#define SC_COUNT (SC_WEB + 9)

/* The input column read as SC_* column c. */
static const char *
sc_column(int c)
{
	static const char *const first[] = {
		NULL, "bizible_id", "started_at", "last_activity_at", "session_id"
	};

	return c < SC_WEB ? first[c] : tp_web_columns[c - SC_WEB];
}

/* One call, with its task row. */
typedef struct ScanCall
{
	TpTaskRow	task;
	int			keylen;
	uint32		hash;			/* of the key: sorts and probes without touching it */
} ScanCall;

/* A session that covered at least one call (the offer comes first). */
typedef struct ScanSession
{
	TpOffer		offer;
	TpSessionData data;
} ScanSession;

/* The calls of one normalised BizibleId: calls[first .. first + ncalls). */
typedef struct KeyEntry
{
	const char *key;
	int			keylen;
	int			first;
	int			ncalls;
	TpCallTree	tree;
} KeyEntry;

/*
 * A slot of the open-addressing table: the key's hash, entry + 1 (0 =
 * empty), and the times of the key's first and last call.
 */
typedef struct KeySlot
{
	uint32		hash;
	uint32		entry;
	int64		first_call;
	int64		last_call;
} KeySlot;

/*
 * Most sessions carry an id no call has, or lie far from its calls, so a
 * probe must usually end after touching one slot: the hash is kept in the
 * slot and compared first, then the span of the key's calls.
 */
typedef struct KeyIndex
{
	KeyEntry   *entries;
	int			nentries;
	KeySlot    *slots;
	uint32		mask;
	uint64	   *filter;			/* bits per (id, time bucket) of a call */
	uint32		filter_mask;	/* words - 1 */
	int64		bucket_width;	/* microseconds; 0: the window is too wide */
} KeyIndex;

/*
 * The filter says whether any call of an id falls in a time bucket.  It is
 * small enough to stay in the CPU cache (at most 512 kB), so most sessions
 * are dismissed without touching the larger slot table: those of ids no call
 * carries, and those of called ids that lie nowhere near a call (a visitor's
 * sessions spread over months, the calls over a few minutes).  Buckets are
 * four windows wide, so a session's window touches one or two of them.
 */
#define TP_FILTER_MAX_BITS (1U << 21)
#define TP_BUCKETS_PER_WINDOW 4
#define TP_MAX_BUCKETS_CHECKED 4

/* floor(t / width) for any t, width > 0 */
static inline int64
time_bucket(int64 t, int64 width)
{
	int64		q = t / width;

	return (t % width != 0 && t < 0) ? q - 1 : q;
}

/*
 * Two bits of one 64-bit word per (id, bucket): one memory access, and
 * about a third of the false positives of one bit at the same size.
 */
static inline uint64
filter_word_bits(uint32 hash, int64 bucket, uint32 *word)
{
	uint64		x = (((uint64) hash << 32) ^ (uint64) bucket) * UINT64CONST(0x9E3779B97F4A7C15);

	*word = (uint32) (x >> 40);
	return (UINT64CONST(1) << (x & 63)) | (UINT64CONST(1) << ((x >> 6) & 63));
}

static inline bool
filter_bit(const KeyIndex *index, uint32 hash, int64 bucket)
{
	uint32		word;
	uint64		bits = filter_word_bits(hash, bucket, &word);

	return (index->filter[word & index->filter_mask] & bits) == bits;
}

static inline void
filter_set(KeyIndex *index, uint32 hash, int64 bucket)
{
	uint32		word;
	uint64		bits = filter_word_bits(hash, bucket, &word);

	index->filter[word & index->filter_mask] |= bits;
}

/*
 * May a call of this id lie in [started_at, end)?  false is certain; true
 * when unsure (also for a span of many buckets, checked in the slot table).
 */
static inline bool
filter_may_cover(const KeyIndex *index, uint32 hash, int64 started_at, int64 end)
{
	int64		first;
	int64		last;
	int64		b;

	if (index->bucket_width == 0)
		return true;
	first = time_bucket(started_at, index->bucket_width);
	last = time_bucket(end - 1, index->bucket_width);
	if (last - first >= TP_MAX_BUCKETS_CHECKED || last < first)
		return true;
	for (b = first; b <= last; b++)
		if (filter_bit(index, hash, b))
			return true;
	return false;
}

/* Order of the calls of one id: by time (their tree's leaves). */
static int
call_time_cmp(const void *a, const void *b, void *arg)
{
	const ScanCall *calls = (const ScanCall *) arg;
	int64		x = calls[*(const int *) a].task.occurred_at;
	int64		y = calls[*(const int *) b].task.occurred_at;

	return x < y ? -1 : x > y;
}

/*
 * Group the calls by key through the hash table (no sort of all calls),
 * then lay each key's calls out by time: order[] lists the calls key by
 * key, times[] their times; build each key's tree and the filter.
 */
static void
build_index(KeyIndex *index, ScanCall *calls, int ncalls, int64 window,
			int **order_out, int64 **times_out)
{
	int		   *entry_of = palloc_extended(sizeof(int) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	int		   *order = palloc_extended(sizeof(int) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	int64	   *times = palloc_extended(sizeof(int64) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	int		   *fill;
	int			i;
	uint32		nslots = 2;

	/* 1. Find or add each call's key: entries in order of first appearance. */
	while (nslots < 2 * (uint32) ncalls)
		nslots <<= 1;
	index->mask = nslots - 1;
	index->slots = palloc_extended(sizeof(KeySlot) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	index->entries = palloc_extended(sizeof(KeyEntry) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	index->nentries = 0;
	for (i = 0; i < ncalls; i++)
	{
		const ScanCall *c = &calls[i];
		uint32		h;

		for (h = c->hash & index->mask;; h = (h + 1) & index->mask)
		{
			KeySlot    *slot = &index->slots[h];
			KeyEntry   *e;

			if (slot->entry == 0)
			{
				e = &index->entries[index->nentries++];
				e->key = c->task.bizible_key;
				e->keylen = c->keylen;
				e->ncalls = 0;
				slot->hash = c->hash;
				slot->entry = index->nentries;
			}
			else
			{
				e = &index->entries[slot->entry - 1];
				if (slot->hash != c->hash || e->keylen != c->keylen ||
					memcmp(e->key, c->task.bizible_key, c->keylen) != 0)
					continue;
			}
			e->ncalls++;
			entry_of[i] = slot->entry - 1;
			break;
		}
	}

	/* 2. Each key's calls side by side, by time. */
	fill = palloc_extended(sizeof(int) * Max(index->nentries, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < index->nentries; i++)
	{
		index->entries[i].first = i == 0 ? 0 :
			index->entries[i - 1].first + index->entries[i - 1].ncalls;
		fill[i] = index->entries[i].first;
	}
	for (i = 0; i < ncalls; i++)
		order[fill[entry_of[i]]++] = i;
	pfree(fill);
	pfree(entry_of);
	for (i = 0; i < index->nentries; i++)
	{
		KeyEntry   *e = &index->entries[i];

		if (e->ncalls > 1)
			qsort_arg(order + e->first, e->ncalls, sizeof(int), call_time_cmp, calls);
	}
	for (i = 0; i < ncalls; i++)
		times[i] = calls[order[i]].task.occurred_at;

	/* 3. Every key's tree in one allocation: fewer pallocs, better locality. */
	{
		size_t		total = 0;
		const TpOffer **slots;

		for (i = 0; i < index->nentries; i++)
			total += tp_calltree_size(index->entries[i].ncalls);
		slots = palloc_extended(sizeof(TpOffer *) * Max(total, 1), MCXT_ALLOC_HUGE);
		for (i = 0; i < index->nentries; i++)
		{
			KeyEntry   *e = &index->entries[i];

			tp_calltree_init(&e->tree, times + e->first, e->ncalls, slots);
			slots += tp_calltree_size(e->ncalls);
		}
	}

	/* 4. The span of each key's calls, in its slot. */
	for (i = 0; i < (int) nslots; i++)
	{
		KeySlot    *slot = &index->slots[i];

		if (slot->entry != 0)
		{
			const KeyEntry *e = &index->entries[slot->entry - 1];

			slot->first_call = times[e->first];
			slot->last_call = times[e->first + e->ncalls - 1];
		}
	}

	/* 5. The filter: about 16 bits per call, at most TP_FILTER_MAX_BITS. */
	{
		uint32		bits = 64;

		while (bits < TP_FILTER_MAX_BITS && bits < (uint32) Min(ncalls, PG_INT32_MAX / 16) * 16)
			bits <<= 1;
		index->filter_mask = bits / 64 - 1;
		index->filter = palloc0(bits / 8);
		index->bucket_width = window <= PG_INT64_MAX / (2 * TP_BUCKETS_PER_WINDOW) ?
			window * TP_BUCKETS_PER_WINDOW : 0;
		for (i = 0; i < ncalls && index->bucket_width > 0; i++)
			filter_set(index, calls[i].hash, time_bucket(calls[i].task.occurred_at,
														 index->bucket_width));
	}
	*order_out = order;
	*times_out = times;
}

/* Estimated rows of a relation, or -1 when it has no statistics (a view). */
static double
estimated_rows(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	double		rows = -1;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);

		if (rel->relkind == RELKIND_RELATION || rel->relkind == RELKIND_MATVIEW)
			rows = rel->reltuples;
		ReleaseSysCache(tup);
	}
	return rows;
}

/* The sessions query: every session, or those that may cover a call ($1-$3). */
static void
build_sessions_query(StringInfo q, TpRun *run, bool probe)
{
	TpInput    *in = &run->sessions;
	int			c;

	appendStringInfoString(q, "SELECT ");
	for (c = 1; c < SC_COUNT; c++)
	{
		if (c > 1)
			appendStringInfoString(q, ", ");
		TpAppendColumn(q, in, TpColumnIndex(in, sc_column(c)));
	}
	if (!probe)
	{
		appendStringInfo(q, " FROM %s i", in->qualified_name);
		return;
	}

	/*
	 * One index range per called id, like a LATERAL probe: the sessions of
	 * that id that can cover one of its calls, started_at in (lo, hi].
	 */
	appendStringInfo(q, " FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]),"
					 " pg_catalog.unnest($2::pg_catalog.timestamptz[]),"
					 " pg_catalog.unnest($3::pg_catalog.timestamptz[])) AS k(key, lo, hi)"
					 " JOIN %s i ON %s(",
					 in->qualified_name, run->key_function);
	TpAppendColumn(q, in, TpColumnIndex(in, "bizible_id"));
	appendStringInfoString(q, ") COLLATE \"C\" OPERATOR(pg_catalog.=) k.key AND ");
	TpAppendColumn(q, in, TpColumnIndex(in, "started_at"));
	appendStringInfoString(q, " OPERATOR(pg_catalog.>) k.lo AND ");
	TpAppendColumn(q, in, TpColumnIndex(in, "started_at"));
	appendStringInfoString(q, " OPERATOR(pg_catalog.<=) k.hi");
}

/*
 * One session row, wherever it comes from: an SPI tuple (any relation, read
 * by the executor as the caller) or a heap slot (a plain table read
 * directly).  get(row, column) returns the Datum of a SC_* column.
 */
typedef struct SessionRow
{
	HeapTuple	tuple;			/* SPI path */
	TupleDesc	desc;
	TupleTableSlot *slot;		/* direct path */
	const AttrNumber *attnums;	/* SC_* -> attribute number, direct path */
} SessionRow;

static inline Datum
row_get(const SessionRow *row, int column, bool *isnull)
{
	if (row->slot != NULL)
		return slot_getattr(row->slot, row->attnums[column], isnull);
	return SPI_getbinval(row->tuple, row->desc, column, isnull);
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

/*
 * A text Datum as bytes without copying when it is stored plainly;
 * compressed or out-of-line values are expanded in row_ctx (and *used set,
 * so that the caller resets it before the next row).
 */
static inline text *
plain_text(Datum d, MemoryContext row_ctx, bool *used)
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

static inline text *
row_text(PassState *st, Datum d)
{
	return plain_text(d, st->row_ctx, &st->row_ctx_used);
}

/*
 * Strings copied side by side into large blocks: one allocation per 64 kB
 * of text rather than one per string (fewer pallocs, less memory).
 */
typedef struct StrArena
{
	MemoryContext ctx;
	char	   *next;
	Size		left;
} StrArena;

#define TP_ARENA_BLOCK (64 * 1024)

/* A NUL-terminated copy of len bytes. */
static char *
arena_strndup(StrArena *a, const char *bytes, Size len)
{
	char	   *p;

	if (len + 1 > a->left)
	{
		Size		block = Max(len + 1, TP_ARENA_BLOCK);

		a->next = MemoryContextAllocExtended(a->ctx, block, MCXT_ALLOC_HUGE);
		a->left = block;
	}
	p = a->next;
	memcpy(p, bytes, len);
	p[len] = '\0';
	a->next += len + 1;
	a->left -= len + 1;
	return p;
}

static char *
arena_text(StrArena *a, text *t)
{
	return arena_strndup(a, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * Copy a session that covers calls into long-lived memory: one allocation
 * holds the session and its NUL-terminated strings.
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
		Datum		d = row_get(row, w == 0 ? SC_ID : SC_WEB + w - 1, &isnull);

		values[w] = isnull ? NULL : row_text(st, d);
		if (values[w] != NULL)
			total += VARSIZE_ANY_EXHDR(values[w]) + 1;
	}
	s = MemoryContextAlloc(st->work_ctx, total);
	p = (char *) s + MAXALIGN(sizeof(ScanSession));
	for (w = 0; w < 10; w++)
	{
		char	   *str = NULL;

		if (values[w] != NULL)
		{
			int			len = VARSIZE_ANY_EXHDR(values[w]);

			memcpy(p, VARDATA_ANY(values[w]), len);
			p[len] = '\0';
			str = p;
			p += len + 1;
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

	(void) row_get(row, SC_ID, &isnull);
	if (isnull)
		TpNullColumnError(&st->run->sessions, "session_id", "a session of BizibleId",
						  pnstrdup(key, keylen));
	TpNullColumnError(&st->run->sessions, "started_at", "session",
					  TextDatumGetCString(row_get(row, SC_ID, &isnull)));
}

/*
 * Consider one session: skip it unless its BizibleId has calls and it covers
 * at least one of them; then keep it and offer it to those calls.
 *
 * The order of the tests is what makes the pass fast: the filter bits of
 * (id, time) (in the CPU cache), then the slot (hash and the span of the
 * id's calls), then the id's call tree, and only for a session that covers
 * a call the id itself (a hash collision merely fails that comparison).
 */
static void
consider_session(PassState *st, const SessionRow *row)
{
	const KeyIndex *index = st->index;
	TpRun	   *run = st->run;
	bool		isnull;
	Datum		d;
	text	   *raw;
	int			rawlen;
	int			keylen;
	uint32		hash;
	uint32		h;
	bool		id_null;
	TimestampTz started_at = 0;
	TimestampTz last_activity = 0;
	bool		last_null = true;
	int64		end = 0;

	if (st->row_ctx_used)
	{
		MemoryContextReset(st->row_ctx);
		st->row_ctx_used = false;
	}
	d = row_get(row, SC_BIZIBLE, &isnull);
	if (isnull)
		return;
	raw = row_text(st, d);
	rawlen = VARSIZE_ANY_EXHDR(raw);
	if (rawlen > st->keybuf_len)
	{
		st->keybuf_len = Max(rawlen, 64);
		st->keybuf = MemoryContextAlloc(st->work_ctx, st->keybuf_len);
	}
	keylen = tp_normalize_bizible_id(VARDATA_ANY(raw), rawlen, st->keybuf);
	if (keylen == 0)
		return;
	hash = hash_bytes((const unsigned char *) st->keybuf, keylen);

	(void) row_get(row, SC_ID, &id_null);
	d = row_get(row, SC_STARTED, &isnull);
	if (!id_null && !isnull)
	{
		started_at = DatumGetTimestampTz(d);
		d = row_get(row, SC_LAST, &last_null);
		if (!last_null)
			last_activity = DatumGetTimestampTz(d);
		end = tp_time_add(run->anchor == TP_ANCHOR_LAST_ACTIVITY && !last_null ?
						  last_activity : started_at, run->window);
		if (!filter_may_cover(index, hash, started_at, end))
			return;				/* no call of this id (if any) near it */
	}

	for (h = hash & index->mask; index->slots[h].entry != 0; h = (h + 1) & index->mask)
	{
		const KeySlot *slot = &index->slots[h];
		KeyEntry   *e;

		if (slot->hash != hash)
			continue;
		e = &index->entries[slot->entry - 1];
		if (id_null || isnull)
		{
			/* A NULL id or start is an error even when the session covers nothing. */
			if (e->keylen == keylen && memcmp(e->key, st->keybuf, keylen) == 0)
				null_session_column(st, row, st->keybuf, keylen);
			continue;
		}
		/* covers a call at t when started_at <= t < end */
		if (started_at > slot->last_call || end <= slot->first_call)
			continue;
		if (e->ncalls > 1 && tp_calltree_count(&e->tree, started_at, end) == 0)
			continue;
		if (e->keylen != keylen || memcmp(e->key, st->keybuf, keylen) != 0)
			continue;			/* same hash, another id */
		tp_calltree_offer(&e->tree,
						  &keep_session(st, row, started_at, last_null, last_activity)->offer,
						  end);
		return;
	}
}

/*
 * Can the sessions be read straight from the heap?  Only a plain table
 * without row-level security for this user (RLS needs the executor), whose
 * columns are stored as text/varchar and timestamptz exactly as the engine
 * reads them.  Privileges were checked by TpCheckInput.
 */
static bool
direct_scan_possible(TpRun *run, AttrNumber *attnums)
{
	Oid			relid = run->sessions.relid;
	int			c;

	if (get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	if (check_enable_rls(relid, InvalidOid, true) != RLS_NONE)
		return false;
	for (c = 1; c < SC_COUNT; c++)
	{
		AttrNumber	attnum = get_attnum(relid, sc_column(c));
		Oid			type = getBaseType(get_atttype(relid, attnum));

		if (c == SC_STARTED || c == SC_LAST)
		{
			if (type != TIMESTAMPTZOID)
				return false;
		}
		else if (type != TEXTOID && type != VARCHAROID)
			return false;
		attnums[c] = attnum;
	}
	return true;
}

/*
 * The index a direct probe walks: a valid btree of the sessions table on
 * (bizible_key(bizible_id) COLLATE "C", started_at, ...) with the default
 * operator classes and no predicate, as touchpoint.sessions ships with.
 */
static Oid
find_probe_index(TpRun *run, Relation rel, const AttrNumber *attnums)
{
	Oid			key_function;
	Oid			text_arg = TEXTOID;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	key_function = LookupFuncName(stringToQualifiedNameList(run->key_function), 1,
								  &text_arg, true);
	if (!OidIsValid(key_function))
		return InvalidOid;
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index idx = irel->rd_index;
		bool		usable = false;

		if (irel->rd_rel->relam == BTREE_AM_OID && idx->indisvalid && idx->indisready &&
			idx->indnkeyatts >= 2 && idx->indkey.values[0] == 0 &&
			idx->indkey.values[1] == attnums[SC_STARTED] &&
			irel->rd_indcollation[0] == C_COLLATION_OID &&
			irel->rd_opfamily[0] == get_opclass_family(GetDefaultOpClass(TEXTOID, BTREE_AM_OID)) &&
			irel->rd_opfamily[1] == get_opclass_family(GetDefaultOpClass(TIMESTAMPTZOID, BTREE_AM_OID)) &&
			RelationGetIndexPredicate(irel) == NIL)
		{
			Node	   *first = linitial(RelationGetIndexExpressions(irel));

			if (IsA(first, FuncExpr) && ((FuncExpr *) first)->funcid == key_function &&
				list_length(((FuncExpr *) first)->args) == 1)
			{
				Node	   *arg = linitial(((FuncExpr *) first)->args);

				usable = IsA(arg, Var) && ((Var *) arg)->varattno == attnums[SC_BIZIBLE];
			}
		}
		index_close(irel, AccessShareLock);
		if (usable)
		{
			found = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	return found;
}

/* Order of ids as the index has them (COLLATE "C": bytewise). */
static int
entry_key_cmp(const void *a, const void *b)
{
	const KeyEntry *x = *(const KeyEntry *const *) a;
	const KeyEntry *y = *(const KeyEntry *const *) b;
	int			c = memcmp(x->key, y->key, Min(x->keylen, y->keylen));

	return c != 0 ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/*
 * The probe without the executor: for each called id, one descent of the
 * (id, started_at) index to the sessions that can cover one of its calls,
 * started_at in (first call - window, last call].  Returns false when the
 * table has no such index (the caller probes through SPI).
 */
static bool
probe_sessions_direct(PassState *st, const AttrNumber *attnums, const int64 *times)
{
	TpRun	   *run = st->run;
	const KeyIndex *index = st->index;
	Relation	rel = table_open(run->sessions.relid, AccessShareLock);
	Oid			index_oid = find_probe_index(run, rel, attnums);
	Relation	irel;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	SessionRow	row;
	text	   *key = NULL;
	int			key_room = 0;
	const KeyEntry **sorted;
	int			i;

	if (!OidIsValid(index_oid))
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	irel = index_open(index_oid, AccessShareLock);
	slot = table_slot_create(rel, NULL);
	/* the number of keys is fixed at the start (index_rescan copies that many) */
	scan = index_beginscan(rel, irel, GetActiveSnapshot(),
						   run->anchor == TP_ANCHOR_SESSION_START ? 3 : 2, 0);
	memset(&row, 0, sizeof(row));
	row.slot = slot;
	row.attnums = attnums;

	/* in index order, so that successive descents share their upper pages */
	sorted = palloc_extended(sizeof(KeyEntry *) * index->nentries, MCXT_ALLOC_HUGE);
	for (i = 0; i < index->nentries; i++)
		sorted[i] = &index->entries[i];
	qsort(sorted, index->nentries, sizeof(KeyEntry *), entry_key_cmp);
	for (i = 0; i < index->nentries; i++)
	{
		const KeyEntry *e = sorted[i];
		ScanKeyData keys[3];
		int			nkeys = 0;

		CHECK_FOR_INTERRUPTS();
		if (e->keylen + VARHDRSZ > key_room)
		{
			key_room = Max(e->keylen + VARHDRSZ, 64);
			key = MemoryContextAlloc(st->work_ctx, key_room);
		}
		SET_VARSIZE(key, e->keylen + VARHDRSZ);
		memcpy(VARDATA(key), e->key, e->keylen);
		ScanKeyInit(&keys[nkeys++], 1, BTEqualStrategyNumber, F_TEXTEQ, PointerGetDatum(key));
		if (run->anchor == TP_ANCHOR_SESSION_START)
			ScanKeyInit(&keys[nkeys++], 2, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT,
						TimestampTzGetDatum(tp_time_add(times[e->first], -run->window)));
		ScanKeyInit(&keys[nkeys++], 2, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE,
					TimestampTzGetDatum(times[e->first + e->ncalls - 1]));
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

/* Read every row of the sessions table through a heap scan. */
static void
scan_sessions_direct(PassState *st, const AttrNumber *attnums)
{
	Relation	rel = table_open(st->run->sessions.relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	SessionRow	row;
	uint64		n = 0;

	memset(&row, 0, sizeof(row));
	row.slot = slot;
	row.attnums = attnums;
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		consider_session(st, &row);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* The calls being read: a growing array. */
typedef struct CallList
{
	ScanCall   *calls;
	int			ncalls;
	int			capacity;
} CallList;

static ScanCall *
next_call(CallList *list)
{
	if (list->ncalls >= list->capacity)
	{
		list->capacity = Max(list->capacity * 2, 1024);
		list->calls = list->calls == NULL ?
			palloc_extended(sizeof(ScanCall) * list->capacity, MCXT_ALLOC_HUGE) :
			repalloc_huge(list->calls, sizeof(ScanCall) * list->capacity);
	}
	return &list->calls[list->ncalls++];
}

/* A call read in full: refuse the NULLs SPEC forbids, hash its key. */
static void
finish_call(TpRun *run, ScanCall *c)
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

	initStringInfo(&q);
	TpBuildTaskQuery(&q, run, false);
	TpStreamOpen(&stream, q.data, 0, NULL, NULL);
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		ScanCall   *c = next_call(list);

		CHECK_FOR_INTERRUPTS();
		TpReadTask(&c->task, tup, desc);
		finish_call(run, c);
	}
	TpStreamClose(&stream);
}

/* The task columns read straight from the heap. */
enum
{
	TC_BIZIBLE, TC_ID, TC_OCCURRED, TC_DELETED, TC_TYPE, TC_PERSON, TC_PHONE, TC_SUBJECT,
	TC_COUNT
};
static const char *const task_heap_columns[TC_COUNT] = {
	"bizible_id", "task_id", "occurred_at", "is_deleted", "type", "person_id", "phone", "subject"
};

/* As direct_scan_possible, for the tasks. */
static bool
direct_task_scan_possible(TpRun *run, AttrNumber *attnums)
{
	Oid			relid = run->tasks.relid;
	int			c;

	if (get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	if (check_enable_rls(relid, InvalidOid, true) != RLS_NONE)
		return false;
	for (c = 0; c < TC_COUNT; c++)
	{
		AttrNumber	attnum = get_attnum(relid, task_heap_columns[c]);
		Oid			type = getBaseType(get_atttype(relid, attnum));
		Oid			want = c == TC_OCCURRED ? TIMESTAMPTZOID : c == TC_DELETED ? BOOLOID : TEXTOID;

		if (type != want && !(want == TEXTOID && type == VARCHAROID))
			return false;
		attnums[c] = attnum;
	}
	return true;
}

/*
 * Every task that can make a touchpoint, straight from the heap: the rows
 * the tasks query of TpBuildTaskQuery returns (a BizibleId, not deleted),
 * the key normalised here as bizible_key() does.
 */
static void
read_calls_direct(TpRun *run, CallList *list, const AttrNumber *attnums, MemoryContext row_ctx)
{
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
		ScanCall   *c;
		text	   *raw;
		int			rawlen;
		int			keylen;
		bool		isnull;
		Datum		d;
		char	   **strings[4];
		int			w;

		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (row_ctx_used)
		{
			MemoryContextReset(row_ctx);
			row_ctx_used = false;
		}
		d = slot_getattr(slot, attnums[TC_BIZIBLE], &isnull);
		if (isnull)
			continue;
		raw = plain_text(d, row_ctx, &row_ctx_used);
		rawlen = VARSIZE_ANY_EXHDR(raw);
		if (rawlen > keybuf_len)
		{
			keybuf_len = Max(rawlen, 64);
			keybuf = palloc(keybuf_len);
		}
		keylen = tp_normalize_bizible_id(VARDATA_ANY(raw), rawlen, keybuf);
		if (keylen == 0)
			continue;
		d = slot_getattr(slot, attnums[TC_DELETED], &isnull);
		if (!isnull && DatumGetBool(d))
			continue;

		c = next_call(list);
		memset(&c->task, 0, sizeof(TpTaskRow));
		c->task.bizible_key = arena_strndup(&arena, keybuf, keylen);
		c->task.deleted_null = isnull;
		d = slot_getattr(slot, attnums[TC_ID], &isnull);
		if (!isnull)
			c->task.task_id = arena_text(&arena, plain_text(d, row_ctx, &row_ctx_used));
		d = slot_getattr(slot, attnums[TC_OCCURRED], &c->task.occurred_null);
		c->task.occurred_at = c->task.occurred_null ? 0 : DatumGetTimestampTz(d);
		strings[0] = &c->task.type;
		strings[1] = &c->task.person_id;
		strings[2] = &c->task.phone;
		strings[3] = &c->task.subject;
		for (w = 0; w < 4; w++)
		{
			d = slot_getattr(slot, attnums[TC_TYPE + w], &isnull);
			*strings[w] = isnull ? NULL :
				arena_text(&arena, plain_text(d, row_ctx, &row_ctx_used));
		}
		finish_call(run, c);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* Run merge_calls by one pass over the sessions (or the probe by id). */
void
TpRunMergeScan(TpRun *run)
{
	MemoryContext caller_ctx = CurrentMemoryContext;
	MemoryContext work_ctx = AllocSetContextCreate(caller_ctx, "touchpoint scan",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_ctx = AllocSetContextCreate(caller_ctx, "touchpoint scan row",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt;
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	CallList	list;
	AttrNumber	task_attnums[TC_COUNT];
	ScanCall   *calls;
	int			ncalls;
	KeyIndex	index;
	int		   *order;
	int64	   *times;
	PassState	st;
	AttrNumber	attnums[SC_COUNT];
	int			nestlevel;
	double		session_rows;
	bool		probe;
	bool		direct;
	bool		done;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	oldcxt = MemoryContextSwitchTo(work_ctx);

	/* 1. Every task that can make a touchpoint, into memory. */
	memset(&list, 0, sizeof(list));
	if (run->strategy != TP_STRATEGY_SCAN_SPI && direct_task_scan_possible(run, task_attnums))
		read_calls_direct(run, &list, task_attnums, row_ctx);
	else
		read_calls_spi(run, &list);
	calls = list.calls;
	ncalls = list.ncalls;

	/* 2. Grouped by BizibleId, by time within each, indexed. */
	build_index(&index, calls, ncalls, run->window, &order, &times);

	/* 3. The sessions, once: by id when few, else all of them, unsorted. */
	session_rows = estimated_rows(run->sessions.relid);
	probe = run->strategy == TP_STRATEGY_PROBE ||
		(run->strategy == TP_STRATEGY_AUTO && session_rows > 0 &&
		 (double) index.nentries * TP_PROBE_RATIO < session_rows);
	initStringInfo(&q);
	build_sessions_query(&q, run, probe);
	memset(&st, 0, sizeof(st));
	st.run = run;
	st.index = &index;
	st.work_ctx = work_ctx;
	st.row_ctx = row_ctx;
	direct = index.nentries > 0 && run->strategy != TP_STRATEGY_SCAN_SPI &&
		direct_scan_possible(run, attnums);
	done = false;
	if (direct && !probe)
	{
		scan_sessions_direct(&st, attnums);
		done = true;
	}
	else if (direct)
		done = probe_sessions_direct(&st, attnums, times);
	if (!done && index.nentries > 0)
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

	/* 4. Every call with its winner, or none. */
	for (i = 0; i < index.nentries; i++)
	{
		KeyEntry   *e = &index.entries[i];
		int			j;

		for (j = 0; j < e->ncalls; j++)
		{
			const TpOffer *won = tp_calltree_winner(&e->tree, j);
			ScanCall   *c = &calls[order[e->first + j]];

			CHECK_FOR_INTERRUPTS();
			if (won == NULL)
				run->emit(run, &c->task, TP_STATUS_OUTSIDE_WINDOW, NULL, -1);
			else
			{
				const ScanSession *s = (const ScanSession *) won;
				TpLoadedGroup one;
				TpSession	session;

				session.started_at = s->offer.started_at;
				session.anchor = s->offer.started_at;
				session.session_id = s->offer.session_id;
				memset(&one, 0, sizeof(one));
				one.key = (char *) e->key;
				one.sessions = &session;
				one.data = (TpSessionData *) &s->data;
				run->emit(run, &c->task, TP_STATUS_MERGED, &one, 0);
			}
		}
	}

	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	MemoryContextDelete(row_ctx);
	MemoryContextDelete(work_ctx);
}
