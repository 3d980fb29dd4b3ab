/*
 * tp_journey.c
 *		Journeys, session ranks, first-touch visits and positions for placed
 *		conversion events (docs/spec.md §5; tp_journey.h).  Three sorts of the
 *		events: by BizibleId (the person an id's earliest event names), by
 *		session (a session's first event makes its touchpoint, the others are
 *		counted), by journey (first visit, FT, LC, PostLC).  No fmgr, no SPI.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "touchpoint.h"
#include "tp_journey.h"

char *
tp_journey_string(const char *bytes, Size len)
{
	return tp_text_string_init(palloc(TP_TEXT_STRING_SIZE(len)), bytes, len);
}


/* The spec's order of events: time, then form, chat, call, then id. */
static inline int
cmp_event_order(const TpEvent *a, const TpEvent *b)
{
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->source_id, b->source_id);
}

static inline uint32
str_hash(const char *s)
{
	return s == NULL ? 0 : hash_bytes((const unsigned char *) s, strlen(s));
}

static int
cmp_events(const void *x, const void *y)
{
	return cmp_event_order(*(TpEvent *const *) x, *(TpEvent *const *) y);
}

/* Which string groups the events. */
typedef enum GroupBy
{
	GROUP_BY_ID,
	GROUP_BY_KEY,
	GROUP_BY_SESSION,
	GROUP_BY_JOURNEY
} GroupBy;

static inline const char *
group_string(const TpEvent *e, GroupBy by, uint32 *hash)
{
	switch (by)
	{
		case GROUP_BY_ID:
			*hash = e->id_hash;
			return e->touchpoint_id;
		case GROUP_BY_KEY:
			*hash = e->key_hash;
			return e->key;
		case GROUP_BY_SESSION:
			*hash = e->session_hash;
			return e->session.session_id;
		default:
			*hash = e->journey_hash;
			return e->journey_id;
	}
}

/*
 * The events grouped by a string, each group in the spec's order of events
 * (time, form/chat/call, id): out[bounds[g] .. bounds[g + 1] - 1] is group g;
 * the events whose string is NULL form the last group.  Groups are found by
 * hashing (one string comparison per event) and laid out by counting, so
 * the only sorting is within a group, which is small.  Returns the number
 * of groups.
 */
