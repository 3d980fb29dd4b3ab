/*
 * tp_index.c
 *		Build the index of merge_calls' calls by normalised BizibleId: one
 *		entry per id with its calls' tree (tp_match.c), an open-addressing
 *		slot table, and the (id, time bucket) filter in front of it.  Also
 *		the other index a probe needs: the sessions table's btree on the
 *		normalised key, found (TpFindKeyIndex) or advised (TpAdviseKeyIndex).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "tp_compat.h"
#include "tp_index.h"

static inline void
filter_set(KeyIndex *index, uint32 hash, int64 bucket)
{
	uint32		word;
	uint64		bits = filter_word_bits(hash, bucket, &word);

	index->filter[word & index->filter_mask] |= bits;
}

/* Order of the calls of one id: by time (their tree's leaves). */
static int
call_time_cmp(const void *a, const void *b, void *arg)
{
	const TpScanCall *calls = (const TpScanCall *) arg;
	int64		x = calls[*(const int *) a].task.occurred_at;
	int64		y = calls[*(const int *) b].task.occurred_at;

	return x < y ? -1 : x > y;
}

/* Honour a cancel or statement_timeout every 64k steps of a long loop. */
static inline void
check_interrupts_every(int i)
{
	if ((i & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
}

/*
 * Group the calls by key through the hash table (no sort of all calls),
 * then lay each key's calls out by time: order[] lists the calls key by
 * key, times[] their times; build each key's tree and the filter.
 */
void
TpBuildKeyIndex(KeyIndex *index, TpScanCall *calls, int ncalls, int64 window,
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
		const TpScanCall *c = &calls[i];
		uint32		h;

		check_interrupts_every(i);

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
				e->first_session = NULL;
				e->first_cookie = -1;
				slot->hash = c->hash;
				slot->first_session_at = PG_INT64_MAX;
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

		check_interrupts_every(i);
		if (e->ncalls > 1)
			qsort_interruptible(order + e->first, e->ncalls, sizeof(int), call_time_cmp, calls);
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

			check_interrupts_every(i);
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

	/* 5. The filter: about 10 bits per call, at most TP_FILTER_MAX_BITS. */
	{
		uint64		want = (uint64) ncalls * TP_FILTER_BITS_PER_CALL;
		uint32		bits = 64;

		while (bits < TP_FILTER_MAX_BITS && bits < want)
			bits <<= 1;
		index->filter_mask = bits / 64 - 1;
		index->filter = palloc_extended(bits / 8, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		index->bucket_width = window <= PG_INT64_MAX / (2 * TP_BUCKETS_PER_WINDOW) ?
			window * TP_BUCKETS_PER_WINDOW : 0;
		for (i = 0; i < ncalls && index->bucket_width > 0; i++)
			filter_set(index, calls[i].hash, time_bucket(calls[i].task.occurred_at,
														 index->bucket_width));
	}
	*order_out = order;
	*times_out = times;
}

/* ---- the sessions' key index ---- */

/* Estimated rows of a relation, or -1 when it has no statistics (a view). */
double
TpEstimatedRows(Oid relid)
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

/*
 * Is expr bizible_key(bizible_id)?  For the executor a cast to text around
 * the column (varchar, uuid) is fine: its queries cast the same way; the
 * direct probe reads the column's bytes, so it needs the bare column.
 */
static bool
is_key_expression(Node *expr, Oid key_function, AttrNumber bizible_attnum, bool direct)
{
	Node	   *arg;

	if (!IsA(expr, FuncExpr) || ((FuncExpr *) expr)->funcid != key_function ||
		list_length(((FuncExpr *) expr)->args) != 1)
		return false;
	arg = linitial(((FuncExpr *) expr)->args);
	if (!direct)
	{
		while (IsA(arg, RelabelType) || IsA(arg, CoerceViaIO))
			arg = IsA(arg, RelabelType) ? (Node *) ((RelabelType *) arg)->arg :
				(Node *) ((CoerceViaIO *) arg)->arg;
	}
	return IsA(arg, Var) && ((Var *) arg)->varattno == bizible_attnum;
}

/*
 * The sessions' key index (see tp_index.h).  The direct probe's shape is
 * what touchpoint.sessions ships with and what TpAdviseKeyIndex prints:
 * (bizible_key(bizible_id) COLLATE "C", started_at, ...), valid, btree,
 * default operator classes, no predicate.
 */
Oid
TpFindKeyIndex(const TpRun *run, Relation rel, bool direct)
{
	const AttrNumber *attnums = run->sessions.attnums;
	Oid			key_function;
	Oid			text_arg = TEXTOID;
	List	   *indexes;
	ListCell   *lc;
	Oid			found = InvalidOid;

	key_function = LookupFuncName(stringToQualifiedNameList(run->key_function), 1,
								  &text_arg, true);
	if (!OidIsValid(key_function))
		return InvalidOid;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index idx = irel->rd_index;
		bool		usable = false;

		/*
		 * An index built over broken HOT chains is not for snapshots older
		 * than itself (indcheckxmin), as the planner knows.
		 */
		bool		too_new = idx->indcheckxmin &&
			!TransactionIdPrecedes(HeapTupleHeaderGetXmin(irel->rd_indextuple->t_data),
								   TransactionXmin);

		if (irel->rd_rel->relam == BTREE_AM_OID && idx->indisvalid && idx->indisready &&
			idx->indislive && !too_new && idx->indkey.values[0] == 0 &&
			irel->rd_indcollation[0] == C_COLLATION_OID &&
			irel->rd_opfamily[0] == get_opclass_family(GetDefaultOpClass(TEXTOID, BTREE_AM_OID)) &&
			RelationGetIndexPredicate(irel) == NIL &&
			(!direct ||
			 (idx->indnkeyatts >= 2 &&
			  idx->indkey.values[1] == attnums[TP_S_STARTED_AT] &&
			  irel->rd_opfamily[1] == get_opclass_family(GetDefaultOpClass(TIMESTAMPTZOID, BTREE_AM_OID)))))
			usable = is_key_expression(linitial(RelationGetIndexExpressions(irel)),
									   key_function, attnums[TP_S_BIZIBLE_ID], direct);
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

/*
 * The NOTICE of tp_index.h.  Only for a plain table (a view has no index of
 * its own, and the planner may still push the key into the tables under
 * it) with enough rows for the difference to matter, and only when no
 * index lets the executor probe by key: then the probe plans one hash join
 * over the whole table, which is reading every session.
 */
void
TpAdviseKeyIndex(const TpRun *run, const char *function, const char *calls, double session_rows)
{
	const TpInput *in = &run->sessions;
	Relation	rel;
	Oid			index_oid;

	if (in->relkind != RELKIND_RELATION || session_rows < TP_ADVICE_MIN_ROWS)
		return;
	rel = table_open(in->relid, AccessShareLock);
	index_oid = TpFindKeyIndex(run, rel, false);
	table_close(rel, AccessShareLock);
	if (OidIsValid(index_oid))
		return;
	ereport(NOTICE,
			(errmsg("%s reads every row of \"%s\" for %s: it has no index on %s(%s)",
					function, in->display_name, calls,
					run->key_function, quote_identifier(in->desc->columns[TP_S_BIZIBLE_ID].name)),
			 errdetail("The relation has about %.0f rows; with the index only the sessions of the called BizibleIds are read.",
					   session_rows),
			 errhint("CREATE INDEX ON %s ((%s(%s%s) COLLATE \"C\"), %s);",
					 in->qualified_name, run->key_function,
					 quote_identifier(in->desc->columns[TP_S_BIZIBLE_ID].name),
					 in->needs_text_cast[TP_S_BIZIBLE_ID] ? "::text" : "",
					 quote_identifier(in->desc->columns[TP_S_STARTED_AT].name))));
}
