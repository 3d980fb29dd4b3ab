/*
 * tp_keyed.c
 *		The per-BizibleId stage on Citus's workers (docs/distributed.md):
 *		touchpoint_internal.place_key_events() and place_key_event_positions(),
 *		the engine's placement of one BizibleId's conversion events among its
 *		sessions, given as arrays, and
 *		touchpoint_internal.merge_settings(), the window and anchor the
 *		coordinator hands to it, and is_citus_table(), whether Citus holds a
 *		relation's rows.
 *
 * place_key_events reads no table and no setting: Citus calls it inside a
 * query pushed down to the shards (GROUP BY the key), where a function that
 * read a distributed table would fail and the workers' own settings are not
 * the caller's.  It is IMMUTABLE for that reason, and it is: its answer is
 * the engine's (tp_match.c), a function of its arguments alone.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "touchpoint.h"
#include "tp_compat.h"

TP_FUNCTION_INFO(tp_place_key_events);
TP_FUNCTION_INFO(tp_place_key_event_positions);
TP_FUNCTION_INFO(tp_merge_settings);
TP_FUNCTION_INFO(tp_is_citus_table);

/* The elements of a one-dimensional array argument (none when NULL). */
static int
array_elements(FunctionCallInfo fcinfo, int arg, Oid elemtype, Datum **values, bool **nulls)
{
	ArrayType  *a;
	int			n;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	*values = NULL;
	*nulls = NULL;
	if (PG_ARGISNULL(arg))
		return 0;
	a = PG_GETARG_ARRAYTYPE_P(arg);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("place_key_events takes one-dimensional arrays")));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, values, nulls, &n);
	return n;
}

/* A session with its place in the caller's arrays, for sorting. */
typedef struct PlacedSession
{
	TpSession	session;
	int			position;		/* 0-based, in the caller's arrays */
} PlacedSession;

static int
placed_session_order(const void *a, const void *b)
{
	return tp_session_cmp(&((const PlacedSession *) a)->session, &((const PlacedSession *) b)->session);
}

/*
 * The placement of place_key_events and place_key_event_positions: for
 * each event time, the 0-based position in the caller's session arrays of
 * the session it merges with, or -1.  The same rule as merge_calls
 * (docs/spec.md §3.1): a session covers a time from its start until its
 * anchor plus the window; of the covering sessions the latest start wins,
 * ties to the smallest session_id bytewise.  A NULL session_id or
 * started_at is the error the one-node pass raises for a session of a
 * called BizibleId; a NULL event time, the task's.  *ids gets the
 * session_ids as the caller gave them.
 */
static int *
place_events(FunctionCallInfo fcinfo, int *nevents_out, Datum **ids_out)
{
	const char *key = PG_ARGISNULL(0) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(0));
	Datum	   *ids;
	bool	   *id_nulls;
	Datum	   *starts;
	bool	   *start_nulls;
	Datum	   *lasts;
	bool	   *last_nulls;
	Datum	   *times;
	bool	   *time_nulls;
	int			nsessions = array_elements(fcinfo, 1, TEXTOID, &ids, &id_nulls);
	int			nstarts = array_elements(fcinfo, 2, TIMESTAMPTZOID, &starts, &start_nulls);
	int			nlasts = array_elements(fcinfo, 3, TIMESTAMPTZOID, &lasts, &last_nulls);
	int			nevents = array_elements(fcinfo, 4, TIMESTAMPTZOID, &times, &time_nulls);
	int64		window;
	bool		anchor_last;
	PlacedSession *placed;
	TpSession  *sessions;
	TpGroup		group;
	int		   *winners;
	int			i;

	if (PG_ARGISNULL(5) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("place_key_events needs the window and the anchor")));
	window = PG_GETARG_INT64(5);
	anchor_last = PG_GETARG_BOOL(6);
	if (window <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session window must be greater than zero")));
	if (nstarts != nsessions || nlasts != nsessions)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("place_key_events: the session arrays differ in length")));

	placed = palloc_extended(sizeof(PlacedSession) * Max(nsessions, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < nsessions; i++)
	{
		TpSession  *s = &placed[i].session;

		CHECK_FOR_INTERRUPTS();
		if (id_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"session_id\" of relation \"sessions\" is NULL for a session of BizibleId %s",
							key ? quote_literal_cstr(key) : "with a NULL id"),
					 errhint("touchpoint needs a value here; filter or fill such rows in a view.")));
		s->session_id = TextDatumGetCString(ids[i]);
		if (start_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"started_at\" of relation \"sessions\" is NULL for session %s",
							quote_literal_cstr(s->session_id)),
					 errhint("touchpoint needs a value here; filter or fill such rows in a view.")));
		s->started_at = DatumGetTimestampTz(starts[i]);
		s->anchor = anchor_last && !last_nulls[i] ? DatumGetTimestampTz(lasts[i]) : s->started_at;
		placed[i].position = i;
	}
	/* the engine's order (the caller's ORDER BY may differ, e.g. in collation) */
	qsort(placed, nsessions, sizeof(PlacedSession), placed_session_order);
	sessions = palloc_extended(sizeof(TpSession) * Max(nsessions, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < nsessions; i++)
		sessions[i] = placed[i].session;
	group.sessions = sessions;
	group.nsessions = nsessions;
	group.window = window;
	group.tree = palloc_extended(sizeof(int64_t) * tp_group_tree_size(nsessions), MCXT_ALLOC_HUGE);
	tp_group_build(&group);

	winners = palloc(sizeof(int) * Max(nevents, 1));
	for (i = 0; i < nevents; i++)
	{
		TpMatchResult res;

		if (time_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("an event of BizibleId %s has no time",
							key ? quote_literal_cstr(key) : "with a NULL id"),
					 errhint("touchpoint needs a value here; filter or fill such rows in a view.")));
		res = tp_match_call(&group, DatumGetTimestampTz(times[i]));
		winners[i] = res.status == TP_MATCH_MERGED ? placed[res.index].position : -1;
	}
	*nevents_out = nevents;
	*ids_out = ids;
	return winners;
}

