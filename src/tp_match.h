/*
 * tp_match.h
 *		The call-to-session matching engine of touchpoint (docs/spec.md §3.1).
 *
 * This header and tp_match.c use only the C standard library: no fmgr, no
 * SPI, no palloc.  The server-side wrappers (tp_merge.c) feed it arrays, and
 * test/fuzz builds it alone against a reference model.
 *
 * Times are signed 64-bit microsecond counts (PostgreSQL's TimestampTz);
 * INT64_MIN and INT64_MAX stand for -infinity and +infinity.
 */
#ifndef TP_MATCH_H
#define TP_MATCH_H

#include <stddef.h>
#include <stdint.h>

/* One web session of a BizibleId group, as the engine sees it. */
typedef struct TpSession
{
	int64_t		started_at;		/* first page view */
	int64_t		anchor;			/* where the window starts (start or last activity) */
	const char *session_id;		/* NUL-terminated; ties go to the smallest (bytewise) */
} TpSession;

/* What the engine says about one call against its group of sessions. */
typedef enum TpMatchStatus
{
	TP_MATCH_MERGED,			/* a session covers the call: index = the winner */
	TP_MATCH_OUTSIDE_WINDOW,	/* sessions exist, none covers: index = nearest */
	TP_MATCH_NO_SESSIONS		/* the group is empty: index = -1 */
} TpMatchStatus;

typedef struct TpMatchResult
{
	TpMatchStatus status;
	int			index;			/* into the group's session array, or -1 */
} TpMatchResult;

/*
 * A group: the sessions of one normalised BizibleId, sorted by started_at,
 * then session_id bytewise, plus a max-tree over each session's window end so
 * a call finds its covering session in O(log n) whatever the anchors are.
 */
typedef struct TpGroup
{
	const TpSession *sessions;
	int			nsessions;
	int64_t		window;			/* microseconds, > 0 */
	int64_t    *tree;			/* 2 * tree_leaves entries, caller-allocated */
	int			tree_leaves;	/* power of two >= nsessions */
} TpGroup;

/* Number of int64_t the caller must allocate for a group of n sessions. */
extern size_t tp_group_tree_size(int nsessions);

/* Saturating a + b for times (never overflows past +-infinity). */
extern int64_t tp_time_add(int64_t a, int64_t b);

/* Fill group->tree; sessions must already be sorted (see tp_session_cmp). */
extern void tp_group_build(TpGroup *group);

/* Match one call at occurred_at against a built group (docs/spec.md §3.1.4-5). */
extern TpMatchResult tp_match_call(const TpGroup *group, int64_t occurred_at);

/*
 * The call-centred form of the same rule, for one pass over unsorted
 * sessions (merge_calls' scan strategy).  The calls of one BizibleId, sorted
 * by time, are the leaves of a tree; a session covers a contiguous run of
 * them, [first call at or after its start, first call at or after its window
 * end), and is offered to that run in O(log calls).  Afterwards each call's
 * winner is the best offer on its root-to-leaf path: the latest started_at,
 * ties to the smallest session_id.  Memory is O(calls), whatever the number
 * of sessions.
 */
typedef struct TpOffer
{
	int64_t		started_at;
	const char *session_id;		/* NUL-terminated */
} TpOffer;

typedef struct TpCallTree
{
	const int64_t *call_times;	/* sorted ascending, ncalls entries */
	int			ncalls;
	int			leaves;			/* power of two >= ncalls */
	const TpOffer **best;		/* 2 * leaves slots, caller-allocated */
} TpCallTree;

/* Slots the caller must allocate for a tree over n calls. */
extern size_t tp_calltree_size(int ncalls);

/* Set up an empty tree over call_times (sorted ascending). */
extern void tp_calltree_init(TpCallTree *tree, const int64_t *call_times, int ncalls,
							 const TpOffer **slots);

/*
 * Offer a session: it covers the calls with started_at <= time < end
 * (end = anchor + window, saturated).  Returns the number of calls covered
 * (0: nothing was recorded, the caller may forget the session).
 */
extern int	tp_calltree_offer(TpCallTree *tree, const TpOffer *offer, int64_t end);

/* How many calls a session starting at started_at with this window end covers. */
extern int	tp_calltree_count(const TpCallTree *tree, int64_t started_at, int64_t end);

/* The winning session of call i, or NULL when no session covers it. */
extern const TpOffer *tp_calltree_winner(const TpCallTree *tree, int i);

/* Is offer a better than b (later start, then smaller id)?  b may be NULL. */
extern int	tp_offer_better(const TpOffer *a, const TpOffer *b);

/* Order of sessions inside a group: started_at, then session_id bytewise. */
extern int	tp_session_cmp(const TpSession *a, const TpSession *b);

/*
 * Normalise a BizibleId (docs/spec.md §3.1.1): trim ASCII white space (space, \t, \n,
 * \v, \f, \r) on both sides and fold ASCII letters to lower case.  Writes at
 * most len bytes to out (no terminator) and returns the length written; 0
 * means the id is missing.
 */
extern size_t tp_normalize_bizible_id(const char *in, size_t len, char *out);

/* Trimmed extent of a task type; returns its length, 0 = blank. */
extern size_t tp_trim_extent(const char *in, size_t len, size_t *start);

#endif							/* TP_MATCH_H */
