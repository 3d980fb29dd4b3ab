/*
 * tp_pipeline.c
 *		The pipeline's stages 1 and 2 as SQL-callable functions
 *		(docs/pipeline.md): touchpoint_internal.pipeline_touchpoints() and
 *		touchpoint_internal.pipeline_placements().
 *
 * One pass of the engine's one-pass strategy (tp_scan.c) places every
 * conversion event with a BizibleId and, in the same read of the sessions,
 * finds each BizibleId's earliest session and the sessions that form fills
 * and chats name; the events without a BizibleId come from a small query of
 * their own, before the pass.  Stage 2 (tp_journey.c) then stitches
 * journeys, ranks sessions, makes first-touch visits and positions, in
 * memory, and the rows go out in a tuplestore.  Everything is read as the
 * caller, at the caller's snapshot.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "touchpoint.h"
#include "tp_compat.h"
#include "tp_journey.h"
#include "tp_pipeline.h"
#include "tp_rules.h"

TP_FUNCTION_INFO(tp_pipeline_touchpoints);
TP_FUNCTION_INFO(tp_pipeline_placements);

#define PLACEMENT_COLS 12

/*
 * items, with room for one more after its first n: its capacity *cap is
 * doubled (from least) when full; allocated in ctx the first time.
 */
static void *
room_for_one_more(MemoryContext ctx, void *items, int n, int *cap, Size size, int least)
{
	if (n < *cap)
		return items;
	*cap = Max(least, *cap * 2);
	return items == NULL ? MemoryContextAllocExtended(ctx, size * *cap, MCXT_ALLOC_HUGE) :
		repalloc_huge(items, size * *cap);
}

static TpEvent *
new_event(Collector *c)
{
	c->j.events = room_for_one_more(c->ctx, c->j.events, c->j.nevents, &c->events_cap, sizeof(TpEvent), 1024);
	memset(&c->j.events[c->j.nevents], 0, sizeof(TpEvent));
	return &c->j.events[c->j.nevents++];
}

/* A new slot for a BizibleId's earliest session, at the end of c->j.firsts. */
static TpKeyFirst *
new_first(Collector *c)
{
	c->j.firsts = room_for_one_more(c->ctx, c->j.firsts, c->j.nfirsts, &c->firsts_cap, sizeof(TpKeyFirst), 1024);
	return &c->j.firsts[c->j.nfirsts++];
}

/* s trimmed of spaces (SQL's btrim(s)), as a text string; NULL when blank. */
static const char *
trimmed_spaces(const char *s)
{
	size_t		len;
	size_t		start = 0;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	while (start < len && s[start] == ' ')
		start++;
	while (len > start && s[len - 1] == ' ')
		len--;
	if (len == start)
		return NULL;
	if (start == 0 && s[len] == '\0')
		return s;				/* already a text string of the engine's */
	return tp_journey_string(s + start, len - start);
}

/* A task type trimmed of white space (as the engine reads it), NULL when blank. */
static const char *
trimmed_type(const char *s)
{
	size_t		start;
	size_t		n;

	if (s == NULL)
		return NULL;
	n = tp_trim_extent(s, strlen(s), &start);
	return n == 0 ? NULL : tp_journey_string(s + start, n);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The keys argument: which events to keep (all when NULL). */
static void
set_key_filter(Collector *c, ArrayType *keys)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	c->filter = true;
	deconstruct_array(keys, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	c->keys = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			c->with_null = true;
		else
			c->keys[c->nkeys++] = TextDatumGetCString(elems[i]);
	}
	qsort(c->keys, c->nkeys, sizeof(char *), cmp_cstring);
}

static bool
key_wanted(const Collector *c, const char *key)
{
	if (!c->filter)
		return true;
	if (key == NULL)
		return c->with_null;
	return bsearch(&key, c->keys, c->nkeys, sizeof(char *), cmp_cstring) != NULL;
}

