/*
 * tp_srf.c
 *		The SQL-callable functions: bizible_key, merge_calls, explain_calls and
 *		explain_call (docs/spec.md §3.3), and the plain-English explanation of a task.
 *
 * Each call checks its inputs, resolves the window and anchor once, runs the
 * driver (tp_run.c) and turns every emitted task into an output row of a
 * materialized tuplestore.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "tp_compat.h"
#include "touchpoint.h"

#define MERGE_CALLS_COLS 18
#define EXPLAIN_COLS 8

TP_FUNCTION_INFO(tp_bizible_key);
TP_FUNCTION_INFO(tp_merge_calls);
TP_FUNCTION_INFO(tp_explain_calls);
TP_FUNCTION_INFO(tp_explain_call);

/* What the emit callbacks need. */
typedef struct EmitState
{
	ReturnSetInfo *rsinfo;
	uint64		rows;
	MemoryContext row_ctx;		/* one output row's values, reset after each */
} EmitState;

static const char *const status_names[] = {
	"merged", "deleted", "no_bizible_id", "no_sessions", "outside_window"
};

/* bizible_key(text): the normalised BizibleId, NULL when missing. */
Datum
tp_bizible_key(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(in);
	text	   *out = (text *) palloc(VARHDRSZ + len);
	size_t		n = tp_normalize_bizible_id(VARDATA_ANY(in), len, VARDATA(out));

	if (n == 0)
		PG_RETURN_NULL();
	SET_VARSIZE(out, VARHDRSZ + n);
	PG_RETURN_TEXT_P(out);
}

