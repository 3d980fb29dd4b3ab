/*
 * fuzz_match.c
 *		libFuzzer target: the matching engine (src/tp_match.c, docs/spec.md §3.1.4-5)
 *		against the brute-force reference model of test/engine/ref_model.h.
 *
 * The input bytes decode into one BizibleId group: a window, an anchor mode,
 * up to MAX_SESSIONS sessions (start, anchor = start or last activity,
 * session id; ids may repeat and starts tie) and up to MAX_CALLS call times.
 * Times are drawn near a base (0, 2024, the ends of PostgreSQL's timestamp
 * range, the ends of int64), at +-infinity (INT64_MIN/INT64_MAX), relative to
 * an earlier session's start, anchor or window end (to hit the half-open
 * boundaries exactly), or as raw 64-bit values; windows range from 1 us to
 * INT64_MAX, so window ends saturate.
 *
 * Both of the engine's strategies are checked against the reference:
 *	 - the group strategy: qsort with tp_session_cmp, tp_group_build,
 *	   tp_match_call for every call (status, and the chosen session's
 *	   started_at and id; a merged session must cover the call);
 *	 - the call-centred strategy: tp_calltree_init over the sorted calls,
 *	   tp_calltree_count and tp_calltree_offer for every session (the number
 *	   of calls covered), tp_calltree_winner for every call;
 * plus tp_time_add against the reference's saturating addition,
 * tp_session_cmp's sign against the reference order, and the lower bound
 * merge_calls' scan puts on started_at (started_at > tp_time_add(call,
 * -window) for every covering session, session-start anchor).
 *
 * All arrays are heap blocks of exactly the size the engine asks for, so
 * AddressSanitizer sees any access past them.  A disagreement prints the
 * decoded case and aborts.  TP_FUZZ_DUMP=1 prints every decoded case.
 */
#include "tp_match.h"
#include "ref_model.h"
#include "fuzz_common.h"

#define TARGET "fuzz_match"
#define MAX_SESSIONS 32
#define MAX_CALLS 32

typedef struct Case
{
	int			last_activity;	/* anchor mode: last activity (else start) */
	int			reverse_offers; /* offer sessions to the call tree backwards */
	int64_t		base;
	int64_t		scale;
	int64_t		window;
	int			n;
	TpSession	raw[MAX_SESSIONS];	/* decoding order, never sorted */
	int			m;
	int64_t		calls[MAX_CALLS];	/* decoding order */
} Case;

/* Alphabet of id bytes: neighbours, case pairs, a space, high bytes. */
static const unsigned char id_alpha[16] = {
	'a', 'b', 'c', 'A', 'B', 'z', '0', '9', ' ', '_', 0x01, 0x7f, 0x80, 0xc3, 0xe9, 0xff
};

static const Case *current;		/* for reports */

static void
dump_case(FILE *f, const Case *c)
{
	char		b1[64],
				b2[64],
				b3[64],
				b4[64];
	int			i;

	ref_fmt_time(b1, sizeof(b1), c->window);
	ref_fmt_time(b2, sizeof(b2), c->base);
	fprintf(f, "case: window=%s anchor=%s base=%s scale=%" PRId64 " offers=%s, %d sessions, %d calls\n",
			b1, c->last_activity ? "last_activity" : "session_start", b2, c->scale,
			c->reverse_offers ? "backwards" : "forwards", c->n, c->m);
	for (i = 0; i < c->n; i++)
	{
		ref_fmt_time(b1, sizeof(b1), c->raw[i].started_at);
		ref_fmt_time(b2, sizeof(b2), c->raw[i].anchor);
		ref_fmt_time(b3, sizeof(b3), ref_add(c->raw[i].anchor, c->window));
		fz_fmt_bytes(b4, sizeof(b4), c->raw[i].session_id, strlen(c->raw[i].session_id));
		fprintf(f, "  session[%d] id=\"%s\" started_at=%s anchor=%s end=%s\n",
				i, b4, b1, b2, b3);
	}
	for (i = 0; i < c->m; i++)
	{
		int			j,
					k = 0;

		for (j = 0; j < c->n; j++)
			k += ref_covers(&c->raw[j], c->window, c->calls[i]);
		ref_fmt_time(b1, sizeof(b1), c->calls[i]);
		fprintf(f, "  call[%d] at %s (covered by %d)\n", i, b1, k);
	}
}