/* The engine's emit: a call, form fill or chat placed (or not) in a session. */
static void
collect_event(TpRun *run, const TpTaskRow *task, TpTaskStatus status,
			  const TpLoadedGroup *g, int idx)
{
	Collector  *c = (Collector *) run->emit_state;
	TpEvent    *e;
	const char *id = task->task_id;

	MemoryContext oldcxt;

	if ((status != TP_STATUS_MERGED && status != TP_STATUS_NO_SESSIONS &&
		 status != TP_STATUS_OUTSIDE_WINDOW) || !key_wanted(c, task->bizible_key))
		return;
	oldcxt = MemoryContextSwitchTo(c->ctx);
	e = new_event(c);
	/* the events relation prefixes each id with its kind: call:, form:, chat: */
	e->kind = strncmp(id, "form:", 5) == 0 ? TP_KIND_FORM :
		strncmp(id, "chat:", 5) == 0 ? TP_KIND_CHAT : TP_KIND_CALL;
	e->touchpoint_id = id;
	e->source_id = tp_journey_string(id + 5, strlen(id + 5));
	e->key = task->bizible_key;
	e->key_first = run->current_first;
	e->own_person = trimmed_spaces(task->person_id);
	e->at = task->occurred_at;
	/* the call's own type, or the form's URL, rides in subject */
	if (e->kind == TP_KIND_CALL)
		e->call_type = trimmed_type(task->subject);
	else if (e->kind == TP_KIND_FORM)
		e->form_url = task->subject;
	if (e->kind != TP_KIND_CALL && task->phone != NULL)
	{
		/* a form fill or chat that names its session (carried in phone) takes it */
		TpSession	named;
		TpSessionData *data;

		if (TpNamedSession(run, task->phone, &named, &data))
		{
			e->session.session_id = named.session_id;
			e->session.started_at = named.started_at;
			e->session.web = data->web;
		}
	}
	else if (status == TP_STATUS_MERGED)
	{
		e->session.session_id = g->sessions[idx].session_id;
		e->session.started_at = g->sessions[idx].started_at;
		e->session.web = g->data[idx].web;
	}
	MemoryContextSwitchTo(oldcxt);
}

/* The engine's report of a called BizibleId's earliest session. */
static int
collect_first(TpRun *run, const char *key, const TpLoadedGroup *g)
{
	Collector  *c = (Collector *) run->emit_state;
	TpKeyFirst *f;

	f = new_first(c);
	f->key = key;
	f->session.session_id = g->sessions[0].session_id;
	f->session.started_at = g->sessions[0].started_at;
	f->session.web = g->data[0].web;
	return c->j.nfirsts - 1;
}

/* A text column of an SPI row as a text string, or NULL. */
static char *
spi_string(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	text	   *t;

	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	return tp_journey_string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * The form fills and chats without BizibleId (the engine cannot place them:
 * each is a touchpoint of its own, in the session it names, if any), from
 * the relation named: source_kind, source_id, person_id, occurred_at,
 * form_url, session_id.  Read before the pass, which finds the sessions
 * they name; returns those ids.
 */
static const char **
collect_keyless(Collector *c, Oid keyless_relid, int *nnamed)
{
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	const char **named = NULL;
	int			cap = 0;

	*nnamed = 0;
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT source_kind, source_id, person_id, occurred_at, form_url, session_id FROM %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(keyless_relid)),
												get_rel_name(keyless_relid)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	TpStreamOpen(&stream, q.data, 0, NULL, NULL);
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		MemoryContext oldcxt;
		TpEvent    *e;
		char	   *kind;
		char	   *id;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		if (!key_wanted(c, NULL))
			continue;
		oldcxt = MemoryContextSwitchTo(c->ctx);
		e = new_event(c);
		kind = spi_string(tup, desc, 1);
		e->kind = strcmp(kind, "form") == 0 ? TP_KIND_FORM : TP_KIND_CHAT;
		e->key_first = -1;
		e->source_id = spi_string(tup, desc, 2);
		id = psprintf("%s:%s", kind, e->source_id);
		e->touchpoint_id = tp_journey_string(id, strlen(id));
		e->own_person = trimmed_spaces(spi_string(tup, desc, 3));
		e->at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s %s has no time", e->kind == TP_KIND_FORM ? "form fill" : "chat",
							quote_literal_cstr(e->source_id)),
					 errhint("Every form fill needs submitted_at and every chat started_at.")));
		e->form_url = spi_string(tup, desc, 5);
		/* the session it names, looked up after the pass */
		e->session.session_id = spi_string(tup, desc, 6);
		if (e->session.session_id != NULL)
		{
			named = room_for_one_more(c->ctx, named, *nnamed, &cap, sizeof(char *), 64);
			named[(*nnamed)++] = e->session.session_id;
		}
		MemoryContextSwitchTo(oldcxt);
	}
	TpStreamClose(&stream);
	SPI_finish();
	return named;
}