static int
group_events(const TpJourneys *j, GroupBy by, TpEvent **out, int **bounds_out)
{
	typedef struct GroupSlot
	{
		const char *str;
		uint32		hash;
		int			group;
	} GroupSlot;
	int			n = j->nevents;
	uint32		nslots = 2;
	uint32		mask;
	GroupSlot  *slots;
	int		   *group_of = palloc_extended(sizeof(int) * Max(n, 1), MCXT_ALLOC_HUGE);
	int		   *bounds;
	int			ngroups = 0;
	int			null_group;
	int			g;
	int			i;

	while (nslots < 2 * (uint32) n + 2)
		nslots <<= 1;
	mask = nslots - 1;
	slots = palloc_extended(sizeof(GroupSlot) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < n; i++)
	{
		uint32		hash;
		const char *str = group_string(&j->events[i], by, &hash);
		uint32		h;

		if (str == NULL)
		{
			group_of[i] = -1;
			continue;
		}
		for (h = hash & mask;; h = (h + 1) & mask)
		{
			if (slots[h].str == NULL)
			{
				slots[h].str = str;
				slots[h].hash = hash;
				slots[h].group = ngroups++;
				break;
			}
			if (slots[h].hash == hash && (slots[h].str == str || strcmp(slots[h].str, str) == 0))
				break;
		}
		group_of[i] = slots[h].group;
	}
	pfree(slots);
	null_group = ngroups;

	/* counting sort by group, then each group in event order */
	bounds = palloc_extended(sizeof(int) * (ngroups + 2), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < n; i++)
		bounds[(group_of[i] < 0 ? null_group : group_of[i]) + 1]++;
	for (g = 0; g <= null_group; g++)
		bounds[g + 1] += bounds[g];
	{
		int		   *fill = palloc_extended(sizeof(int) * (ngroups + 1), MCXT_ALLOC_HUGE);

		memcpy(fill, bounds, sizeof(int) * (ngroups + 1));
		for (i = 0; i < n; i++)
			out[fill[group_of[i] < 0 ? null_group : group_of[i]]++] = &j->events[i];
		pfree(fill);
	}
	for (g = 0; g <= null_group; g++)
	{
		int			size = bounds[g + 1] - bounds[g];

		if ((g & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (size > 1)
			qsort(&out[bounds[g]], size, sizeof(TpEvent *), cmp_events);
	}
	pfree(group_of);
	*bounds_out = bounds;
	return null_group + 1;
}

/* The sessions that hold an event: open addressing over their hashes. */
typedef struct HeldSessions
{
	const TpEvent **slots;
	uint32		mask;
} HeldSessions;

static void
held_sessions_build(HeldSessions *held, const TpJourneys *j)
{
	uint32		nslots = 2;
	int			i;

	while (nslots < 2 * (uint32) j->nevents + 2)
		nslots <<= 1;
	held->mask = nslots - 1;
	held->slots = palloc_extended(sizeof(TpEvent *) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < j->nevents; i++)
	{
		const TpEvent *e = &j->events[i];
		uint32		h;

		if (e->session.session_id == NULL || e->session_rank != 1)
			continue;			/* one entry per session: its first event */
		for (h = e->session_hash & held->mask; held->slots[h] != NULL; h = (h + 1) & held->mask)
			;
		held->slots[h] = e;
	}
}

static bool
held_sessions_has(const HeldSessions *held, const char *session_id)
{
	uint32		hash = str_hash(session_id);
	uint32		h;

	for (h = hash & held->mask; held->slots[h] != NULL; h = (h + 1) & held->mask)
		if (held->slots[h]->session_hash == hash &&
			strcmp(held->slots[h]->session.session_id, session_id) == 0)
			return true;
	return false;
}

/* a, b, c (c may be NULL) joined with sep between b and c, as a text string. */
static char *
joined(const char *a, const char *b, char sep, const char *c)
{
	size_t		la = strlen(a);
	size_t		lb = strlen(b);
	size_t		lc = c != NULL ? strlen(c) + 1 : 0;
	size_t		len = la + lb + lc;
	char	   *at = palloc(TP_TEXT_STRING_SIZE(len));
	char	   *str = at + VARHDRSZ;

	SET_VARSIZE(at, VARHDRSZ + len);
	memcpy(str, a, la);
	memcpy(str + la, b, lb);
	if (c != NULL)
	{
		str[la + lb] = sep;
		memcpy(str + la + lb + 1, c, lc - 1);
	}
	str[len] = '\0';
	return str;
}

/*
 * Two events of one kind with one id would be two touchpoints with one id
 * (or a session's conversions counted twice): a source's ids must be unique.
 */
static void
check_unique_ids(TpJourneys *j, TpEvent **sorted)
{
	int		   *bounds;
	int			ngroups = group_events(j, GROUP_BY_ID, sorted, &bounds);
	int			g;

	for (g = 0; g < ngroups; g++)
		if (bounds[g + 1] - bounds[g] > 1)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("two conversion events have the id %s", quote_literal_cstr(sorted[bounds[g]]->touchpoint_id)),
					 errdetail("A %s source holds the id %s more than once.",
							   sorted[bounds[g]]->kind == TP_KIND_CALL ? "tasks" :
							   sorted[bounds[g]]->kind == TP_KIND_FORM ? "form_submits" : "chats",
							   quote_literal_cstr(sorted[bounds[g]]->source_id)),
					 errhint("Make the ids of the registered sources unique: SELECT kind, relation FROM touchpoint.sources; lists them.")));
	pfree(bounds);
}

/*
 * The journey of every event (docs/spec.md §5): its own person; else the
 * person the earliest event of its BizibleId names; else anon:<BizibleId>
 * (anon:<kind>:<id> for an event without BizibleId).
 */
