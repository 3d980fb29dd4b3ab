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

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
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

/* A slot of the open-addressing table: the key's hash and entry + 1 (0 = empty). */
typedef struct KeySlot
{
	uint32		hash;
	uint32		entry;
} KeySlot;

/*
 * Most sessions carry an id no call has, so a probe must usually end after
 * touching one slot: the hash is kept in the slot and compared first.
 */
typedef struct KeyIndex
{
	KeyEntry   *entries;
	int			nentries;
	KeySlot    *slots;
	uint32		mask;
	uint64	   *filter;			/* one bit per hash value mod filter size */
	uint32		filter_mask;	/* bits - 1 */
} KeyIndex;

/*
 * The filter is small enough to stay in the CPU cache (at most 256 kB), so
 * most sessions whose id no call carries are dismissed without touching the
 * larger slot table.
 */
#define TP_FILTER_MAX_BITS (1U << 21)

static inline bool
filter_may_contain(const KeyIndex *index, uint32 hash)
{
	uint32		bit = (hash >> 7) & index->filter_mask;

	return (index->filter[bit >> 6] >> (bit & 63)) & 1;
}

static int
call_cmp(const void *a, const void *b)
{
	const ScanCall *x = (const ScanCall *) a;
	const ScanCall *y = (const ScanCall *) b;
	int			minlen;
	int			c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	minlen = Min(x->keylen, y->keylen);
	c = memcmp(x->task.bizible_key, y->task.bizible_key, minlen);
	if (c != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	if (x->task.occurred_at != y->task.occurred_at)
		return x->task.occurred_at < y->task.occurred_at ? -1 : 1;
	return 0;
}

/* Find the entry of a key, or NULL. */
static inline KeyEntry *
key_lookup(const KeyIndex *index, const char *key, int keylen, uint32 hash)
{
	uint32		h = hash & index->mask;

	if (!filter_may_contain(index, hash))
		return NULL;
	for (;;)
	{
		const KeySlot *slot = &index->slots[h];

		if (slot->entry == 0)
			return NULL;
		if (slot->hash == hash)
		{
			KeyEntry   *e = &index->entries[slot->entry - 1];

			if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
				return e;
		}
		h = (h + 1) & index->mask;
	}
}

/* Group the sorted calls by key, build each key's tree and the hash index. */
static void
build_index(KeyIndex *index, ScanCall *calls, int ncalls, int64 **times_out)
{
	int64	   *times = palloc_extended(sizeof(int64) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	int			i;
	int			nslots = 2;

	index->entries = palloc_extended(sizeof(KeyEntry) * Max(ncalls, 1), MCXT_ALLOC_HUGE);
	index->nentries = 0;
	for (i = 0; i < ncalls; i++)
	{
		KeyEntry   *last = index->nentries > 0 ? &index->entries[index->nentries - 1] : NULL;

		times[i] = calls[i].task.occurred_at;
		/* sorted by (hash, key): a different hash is a different key, no memcmp */
		if (last != NULL && calls[last->first].hash == calls[i].hash &&
			last->keylen == calls[i].keylen &&
			memcmp(last->key, calls[i].task.bizible_key, last->keylen) == 0)
			last->ncalls++;
		else
		{
			KeyEntry   *e = &index->entries[index->nentries++];

			e->key = calls[i].task.bizible_key;
			e->keylen = calls[i].keylen;
			e->first = i;
			e->ncalls = 1;
		}
	}
	/* every key's tree in one allocation: fewer pallocs, better locality */
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

	while (nslots < 2 * index->nentries)
		nslots <<= 1;
	index->mask = nslots - 1;
	index->slots = palloc_extended(sizeof(KeySlot) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < index->nentries; i++)
	{
		KeyEntry   *e = &index->entries[i];
		uint32		hash = calls[e->first].hash;
		uint32		h = hash & index->mask;

		while (index->slots[h].entry != 0)
			h = (h + 1) & index->mask;
		index->slots[h].hash = hash;
		index->slots[h].entry = i + 1;
	}

	/* the filter: about 10 bits per id, at most TP_FILTER_MAX_BITS */
	{
		uint32		bits = 64;

		while (bits < TP_FILTER_MAX_BITS && bits < (uint32) index->nentries * 10)
			bits <<= 1;
		index->filter_mask = bits - 1;
		index->filter = palloc0(bits / 8);
		for (i = 0; i < index->nentries; i++)
		{
			uint32		bit = (calls[index->entries[i].first].hash >> 7) & index->filter_mask;

			index->filter[bit >> 6] |= UINT64CONST(1) << (bit & 63);
		}
	}
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

static Datum
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
	MemoryContext row_ctx;
	char	   *keybuf;
	int			keybuf_len;
} PassState;

/* Copy a session that covers calls into long-lived memory. */
static ScanSession *
keep_session(const SessionRow *row, TimestampTz started_at, bool last_null,
			 TimestampTz last_activity, const char *session_id)
{
	ScanSession *s = palloc0(sizeof(ScanSession));
	int			w;

	s->offer.started_at = started_at;
	s->offer.session_id = pstrdup(session_id);
	s->data.last_activity_null = last_null;
	s->data.last_activity_at = last_activity;
	for (w = 0; w < 9; w++)
	{
		bool		isnull;
		Datum		d = row_get(row, SC_WEB + w, &isnull);

		s->data.web[w] = isnull ? NULL : TextDatumGetCString(d);
	}
	return s;
}

/*
 * Consider one session: skip it unless its BizibleId has calls and it covers
 * at least one of them; then keep it and offer it to those calls.
 */
static void
consider_session(PassState *st, const SessionRow *row)
{
	TpRun	   *run = st->run;
	bool		isnull;
	Datum		d;
	text	   *raw;
	int			rawlen;
	int			keylen;
	KeyEntry   *e;
	TimestampTz started_at;
	TimestampTz last_activity = 0;
	bool		last_null;
	TimestampTz anchor;
	int64		end;
	char	   *session_id;

	d = row_get(row, SC_BIZIBLE, &isnull);
	if (isnull)
		return;
	MemoryContextReset(st->row_ctx);
	MemoryContextSwitchTo(st->row_ctx);
	raw = DatumGetTextPP(d);
	rawlen = VARSIZE_ANY_EXHDR(raw);
	if (rawlen > st->keybuf_len)
	{
		st->keybuf_len = Max(rawlen, 64);
		st->keybuf = MemoryContextAlloc(st->work_ctx, st->keybuf_len);
	}
	keylen = tp_normalize_bizible_id(VARDATA_ANY(raw), rawlen, st->keybuf);
	e = keylen > 0 ? key_lookup(st->index, st->keybuf, keylen,
								hash_bytes((const unsigned char *) st->keybuf, keylen)) : NULL;
	if (e == NULL)
	{
		MemoryContextSwitchTo(st->work_ctx);
		return;					/* an id no call carries */
	}

	/* A NULL id or start is an error even when the session covers nothing. */
	d = row_get(row, SC_ID, &isnull);
	if (isnull)
		TpNullColumnError(&run->sessions, "session_id", "a session of BizibleId",
						  pnstrdup(st->keybuf, keylen));
	d = row_get(row, SC_STARTED, &isnull);
	if (isnull)
		TpNullColumnError(&run->sessions, "started_at", "session",
						  TextDatumGetCString(row_get(row, SC_ID, &isnull)));
	started_at = DatumGetTimestampTz(d);
	d = row_get(row, SC_LAST, &last_null);
	if (!last_null)
		last_activity = DatumGetTimestampTz(d);

	anchor = started_at;
	if (run->anchor == TP_ANCHOR_LAST_ACTIVITY && !last_null)
		anchor = last_activity;
	end = tp_time_add(anchor, run->window);

	MemoryContextSwitchTo(st->work_ctx);
	/* Most sessions of a called id cover none of its calls: copy nothing then. */
	if (tp_calltree_count(&e->tree, started_at, end) > 0)
	{
		ScanSession *kept;

		session_id = TextDatumGetCString(row_get(row, SC_ID, &isnull));
		kept = keep_session(row, started_at, last_null, last_activity, session_id);
		pfree(session_id);
		tp_calltree_offer(&e->tree, &kept->offer, end);
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
	ScanCall   *calls;
	int			ncalls = 0;
	int			capacity = 1024;
	KeyIndex	index;
	int64	   *times;
	PassState	st;
	AttrNumber	attnums[SC_COUNT];
	int			nestlevel;
	double		session_rows;
	bool		probe;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	oldcxt = MemoryContextSwitchTo(work_ctx);

	/* 1. Every task that can make a touchpoint, into memory. */
	initStringInfo(&q);
	TpBuildTaskQuery(&q, run, false);
	calls = palloc_extended(sizeof(ScanCall) * capacity, MCXT_ALLOC_HUGE);
	TpStreamOpen(&stream, q.data, 0, NULL, NULL);
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		ScanCall   *c;

		CHECK_FOR_INTERRUPTS();
		if (ncalls >= capacity)
		{
			capacity *= 2;
			calls = repalloc_huge(calls, sizeof(ScanCall) * capacity);
		}
		c = &calls[ncalls++];
		TpReadTask(&c->task, tup, desc);
		if (c->task.task_id == NULL)
			TpNullColumnError(&run->tasks, "task_id", "a task", NULL);
		if (c->task.deleted_null)
			TpNullColumnError(&run->tasks, "is_deleted", "task", c->task.task_id);
		if (c->task.occurred_null)
			TpNullColumnError(&run->tasks, "occurred_at", "task", c->task.task_id);
		c->keylen = strlen(c->task.bizible_key);
		c->hash = hash_bytes((const unsigned char *) c->task.bizible_key, c->keylen);
	}
	TpStreamClose(&stream);

	/* 2. Sorted by (BizibleId, time), grouped, indexed. */
	qsort(calls, ncalls, sizeof(ScanCall), call_cmp);
	build_index(&index, calls, ncalls, &times);

	/* 3. The sessions, once: by id when few, else all of them, unsorted. */
	session_rows = estimated_rows(run->sessions.relid);
	probe = run->strategy == TP_STRATEGY_PROBE ||
		(run->strategy == TP_STRATEGY_AUTO && session_rows > 0 &&
		 (double) index.nentries * TP_PROBE_RATIO < session_rows);
	resetStringInfo(&q);
	build_sessions_query(&q, run, probe);
	memset(&st, 0, sizeof(st));
	st.run = run;
	st.index = &index;
	st.work_ctx = work_ctx;
	st.row_ctx = row_ctx;
	if (index.nentries > 0 && !probe && run->strategy != TP_STRATEGY_SCAN_SPI &&
		direct_scan_possible(run, attnums))
		scan_sessions_direct(&st, attnums);
	else if (index.nentries > 0)
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
			ScanCall   *c = &calls[e->first + j];

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