/* The nine web columns of an SPI row from column first on, as text strings. */
static char **
spi_web(HeapTuple tup, TupleDesc desc, int first)
{
	char	  **web = palloc(sizeof(char *) * 9);
	int			w;

	for (w = 0; w < 9; w++)
		web[w] = spi_string(tup, desc, first + w);
	return web;
}

/* Columns of touchpoint_internal.keyed_placed_events, in order (1-based). */
enum
{
	PE_KEY = 1, PE_TASK_ID, PE_SUBJECT, PE_PHONE, PE_PERSON_ID, PE_OCCURRED_AT,
	PE_SESSION_ID, PE_STARTED_AT, PE_WEB,
	PE_FIRST_SESSION_ID = PE_WEB + 9, PE_FIRST_STARTED_AT, PE_FIRST_WEB,
	PE_EVENT_NO = PE_FIRST_WEB + 9, PE_COUNT = PE_EVENT_NO
};

/*
 * Stage 1 done on Citus's workers (docs/distributed.md): every conversion
 * event with a BizibleId, already placed, from the relation named (shaped
 * as touchpoint_internal.keyed_placed_events, sorted by key and id), into c
 * as collect_event and collect_first would have put it; an event's second
 * row (sessions identical in key, id and start) is skipped.  A form fill or chat
 * that names its session takes that session (looked up by id afterwards,
 * as the pass does): its index goes into *named_events.  Returns the ids
 * of those sessions.
 */
static const char **
collect_placed(Collector *c, Oid placed_relid, int **named_events, int *nnamed)
{
	StringInfoData q;
	TpStream	stream;
	HeapTuple	tup;
	TupleDesc	desc;
	const char **named = NULL;
	int			cap = 0;
	int			events_cap = 0;
	const char *prev_key = NULL;
	const char *prev_id = NULL;
	int			prev_event_no = 0;
	int			event_no;
	int			prev_first = -1;

	*nnamed = 0;
	*named_events = NULL;
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT * FROM %s ORDER BY 1, 2, %d",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(placed_relid)),
												get_rel_name(placed_relid)), PE_EVENT_NO);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	TpStreamOpen(&stream, q.data, 0, NULL, NULL);
	while ((tup = TpStreamNext(&stream, &desc)) != NULL)
	{
		MemoryContext oldcxt;
		TpEvent    *e;
		char	   *id;
		char	   *phone;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		if (desc->natts != PE_COUNT)
			elog(ERROR, "touchpoint: the placed events have %d columns, not %d", desc->natts, PE_COUNT);
		oldcxt = MemoryContextSwitchTo(c->ctx);
		id = spi_string(tup, desc, PE_TASK_ID);
		event_no = DatumGetInt32(SPI_getbinval(tup, desc, PE_EVENT_NO, &isnull));
		if (prev_id != NULL && event_no == prev_event_no && strcmp(prev_id, id) == 0 &&
			strcmp(prev_key, spi_string(tup, desc, PE_KEY)) == 0)
		{
			/* a second row of one event: its session repeats (key, id, start) */
			MemoryContextSwitchTo(oldcxt);
			continue;
		}
		prev_id = id;
		prev_event_no = event_no;
		e = new_event(c);
		e->kind = strncmp(id, "form:", 5) == 0 ? TP_KIND_FORM :
			strncmp(id, "chat:", 5) == 0 ? TP_KIND_CHAT : TP_KIND_CALL;
		e->touchpoint_id = id;
		e->source_id = tp_journey_string(id + 5, strlen(id + 5));
		e->key = spi_string(tup, desc, PE_KEY);
		if (prev_key == NULL || strcmp(prev_key, e->key) != 0)
		{
			/* a new key: its earliest session, if it has one */
			prev_key = e->key;
			prev_first = -1;
			if (!heap_attisnull(tup, PE_FIRST_SESSION_ID, desc))
			{
				TpKeyFirst *f = new_first(c);

				f->key = e->key;
				f->session.session_id = spi_string(tup, desc, PE_FIRST_SESSION_ID);
				f->session.started_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, PE_FIRST_STARTED_AT, &isnull));
				f->session.web = spi_web(tup, desc, PE_FIRST_WEB);
				prev_first = c->j.nfirsts - 1;
			}
		}
		e->key_first = prev_first;
		e->own_person = trimmed_spaces(spi_string(tup, desc, PE_PERSON_ID));
		e->at = DatumGetTimestampTz(SPI_getbinval(tup, desc, PE_OCCURRED_AT, &isnull));
		if (e->kind == TP_KIND_CALL)
			e->call_type = trimmed_type(spi_string(tup, desc, PE_SUBJECT));
		else if (e->kind == TP_KIND_FORM)
			e->form_url = spi_string(tup, desc, PE_SUBJECT);
		phone = e->kind != TP_KIND_CALL ? spi_string(tup, desc, PE_PHONE) : NULL;
		if (phone != NULL)
		{
			/* it names its session: that one or none, resolved after the query */
			e->session.session_id = phone;
			named = room_for_one_more(c->ctx, named, *nnamed, &cap, sizeof(char *), 64);
			*named_events = room_for_one_more(c->ctx, *named_events, *nnamed, &events_cap, sizeof(int), 64);
			(*named_events)[*nnamed] = c->j.nevents - 1;
			named[(*nnamed)++] = phone;
		}
		else if (!heap_attisnull(tup, PE_SESSION_ID, desc))
		{
			e->session.session_id = spi_string(tup, desc, PE_SESSION_ID);
			e->session.started_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, PE_STARTED_AT, &isnull));
			e->session.web = spi_web(tup, desc, PE_WEB);
		}
		MemoryContextSwitchTo(oldcxt);
	}
	TpStreamClose(&stream);
	SPI_finish();
	return named;
}