static void
stitch(TpJourneys *j, TpEvent **sorted)
{
	static const char *const kind_names[] = {"visit", "form", "chat", "call"};
	int		   *bounds;
	int			ngroups = group_events(j, GROUP_BY_KEY, sorted, &bounds);
	int			g;

	for (g = 0; g < ngroups; g++)
	{
		const char *key = bounds[g] < bounds[g + 1] ? sorted[bounds[g]]->key : NULL;
		const char *named = NULL;
		const char *anon = NULL;
		int			i;

		for (i = bounds[g]; i < bounds[g + 1] && key != NULL && named == NULL; i++)
			named = sorted[i]->own_person;
		if (key != NULL && named == NULL)
			anon = joined("anon:", key, 0, NULL);
		for (i = bounds[g]; i < bounds[g + 1]; i++)
		{
			TpEvent    *e = sorted[i];

			e->person_id = e->own_person != NULL ? e->own_person : named;
			if (e->person_id != NULL)
				e->journey_id = e->person_id;
			else if (anon != NULL)
				e->journey_id = anon;
			else
				e->journey_id = joined("anon:", kind_names[e->kind], ':', e->source_id);
			e->journey_hash = str_hash(e->journey_id);
		}
		if ((g & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(bounds);
}

/*
 * A session's first event makes its touchpoint and carries the count of
 * them all; an event without session is a touchpoint of its own.
 */
static void
rank_in_sessions(TpJourneys *j, TpEvent **sorted)
{
	int		   *bounds;
	int			ngroups = group_events(j, GROUP_BY_SESSION, sorted, &bounds);
	int			g;

	for (g = 0; g < ngroups; g++)
	{
		int			size = bounds[g + 1] - bounds[g];
		int			k;

		for (k = 0; k < size; k++)
		{
			TpEvent    *e = sorted[bounds[g] + k];

			if (e->session.session_id == NULL)
			{
				e->session_rank = 0;
				e->session_conversions = 1;
				e->is_touchpoint = true;
			}
			else
			{
				e->session_rank = k + 1;
				e->session_conversions = size;
				e->is_touchpoint = (k == 0);
			}
		}
		if ((g & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(bounds);
}

/*
 * Per journey: the first-touch visit (the earliest session of any of its
 * BizibleIds, when it started before the journey's first conversion and
 * holds no event of its own), then FT, LC and PostLC.
 */
static void
place_on_journeys(TpJourneys *j, TpEvent **sorted)
{
	HeldSessions held;
	int		   *bounds;
	int			ngroups;
	int			g;

	held_sessions_build(&held, j);
	j->visits = palloc_extended(sizeof(TpVisit) * Max(j->nevents, 1), MCXT_ALLOC_HUGE);
	j->nvisits = 0;
	ngroups = group_events(j, GROUP_BY_JOURNEY, sorted, &bounds);
	for (g = 0; g < ngroups; g++)
	{
		int			i = bounds[g];
		int			end = bounds[g + 1];
		const char *journey;
		TpEvent    *first_conversion = NULL;
		const TpKeyFirst *visit = NULL;
		int			k;

		if (i == end)
			continue;
		journey = sorted[i]->journey_id;
		if ((g & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (k = i; k < end; k++)
		{
			const TpKeyFirst *f = sorted[k]->key_first >= 0 ?
				&j->firsts[sorted[k]->key_first] : NULL;

			if (first_conversion == NULL && sorted[k]->is_touchpoint)
				first_conversion = sorted[k];
			if (f != NULL &&
				(visit == NULL || f->session.started_at < visit->session.started_at ||
				 (f->session.started_at == visit->session.started_at &&
				  strcmp(f->session.session_id, visit->session.session_id) < 0)))
				visit = f;
		}
		if (first_conversion == NULL)
			continue;			/* no conversion of its own: no journey */
		if (visit != NULL &&
			(visit->session.started_at >= first_conversion->at ||
			 held_sessions_has(&held, visit->session.session_id)))
			visit = NULL;
		if (visit != NULL)
		{
			TpVisit    *v = &j->visits[j->nvisits++];

			v->touchpoint_id = joined("visit:", journey, ':', visit->session.session_id);
			v->journey_id = journey;
			v->person_id = first_conversion->person_id;
			v->first = visit;
		}
		for (k = i; k < end; k++)
		{
			TpEvent    *e = sorted[k];

			e->is_lead_creation = (e == first_conversion);
			e->is_first_touch = (e == first_conversion && visit == NULL);
		}
	}
	pfree(bounds);
	pfree(held.slots);
}

void
tp_build_journeys(TpJourneys *j)
{
	TpEvent   **sorted = palloc_extended(sizeof(TpEvent *) * Max(j->nevents, 1), MCXT_ALLOC_HUGE);
	int			i;

	for (i = 0; i < j->nevents; i++)
	{
		sorted[i] = &j->events[i];
		sorted[i]->id_hash = str_hash(sorted[i]->touchpoint_id);
		sorted[i]->key_hash = str_hash(sorted[i]->key);
		sorted[i]->session_hash = str_hash(sorted[i]->session.session_id);
	}
	check_unique_ids(j, sorted);
	stitch(j, sorted);
	rank_in_sessions(j, sorted);
	place_on_journeys(j, sorted);
	pfree(sorted);
}