#define MISMATCH(...) \
	do { \
		if (current) \
			dump_case(stderr, current); \
		FZ_MISMATCH(TARGET, __VA_ARGS__); \
	} while (0)

/* ------------------------------------------------------------------------
 * Decoding.
 * ------------------------------------------------------------------------ */

/* A time: near the base, at/near infinity, next to a known session, or raw. */
static int64_t
decode_time(FuzzReader *r, const Case *c, int nknown)
{
	uint8_t		tag = fz_u8(r);

	switch (tag % 10)
	{
		case 0:
		case 1:
		case 2:
		case 3:
			return clamp_add(c->base, (int64_t) (int8_t) fz_u8(r) * c->scale);
		case 4:
		case 5:
			{
				/* next to an earlier session's start, anchor or window end */
				uint8_t		k = fz_u8(r);
				uint8_t		which = fz_u8(r);
				int64_t		delta = (int64_t) (int8_t) fz_u8(r);
				const TpSession *s;
				int64_t		v;

				if (nknown == 0)
					return clamp_add(c->base, delta);
				s = &c->raw[k % nknown];
				v = which % 3 == 0 ? s->started_at : which % 3 == 1 ? s->anchor :
					ref_add(s->anchor, c->window);
				if (tag % 10 == 5)
					delta *= c->scale;
				return clamp_add(v, delta);
			}
		case 6:
			return (fz_u8(r) & 1) ? INT64_MAX : INT64_MIN;
		case 7:
			{
				uint8_t		b = fz_u8(r);

				return (b & 1) ? INT64_MAX - 1 - (b >> 1) : INT64_MIN + 1 + (b >> 1);
			}
		case 8:
			return clamp_add(c->base, (int64_t) (int16_t) fz_u16(r) * c->scale);
		default:
			return (int64_t) fz_u64(r);
	}
}

static int64_t
decode_window(FuzzReader *r, const Case *c)
{
	uint8_t		tag = fz_u8(r);
	int64_t		w;

	switch (tag % 8)
	{
		case 0:
			return 1 + fz_u8(r) % 4;
		case 1:
			return ((int64_t) fz_u8(r) + 1) * c->scale;
		case 2:
			return INT64_MAX;
		case 3:
			return INT64_MAX - fz_u8(r);
		case 4:
			return (int64_t) 1 << (fz_u8(r) % 63);
		case 5:
			w = (int64_t) (fz_u64(r) & (uint64_t) INT64_MAX);
			return w > 0 ? w : 1;
		case 6:
			return INT64_C(1800000000);	/* the default, 30 minutes */
		default:
			return ((int64_t) fz_u16(r) + 1) * c->scale;
	}
}