/*
 * The placement as an array, one element per event time, NULL for none:
 * the winner's session_id (text[]) or its 1-based position (int4[]).
 */
static Datum
placement_array(FunctionCallInfo fcinfo, bool as_positions)
{
	Datum	   *ids;
	int			nevents;
	int		   *winners = place_events(fcinfo, &nevents, &ids);
	Datum	   *values = palloc(sizeof(Datum) * Max(nevents, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(nevents, 1));
	int			dims[1] = {nevents};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < nevents; i++)
	{
		nulls[i] = winners[i] < 0;
		values[i] = nulls[i] ? (Datum) 0 :
			as_positions ? Int32GetDatum(winners[i] + 1) : ids[winners[i]];
	}
	PG_RETURN_ARRAYTYPE_P(as_positions ?
						  construct_md_array(values, nulls, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT) :
						  construct_md_array(values, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * place_key_events(key, session_ids, started_ats, last_activities,
 *                  event_times, window_usecs, anchor_last_activity) -> text[]
 *
 * For each event time, the session_id of the session it merges with, or
 * NULL (no session of the key covers it, or the key has none: session_ids
 * NULL).
 */
Datum
tp_place_key_events(PG_FUNCTION_ARGS)
{
	return placement_array(fcinfo, false);
}

/*
 * place_key_event_positions(the same arguments) -> int4[]
 *
 * For each event time, the 1-based position in the session arrays of the
 * session it merges with, or NULL: what the workers' statement uses to
 * take that very row's columns, so that two sessions of one BizibleId with
 * the same session_id (a registered source may have them) stay apart.
 */
Datum
tp_place_key_event_positions(PG_FUNCTION_ARGS)
{
	return placement_array(fcinfo, true);
}

/*
 * merge_settings() -> (window_usecs, anchor_last_activity): the caller's
 * touchpoint.session_window and touchpoint.window_anchor, resolved as the
 * engine resolves them, for a query that runs where they are not set.
 */
Datum
tp_merge_settings(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	TpCheckSettings();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "touchpoint: merge_settings must return a record");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(TpResolveWindow(NULL));
	values[1] = BoolGetDatum(tp_window_anchor == TP_ANCHOR_LAST_ACTIVITY);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * is_citus_table(relation) -> bool: whether the relation is a Citus table
 * (distributed, reference or Citus-local: its rows are not in its own
 * heap; TpRowsElsewhere), for the SQL that must treat it apart: no capture
 * triggers, a full rebuild, the stage on the workers.  False without Citus.
 */
Datum
tp_is_citus_table(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(TpRowsElsewhere(PG_GETARG_OID(0)));
}
