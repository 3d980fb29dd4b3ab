/*
 * tp_channel.c
 *		SQL-callable channel rules (docs/spec.md §6): channel_rule_matches() for one
 *		cell and classify_channel() for an ordered list of rules, first match
 *		wins.  Both are IMMUTABLE: the rules arrive as an argument, never read
 *		from a table, so the planner may fold and parallelise them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "tp_compat.h"
#include "tp_rules.h"
#include "touchpoint.h"

/* Columns of a rule row in the rules array, in this order. */
#define RULE_CHANNEL TP_RULE_CHANNEL
#define RULE_SUBCHANNEL TP_RULE_SUBCHANNEL
#define RULE_FIRST_CONDITION TP_RULE_FIRST_CONDITION
#define RULE_WIDTH TP_RULE_WIDTH

TP_FUNCTION_INFO(tp_channel_rule_matches);
TP_FUNCTION_INFO(tp_classify_channel);

/* The rules array of the last call, parsed once and kept across rows. */
typedef struct RulesCache
{
	Size		size;			/* of the flattened array, to recognise it */
	char	   *bytes;
	int			nrules;
	char	  **cells;			/* nrules * RULE_WIDTH, NULL for NULL */
	int		   *lens;
} RulesCache;

/* channel_rule_matches(pattern, value): does value match one rule cell? */
Datum
tp_channel_rule_matches(PG_FUNCTION_ARGS)
{
	text	   *pattern;
	text	   *value;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(true);
	pattern = PG_GETARG_TEXT_PP(0);
	if (PG_ARGISNULL(1))
		PG_RETURN_BOOL(tp_pattern_matches(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern),
										  NULL, 0));
	value = PG_GETARG_TEXT_PP(1);
	PG_RETURN_BOOL(tp_pattern_matches(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern),
									  VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
}

/*
 * The rules array as cells (nrules * TP_RULE_WIDTH, NULL for NULL) and their
 * lengths, allocated in the current context; a clear error for a bad shape.
 */
void
TpRulesParse(ArrayType *rules, int *nrules, char ***cells_out, int **lens_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	char	  **cells;
	int		   *lens;
	int			i;

	if (ARR_NDIM(rules) != 0 &&
		(ARR_NDIM(rules) != 2 || ARR_DIMS(rules)[1] != RULE_WIDTH))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel rules must be a two-dimensional text array with %d columns", RULE_WIDTH),
				 errdetail("Each rule is ARRAY[channel, subchannel, medium, source, campaign, landing_page, referrer], in priority order."),
				 errhint("Build it with array_agg(ARRAY[channel, subchannel, medium, source, campaign, landing_page, referrer] ORDER BY priority).")));
	deconstruct_array(rules, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	cells = palloc0(sizeof(char *) * Max(nelems, 1));
	lens = palloc0(sizeof(int) * Max(nelems, 1));
	for (i = 0; i < nelems; i++)
	{
		if (nulls[i])
			continue;
		cells[i] = TextDatumGetCString(elems[i]);
		lens[i] = strlen(cells[i]);
	}
	*nrules = nelems / RULE_WIDTH;
	*cells_out = cells;
	*lens_out = lens;
}

/* Parse the rules array into the cache unless it is the one cached. */
static RulesCache *
rules_from_array(FunctionCallInfo fcinfo, ArrayType *rules)
{
	RulesCache *cache = (RulesCache *) fcinfo->flinfo->fn_extra;
	Size		size = VARSIZE(rules);
	MemoryContext oldcxt;
	int			nrules;
	char	  **cells;
	int		   *lens;
	int			i;

	if (cache != NULL && cache->size == size && memcmp(cache->bytes, rules, size) == 0)
		return cache;

	oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	/* parsed first: a bad array raises its error with the old cache intact */
	TpRulesParse(rules, &nrules, &cells, &lens);
	if (cache == NULL)
		cache = palloc0(sizeof(RulesCache));
	else
	{
		pfree(cache->bytes);
		for (i = 0; i < cache->nrules * RULE_WIDTH; i++)
			if (cache->cells[i])
				pfree(cache->cells[i]);
		pfree(cache->cells);
		pfree(cache->lens);
	}
	cache->size = size;
	cache->bytes = palloc(size);
	memcpy(cache->bytes, rules, size);
	cache->nrules = nrules;
	cache->cells = cells;
	cache->lens = lens;
	fcinfo->flinfo->fn_extra = cache;
	MemoryContextSwitchTo(oldcxt);
	return cache;
}

/*
 * classify_channel(rules, medium, source, campaign, landing_page, referrer):
 * ARRAY[channel, subchannel] of the first rule whose every cell matches, or
 * NULL when none does (the caller then says Other or Direct).
 */
Datum
tp_classify_channel(PG_FUNCTION_ARGS)
{
	RulesCache *cache;
	const char *values[5];
	int			lens[5];
	int			r;
	int			c;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	cache = rules_from_array(fcinfo, PG_GETARG_ARRAYTYPE_P(0));

	for (c = 0; c < 5; c++)
	{
		values[c] = NULL;
		lens[c] = 0;
		if (!PG_ARGISNULL(c + 1))
		{
			text	   *t = PG_GETARG_TEXT_PP(c + 1);

			values[c] = VARDATA_ANY(t);
			lens[c] = VARSIZE_ANY_EXHDR(t);
		}
	}

	r = tp_rules_first_match(cache->cells, cache->lens, cache->nrules, RULE_WIDTH,
							 RULE_FIRST_CONDITION, values, lens);
	if (r >= 0)
	{
		char	  **cells = &cache->cells[r * RULE_WIDTH];
		Datum		out[2];
		bool		out_nulls[2];
		int			dims[1] = {2};
		int			lbs[1] = {1};

		out_nulls[0] = cells[RULE_CHANNEL] == NULL;
		out[0] = out_nulls[0] ? (Datum) 0 : CStringGetTextDatum(cells[RULE_CHANNEL]);
		out_nulls[1] = cells[RULE_SUBCHANNEL] == NULL;
		out[1] = out_nulls[1] ? (Datum) 0 : CStringGetTextDatum(cells[RULE_SUBCHANNEL]);
		PG_RETURN_ARRAYTYPE_P(construct_md_array(out, out_nulls, 1, dims, lbs,
												 TEXTOID, -1, false, TYPALIGN_INT));
	}
	PG_RETURN_NULL();
}
