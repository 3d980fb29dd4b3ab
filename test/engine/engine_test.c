/*
 * engine_test.c
 *		Property test of the matching engine (src/tp_match.c) outside the
 *		server, against a deliberately simple brute-force reference model.
 *
 * Built with ASan + UBSan by test/engine/run.sh.  Environment:
 *	 TP_ENGINE_SEED   seed of the generator (default 20240501)
 *	 TP_ENGINE_ITERS  number of random groups (default 30000)
 *
 * The reference (ref_*) works on the sessions in generation order, never
 * sorted, with its own saturating addition and its own bytewise comparison,
 * so it shares nothing with the engine but the rules of docs/spec.md §3.1:
 *	 covers(s, t)  <=>  s.started_at <= t < sat(s.anchor + window)
 *	 merged        :   latest started_at among covering, ties -> smallest id
 *	 outside       :   latest started_at <= t (ties -> smallest id), or when t
 *					   precedes every start, earliest start (ties -> smallest id)
 *	 no sessions   :   index -1
 *
 * The last line printed is "<cases> passed, <failures> failed".
 */
#include "tp_match.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPORTS 5

/* ------------------------------------------------------------------------
 * Random numbers: splitmix64, deterministic for a given seed.
 * ------------------------------------------------------------------------ */
static uint64_t rng_state;