static char *
dup_bytes(const char *s, size_t len)
{
	char	   *p = malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static void
decode_case(FuzzReader *r, Case *c)
{
	static const int64_t scales[4] = {1, 1000, 1000000, INT64_C(60000000)};
	uint8_t		flags = fz_u8(r);
	int			i;

	memset(c, 0, sizeof(*c));
	c->last_activity = flags & 1;
	c->reverse_offers = (flags >> 1) & 1;
	c->scale = scales[(flags >> 2) & 3];
	switch ((flags >> 4) & 7)
	{
		case 1:
			c->base = INT64_MAX - 512;
			break;
		case 2:
			c->base = INT64_MIN + 512;
			break;
		case 3:
			c->base = INT64_C(757382400000000);	/* 2024-01-01 in PostgreSQL */
			break;
		case 4:
			c->base = INT64_C(9223371331200000000) - 1;	/* last finite timestamptz */
			break;
		case 5:
			c->base = INT64_C(-211813488000000000);	/* first finite timestamptz */
			break;
		case 7:
			c->base = (int64_t) fz_u64(r);
			break;
		default:
			c->base = 0;
			break;
	}
	c->window = decode_window(r, c);

	c->n = fz_u8(r) % (MAX_SESSIONS + 1);
	for (i = 0; i < c->n; i++)
	{
		TpSession  *s = &c->raw[i];
		uint8_t		b;

		s->started_at = decode_time(r, c, i);
		s->anchor = s->started_at;
		if (c->last_activity)
		{
			switch (fz_u8(r) % 4)
			{
				case 0:			/* last_activity_at NULL: the start */
					break;
				case 1:
					s->anchor = decode_time(r, c, i);
					break;
				case 2:
					s->anchor = clamp_add(s->started_at, (int64_t) fz_u8(r) * c->scale);
					break;
				default:		/* last activity before the start */
					s->anchor = clamp_add(s->started_at, -1 - (int64_t) fz_u8(r));
					break;
			}
		}
		/* the id: a copy of an earlier one (same bytes, own buffer) or new */
		b = fz_u8(r);
		if ((b & 0xc0) == 0xc0 && i > 0)
		{
			const char *o = c->raw[b % i].session_id;

			s->session_id = dup_bytes(o, strlen(o));
		}
		else
		{
			char		tmp[4];
			size_t		len = b % 5;
			size_t		k;

			for (k = 0; k < len; k++)
				tmp[k] = (char) id_alpha[fz_u8(r) % 16];
			s->session_id = dup_bytes(tmp, len);
		}
	}

	c->m = fz_u8(r) % (MAX_CALLS + 1);
	for (i = 0; i < c->m; i++)
		c->calls[i] = decode_time(r, c, c->n);
}

static void
free_case(Case *c)
{
	int			i;

	for (i = 0; i < c->n; i++)
		free((char *) c->raw[i].session_id);
}

/* ------------------------------------------------------------------------
 * Checks.
 * ------------------------------------------------------------------------ */

static void
check_time_add(int64_t a, int64_t b)
{
	int64_t		got = tp_time_add(a, b);
	int64_t		want = ref_add(a, b);

	if (got != want)
	{
		char		x[64],
					y[64],
					z[64],
					w[64];

		ref_fmt_time(x, sizeof(x), a);
		ref_fmt_time(y, sizeof(y), b);
		ref_fmt_time(z, sizeof(z), got);
		ref_fmt_time(w, sizeof(w), want);
		MISMATCH("tp_time_add(%s, %s) = %s, reference %s", x, y, z, w);
	}
}

/* A time for a message (rotating static buffers: only for reports). */
static const char *
tfmt(int64_t t)
{
	static char buf[4][64];
	static int	next;
	char	   *b = buf[next++ % 4];

	ref_fmt_time(b, 64, t);
	return b;
}

/* Same started_at and the same id bytes? */
static int
same_session(const TpSession *a, int64_t started_at, const char *id)
{
	return a->started_at == started_at && ref_idcmp(a->session_id, id) == 0;
}

static int
qsort_cmp(const void *a, const void *b)
{
	return tp_session_cmp((const TpSession *) a, (const TpSession *) b);
}

/* The group strategy: sort, build, match every call. */
static void
check_group(const Case *c)
{
	int			n = c->n;
	TpSession  *sorted = malloc(sizeof(TpSession) * (size_t) (n > 0 ? n : 1));
	TpSession  *copy = malloc(sizeof(TpSession) * (size_t) (n > 0 ? n : 1));
	size_t		tree_size = tp_group_tree_size(n);
	int64_t    *tree;
	TpGroup		g;
	size_t		i;
	int			k;

	if (tree_size < 2)
		MISMATCH("tp_group_tree_size(%d) = %zu, below 2", n, tree_size);
	tree = malloc(sizeof(int64_t) * tree_size);
	for (i = 0; i < tree_size; i++)
		tree[i] = INT64_C(0x5a5a5a5a5a5a5a5a);	/* must be overwritten */

	if (n > 0)
		memcpy(sorted, c->raw, sizeof(TpSession) * (size_t) n);
	qsort(sorted, (size_t) n, sizeof(TpSession), qsort_cmp);
	for (k = 0; k + 1 < n; k++)
		if (ref_order(&sorted[k], &sorted[k + 1]) > 0)
			MISMATCH("sessions out of (started_at, id) order after qsort with tp_session_cmp at %d", k);
	if (n > 0)
		memcpy(copy, sorted, sizeof(TpSession) * (size_t) n);

	memset(&g, 0, sizeof(g));
	g.sessions = sorted;
	g.nsessions = n;
	g.window = c->window;
	g.tree = tree;
	g.tree_leaves = -12345;
	tp_group_build(&g);
	if (g.tree_leaves < 1 || (g.tree_leaves & (g.tree_leaves - 1)) != 0 || g.tree_leaves < n)
		MISMATCH("tree_leaves %d is not a power of two >= %d", g.tree_leaves, n);
	if ((size_t) 2 * (size_t) g.tree_leaves > tree_size)
		MISMATCH("tree_leaves %d exceeds tp_group_tree_size %zu", g.tree_leaves, tree_size);
	if (g.sessions != sorted || g.nsessions != n || g.window != c->window || g.tree != tree)
		MISMATCH("tp_group_build changed the group's inputs");

	for (k = 0; k < c->m; k++)
	{
		int64_t		t = c->calls[k];
		TpMatchResult got = tp_match_call(&g, t);
		int			which;
		int			want = ref_match(c->raw, n, c->window, t, &which);
		if ((int) got.status != want)
			MISMATCH("tp_match_call(call[%d] at %s): status %s (index %d), reference %s (session[%d])",
					 k, tfmt(t), ref_status_name(got.status), got.index, ref_status_name(want), which);
		if (want == TP_MATCH_NO_SESSIONS)
		{
			if (got.index != -1)
				MISMATCH("tp_match_call(call[%d] at %s): NO_SESSIONS with index %d", k, tfmt(t), got.index);
			continue;
		}
		if (got.index < 0 || got.index >= n)
			MISMATCH("tp_match_call(call[%d] at %s): index %d out of [0, %d)", k, tfmt(t), got.index, n);
		if (!same_session(&sorted[got.index], c->raw[which].started_at, c->raw[which].session_id))
		{
			char		a[64],
						b[64];

			fz_fmt_bytes(a, sizeof(a), sorted[got.index].session_id,
						 strlen(sorted[got.index].session_id));
			fz_fmt_bytes(b, sizeof(b), c->raw[which].session_id, strlen(c->raw[which].session_id));
			MISMATCH("tp_match_call(call[%d] at %s): %s session id=\"%s\" (sorted index %d), reference id=\"%s\" (session[%d])",
					 k, tfmt(t), ref_status_name(want), a, got.index, b, which);
		}
		if (want == TP_MATCH_MERGED && !ref_covers(&sorted[got.index], c->window, t))
			MISMATCH("tp_match_call(call[%d] at %s): merged session (sorted index %d) does not cover the call",
					 k, tfmt(t), got.index);
	}
	if (n > 0 && memcmp(sorted, copy, sizeof(TpSession) * (size_t) n) != 0)
		MISMATCH("the engine modified the session array");
	free(tree);
	free(copy);
	free(sorted);
}

/* The call-centred strategy: a tree over the sorted calls, sessions offered. */
static void
check_calltree(const Case *c)
{
	int			n = c->n;
	int			m = c->m;
	int64_t    *times = malloc(sizeof(int64_t) * (size_t) (m > 0 ? m : 1));
	TpOffer    *offers = malloc(sizeof(TpOffer) * (size_t) (n > 0 ? n : 1));
	size_t		nslots = tp_calltree_size(m);
	const TpOffer **slots;
	TpCallTree	tree;
	size_t		s;
	int			i,
				j;

	if (nslots < 2)
		MISMATCH("tp_calltree_size(%d) = %zu, below 2", m, nslots);
	slots = malloc(sizeof(TpOffer *) * nslots);
	for (s = 0; s < nslots; s++)
		slots[s] = (const TpOffer *) (uintptr_t) 0x5a5a5a5a;	/* init must clear */

	/* calls sorted ascending (insertion sort, not the engine's) */
	for (i = 0; i < m; i++)
	{
		int64_t		t = c->calls[i];

		for (j = i; j > 0 && times[j - 1] > t; j--)
			times[j] = times[j - 1];
		times[j] = t;
	}
	tp_calltree_init(&tree, times, m, slots);
	if (tree.leaves < 1 || (tree.leaves & (tree.leaves - 1)) != 0 || tree.leaves < m ||
		(size_t) 2 * (size_t) tree.leaves > nslots)
		MISMATCH("call tree: leaves %d for %d calls and %zu slots", tree.leaves, m, nslots);

	for (j = 0; j < n; j++)
	{
		int			i_s = c->reverse_offers ? n - 1 - j : j;
		const TpSession *se = &c->raw[i_s];
		int64_t		end = tp_time_add(se->anchor, c->window);
		int			want = 0;
		int			got_count;
		int			got_offer;

		offers[i_s].started_at = se->started_at;
		offers[i_s].session_id = se->session_id;
		for (i = 0; i < m; i++)
			want += ref_covers(se, c->window, times[i]);
		got_count = tp_calltree_count(&tree, se->started_at, end);
		if (got_count != want)
			MISMATCH("tp_calltree_count(session[%d]) = %d, reference %d calls covered",
					 i_s, got_count, want);
		got_offer = tp_calltree_offer(&tree, &offers[i_s], end);
		if (got_offer != want)
			MISMATCH("tp_calltree_offer(session[%d]) = %d, reference %d calls covered",
					 i_s, got_offer, want);
	}

	for (i = 0; i < m; i++)
	{
		const TpOffer *w = tp_calltree_winner(&tree, i);
		int			which;
		int			want = ref_match(c->raw, n, c->window, times[i], &which);
		if (want != TP_MATCH_MERGED)
		{
			if (w != NULL)
				MISMATCH("tp_calltree_winner(sorted call %d at %s): a winner, but no session covers it",
						 i, tfmt(times[i]));
			continue;
		}
		if (w == NULL)
			MISMATCH("tp_calltree_winner(sorted call %d at %s): no winner, reference session[%d]",
					 i, tfmt(times[i]), which);
		if (w < offers || w >= offers + n)
			MISMATCH("tp_calltree_winner(sorted call %d at %s): not one of the offers", i, tfmt(times[i]));
		if (!ref_covers(&c->raw[w - offers], c->window, times[i]))
			MISMATCH("tp_calltree_winner(sorted call %d at %s): session[%d] does not cover it",
					 i, tfmt(times[i]), (int) (w - offers));
		if (!same_session(&c->raw[which], w->started_at, w->session_id))
			MISMATCH("tp_calltree_winner(sorted call %d at %s): session[%d], reference session[%d]",
					 i, tfmt(times[i]), (int) (w - offers), which);
	}
	free(slots);
	free(offers);
	free(times);
}

/* tp_session_cmp's sign against the reference order, every pair. */
static void
check_session_cmp(const Case *c)
{
	int			i,
				j;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->n; j++)
		{
			int			got = tp_session_cmp(&c->raw[i], &c->raw[j]);
			int			want = ref_order(&c->raw[i], &c->raw[j]);

			got = (got > 0) - (got < 0);
			if (got != want)
				MISMATCH("tp_session_cmp(session[%d], session[%d]) sign %d, reference %d",
						 i, j, got, want);
		}
}