/* An event that names its session takes it, if it exists (else none). */
static void
resolve_named(Collector *c, const TpRun *run, int i)
{
	TpEvent    *e = &c->j.events[i];
	TpSession	named;
	TpSessionData *data;

	if (e->session.session_id == NULL)
		return;
	if (TpNamedSession(run, e->session.session_id, &named, &data))
	{
		e->session.session_id = named.session_id;
		e->session.started_at = named.started_at;
		e->session.web = data->web;
	}
	else
		e->session.session_id = NULL;	/* an unknown session: none */
}

/* After the pass: the key-less events take the sessions they name, if they exist. */
static void
resolve_keyless(Collector *c, const TpRun *run, int from, int to)
{
	int			i;

	for (i = from; i < to; i++)
		resolve_named(c, run, i);
}

static inline bool
has_text(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s; s++)
		if (*s != ' ')
			return true;
	return false;
}

/*
 * A session's channel and subchannel (docs/spec.md §6): its own channel
 * when not blank; else the first channel rule that matches its medium,
 * source, campaign, landing page and referrer; else Other when it has
 * tracking data, Direct when not.  A touchpoint without session: Offline.
 */
static void
channel_of(const Rules *rules, char *const *web, const char **channel, const char **subchannel)
{
	static const int conditions[5] = {
		TP_WEB_MEDIUM, TP_WEB_SOURCE, TP_WEB_CAMPAIGN, TP_WEB_LANDING_PAGE, TP_WEB_REFERRER_PAGE
	};
	const char *values[5];
	int			lens[5];
	int			r;
	int			i;

	if (web == NULL)
	{
		*channel = "Offline";
		*subchannel = NULL;
		return;
	}
	if (has_text(web[TP_WEB_CHANNEL]))
	{
		*channel = web[TP_WEB_CHANNEL];
		*subchannel = web[TP_WEB_SUBCHANNEL];
		return;
	}
	for (i = 0; i < 5; i++)
	{
		values[i] = web[conditions[i]];
		lens[i] = values[i] ? strlen(values[i]) : 0;
	}
	r = tp_rules_first_match(rules->cells, rules->lens, rules->nrules, TP_RULE_WIDTH,
							 TP_RULE_FIRST_CONDITION, values, lens);
	*subchannel = r >= 0 ? rules->cells[r * TP_RULE_WIDTH + TP_RULE_SUBCHANNEL] : NULL;
	*channel = r >= 0 ? rules->cells[r * TP_RULE_WIDTH + TP_RULE_CHANNEL] : NULL;
	if (*channel == NULL)
		*channel = (has_text(web[TP_WEB_MEDIUM]) || has_text(web[TP_WEB_SOURCE]) ||
					has_text(web[TP_WEB_CAMPAIGN]) || has_text(web[TP_WEB_REFERRER_PAGE])) ?
			"Other" : "Direct";
}

