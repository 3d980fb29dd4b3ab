/*
 * tp_index.c
 *		Build the index of merge_calls' calls by normalised BizibleId: one
 *		entry per id with its calls' tree (tp_match.c), an open-addressing
 *		slot table, and the (id, time bucket) filter in front of it.
 */
#include "postgres.h"

#include "miscadmin.h"

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