/* The task's type, trimmed, or NULL when blank. */
static char *
trimmed_type(const char *type)
{
	size_t		start;
	size_t		n;

	if (type == NULL)
		return NULL;
	n = tp_trim_extent(type, strlen(type), &start);
	return n == 0 ? NULL : pnstrdup(type + start, n);
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* A string of the run's rows as text: without a copy when it is a text string. */
static inline Datum
run_text(const TpRun *run, const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	if (s == NULL)
		return (Datum) 0;
	return run->text_strings ? TpTextStringDatum(s) : CStringGetTextDatum(s);
}

/*
 * to - from as whole days and the rest, both carrying the sign of the
 * difference (as SQL's timestamp subtraction justifies it).  Exact for any
 * two finite timestamps: their difference in microseconds can exceed int64
 * (the first and the last representable instants), so the days are taken
 * apart before subtracting.
 */
typedef struct TpSpan
{
	int64		days;
	int64		usecs;			/* |usecs| < USECS_PER_DAY */
} TpSpan;

static TpSpan
span_between(TimestampTz from, TimestampTz to)
{
	int64		from_days = from / USECS_PER_DAY;
	int64		from_rest = from % USECS_PER_DAY;
	int64		to_days = to / USECS_PER_DAY;
	int64		to_rest = to % USECS_PER_DAY;
	TpSpan		span;

	span.days = to_days - from_days;
	span.usecs = to_rest - from_rest;
	/* |usecs| < 2 days here: fold whole days, then give both one sign */
	span.days += span.usecs / USECS_PER_DAY;
	span.usecs %= USECS_PER_DAY;
	if (span.days > 0 && span.usecs < 0)
	{
		span.days--;
		span.usecs += USECS_PER_DAY;
	}
	else if (span.days < 0 && span.usecs > 0)
	{
		span.days++;
		span.usecs -= USECS_PER_DAY;
	}
	return span;
}

/* occurred - anchor as an interval of days and time, or NULL for infinities. */
static Datum
gap_interval(TimestampTz occurred, TimestampTz anchor, bool *isnull)
{
	TpSpan		span;
	Interval   *gap;

	*isnull = TIMESTAMP_NOT_FINITE(occurred) || TIMESTAMP_NOT_FINITE(anchor);
	if (*isnull)
		return (Datum) 0;
	span = span_between(anchor, occurred);
	gap = (Interval *) palloc(sizeof(Interval));
	gap->month = 0;
	gap->day = (int32) span.days;	/* at most ~110 million days */
	gap->time = span.usecs;
	return IntervalPGetDatum(gap);
}

/*
 * gap as a number of seconds (the BI-friendly companion of the interval):
 * exactly the float8 nearest to extract(epoch from gap), since the decimal
 * text of the exact value is what strtod rounds; NULL for infinities.
 */
static Datum
gap_seconds(TimestampTz occurred, TimestampTz anchor, bool *isnull)
{
	TpSpan		span;
	int64		whole;
	int64		micro;
	char		digits[64];

	*isnull = TIMESTAMP_NOT_FINITE(occurred) || TIMESTAMP_NOT_FINITE(anchor);
	if (*isnull)
		return (Datum) 0;
	span = span_between(anchor, occurred);
	/* days and usecs carry the same sign; |days| < 2^31 */
	whole = span.days * SECS_PER_DAY + span.usecs / USECS_PER_SEC;
	micro = span.usecs % USECS_PER_SEC;
	snprintf(digits, sizeof(digits), "%s" INT64_FORMAT ".%06d",
			 (whole < 0 || micro < 0) ? "-" : "",
			 whole < 0 ? -whole : whole, (int) (micro < 0 ? -micro : micro));
	return Float8GetDatum(strtod(digits, NULL));
}

/* ---- explanation sentences ---- */

/*
 * Break a timestamptz into fields in the session's TimeZone; false for
 * infinities.  *zone (when asked for) is the abbreviation PostgreSQL prints
 * for that instant (to_char's TZ): "UTC", "PDT", or "+0545" where the zone
 * has none.
 */
static bool
local_time(TimestampTz ts, struct pg_tm *tm, fsec_t *fsec, const char **zone)
{
	int			tz;
	const char *tzn = NULL;

	if (TIMESTAMP_NOT_FINITE(ts))
		return false;
	if (timestamp2tm(ts, &tz, tm, fsec, &tzn, NULL) != 0)
		return false;
	if (zone != NULL)
		*zone = tzn;
	return true;
}

/*
 * Append a time as HH:MI, with seconds and a date only when needed, and the
 * zone abbreviation: the sentences are read beside BI tools that show the
 * same instants in another zone (often UTC), so a bare clock time misleads.
 */
static void
append_time(StringInfo buf, TimestampTz ts, bool with_date)
{
	struct pg_tm tm;
	fsec_t		fsec;
	const char *zone = NULL;

	if (!local_time(ts, &tm, &fsec, &zone))
	{
		appendStringInfoString(buf, ts == DT_NOBEGIN ? "-infinity" : "infinity");
		return;
	}
	if (with_date)
		appendStringInfo(buf, "%04d-%02d-%02d ",
						 tm.tm_year > 0 ? tm.tm_year : 1 - tm.tm_year, tm.tm_mon, tm.tm_mday);
	appendStringInfo(buf, "%02d:%02d", tm.tm_hour, tm.tm_min);
	if (tm.tm_sec != 0 || fsec != 0)
	{
		appendStringInfo(buf, ":%02d", tm.tm_sec);
		if (fsec != 0)
		{
			char		frac[8];
			int			len;

			snprintf(frac, sizeof(frac), "%06d", (int) fsec);
			len = 6;
			while (len > 0 && frac[len - 1] == '0')
				frac[--len] = '\0';
			appendStringInfo(buf, ".%s", frac);
		}
	}
	if (zone != NULL && zone[0] != '\0')
		appendStringInfo(buf, " %s", zone);
	if (with_date && tm.tm_year <= 0)
		appendStringInfoString(buf, " BC");	/* year 0 is 1 BC; after the zone, as timestamptz prints it */
}

/* Do two times fall on different local dates (then sentences show dates)? */
static bool
different_days(TimestampTz a, TimestampTz b)
{
	struct pg_tm ta,
				tb;
	fsec_t		fa,
				fb;

	if (!local_time(a, &ta, &fa, NULL) || !local_time(b, &tb, &fb, NULL))
		return false;
	return ta.tm_year != tb.tm_year || ta.tm_mon != tb.tm_mon || ta.tm_mday != tb.tm_mday;
}

/* Append a span's length (absolute value) as "1 day 2 h 48 min 3.5 s". */
static void
append_duration(StringInfo buf, TpSpan span)
{
	uint64		days = span.days < 0 ? (uint64) (-span.days) : (uint64) span.days;
	uint64		u = span.usecs < 0 ? (uint64) (-span.usecs) : (uint64) span.usecs;
	uint64		hours = u / USECS_PER_HOUR;
	uint64		mins = (u / USECS_PER_MINUTE) % 60;
	uint64		secs = (u / USECS_PER_SEC) % 60;
	uint64		micro = u % USECS_PER_SEC;
	bool		any = false;

	if (days > 0)
	{
		appendStringInfo(buf, "%llu day%s", (unsigned long long) days, days == 1 ? "" : "s");
		any = true;
	}
	if (hours > 0)
	{
		appendStringInfo(buf, "%s%llu h", any ? " " : "", (unsigned long long) hours);
		any = true;
	}
	if (mins > 0)
	{
		appendStringInfo(buf, "%s%llu min", any ? " " : "", (unsigned long long) mins);
		any = true;
	}
	if (secs > 0 || micro > 0 || !any)
	{
		appendStringInfo(buf, "%s%llu", any ? " " : "", (unsigned long long) secs);
		if (micro > 0)
		{
			char		frac[8];
			int			len = 6;

			snprintf(frac, sizeof(frac), "%06llu", (unsigned long long) micro);
			while (len > 0 && frac[len - 1] == '0')
				frac[--len] = '\0';
			appendStringInfo(buf, ".%s", frac);
		}
		appendStringInfoString(buf, " s");
	}
}

/*
 * Is ts exactly midnight?  Returns "midnight" for the caller's time zone,
 * "midnight UTC" when only UTC midnight (how Salesforce stores a date-only
 * ActivityDate), or NULL.
 */
static const char *
midnight_kind(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts))
		return NULL;
	if (local_time(ts, &tm, &fsec, NULL) &&
		tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 && fsec == 0)
		return "midnight";
	if (ts % USECS_PER_DAY == 0)
		return "midnight UTC";
	return NULL;
}