/* A text string (or a plain C string, copied) as a Datum. */
static inline Datum
out_text(const char *s, bool text_string, bool *isnull)
{
	*isnull = (s == NULL);
	if (s == NULL)
		return (Datum) 0;
	return text_string ? TpTextStringDatum(s) : CStringGetTextDatum(s);
}

/* The schema of the touchpoint extension (PostgreSQL 15 exports no lookup). */
static Oid
extension_schema(void)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("touchpoint"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "touchpoint: the extension is not installed in this database");
	return nsp;
}

/* Run stages 1 and 2 from the function's arguments into c (tp_pipeline.h). */
void
TpPipelineRun(FunctionCallInfo fcinfo, ArrayType *keys, Collector *c, Rules *rules, MemoryContext keep_ctx,
			  bool placed)
{
	/* bizible_key() lives in the extension's schema, not touchpoint_internal */
	char	   *schema = get_namespace_name(extension_schema());
	TpRun		run;
	int			i;

	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the pipeline's relations must not be NULL")));
	memset(&run, 0, sizeof(run));
	TpCheckSettings();
	run.key_function = psprintf("%s.bizible_key", quote_identifier(schema));
	run.window = TpResolveWindow(PG_ARGISNULL(4) ? NULL : PG_GETARG_INTERVAL_P(4));
	run.anchor = (TpWindowAnchor) tp_window_anchor;
	run.strategy = tp_merge_strategy == TP_STRATEGY_SCAN_SPI ? TP_STRATEGY_SCAN_SPI : TP_STRATEGY_SCAN;
	TpOpenInput(&run.sessions, &tp_session_input, PG_GETARG_DATUM(0), false);
	TpCheckColumns(&run.sessions);
	if (!placed)
	{
		TpOpenInput(&run.tasks, &tp_task_input, PG_GETARG_DATUM(1), false);
		TpCheckColumns(&run.tasks);
	}
	else if (keys != NULL)
		elog(ERROR, "touchpoint: placed events are read whole, never by key");
	run.with_web_data = true;
	run.skip_unmatchable = true;
	run.emit = collect_event;
	run.first_session = collect_first;
	run.emit_state = c;
	run.keep_ctx = keep_ctx;

	memset(c, 0, sizeof(Collector));
	c->ctx = keep_ctx;
	if (keys != NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(keep_ctx);

		set_key_filter(c, keys);
		MemoryContextSwitchTo(oldcxt);
	}
	memset(rules, 0, sizeof(Rules));
	if (!PG_ARGISNULL(3))
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(keep_ctx);

		TpRulesParse(PG_GETARG_ARRAYTYPE_P(3), &rules->nrules, &rules->cells, &rules->lens);
		MemoryContextSwitchTo(oldcxt);
	}
	{
		int			nkeyless;
		int			nnamed;

		run.named_extra = collect_keyless(c, PG_GETARG_OID(2), &nnamed);
		run.n_named_extra = nnamed;
		nkeyless = c->j.nevents;
		if (!placed)
		{
			run.phone_names_session = true;
			TpRunMergeScan(&run);
		}
		else
		{
			/* stage 1 ran on the workers: its events, then the sessions named by id */
			int		   *named_events;
			int			nplaced_named;
			const char **placed_named = collect_placed(c, PG_GETARG_OID(1), &named_events,
													   &nplaced_named);
			const char **all = palloc(sizeof(char *) * Max(nnamed + nplaced_named, 1));

			for (i = 0; i < nnamed; i++)
				all[i] = run.named_extra[i];
			for (i = 0; i < nplaced_named; i++)
				all[nnamed + i] = placed_named[i];
			run.named_extra = all;
			run.n_named_extra = nnamed + nplaced_named;
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "touchpoint: SPI_connect failed");
			TpFindNamedSessions(&run);
			SPI_finish();
			for (i = 0; i < nplaced_named; i++)
				resolve_named(c, &run, named_events[i]);
		}
		resolve_keyless(c, &run, 0, nkeyless);
	}
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(keep_ctx);
		tp_build_journeys(&c->j);
		MemoryContextSwitchTo(oldcxt);
	}
}

