/*
 * tp_credit_window.c
 *		touchpoint_internal.credit_shares(): the window function of stage 3.
 *
 *   credit_shares(opportunity_id, touchpoint_date, is_conversion,
 *                 is_lead_creation, created_at, closed_at, amount,
 *                 custom_weights numeric[4], model_weights numeric[5 * m])
 *       OVER (PARTITION BY opportunity_id ORDER BY <the touchpoint order>)
 *   -> (position text, pct numeric[8 + m], cents numeric[8 + m])
 *
 * Values in, values out: on an opportunity's first row it reads the
 * partition's rows (already sorted by the window's ORDER BY), computes every
 * model in exact integers (tp_credit.c) into the partition's memory, and
 * each row then gets its own position, percentages (10 decimals) and cents.
 * The weights are the same for every row of a query; they are read once.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "tp_credit_values.h"

PG_FUNCTION_INFO_V1(tp_credit_shares);

enum
{
	ARG_OPPORTUNITY,
	ARG_DATE,
	ARG_CONVERSION,
	ARG_LEAD_CREATION,
	ARG_CREATED_AT,
	ARG_CLOSED_AT,
	ARG_AMOUNT,
	ARG_CUSTOM_WEIGHTS,
	ARG_MODEL_WEIGHTS
};

/* Per query: the weights and the result's row type. */
typedef struct CreditQueryState
{
	TupleDesc	tupdesc;
	TpCreditWeights weights;
} CreditQueryState;

/* Per partition (zeroed by the executor at each new opportunity). */
typedef struct CreditPartition
{
	bool		computed;
	bool		open;
	int			n;
	TpCreditResult result;
} CreditPartition;

static CreditQueryState *
query_state(FunctionCallInfo fcinfo, WindowObject winobj)
{
	CreditQueryState *state = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	TupleDesc	tupdesc;
	bool		custom_null;
	bool		models_null;
	Datum		custom;
	Datum		models;

	if (state != NULL)
		return state;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	state = palloc0(sizeof(CreditQueryState));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "touchpoint: credit_shares must return a row type");
	state->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	custom = WinGetFuncArgCurrent(winobj, ARG_CUSTOM_WEIGHTS, &custom_null);
	models = WinGetFuncArgCurrent(winobj, ARG_MODEL_WEIGHTS, &models_null);
	tp_credit_read_weights(custom, custom_null, models, models_null, &state->weights);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = state;
	return state;
}

/* Read the opportunity's rows and compute its credit into partition memory. */
static void
compute_partition(WindowObject winobj, CreditQueryState *state, CreditPartition *part)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(part));
	int64		n = WinGetPartitionRowCount(winobj);
	TimestampTz *dates = palloc(sizeof(TimestampTz) * n);
	bool	   *conversion = palloc(sizeof(bool) * n);
	bool	   *lead = palloc(sizeof(bool) * n);
	TpCreditInput in;
	bool		isnull;
	bool		amount_null;
	bool		isout;
	Datum		value;
	int128		cents;

	tp_credit_check_size(n, state->weights.user_models);
	for (int64 i = 0; i < n; i++)
	{
		value = WinGetFuncArgInPartition(winobj, ARG_DATE, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
		if (isnull)
			tp_credit_no_date_error(TextDatumGetCString(WinGetFuncArgCurrent(winobj, ARG_OPPORTUNITY, &isnull)));
		dates[i] = DatumGetTimestampTz(value);
		value = WinGetFuncArgInPartition(winobj, ARG_CONVERSION, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
		conversion[i] = !isnull && DatumGetBool(value);
		value = WinGetFuncArgInPartition(winobj, ARG_LEAD_CREATION, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
		lead[i] = !isnull && DatumGetBool(value);
	}

	memset(&in, 0, sizeof(in));
	in.n = (int) n;
	in.dates = dates;
	in.conversion = conversion;
	in.lead_creation = lead;
	value = WinGetFuncArgCurrent(winobj, ARG_CREATED_AT, &isnull);
	/* no creation date: nothing is at or before it, so no OC */
	in.created_at = isnull ? DT_NOBEGIN : DatumGetTimestampTz(value);
	(void) WinGetFuncArgCurrent(winobj, ARG_CLOSED_AT, &isnull);
	part->open = isnull;
	value = WinGetFuncArgCurrent(winobj, ARG_AMOUNT, &amount_null);
	cents = tp_credit_amount_cents(value, amount_null,
								   TextDatumGetCString(WinGetFuncArgCurrent(winobj, ARG_OPPORTUNITY, &isnull)));
	in.amount_cents = cents;
	in.custom = &state->weights.custom;
	in.user_models = state->weights.user_models;
	in.user = state->weights.user;

	tp_credit_compute(&in, &part->result);
	part->n = (int) n;
	part->computed = true;
	MemoryContextSwitchTo(old);
}

Datum
tp_credit_shares(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	CreditQueryState *state = query_state(fcinfo, winobj);
	CreditPartition *part = WinGetPartitionLocalMemory(winobj, sizeof(CreditPartition));
	int64		row;
	int			models;
	Datum	   *pct;
	Datum	   *cents;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (!part->computed)
		compute_partition(winobj, state, part);
	row = WinGetCurrentPosition(winobj);
	models = part->result.models;
	pct = palloc(sizeof(Datum) * models);
	cents = palloc(sizeof(Datum) * models);
	for (int m = 0; m < models; m++)
	{
		pct[m] = NumericGetDatum(int64_div_fast_to_numeric(part->result.pct[m * part->n + row], 10));
		cents[m] = tp_cents_numeric(part->result.cents[m * part->n + row]);
	}
	values[0] = PointerGetDatum(tp_position_text(part->result.positions[row], part->open));
	values[1] = PointerGetDatum(construct_array(pct, models, NUMERICOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(cents, models, NUMERICOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(state->tupdesc, values, nulls)));
}