/* The one-sentence explanation of a task's outcome (docs/spec.md §3.3). */
static char *
explain_detail(TpRun *run, const TpTaskRow *task, TpTaskStatus status,
			   const TpLoadedGroup *g, int idx)
{
	StringInfoData buf;
	bool		blank_type = (trimmed_type(task->type) == NULL);

	initStringInfo(&buf);
	switch (status)
	{
		case TP_STATUS_DELETED:
			appendStringInfoString(&buf, "the task is marked deleted in the CRM, so it makes no touchpoint");
			break;
		case TP_STATUS_NO_BIZIBLE_ID:
			appendStringInfoString(&buf, "the task has no BizibleId, so no touchpoint can be made; the call-tracking vendor did not fill the BizibleId field");
			break;
		case TP_STATUS_NO_SESSIONS:
			appendStringInfo(&buf, "no web session carries BizibleId %s; the call becomes a touchpoint of its own without web data",
							 task->bizible_key);
			break;
		case TP_STATUS_MERGED:
		case TP_STATUS_OUTSIDE_WINDOW:
			{
				const TpSession *s = &g->sessions[idx];
				TimestampTz occ = task->occurred_at;
				bool		by_activity = (run->anchor == TP_ANCHOR_LAST_ACTIVITY &&
										   !g->data[idx].last_activity_null);
				TimestampTz anchor = g->sessions[idx].anchor;
				bool		finite = !TIMESTAMP_NOT_FINITE(occ) &&
					!TIMESTAMP_NOT_FINITE(s->started_at) && !TIMESTAMP_NOT_FINITE(anchor);
				bool		dates = !finite || different_days(occ, s->started_at) ||
					different_days(occ, anchor);

				appendStringInfoString(&buf, "call at ");
				append_time(&buf, occ, dates);
				if (occ < s->started_at)
				{
					appendStringInfoString(&buf, " came ");
					if (TIMESTAMP_NOT_FINITE(occ) || TIMESTAMP_NOT_FINITE(s->started_at))
						appendStringInfoString(&buf, "an unbounded time");
					else
						append_duration(&buf, span_between(occ, s->started_at));
					appendStringInfo(&buf, " before session %s started at ", s->session_id);
					append_time(&buf, s->started_at, dates);
					appendStringInfoString(&buf, "; a call before a session starts is never merged with it, so the call becomes a touchpoint of its own without web data");
				}
				else if (occ < anchor)
				{
					/* last_activity anchor, call during the session */
					appendStringInfo(&buf, " came during session %s (started at ", s->session_id);
					append_time(&buf, s->started_at, dates);
					appendStringInfoString(&buf, ", last active at ");
					append_time(&buf, anchor, dates);
					appendStringInfoString(&buf, ")");
				}
				else if (occ == anchor && TIMESTAMP_NOT_FINITE(occ))
				{
					/* the same infinity: no gap, and such a window is empty */
					appendStringInfo(&buf, " came at the same unbounded time as session %s %s ",
									 s->session_id,
									 by_activity ? "was last active, at" : "started, at");
					append_time(&buf, anchor, dates);
					appendStringInfoString(&buf, ", and a window that opens at an infinite time holds no call");
				}
				else
				{
					appendStringInfoString(&buf, " came ");
					if (TIMESTAMP_NOT_FINITE(occ) || TIMESTAMP_NOT_FINITE(anchor))
						appendStringInfoString(&buf, "an unbounded time");
					else
						append_duration(&buf, span_between(anchor, occ));
					appendStringInfo(&buf, " after session %s %s ", s->session_id,
									 by_activity ? "was last active at" : "started at");
					append_time(&buf, anchor, dates);
				}
				if (occ < s->started_at)
					break;
				appendStringInfoString(&buf, "; the window is ");
				append_duration(&buf, span_between(0, run->window));
				if (by_activity)
					appendStringInfoString(&buf, " after the last activity");
				if (status == TP_STATUS_MERGED)
					appendStringInfoString(&buf, ", so the call is merged with it");
				else
					appendStringInfoString(&buf, ", so the call becomes a touchpoint of its own without web data");
				break;
			}
	}

	if (blank_type && status != TP_STATUS_DELETED && status != TP_STATUS_NO_BIZIBLE_ID)
		appendStringInfo(&buf, "; the task type is blank, so the touchpoint reads %s",
						 status == TP_STATUS_MERGED ? "Web Visit" : "Phone Call");
	if (!task->occurred_null && midnight_kind(task->occurred_at) != NULL)
		appendStringInfo(&buf, "; the call time is exactly %s, a sign that a date-only field (such as ActivityDate) was loaded instead of the call's date-time",
						 midnight_kind(task->occurred_at));
	return buf.data;
}