/* The touchpoints row of a conversion event (visit NULL) or of a visit (tp_pipeline.h). */
void
TpTouchpointValues(const Rules *rules, const TpEvent *e, const TpVisit *v, Datum *values, bool *nulls)
{
	const TpJourneySession *s = v != NULL ? &v->first->session : &e->session;
	char	   *const *web = s->session_id != NULL ? s->web : NULL;
	const char *channel;
	const char *subchannel;
	const char *type;
	const char *medium;
	bool		type_ours = false;	/* a text string of the inputs, not a literal */
	bool		medium_ours = true;
	const char *position;
	static const char *const kind_names[] = {"visit", "form", "chat", "call"};
	TpEventKind kind = v != NULL ? TP_KIND_VISIT : e->kind;
	bool		first_touch = v != NULL ? true : e->is_first_touch;
	bool		lead_creation = v != NULL ? false : e->is_lead_creation;

	channel_of(rules, web, &channel, &subchannel);
	medium = web ? web[TP_WEB_MEDIUM] : NULL;
	switch (kind)
	{
		case TP_KIND_VISIT:
			type = "Web Visit";
			break;
		case TP_KIND_FORM:
			type = "Web Form";
			break;
		case TP_KIND_CHAT:
			type = "Web Chat";
			break;
		default:
			type = e->call_type ? e->call_type : (web ? "Web Visit" : "Phone Call");
			type_ours = e->call_type != NULL;
			medium = e->call_type ? e->call_type : (web ? medium : "Phone Call");
			medium_ours = e->call_type != NULL || web != NULL;
			break;
	}
	position = first_touch ? (lead_creation ? "FT,LC" : "FT") :
		lead_creation ? "LC" : (v == NULL ? "PostLC" : "");

	memset(nulls, false, sizeof(bool) * TP_TOUCHPOINT_COLS);
	values[0] = out_text(v ? v->touchpoint_id : e->touchpoint_id, true, &nulls[0]);
	values[1] = out_text(v ? v->journey_id : e->journey_id, true, &nulls[1]);
	values[2] = out_text(v ? v->person_id : e->person_id, true, &nulls[2]);
	values[3] = out_text(v ? v->first->key : e->key, true, &nulls[3]);
	values[4] = out_text(s->session_id, true, &nulls[4]);
	values[5] = CStringGetTextDatum(kind_names[kind]);
	values[6] = out_text(v ? s->session_id : e->source_id, true, &nulls[6]);
	values[7] = out_text(type, type_ours, &nulls[7]);
	values[8] = TimestampTzGetDatum(v ? s->started_at : e->at);
	values[9] = out_text(channel, web != NULL && channel == web[TP_WEB_CHANNEL], &nulls[9]);
	values[10] = out_text(subchannel, web != NULL && subchannel == web[TP_WEB_SUBCHANNEL], &nulls[10]);
	values[11] = out_text(web ? web[TP_WEB_SOURCE] : NULL, true, &nulls[11]);
	values[12] = out_text(medium, medium_ours, &nulls[12]);
	values[13] = out_text(web ? web[TP_WEB_CAMPAIGN] : NULL, true, &nulls[13]);
	values[14] = out_text(web ? web[TP_WEB_AD_CONTENT] : NULL, true, &nulls[14]);
	values[15] = out_text(web ? web[TP_WEB_KEYWORD] : NULL, true, &nulls[15]);
	values[16] = out_text(web ? web[TP_WEB_LANDING_PAGE] : NULL, true, &nulls[16]);
	values[17] = out_text(web ? web[TP_WEB_REFERRER_PAGE] : NULL, true, &nulls[17]);
	values[18] = out_text(v ? NULL : e->form_url, true, &nulls[18]);
	values[19] = CStringGetTextDatum(position);
	values[20] = BoolGetDatum(first_touch);
	values[21] = BoolGetDatum(lead_creation);
	values[22] = Int32GetDatum(v ? 0 : e->session_conversions);
}

