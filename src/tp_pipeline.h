/*
 * tp_pipeline.h
 *		What the pipeline's SQL-callable functions share (tp_pipeline.c,
 *		tp_publish.c): the run of stages 1 and 2 and the touchpoints row.
 */
#ifndef TP_PIPELINE_H
#define TP_PIPELINE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "tp_journey.h"

/* Columns of touchpoint.touchpoints, in order (docs/spec.md §5). */
#define TP_TOUCHPOINT_COLS 23

/* What the pass collects. */
typedef struct Collector
{
	MemoryContext ctx;			/* everything collected lives here */
	/* keys: only the events of these BizibleIds (sorted), and keyless ones if with_null */
	bool		filter;
	char	  **keys;
	int			nkeys;
	bool		with_null;
	TpJourneys	j;
	int			events_cap;
	int			firsts_cap;
} Collector;

/* Channel rules, parsed once per call. */
typedef struct Rules
{
	int			nrules;
	char	  **cells;
	int		   *lens;
} Rules;

/*
 * Stages 1 and 2 from the first arguments (sessions, events, keyless,
 * channel_rules, session_window) of the calling function, into c, for the
 * events of keys only unless NULL; everything lives in ctx.  placed: the
 * second argument holds the events already placed by the workers (shaped as
 * touchpoint_internal.keyed_placed_events; docs/distributed.md), so there is
 * no pass over the sessions.
 */
extern void TpPipelineRun(FunctionCallInfo fcinfo, ArrayType *keys, Collector *c, Rules *rules,
						  MemoryContext ctx, bool placed);

/* The touchpoints row of a conversion event (v NULL) or of a first-touch visit (e NULL). */
extern void TpTouchpointValues(const Rules *rules, const TpEvent *e, const TpVisit *v,
							   Datum *values, bool *nulls);

#endif							/* TP_PIPELINE_H */