/* ---- emit callbacks ---- */

/* merge_calls: one row per task that yields a touchpoint (§3.1.6-8). */
static void
emit_touchpoint(TpRun *run, const TpTaskRow *task, TpTaskStatus status,
				const TpLoadedGroup *g, int idx)
{
	EmitState  *es = (EmitState *) run->emit_state;
	Datum		values[MERGE_CALLS_COLS];
	bool		nulls[MERGE_CALLS_COLS];
	MemoryContext oldcxt;
	char	   *type;
	bool		merged = (status == TP_STATUS_MERGED);
	const TpSessionData *d = merged ? &g->data[idx] : NULL;
	int			i;

	if (status != TP_STATUS_MERGED && status != TP_STATUS_NO_SESSIONS &&
		status != TP_STATUS_OUTSIDE_WINDOW)
		return;
	oldcxt = MemoryContextSwitchTo(es->row_ctx);
	type = trimmed_type(task->type);

	memset(nulls, true, sizeof(nulls));
	values[0] = run_text(run, task->task_id, &nulls[0]);
	values[1] = run_text(run, task->bizible_key, &nulls[1]);
	values[2] = run_text(run, task->person_id, &nulls[2]);
	if (merged)
		values[3] = run_text(run, g->sessions[idx].session_id, &nulls[3]);
	values[4] = CStringGetTextDatum(type ? type : (merged ? "Web Visit" : "Phone Call"));
	nulls[4] = false;
	if (type)
		values[5] = text_or_null(type, &nulls[5]);
	else if (merged)
		values[5] = run_text(run, d->web[TP_WEB_MEDIUM], &nulls[5]);
	else
		values[5] = text_or_null("Phone Call", &nulls[5]);
	values[6] = TimestampTzGetDatum(task->occurred_at);
	nulls[6] = false;
	if (merged)
	{
		static const int web_out[8] = {
			TP_WEB_CHANNEL, TP_WEB_SUBCHANNEL, TP_WEB_SOURCE, TP_WEB_CAMPAIGN,
			TP_WEB_AD_CONTENT, TP_WEB_KEYWORD, TP_WEB_LANDING_PAGE, TP_WEB_REFERRER_PAGE
		};

		values[7] = TimestampTzGetDatum(g->sessions[idx].started_at);
		nulls[7] = false;
		for (i = 0; i < 8; i++)
			values[8 + i] = run_text(run, d->web[web_out[i]], &nulls[8 + i]);
	}
	values[16] = run_text(run, task->phone, &nulls[16]);
	values[17] = run_text(run, task->subject, &nulls[17]);

	tuplestore_putvalues(es->rsinfo->setResult, es->rsinfo->setDesc, values, nulls);
	es->rows++;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(es->row_ctx);
}