/*
 * pipeline_touchpoints(sessions, events, named, channel_rules, session_window):
 * the rows of touchpoint.touchpoints for these events (docs/pipeline.md).
 */
Datum
tp_pipeline_touchpoints(PG_FUNCTION_ARGS)
{
	MemoryContext keep_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint pipeline",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint pipeline row",
												  ALLOCSET_DEFAULT_SIZES);
	ReturnSetInfo *rsinfo;
	Collector	c;
	Rules		rules;
	int			i;
	TpPipelineRun(fcinfo, PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5), &c, &rules, keep_ctx, false);
	TpInitMaterializedSRF(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	for (i = 0; i < c.j.nvisits + c.j.nevents; i++)
	{
		MemoryContext oldcxt;
		Datum		values[TP_TOUCHPOINT_COLS];
		bool		nulls[TP_TOUCHPOINT_COLS];

		if (i >= c.j.nvisits && !c.j.events[i - c.j.nvisits].is_touchpoint)
			continue;
		CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(row_ctx);
		if (i < c.j.nvisits)
			TpTouchpointValues(&rules, NULL, &c.j.visits[i], values, nulls);
		else
			TpTouchpointValues(&rules, &c.j.events[i - c.j.nvisits], NULL, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(row_ctx);
	}
	MemoryContextDelete(row_ctx);
	MemoryContextDelete(keep_ctx);
	return (Datum) 0;
}

/*
 * pipeline_placements(...): stage 1 as a relation, for debugging: every
 * conversion event with its session, journey, rank in its session and its
 * BizibleId's earliest session.
 */
Datum
tp_pipeline_placements(PG_FUNCTION_ARGS)
{
	MemoryContext keep_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint pipeline",
												   ALLOCSET_DEFAULT_SIZES);
	ReturnSetInfo *rsinfo;
	Collector	c;
	Rules		rules;
	int			i;
	static const char *const kind_names[] = {"visit", "form", "chat", "call"};

	TpPipelineRun(fcinfo, PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5), &c, &rules, keep_ctx, false);
	TpInitMaterializedSRF(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	for (i = 0; i < c.j.nevents; i++)
	{
		const TpEvent *e = &c.j.events[i];
		const TpKeyFirst *f = e->key_first >= 0 ? &c.j.firsts[e->key_first] : NULL;
		Datum		values[PLACEMENT_COLS];
		bool		nulls[PLACEMENT_COLS];

		CHECK_FOR_INTERRUPTS();
		memset(nulls, false, sizeof(nulls));
		values[0] = out_text(e->key, true, &nulls[0]);
		values[1] = CStringGetTextDatum(kind_names[e->kind]);
		values[2] = out_text(e->source_id, true, &nulls[2]);
		values[3] = out_text(e->journey_id, true, &nulls[3]);
		values[4] = out_text(e->person_id, true, &nulls[4]);
		values[5] = out_text(e->session.session_id, true, &nulls[5]);
		values[6] = TimestampTzGetDatum(e->at);
		values[7] = Int32GetDatum(e->session_rank);
		nulls[7] = e->session.session_id == NULL;
		values[8] = Int32GetDatum(e->session_conversions);
		values[9] = BoolGetDatum(e->is_touchpoint);
		values[10] = out_text(f ? f->session.session_id : NULL, true, &nulls[10]);
		values[11] = TimestampTzGetDatum(f ? f->session.started_at : 0);
		nulls[11] = f == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(keep_ctx);
	return (Datum) 0;
}