static uint64_t
rnd64(void)
{
	uint64_t	z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 */
static uint64_t
rnd(uint64_t n)
{
	return rnd64() % n;
}

/* true with probability 1/n */
static int
one_in(uint64_t n)
{
	return rnd(n) == 0;
}

/* ------------------------------------------------------------------------
 * Counters and reporting.
 * ------------------------------------------------------------------------ */
static long long n_passed;
static long long n_failed;
static long long n_reports;
static long long n_status[3];	/* reference outcomes, by TpMatchStatus */
static long long n_tie_merged;	/* merged with >1 covering session in the tie block */

static void
fmt_bytes(char *buf, size_t size, const char *s, size_t len)
{
	size_t		o = 0;
	size_t		i;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < len && o + 5 < size; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x21 && c < 0x7f && c != '\\' && c != '"')
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

/* The reference model (ref_*, clamp_add) lives in ref_model.h. */
#include "ref_model.h"

/* ------------------------------------------------------------------------
 * A group under test: raw sessions (generation order) and the engine's view.
 * ------------------------------------------------------------------------ */
typedef struct Built
{
	TpSession  *sorted;			/* exactly n entries (NULL when n == 0) */
	TpSession  *copy;			/* to check the engine leaves them alone */
	int64_t    *tree;			/* exactly tp_group_tree_size(n) entries */
	size_t		tree_size;
	TpGroup		group;
} Built;

static int
qsort_cmp(const void *a, const void *b)
{
	return tp_session_cmp((const TpSession *) a, (const TpSession *) b);
}

static void
build(Built *b, const TpSession *raw, int n, int64_t window)
{
	memset(b, 0, sizeof(*b));
	if (n > 0)
	{
		b->sorted = malloc(sizeof(TpSession) * (size_t) n);
		b->copy = malloc(sizeof(TpSession) * (size_t) n);
		memcpy(b->sorted, raw, sizeof(TpSession) * (size_t) n);
		qsort(b->sorted, (size_t) n, sizeof(TpSession), qsort_cmp);
		memcpy(b->copy, b->sorted, sizeof(TpSession) * (size_t) n);
	}
	b->tree_size = tp_group_tree_size(n);
	b->tree = malloc(sizeof(int64_t) * b->tree_size);
	b->group.sessions = b->sorted;
	b->group.nsessions = n;
	b->group.window = window;
	b->group.tree = b->tree;
	b->group.tree_leaves = -12345;	/* must be set by tp_group_build */
	tp_group_build(&b->group);
}

static void
unbuild(Built *b)
{
	free(b->sorted);
	free(b->copy);
	free(b->tree);
}

/*
 * Compare the engine with the reference for one call.  Returns NULL when they
 * agree, else a static description of the disagreement.
 */
static const char *
compare_call(const Built *b, const TpSession *raw, int n, int64_t window,
			 int64_t t, TpMatchResult *got, int *want_status, int *want_raw)
{
	static char why[256];

	*got = tp_match_call(&b->group, t);
	*want_status = ref_match(raw, n, window, t, want_raw);

	if (got->status != TP_MATCH_MERGED && got->status != TP_MATCH_OUTSIDE_WINDOW &&
		got->status != TP_MATCH_NO_SESSIONS)
		return "invalid status";
	if ((int) got->status != *want_status)
		return "status differs";
	if (got->status == TP_MATCH_NO_SESSIONS)
		return got->index == -1 ? NULL : "NO_SESSIONS with index != -1";
	if (got->index < 0 || got->index >= n)
	{
		snprintf(why, sizeof(why), "index %d out of range [0, %d)", got->index, n);
		return why;
	}
	/* ids are unique, so the chosen session is identified by its id pointer */
	if (b->sorted[got->index].session_id != raw[*want_raw].session_id)
		return "index differs";
	/* invariants the engine promises, checked on the engine's answer alone */
	if (got->status == TP_MATCH_MERGED)
	{
		int			i;

		if (!ref_covers(&b->sorted[got->index], window, t))
			return "merged session does not cover the call";
		/* no covering session starts later, none of its tie block sorts first */
		for (i = 0; i < n; i++)
		{
			if (i == got->index || !ref_covers(&b->sorted[i], window, t))
				continue;
			if (b->sorted[i].started_at > b->sorted[got->index].started_at)
				return "a session starting later also covers the call";
			if (b->sorted[i].started_at == b->sorted[got->index].started_at && i < got->index)
				return "a session with the same start and a smaller id also covers the call";
		}
	}
	else
	{
		int			i;

		for (i = 0; i < n; i++)
			if (ref_covers(&b->sorted[i], window, t))
				return "outside window although a session covers the call";
		if (b->sorted[got->index].started_at > t && got->index != 0)
			return "outside window: nearest starts after the call but is not index 0";
	}
	return NULL;
}

static int
still_fails(const TpSession *raw, int n, int64_t window, int64_t t)
{
	Built		b;
	TpMatchResult got;
	int			ws,
				wr;
	const char *why;

	build(&b, raw, n, window);
	why = compare_call(&b, raw, n, window, t, &got, &ws, &wr);
	unbuild(&b);
	return why != NULL;
}

/* Greedily drop sessions while the call still fails, then print the case. */
static void
report_call_failure(const TpSession *raw_in, int n, int64_t window, int64_t t,
					const char *why_first, unsigned long long group_no)
{
	TpSession  *raw = malloc(sizeof(TpSession) * (size_t) (n > 0 ? n : 1));
	Built		b;
	TpMatchResult got;
	int			ws,
				wr;
	const char *why;
	int			m = n;
	int			i;
	int			progress = 1;
	char		b1[64],
				b2[64],
				b3[64],
				b4[256];

	memcpy(raw, raw_in, sizeof(TpSession) * (size_t) n);
	while (progress && m > 0)
	{
		progress = 0;
		for (i = 0; i < m; i++)
		{
			TpSession	saved = raw[i];

			memmove(&raw[i], &raw[i + 1], sizeof(TpSession) * (size_t) (m - i - 1));
			if (still_fails(raw, m - 1, window, t))
			{
				m--;
				progress = 1;
				break;
			}
			memmove(&raw[i + 1], &raw[i], sizeof(TpSession) * (size_t) (m - i - 1));
			raw[i] = saved;
		}
	}

	build(&b, raw, m, window);
	why = compare_call(&b, raw, m, window, t, &got, &ws, &wr);
	ref_fmt_time(b1, sizeof(b1), window);
	ref_fmt_time(b2, sizeof(b2), t);
	printf("engine: FAIL (group %llu, %d sessions, shrunk to %d): %s\n",
		   group_no, n, m, why ? why : why_first);
	printf("engine:   window=%s call=%s\n", b1, b2);
	for (i = 0; i < m; i++)
	{
		ref_fmt_time(b1, sizeof(b1), b.sorted[i].started_at);
		ref_fmt_time(b2, sizeof(b2), b.sorted[i].anchor);
		ref_fmt_time(b3, sizeof(b3), ref_add(b.sorted[i].anchor, window));
		fmt_bytes(b4, sizeof(b4), b.sorted[i].session_id, strlen(b.sorted[i].session_id));
		printf("engine:   [%d] id=\"%s\" started_at=%s anchor=%s end=%s%s\n",
			   i, b4, b1, b2, b3, ref_covers(&b.sorted[i], window, t) ? " (covers)" : "");
	}
	{
		int			want_sorted = -1;

		for (i = 0; i < m && wr >= 0; i++)
			if (b.sorted[i].session_id == raw[wr].session_id)
				want_sorted = i;
		printf("engine:   engine: %s index %d; reference: %s index %d\n",
			   ref_status_name(got.status), got.index, ref_status_name(ws), want_sorted);
	}
	unbuild(&b);
	free(raw);
}

/* Structural checks of a built group; returns NULL when fine. */
static const char *
check_group(const Built *b, int n)
{
	int			i;
	int			leaves = b->group.tree_leaves;

	if (leaves < 1 || (leaves & (leaves - 1)) != 0 || leaves < n)
		return "tree_leaves is not a power of two >= nsessions";
	if ((size_t) 2 * (size_t) leaves > b->tree_size)
		return "tree_leaves exceeds tp_group_tree_size";
	if (b->group.sessions != b->sorted || b->group.nsessions != n)
		return "tp_group_build changed sessions/nsessions";
	for (i = 0; i + 1 < n; i++)
		if (ref_order(&b->sorted[i], &b->sorted[i + 1]) >= 0)
			return "sessions not strictly ordered by (started_at, id) after qsort with tp_session_cmp";
	if (n > 0 && memcmp(b->sorted, b->copy, sizeof(TpSession) * (size_t) n) != 0)
		return "engine modified the session array";
	return NULL;
}

/* ------------------------------------------------------------------------
 * Generators.
 * ------------------------------------------------------------------------ */
enum
{
	SCHEME_SMALL,				/* a handful of microseconds around 0 */
	SCHEME_NEAR_MAX,			/* just below +infinity */
	SCHEME_NEAR_MIN,			/* just above -infinity */
	SCHEME_WIDE,				/* anywhere in int64, extremes included */
	SCHEME_REAL,				/* realistic timestamps, minutes to hours */
	NSCHEMES
};

typedef struct Scheme
{
	int			kind;
	int64_t		base;
	int64_t		range;			/* > 0 */
} Scheme;

static int64_t
pick_time(const Scheme *s)
{
	if (one_in(25))
		return one_in(2) ? INT64_MIN : INT64_MAX;
	switch (s->kind)
	{
		case SCHEME_NEAR_MAX:
			return INT64_MAX - 1 - (int64_t) rnd((uint64_t) s->range);
		case SCHEME_NEAR_MIN:
			return INT64_MIN + 1 + (int64_t) rnd((uint64_t) s->range);
		case SCHEME_WIDE:
			switch (rnd(6))
			{
				case 0:
					return INT64_MAX - (int64_t) rnd(4);
				case 1:
					return INT64_MIN + (int64_t) rnd(4);
				case 2:
					return (int64_t) rnd(7) - 3;
				default:
					return (int64_t) rnd64();
			}
		default:
			return s->base + (int64_t) rnd((uint64_t) s->range);
	}
}

static int64_t
pick_window(const Scheme *s)
{
	switch (rnd(12))
	{
		case 0:
		case 1:
			return 1;
		case 2:
			return 2;
		case 3:
			return 1 + (int64_t) rnd(5);
		case 4:
		case 5:
			return 1 + (int64_t) rnd((uint64_t) s->range);
		case 6:
			return s->range;
		case 7:
			return INT64_MAX;
		case 8:
			return INT64_MAX - (int64_t) rnd(3);
		case 9:
			return (int64_t) 1 << rnd(63);
		case 10:
			return 1 + (int64_t) (rnd64() >> 1) % INT64_MAX;
		default:
			return s->kind == SCHEME_REAL ? INT64_C(1800000000) : 1 + (int64_t) rnd(3);
	}
}

/* Simple open-addressing set of ids, to keep them unique within a group. */
typedef struct IdSet
{
	char	  **slots;
	size_t		cap;
} IdSet;

static uint64_t
hash_id(const char *s)
{
	uint64_t	h = UINT64_C(1469598103934665603);

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
	return h;
}

/* Returns 1 if inserted, 0 if already present. */
static int
idset_add(IdSet *set, char *id)
{
	size_t		i = (size_t) hash_id(id) & (set->cap - 1);

	while (set->slots[i] != NULL)
	{
		if (strcmp(set->slots[i], id) == 0)
			return 0;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = id;
	return 1;
}

/* Alphabet of id bytes: neighbours, case pairs, high bytes, a space. */
static const unsigned char id_alpha[] = {
	'a', 'b', 'c', 'A', 'B', 'z', 'Z', '0', '9', '-', '_', ' ',
	0x01, 0x7f, 0x80, 0xc3, 0xa9, 0xfe, 0xff
};

static char *
gen_id(int maxlen, int alpha_n)
{
	int			len = (int) rnd((uint64_t) maxlen + 1);
	char	   *id = malloc((size_t) len + 1);
	int			i;

	for (i = 0; i < len; i++)
		id[i] = (char) id_alpha[rnd((uint64_t) alpha_n)];
	id[len] = '\0';
	return id;
}

typedef struct Group
{
	TpSession  *raw;
	char	  **ids;			/* owned */
	int			n;
	int64_t		window;
	int			last_activity;	/* anchor mode */
	Scheme		scheme;
} Group;

static void
gen_group(Group *g, int n)
{
	int			npool;
	int64_t    *pool;
	IdSet		set;
	int			i;
	int			alpha_n = one_in(3) ? 3 : (int) sizeof(id_alpha);
	int			maxlen = 3;

	g->n = n;
	g->scheme.kind = (int) rnd(NSCHEMES);
	g->scheme.range = (int64_t[]) {3, 8, 20, 60, 1000} [rnd(5)];
	g->scheme.base = 0;
	if (g->scheme.kind == SCHEME_SMALL)
		g->scheme.base = -(int64_t) rnd((uint64_t) g->scheme.range + 1);
	if (g->scheme.kind == SCHEME_REAL)
	{
		/* 2024-ish in PostgreSQL microseconds, spread over up to a day */
		g->scheme.base = INT64_C(757382400000000) + (int64_t) rnd(INT64_C(31536000000000));
		g->scheme.range = (int64_t[]) {60000000, 3600000000, INT64_C(86400000000)} [rnd(3)];
	}
	g->window = pick_window(&g->scheme);
	g->last_activity = one_in(2);

	/* a small pool of start times gives many ties */
	npool = 1 + (int) rnd((uint64_t) (n > 0 ? n : 1));
	if (one_in(3))
		npool = 1 + (int) rnd(3);
	pool = malloc(sizeof(int64_t) * (size_t) npool);
	for (i = 0; i < npool; i++)
		pool[i] = pick_time(&g->scheme);

	g->raw = malloc(sizeof(TpSession) * (size_t) (n > 0 ? n : 1));
	g->ids = malloc(sizeof(char *) * (size_t) (n > 0 ? n : 1));
	set.cap = 16;
	while (set.cap < (size_t) n * 2 + 2)
		set.cap <<= 1;
	set.slots = calloc(set.cap, sizeof(char *));
	for (i = 0; i < n; i++)
	{
		int			tries = 0;
		char	   *id;

		for (;;)
		{
			id = gen_id(maxlen, alpha_n);
			if (idset_add(&set, id))
				break;
			free(id);
			if (++tries > 8)
			{
				maxlen++;
				tries = 0;
			}
		}
		g->ids[i] = id;
		g->raw[i].session_id = id;
		g->raw[i].started_at = pool[rnd((uint64_t) npool)];
		if (!g->last_activity)
			g->raw[i].anchor = g->raw[i].started_at;
		else
		{
			int64_t		st = g->raw[i].started_at;

			switch (rnd(8))
			{
				case 0:
					g->raw[i].anchor = st;
					break;
				case 1:
					g->raw[i].anchor = pick_time(&g->scheme);
					break;
				case 2:
					/* before the start */
					g->raw[i].anchor = clamp_add(st, -1 - (int64_t) rnd((uint64_t) g->scheme.range));
					break;
				case 3:
					g->raw[i].anchor = one_in(2) ? INT64_MIN : INT64_MAX;
					break;
				default:
					/* usual case: some activity after the start */
					g->raw[i].anchor = clamp_add(st, (int64_t) rnd((uint64_t) g->scheme.range + 1));
					break;
			}
		}
	}
	free(set.slots);
	free(pool);
}

static void
free_group(Group *g)
{
	int			i;

	for (i = 0; i < g->n; i++)
		free(g->ids[i]);
	free(g->ids);
	free(g->raw);
}

/* Interesting call times for a group: every boundary, +-1, extremes. */
static int64_t *
gen_calls(const Group *g, int *ncalls)
{
	int			cap = g->n * 9 + 16;
	int64_t    *calls = malloc(sizeof(int64_t) * (size_t) cap);
	int			k = 0;
	int			i;

	calls[k++] = INT64_MIN;
	calls[k++] = INT64_MIN + 1;
	calls[k++] = INT64_MAX;
	calls[k++] = INT64_MAX - 1;
	calls[k++] = 0;
	for (i = 0; i < 6; i++)
		calls[k++] = pick_time(&g->scheme);
	for (i = 0; i < g->n; i++)
	{
		int64_t		st = g->raw[i].started_at;
		int64_t		end = ref_add(g->raw[i].anchor, g->window);

		calls[k++] = clamp_add(st, -1);
		calls[k++] = st;
		calls[k++] = clamp_add(st, 1);
		calls[k++] = clamp_add(end, -1);
		calls[k++] = end;
		calls[k++] = clamp_add(end, 1);
		calls[k++] = g->raw[i].anchor;
		calls[k++] = clamp_add(g->raw[i].anchor, -1);
		calls[k++] = pick_time(&g->scheme);
	}
	*ncalls = k;
	return calls;
}

/* ------------------------------------------------------------------------
 * The property runs.
 * ------------------------------------------------------------------------ */
static void
pass(void)
{
	n_passed++;
}

static void
fail(void)
{
	n_failed++;
}

static void
run_group(unsigned long long group_no, int n, int max_calls, long long *calls_run)
{
	Group		g;
	Built		b;
	int64_t    *calls;
	int			ncalls;
	int			c;
	const char *why;

	gen_group(&g, n);
	build(&b, g.raw, n, g.window);

	why = check_group(&b, n);
	if (why)
	{
		fail();
		if (n_reports++ < MAX_REPORTS)
			printf("engine: FAIL (group %llu, %d sessions): %s\n", group_no, n, why);
	}
	else
		pass();

	calls = gen_calls(&g, &ncalls);
	for (c = 0; c < (max_calls > 0 ? max_calls : ncalls); c++)
	{
		int64_t		t = max_calls > 0 ? calls[rnd((uint64_t) ncalls)] : calls[c];
		TpMatchResult got;
		int			ws,
					wr;

		why = compare_call(&b, g.raw, n, g.window, t, &got, &ws, &wr);
		(*calls_run)++;
		if (ws >= 0 && ws < 3)
			n_status[ws]++;
		if (ws == TP_MATCH_MERGED)
		{
			int			j,
						k = 0;

			for (j = 0; j < n; j++)
				if (g.raw[j].started_at == g.raw[wr].started_at &&
					ref_covers(&g.raw[j], g.window, t))
					k++;
			if (k > 1)
				n_tie_merged++;
		}
		if (why == NULL)
		{
			pass();
			continue;
		}
		fail();
		if (n_reports++ < MAX_REPORTS)
			report_call_failure(g.raw, n, g.window, t, why, group_no);
	}
	/* the engine must not have touched the sessions while matching */
	if (n > 0 && memcmp(b.sorted, b.copy, sizeof(TpSession) * (size_t) n) != 0)
	{
		fail();
		if (n_reports++ < MAX_REPORTS)
			printf("engine: FAIL (group %llu): tp_match_call modified the sessions\n", group_no);
	}
	free(calls);
	unbuild(&b);
	free_group(&g);
}

/* tp_time_add against the reference on interesting operands. */
static int64_t
interesting_int64(void)
{
	switch (rnd(8))
	{
		case 0:
			return INT64_MIN + (int64_t) rnd(3);
		case 1:
			return INT64_MAX - (int64_t) rnd(3);
		case 2:
			return (int64_t) rnd(9) - 4;
		case 3:
			return (int64_t) 1 << rnd(63);
		case 4:
			return -((int64_t) 1 << rnd(63));
		default:
			return (int64_t) rnd64();
	}
}

static void
run_time_add(void)
{
	int64_t		a = interesting_int64();
	int64_t		b = interesting_int64();
	int64_t		got = tp_time_add(a, b);
	int64_t		want = ref_add(a, b);

	if (got == want)
	{
		pass();
		return;
	}
	fail();
	if (n_reports++ < MAX_REPORTS)
	{
		char		x[64],
					y[64],
					z[64],
					w[64];

		ref_fmt_time(x, sizeof(x), a);
		ref_fmt_time(y, sizeof(y), b);
		ref_fmt_time(z, sizeof(z), got);
		ref_fmt_time(w, sizeof(w), want);
		printf("engine: FAIL tp_time_add(%s, %s) = %s, expected %s\n", x, y, z, w);
	}
}

/* tp_session_cmp's sign against the reference order on random pairs. */
static void
run_session_cmp(void)
{
	char	   *ia = gen_id(3, (int) sizeof(id_alpha));
	char	   *ib = one_in(4) ? ia : gen_id(3, (int) sizeof(id_alpha));
	TpSession	a,
				b;
	int64_t		pool[3];
	int			got,
				want;

	pool[0] = interesting_int64();
	pool[1] = interesting_int64();
	pool[2] = clamp_add(pool[0], 1);
	a.started_at = pool[rnd(3)];
	b.started_at = one_in(2) ? a.started_at : pool[rnd(3)];
	a.anchor = interesting_int64();
	b.anchor = interesting_int64();
	a.session_id = ia;
	b.session_id = ib;
	got = tp_session_cmp(&a, &b);
	want = ref_order(&a, &b);
	got = (got > 0) - (got < 0);
	if (got == want)
		pass();
	else
	{
		fail();
		if (n_reports++ < MAX_REPORTS)
		{
			char		x[64],
						y[64],
						z[64],
						w[64];

			ref_fmt_time(x, sizeof(x), a.started_at);
			ref_fmt_time(y, sizeof(y), b.started_at);
			fmt_bytes(z, sizeof(z), ia, strlen(ia));
			fmt_bytes(w, sizeof(w), ib, strlen(ib));
			printf("engine: FAIL tp_session_cmp((%s,\"%s\"), (%s,\"%s\")) sign %d, expected %d\n",
				   x, z, y, w, got, want);
		}
	}
	if (ib != ia)
		free(ib);
	free(ia);
}

/* Random byte strings for the BizibleId / task type normalisers. */
static const unsigned char str_ws[] = {' ', '\t', '\n', '\v', '\f', '\r'};
static const unsigned char str_near[] = {
	0x00, 0x08, 0x0e, 0x1c, 0x1f, 0x85, 0xa0, '@', '[', '`', '{', 0xc0, 0xc9,
	0xde, 0xe9, 0xff, 0x80, 0x7f, '_'
};

static unsigned char
gen_str_byte(void)
{
	switch (rnd(8))
	{
		case 0:
		case 1:
			return str_ws[rnd(sizeof(str_ws))];
		case 2:
			return (unsigned char) ('A' + rnd(26));
		case 3:
			return (unsigned char) ('a' + rnd(26));
		case 4:
			return str_near[rnd(sizeof(str_near))];
		case 5:
			return (unsigned char) (0x80 + rnd(0x80));
		case 6:
			return (unsigned char) ('0' + rnd(10));
		default:
			return (unsigned char) rnd(256);
	}
}

static void
run_strings(void)
{
	size_t		len = 0;
	size_t		cap = 40;
	unsigned char tmp[40];
	char	   *in;
	char	   *out;
	size_t		i,
				b,
				e,
				got_n,
				got_start,
				want_n;
	int			ok = 1;
	const char *what = "";

	/* leading white space, a body (possibly with embedded spaces), trailing */
	{
		size_t		lead = one_in(3) ? 0 : (size_t) rnd(5);
		size_t		body = (size_t) rnd(one_in(10) ? 30 : 10);
		size_t		trail = one_in(3) ? 0 : (size_t) rnd(5);

		for (i = 0; i < lead && len < cap; i++)
			tmp[len++] = str_ws[rnd(sizeof(str_ws))];
		for (i = 0; i < body && len < cap; i++)
			tmp[len++] = gen_str_byte();
		for (i = 0; i < trail && len < cap; i++)
			tmp[len++] = str_ws[rnd(sizeof(str_ws))];
	}
	/* exact-size heap buffers so ASan sees any read or write past the end */
	in = malloc(len > 0 ? len : 1);
	out = malloc(len > 0 ? len : 1);
	memcpy(in, tmp, len);

	/* reference */
	b = 0;
	while (b < len && ref_is_space((unsigned char) in[b]))
		b++;
	e = len;
	while (e > b && ref_is_space((unsigned char) in[e - 1]))
		e--;
	want_n = e - b;

	/* tp_trim_extent */
	got_start = (size_t) -1;
	got_n = tp_trim_extent(in, len, &got_start);
	if (got_n != want_n)
	{
		ok = 0;
		what = "tp_trim_extent length";
	}
	else if (want_n > 0 && got_start != b)
	{
		ok = 0;
		what = "tp_trim_extent start";
	}
	else if (want_n == 0 && got_start > len)
	{
		ok = 0;
		what = "tp_trim_extent start beyond the input";
	}
	if (ok)
		pass();
	else
		fail();

	/* tp_normalize_bizible_id */
	if (ok)
	{
		got_n = tp_normalize_bizible_id(in, len, out);
		if (got_n != want_n)
		{
			ok = 0;
			what = "tp_normalize_bizible_id length";
		}
		else
		{
			for (i = 0; i < want_n; i++)
			{
				unsigned char c = (unsigned char) in[b + i];
				unsigned char w = (c >= 'A' && c <= 'Z') ? (unsigned char) (c + 32) : c;

				if ((unsigned char) out[i] != w)
				{
					ok = 0;
					what = "tp_normalize_bizible_id bytes";
					break;
				}
			}
		}
		if (ok)
			pass();
		else
			fail();
	}

	if (!ok && n_reports++ < MAX_REPORTS)
	{
		char		x[256];

		fmt_bytes(x, sizeof(x), in, len);
		printf("engine: FAIL %s on \"%s\" (len %zu): got length %zu start %zu, expected length %zu start %zu\n",
			   what, x, len, got_n, got_start, want_n, b);
	}
	free(in);
	free(out);
}

int
main(void)
{
	const char *seed_env = getenv("TP_ENGINE_SEED");
	const char *iters_env = getenv("TP_ENGINE_ITERS");
	unsigned long long seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : 20240501ULL;
	long long	iters = iters_env && *iters_env ? strtoll(iters_env, NULL, 0) : 30000;
	long long	calls_run = 0;
	long long	large = 0;
	long long	sessions_total = 0;
	long long	i;
	struct timespec t0,
				t1;

	if (iters < 1)
		iters = 1;
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (i = 0; i < iters; i++)
	{
		int			n;
		int			max_calls = 0;

		if (i % 1000 == 1)
		{
			/* a large group: sample the call times instead of trying all */
			n = 4000 + (int) rnd(1001);
			max_calls = 1500;
			large++;
		}
		else if (one_in(20))
			n = 0;
		else if (one_in(2))
			n = 1 + (int) rnd(8);
		else
			n = 1 + (int) rnd(60);
		sessions_total += n;
		run_group((unsigned long long) i, n, max_calls, &calls_run);

		run_time_add();
		run_session_cmp();
		run_strings();
		run_strings();
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("engine: seed=%llu iters=%lld groups (%lld large, %lld sessions), %lld calls matched\n",
		   seed, iters, large, sessions_total, calls_run);
	printf("engine: reference outcomes: %lld merged (%lld among tied covering starts), %lld outside window, %lld no sessions\n",
		   n_status[TP_MATCH_MERGED], n_tie_merged, n_status[TP_MATCH_OUTSIDE_WINDOW],
		   n_status[TP_MATCH_NO_SESSIONS]);
	printf("engine: %.2f s\n",
		   (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (n_reports > MAX_REPORTS)
		printf("engine: (%lld failure reports not shown)\n", n_reports - MAX_REPORTS);
	printf("%lld passed, %lld failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