/* explain_calls / explain_call: one row for every task. */
static void
emit_explanation(TpRun *run, const TpTaskRow *task, TpTaskStatus status,
				 const TpLoadedGroup *g, int idx)
{
	EmitState  *es = (EmitState *) run->emit_state;
	Datum		values[EXPLAIN_COLS];
	bool		nulls[EXPLAIN_COLS];
	MemoryContext oldcxt = MemoryContextSwitchTo(es->row_ctx);

	memset(nulls, true, sizeof(nulls));
	values[0] = text_or_null(task->task_id, &nulls[0]);
	values[1] = CStringGetTextDatum(status_names[status]);
	nulls[1] = false;
	if (status == TP_STATUS_MERGED)
		values[2] = text_or_null(g->sessions[idx].session_id, &nulls[2]);
	if (status == TP_STATUS_MERGED || status == TP_STATUS_OUTSIDE_WINDOW)
	{
		values[3] = text_or_null(g->sessions[idx].session_id, &nulls[3]);
		values[4] = TimestampTzGetDatum(g->sessions[idx].started_at);
		nulls[4] = false;
		values[5] = gap_interval(task->occurred_at, g->sessions[idx].anchor, &nulls[5]);
		values[7] = gap_seconds(task->occurred_at, g->sessions[idx].anchor, &nulls[7]);
	}
	values[6] = CStringGetTextDatum(explain_detail(run, task, status, g, idx));
	nulls[6] = false;

	tuplestore_putvalues(es->rsinfo->setResult, es->rsinfo->setDesc, values, nulls);
	es->rows++;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(es->row_ctx);
}

