/*
 * tp_index.h
 *		The calls of merge_calls' one-pass strategy indexed by normalised
 *		BizibleId (built by tp_index.c, read by tp_scan.c for every session).
 *
 * A session is tested against it on the hot path of the pass, so the tests
 * are inline here.
 */
#ifndef TP_INDEX_H
#define TP_INDEX_H

#include "touchpoint.h"
#include "utils/relcache.h"

/* The calls of one normalised BizibleId: calls[first .. first + ncalls). */
typedef struct KeyEntry
{
	const char *key;
	int			keylen;
	int			first;
	int			ncalls;
	TpCallTree	tree;
	void	   *first_session;	/* the pipeline: the id's earliest session so far */
	int			first_cookie;	/* what run->first_session returned for it */
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
	int64		first_session_at;	/* the pipeline: start of the key's earliest session so far */
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
 * The filter says whether any call of an id falls in a time bucket.  With
 * about 10 bits per call it is a sixteenth of the slot table's size (256 kB
 * for 200,000 calls: in the CPU cache), so most sessions are dismissed
 * without touching the slot table: those of ids no call carries, and those
 * of called ids that lie nowhere near a call (a visitor's sessions spread
 * over months, the calls over a few minutes).  It grows with the calls (a
 * filter too small for them lets nearly every session through), up to
 * 16 MB.  Buckets are four windows wide, so a session's window touches one
 * or two of them.
 */
#define TP_FILTER_BITS_PER_CALL 10
#define TP_FILTER_MAX_BITS (1U << 27)
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

/*
 * The buckets a session's window [started_at, end) touches, when there are
 * few enough to check; false when the filter cannot answer (no buckets, or
 * too many) and the slot table must.  end > started_at.
 */
static inline bool
filter_buckets(const KeyIndex *index, int64 started_at, int64 end, int64 *first, int64 *last)
{
	if (index->bucket_width == 0)
		return false;
	*first = time_bucket(started_at, index->bucket_width);
	*last = time_bucket(end - 1, index->bucket_width);
	return *last - *first < TP_MAX_BUCKETS_CHECKED && *last >= *first;
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

	if (end <= started_at)
		return false;			/* covers nothing (and end - 1 cannot wrap) */
	if (!filter_buckets(index, started_at, end, &first, &last))
		return true;
	for (b = first; b <= last; b++)
		if (filter_bit(index, hash, b))
			return true;
	return false;
}

/*
 * Group the calls by key, lay each key's calls out by time (order[] lists
 * the calls key by key, times[] their times), build each key's call tree,
 * the slot table and the filter.
 */
extern void TpBuildKeyIndex(KeyIndex *index, TpScanCall *calls, int ncalls, int64 window,
							int **order_out, int64 **times_out);

/* ---- the sessions' key index (a btree of the sessions relation) ---- */

/* Probe by BizibleId when sessions outnumber distinct ids this many times. */
#define TP_PROBE_RATIO 64

/* Below this many estimated sessions reading them all is cheap: no advice. */
#define TP_ADVICE_MIN_ROWS 10000

/* Estimated rows of a relation, or -1 when it has no statistics (a view). */
extern double TpEstimatedRows(Oid relid);

/*
 * A btree of the sessions table whose first key is bizible_key(bizible_id)
 * COLLATE "C": any such index the executor can probe by id, or (direct) the
 * exact shape the direct probe walks, (key, started_at, ...) with the
 * default operator classes.  InvalidOid when there is none.
 */
extern Oid	TpFindKeyIndex(const TpRun *run, Relation rel, bool direct);

/*
 * When function is about to read every session of a plain table for few
 * calls (described by `calls`, e.g. "3 BizibleIds") because the table lacks
 * the key index, a NOTICE with the CREATE INDEX statement that lets it read
 * only theirs.
 */
extern void TpAdviseKeyIndex(const TpRun *run, const char *function, const char *calls,
							 double session_rows);

#endif							/* TP_INDEX_H */
