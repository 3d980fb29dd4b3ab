/*
 * ref_model.h
 *		The brute-force reference model of the matching engine (docs/spec.md §3.1),
 *		shared by test/engine/engine_test.c and test/fuzz/fuzz_match.c.
 *
 * It shares no code with src/tp_match.c: its own saturating addition (over
 * __int128), its own bytewise id comparison, and matching by a plain scan of
 * the sessions in any order:
 *	 covers(s, t)  <=>  s.started_at <= t < sat(s.anchor + window)
 *	 merged        :   latest started_at among covering, ties -> smallest id
 *	 outside       :   latest started_at <= t (ties -> smallest id), or when t
 *					   precedes every start, earliest start (ties -> smallest id)
 *	 no sessions   :   index -1
 * Among sessions equal in (started_at, id) the first in array order is chosen.
 *
 * Needs tp_match.h (for TpSession and TpMatchStatus) and <stdint.h>.
 */
#ifndef TP_REF_MODEL_H
#define TP_REF_MODEL_H

#include "tp_match.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

/* Saturating a + b: infinities stay, everything else is clamped. */
static inline int64_t
ref_add(int64_t a, int64_t b)
{
	__int128	s;

	if (a == INT64_MIN || a == INT64_MAX)
		return a;
	s = (__int128) a + (__int128) b;
	if (s > (__int128) INT64_MAX)
		return INT64_MAX;
	if (s < (__int128) INT64_MIN)
		return INT64_MIN;
	return (int64_t) s;
}

/* Plain arithmetic clamped to the int64 range (for generating test times). */
static inline int64_t
clamp_add(int64_t a, int64_t b)
{
	__int128	s = (__int128) a + (__int128) b;

	if (s > (__int128) INT64_MAX)
		return INT64_MAX;
	if (s < (__int128) INT64_MIN)
		return INT64_MIN;
	return (int64_t) s;
}

/* Bytewise (unsigned) comparison of NUL-terminated ids. */
static inline int
ref_idcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *) a;
	const unsigned char *y = (const unsigned char *) b;

	for (;; x++, y++)
	{
		if (*x != *y)
			return *x < *y ? -1 : 1;
		if (*x == '\0')
			return 0;
	}
}

/* Session order: started_at, then id bytewise. */
static inline int
ref_order(const TpSession *a, const TpSession *b)
{
	if (a->started_at != b->started_at)
		return a->started_at < b->started_at ? -1 : 1;
	return ref_idcmp(a->session_id, b->session_id);
}

static inline int
ref_covers(const TpSession *s, int64_t window, int64_t t)
{
	return s->started_at <= t && t < ref_add(s->anchor, window);
}

/*
 * Brute-force match over the sessions in any order.  Returns the status and
 * sets *which to the index (into raw) of the chosen session, or -1.
 */
static inline int
ref_match(const TpSession *raw, int n, int64_t window, int64_t t, int *which)
{
	int			best = -1;
	int			i;

	*which = -1;
	if (n == 0)
		return TP_MATCH_NO_SESSIONS;

	/* covering session with the latest start, ties to the smallest id */
	for (i = 0; i < n; i++)
	{
		if (!ref_covers(&raw[i], window, t))
			continue;
		if (best < 0 || raw[i].started_at > raw[best].started_at ||
			(raw[i].started_at == raw[best].started_at &&
			 ref_idcmp(raw[i].session_id, raw[best].session_id) < 0))
			best = i;
	}
	if (best >= 0)
	{
		*which = best;
		return TP_MATCH_MERGED;
	}

	/* nearest: the latest start at or before t, ties to the smallest id */
	for (i = 0; i < n; i++)
	{
		if (raw[i].started_at > t)
			continue;
		if (best < 0 || raw[i].started_at > raw[best].started_at ||
			(raw[i].started_at == raw[best].started_at &&
			 ref_idcmp(raw[i].session_id, raw[best].session_id) < 0))
			best = i;
	}
	/* ... or, when t precedes every start, the earliest (smallest id) */
	if (best < 0)
	{
		for (i = 0; i < n; i++)
		{
			if (best < 0 || raw[i].started_at < raw[best].started_at ||
				(raw[i].started_at == raw[best].started_at &&
				 ref_idcmp(raw[i].session_id, raw[best].session_id) < 0))
				best = i;
		}
	}
	*which = best;
	return TP_MATCH_OUTSIDE_WINDOW;
}

static inline int
ref_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- shared by the reports of the property test and the fuzzer ---- */

/* Print a time, naming the infinities and the values next to them. */
static inline void
ref_fmt_time(char *buf, size_t size, int64_t t)
{
	if (t == INT64_MIN)
		snprintf(buf, size, "-inf");
	else if (t == INT64_MAX)
		snprintf(buf, size, "+inf");
	else if (t < INT64_MIN + 1000000)
		snprintf(buf, size, "INT64_MIN+%" PRId64, t - INT64_MIN);
	else if (t > INT64_MAX - 1000000)
		snprintf(buf, size, "INT64_MAX-%" PRId64, INT64_MAX - t);
	else
		snprintf(buf, size, "%" PRId64, t);
}

static inline const char *
ref_status_name(int status)
{
	switch (status)
	{
		case TP_MATCH_MERGED:
			return "MERGED";
		case TP_MATCH_OUTSIDE_WINDOW:
			return "OUTSIDE_WINDOW";
		case TP_MATCH_NO_SESSIONS:
			return "NO_SESSIONS";
	}
	return "?";
}

#endif							/* TP_REF_MODEL_H */