/* ---- the functions ---- */

/*
 * The call as the user would write it, for hints: "schema.function(" and,
 * after the relations, the window argument and ")".
 */
static void
call_text(FunctionCallInfo fcinfo, int argno, const char *schema, const char *function,
		  char **prefix, char **suffix)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s.%s(", quote_identifier(schema), function);
	if (argno > 0)
		appendStringInfo(&buf, "%s, ",
						 quote_literal_cstr(text_to_cstring(PG_GETARG_TEXT_PP(0))));
	*prefix = buf.data;
	if (PG_ARGISNULL(argno + 2))
		*suffix = pstrdup(")");
	else
		*suffix = psprintf(", interval %s)",
						   quote_literal_cstr(DatumGetCString(DirectFunctionCall1(interval_out,
																			  PG_GETARG_DATUM(argno + 2)))));
}

/* Set up a run from the (sessions, tasks, window) arguments at argno.. */
static void
init_run(TpRun *run, FunctionCallInfo fcinfo, int argno, const char *function, EmitState *es)
{
	char	   *schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	char	   *call_prefix;
	char	   *call_suffix;

	memset(run, 0, sizeof(TpRun));
	TpCheckSettings();
	run->key_function = psprintf("%s.bizible_key", quote_identifier(schema));
	run->window = TpResolveWindow(PG_ARGISNULL(argno + 2) ? NULL :
								  PG_GETARG_INTERVAL_P(argno + 2));
	run->anchor = (TpWindowAnchor) tp_window_anchor;
	run->strategy = (TpStrategy) tp_merge_strategy;
	TpOpenInput(&run->sessions, &tp_session_input, PG_GETARG_DATUM(argno), PG_ARGISNULL(argno));
	TpOpenInput(&run->tasks, &tp_task_input, PG_GETARG_DATUM(argno + 1), PG_ARGISNULL(argno + 1));
	call_text(fcinfo, argno, schema, function, &call_prefix, &call_suffix);
	TpCheckSwapped(&run->sessions, &run->tasks, function, call_prefix, call_suffix);
	TpCheckColumns(&run->sessions);
	TpCheckColumns(&run->tasks);

	TpInitMaterializedSRF(fcinfo);
	es->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	es->rows = 0;
	es->row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint output row",
										ALLOCSET_DEFAULT_SIZES);
	run->emit_state = es;
}

/* merge_calls(sessions, tasks, session_window) */
Datum
tp_merge_calls(PG_FUNCTION_ARGS)
{
	TpRun		run;
	EmitState	es;

	init_run(&run, fcinfo, 0, "merge_calls", &es);
	run.with_web_data = true;
	run.skip_unmatchable = true;
	run.emit = emit_touchpoint;
	if (run.strategy == TP_STRATEGY_SORTED)
		TpRunMerge(&run);
	else
		TpRunMergeScan(&run);
	return (Datum) 0;
}

/* explain_calls(sessions, tasks, session_window) */
Datum
tp_explain_calls(PG_FUNCTION_ARGS)
{
	TpRun		run;
	EmitState	es;

	init_run(&run, fcinfo, 0, "explain_calls", &es);
	run.emit = emit_explanation;
	TpRunMerge(&run);
	return (Datum) 0;
}

/* explain_call(task_id, sessions, tasks, session_window) */
Datum
tp_explain_call(PG_FUNCTION_ARGS)
{
	TpRun		run;
	EmitState	es;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"task_id\" must not be NULL")));
	init_run(&run, fcinfo, 1, "explain_call", &es);
	run.single_task_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	run.emit = emit_explanation;
	TpRunMerge(&run);
	if (es.rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("task %s does not exist in relation \"%s\"",
						quote_literal_cstr(run.single_task_id), run.tasks.display_name),
				 errhint("List the tasks with touchpoint.explain_calls() or check the id's spelling.")));
	return (Datum) 0;
}