/*
 * The saturating additions the server makes, and the scan's lower bound:
 * with the session-start anchor, merge_calls' index probe reads only the
 * sessions with started_at > tp_time_add(first call, -window), so every
 * session covering a call t must start after tp_time_add(t, -window).
 */
static void
check_time_math(const Case *c)
{
	int			i,
				k;

	for (i = 0; i < c->n; i++)
	{
		check_time_add(c->raw[i].anchor, c->window);
		check_time_add(c->raw[i].started_at, c->window);
	}
	for (k = 0; k < c->m; k++)
	{
		int64_t		lo;

		check_time_add(c->calls[k], -c->window);
		check_time_add(c->calls[k], c->window);
		if (c->last_activity)
			continue;
		lo = tp_time_add(c->calls[k], -c->window);
		for (i = 0; i < c->n; i++)
			if (ref_covers(&c->raw[i], c->window, c->calls[k]) && !(c->raw[i].started_at > lo))
				MISMATCH("session[%d] covers call[%d] but starts at or before tp_time_add(call, -window)",
						 i, k);
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzReader	r = {data, size, 0};
	Case		c;

	decode_case(&r, &c);
	current = &c;
	if (fz_dump_wanted())
		dump_case(stdout, &c);
	check_time_math(&c);
	check_session_cmp(&c);
	check_group(&c);
	check_calltree(&c);
	current = NULL;
	free_case(&c);
	return 0;
}
