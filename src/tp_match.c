/*
 * tp_match.c
 *		The call-to-session matching engine (docs/spec.md §3.1), free of fmgr and SPI.
 *
 * A call is matched against the sessions of its BizibleId only, so callers
 * stream both inputs sorted by normalised BizibleId and hand the engine one
 * group at a time: total work is O((sessions + tasks) log group), never
 * O(sessions x tasks).
 *
 * Coverage: a session covers a call when started_at <= occurred_at and
 * occurred_at < anchor + window (half-open).  With the default anchor
 * (session start) that is exactly docs/spec.md's anchor <= occurred_at < anchor +
 * window; with the last-activity anchor the session stretches from its start
 * to its last activity plus the window.  Among covering sessions the latest
 * started_at wins, ties to the smallest session_id (bytewise).
 */
#include "tp_match.h"

#include <string.h>

/* Saturating time addition: infinities stay infinite, overflow clamps. */
int64_t
tp_time_add(int64_t a, int64_t b)
{
	if (a == INT64_MIN || a == INT64_MAX)
		return a;
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* Sort order of sessions in a group: started_at, then session_id bytewise. */
int
tp_session_cmp(const TpSession *a, const TpSession *b)
{
	if (a->started_at != b->started_at)
		return a->started_at < b->started_at ? -1 : 1;
	return strcmp(a->session_id, b->session_id);
}

size_t
tp_group_tree_size(int nsessions)
{
	size_t		leaves = 1;

	while (leaves < (size_t) (nsessions > 0 ? nsessions : 1))
		leaves <<= 1;
	return 2 * leaves;
}

/*
 * Build the max-tree: leaf i holds the end of session i's window
 * (anchor + window), inner nodes the max of their children.  Unused leaves
 * hold INT64_MIN, which never exceeds a call time.
 */
void
tp_group_build(TpGroup *group)
{
	int			leaves = 1;
	int			i;

	while (leaves < group->nsessions)
		leaves <<= 1;
	group->tree_leaves = leaves;
	for (i = 0; i < leaves; i++)
	{
		int64_t		end = INT64_MIN;

		if (i < group->nsessions)
			end = tp_time_add(group->sessions[i].anchor, group->window);
		group->tree[leaves + i] = end;
	}
	for (i = leaves - 1; i >= 1; i--)
	{
		int64_t		l = group->tree[2 * i];
		int64_t		r = group->tree[2 * i + 1];

		group->tree[i] = l > r ? l : r;
	}
}

/*
 * Rightmost index in [lo, hi] whose window end is > t, or -1.  Recursive
 * descent over node `node` covering leaves [nlo, nhi]; depth is log2(n).
 */
static int
rightmost_above(const TpGroup *g, int node, int nlo, int nhi,
				int lo, int hi, int64_t t)
{
	int			mid;
	int			found;

	if (nhi < lo || nlo > hi || g->tree[node] <= t)
		return -1;
	if (nlo == nhi)
		return nlo;
	mid = nlo + (nhi - nlo) / 2;
	found = rightmost_above(g, 2 * node + 1, mid + 1, nhi, lo, hi, t);
	if (found >= 0)
		return found;
	return rightmost_above(g, 2 * node, nlo, mid, lo, hi, t);
}

/* Leftmost index in [lo, hi] whose window end is > t, or -1. */
static int
leftmost_above(const TpGroup *g, int node, int nlo, int nhi,
			   int lo, int hi, int64_t t)
{
	int			mid;
	int			found;

	if (nhi < lo || nlo > hi || g->tree[node] <= t)
		return -1;
	if (nlo == nhi)
		return nlo;
	mid = nlo + (nhi - nlo) / 2;
	found = leftmost_above(g, 2 * node, nlo, mid, lo, hi, t);
	if (found >= 0)
		return found;
	return leftmost_above(g, 2 * node + 1, mid + 1, nhi, lo, hi, t);
}

/* Number of sessions with started_at <= t (they form a prefix). */
static int
count_started_by(const TpGroup *g, int64_t t)
{
	int			lo = 0;
	int			hi = g->nsessions;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (g->sessions[mid].started_at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index of the run of sessions sharing started_at with index i. */
static int
tie_block_start(const TpGroup *g, int i)
{
	int64_t		t = g->sessions[i].started_at;
	int			lo = 0;
	int			hi = i;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (g->sessions[mid].started_at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Match a call against its group.  Merged: the covering session with the
 * latest start (smallest id on ties).  Otherwise the nearest session: the one
 * that started last at or before the call (smallest id on ties), or, when the
 * call precedes them all, the first one after it.
 */
TpMatchResult
tp_match_call(const TpGroup *group, int64_t occurred_at)
{
	TpMatchResult result;
	int			started;

	result.status = TP_MATCH_NO_SESSIONS;
	result.index = -1;
	if (group->nsessions <= 0)
		return result;

	started = count_started_by(group, occurred_at);
	if (started > 0)
	{
		int			last = rightmost_above(group, 1, 0, group->tree_leaves - 1,
										   0, started - 1, occurred_at);

		if (last >= 0)
		{
			/* Among equal starts, the smallest id that still covers wins. */
			int			block = tie_block_start(group, last);

			result.status = TP_MATCH_MERGED;
			result.index = leftmost_above(group, 1, 0, group->tree_leaves - 1,
										  block, last, occurred_at);
			return result;
		}
		result.status = TP_MATCH_OUTSIDE_WINDOW;
		result.index = tie_block_start(group, started - 1);
		return result;
	}
	result.status = TP_MATCH_OUTSIDE_WINDOW;
	result.index = 0;
	return result;
}

/* ---- the call-centred tree (one pass over unsorted sessions) ---- */

size_t
tp_calltree_size(int ncalls)
{
	return tp_group_tree_size(ncalls);
}

void
tp_calltree_init(TpCallTree *tree, const int64_t *call_times, int ncalls,
				 const TpOffer **slots)
{
	int			leaves = 1;
	int			i;

	while (leaves < ncalls)
		leaves <<= 1;
	tree->call_times = call_times;
	tree->ncalls = ncalls;
	tree->leaves = leaves;
	tree->best = slots;
	for (i = 0; i < 2 * leaves; i++)
		slots[i] = NULL;
}

int
tp_offer_better(const TpOffer *a, const TpOffer *b)
{
	if (b == NULL)
		return 1;
	if (a->started_at != b->started_at)
		return a->started_at > b->started_at;
	return strcmp(a->session_id, b->session_id) < 0;
}

/* Index of the first call with time >= t (ncalls when none). */
static int
first_call_at_or_after(const TpCallTree *tree, int64_t t)
{
	int			lo = 0;
	int			hi = tree->ncalls;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (tree->call_times[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Keep the better offer in a slot. */
static void
keep_better(const TpOffer **slot, const TpOffer *offer)
{
	if (tp_offer_better(offer, *slot))
		*slot = offer;
}

int
tp_calltree_count(const TpCallTree *tree, int64_t started_at, int64_t end)
{
	int			lo = first_call_at_or_after(tree, started_at);
	int			hi = first_call_at_or_after(tree, end);

	return hi > lo ? hi - lo : 0;
}

int
tp_calltree_offer(TpCallTree *tree, const TpOffer *offer, int64_t end)
{
	int			lo = first_call_at_or_after(tree, offer->started_at);
	int			hi = first_call_at_or_after(tree, end);
	int			l;
	int			r;

	if (lo >= hi)
		return 0;
	/* Iterative range update over leaves [lo, hi): tag the canonical nodes. */
	for (l = lo + tree->leaves, r = hi + tree->leaves; l < r; l >>= 1, r >>= 1)
	{
		if (l & 1)
			keep_better(&tree->best[l++], offer);
		if (r & 1)
			keep_better(&tree->best[--r], offer);
	}
	return hi - lo;
}

const TpOffer *
tp_calltree_winner(const TpCallTree *tree, int i)
{
	const TpOffer *best = NULL;
	int			node;

	for (node = i + tree->leaves; node >= 1; node >>= 1)
		if (tree->best[node] != NULL && tp_offer_better(tree->best[node], best))
			best = tree->best[node];
	return best;
}

static int
is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

size_t
tp_trim_extent(const char *in, size_t len, size_t *start)
{
	size_t		b = 0;
	size_t		e = len;

	while (b < e && is_ascii_space(in[b]))
		b++;
	while (e > b && is_ascii_space(in[e - 1]))
		e--;
	*start = b;
	return e - b;
}

size_t
tp_normalize_bizible_id(const char *in, size_t len, char *out)
{
	size_t		start;
	size_t		n = tp_trim_extent(in, len, &start);
	size_t		i;

	for (i = 0; i < n; i++)
	{
		char		c = in[start + i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	return n;
}
