/*
 * tp_scan_pipeline.c
 *		The pipeline's additions to merge_calls' one-pass strategy
 *		(docs/pipeline.md): in the same read of the sessions, each called
 *		BizibleId's earliest session, and the sessions that form fills and
 *		chats name by id (with one query by id afterwards for those the pass
 *		did not meet).  Called from tp_scan.c when TpRun asks for them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "touchpoint.h"
#include "tp_compat.h"
#include "tp_index.h"
#include "tp_scan.h"

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

struct TpNamedSet
{
	NamedSlot  *slots;
	uint32		mask;
	uint64	   *bits;			/* one bit per hash, before the slots: most ids are not wanted */
	uint32		bits_mask;		/* bits - 1 */
};

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
TpNamedSet *
TpBuildNamedSet(TpRun *run, const TpScanCall *calls, int ncalls)
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
 * The pipeline: may the session's id have calls (a slot with its hash)?
 * Only those sessions can be an id's earliest or one an event names
 * (others named are fetched by TpFindNamedLeftovers).
 */
bool
TpKeyIsCalled(const KeyIndex *index, const SessionHead *head)
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
 * TpFindNamedLeftovers() fetches any other by id afterwards.
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

void
TpTrackFirstSession(PassState *st, const SessionRow *row, const SessionHead *head)
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
 * Could the session be its id's earliest so far (a slot with its hash whose
 * earliest start is not before it)?  False for most sessions once a few of
 * each id have been read; a true answer may be a hash shared with another
 * id, which TpTrackFirstSession then rules out.
 */
bool
TpMayBeFirstSession(const KeyIndex *index, const SessionHead *head)
{
	uint32		h;

	if (head->id_null || head->start_null)
		return false;
	for (h = head->hash & index->mask; index->slots[h].entry != 0; h = (h + 1) & index->mask)
		if (index->slots[h].hash == head->hash && head->started_at <= index->slots[h].first_session_at)
			return true;
	return false;
}

/* Might an event name this session id?  (The bit set: false is certain.) */
bool
TpNamedMayHave(const TpNamedSet *set, const char *id, int len)
{
	return named_may_have(set, hash_bytes((const unsigned char *) id, len));
}

/*
 * The pipeline: a session of a called id may be one some event names (the
 * bit set answers for most without a probe); see check_named.
 */
void
TpTrackNamed(PassState *st, const SessionRow *row, const SessionHead *head)
{
	if (!head->id_null)
		check_named(st, row);
}

/*
 * The named sessions the pass did not meet (of a BizibleId without calls,
 * without BizibleId, or unknown): one query by id, through the executor.
 */
void
TpFindNamedLeftovers(PassState *st)
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


/*
 * Without a pass (the pipeline on Citus, whose events come placed from the
 * workers): the sessions run->named_extra names, fetched by id in one
 * query, kept in run->keep_ctx for TpNamedSession.  SPI must be connected.
 */
void
TpFindNamedSessions(TpRun *run)
{
	PassState	st;
	MemoryContext oldcxt = MemoryContextSwitchTo(run->keep_ctx);

	run->named = TpBuildNamedSet(run, NULL, 0);
	MemoryContextSwitchTo(oldcxt);
	memset(&st, 0, sizeof(st));
	st.run = run;
	st.work_ctx = run->keep_ctx;
	st.row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint named session row",
									   ALLOCSET_SMALL_SIZES);
	TpFindNamedLeftovers(&st);
	MemoryContextDelete(st.row_ctx);
}
