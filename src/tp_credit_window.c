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
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "tp_credit.h"

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
	TpPositionWeights custom;
	int			user_models;
	TpPositionWeights *user;
} CreditQueryState;

/* Per partition (zeroed by the executor at each new opportunity). */
typedef struct CreditPartition
{
	bool		computed;
	bool		open;
	int			n;
	TpCreditResult result;
} CreditPartition;

/*
 * A numeric as an integer count of 10^-scale: digits past `scale` are
 * rounded half away from zero when `round`, refused otherwise.  Via the
 * text form, which is exact; only weights (once) and amounts (once per
 * opportunity) come this way.
 */
static bool
numeric_to_scaled(Datum value, int scale, bool round, int128 *out)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
	const char *p = text;
	bool		negative = false;
	int128		v = 0;
	int			integer_digits = 0;
	int			decimals = -1;	/* -1: still in the integer part */
	bool		round_up = false;

	if (*p == '-')
	{
		negative = true;
		p++;
	}
	for (; *p; p++)
	{
		int			digit = *p - '0';

		if (*p == '.' && decimals < 0)
		{
			decimals = 0;
			continue;
		}
		if (digit < 0 || digit > 9)
			return false;		/* NaN, Infinity */
		if (decimals < 0)
		{
			if (++integer_digits + scale > 36)
				return false;
			v = v * 10 + digit;
		}
		else if (decimals < scale)
		{
			v = v * 10 + digit;
			decimals++;
		}
		else
		{
			/* past the scale: the first such digit decides a rounding */
			if (!round && digit != 0)
				return false;
			if (decimals == scale)
				round_up = (digit >= 5);
			decimals++;
		}
	}
	for (int d = Max(decimals, 0); d < scale; d++)
		v *= 10;
	if (round_up)
		v += 1;
	*out = negative ? -v : v;
	return true;
}

/*
 * The weights argument `argno` in 1e-20 units, palloc'd: exactly `exact`
 * of them, or (exact < 0) a multiple of 5.  A NULL array or weight, a
 * negative one or one with more than 20 decimals is an error.
 */
static int128 *
read_weights(WindowObject winobj, int argno, int exact, const char *what, int *count)
{
	bool		isnull;
	Datum		weights = WinGetFuncArgCurrent(winobj, argno, &isnull);
	Datum	   *values;
	bool	   *nulls;
	int			n;
	int128	   *out;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("touchpoint_internal.credit_shares: the %s weights are NULL", what)));
	deconstruct_array(DatumGetArrayTypeP(weights), NUMERICOID, -1, false, TYPALIGN_INT, &values, &nulls, &n);
	if (exact >= 0 ? n != exact : n % 5 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("touchpoint_internal.credit_shares: %d %s weights, expected %s", n, what,
						exact >= 0 ? "4" : "5 per model")));
	out = palloc(sizeof(int128) * Max(1, n));
	for (int i = 0; i < n; i++)
		if (nulls[i] || !numeric_to_scaled(values[i], TP_WEIGHT_SCALE_DIGITS, false, &out[i]) || out[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s weight %s cannot be used", what,
							nulls[i] ? "NULL" : DatumGetCString(DirectFunctionCall1(numeric_out, values[i]))),
					 errdetail("Weights are finite, not negative and have at most %d decimals.",
							   TP_WEIGHT_SCALE_DIGITS),
					 errhint("Round the weight to %d decimals (keeping the sum) and refresh again.",
							 TP_WEIGHT_SCALE_DIGITS)));
	*count = n;
	return out;
}

static CreditQueryState *
query_state(FunctionCallInfo fcinfo, WindowObject winobj)
{
	CreditQueryState *state = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	int128	   *custom;
	int128	   *user;
	int			count;
	TupleDesc	tupdesc;

	if (state != NULL)
		return state;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	state = palloc0(sizeof(CreditQueryState));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "touchpoint: credit_shares must return a row type");
	state->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));

	custom = read_weights(winobj, ARG_CUSTOM_WEIGHTS, 4, "custom_model", &count);
	state->custom.ft = custom[0];
	state->custom.lc = custom[1];
	state->custom.oc = custom[2];
	state->custom.closed = custom[3];
	user = read_weights(winobj, ARG_MODEL_WEIGHTS, -1, "position_models", &count);
	state->user_models = count / 5;
	state->user = palloc(sizeof(TpPositionWeights) * Max(1, state->user_models));
	for (int m = 0; m < state->user_models; m++)
	{
		state->user[m].ft = user[5 * m];
		state->user[m].lc = user[5 * m + 1];
		state->user[m].oc = user[5 * m + 2];
		state->user[m].closed = user[5 * m + 3];
		state->user[m].middle = user[5 * m + 4];
	}
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
	bool		isout;
	Datum		value;
	int128		cents;

	if (n > PG_INT32_MAX / (TP_BUILTIN_MODELS + state->user_models + 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an opportunity has too many touchpoints to credit (%lld)", (long long) n)));
	for (int64 i = 0; i < n; i++)
	{
		value = WinGetFuncArgInPartition(winobj, ARG_DATE, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a touchpoint of opportunity %s has no touchpoint_date",
							TextDatumGetCString(WinGetFuncArgCurrent(winobj, ARG_OPPORTUNITY, &isnull))),
					 errhint("Give every session and conversion event a date, then refresh.")));
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
	value = WinGetFuncArgCurrent(winobj, ARG_AMOUNT, &isnull);
	if (isnull || !numeric_to_scaled(value, 2, true, &cents))
		ereport(ERROR,
				(errcode(isnull ? ERRCODE_NULL_VALUE_NOT_ALLOWED : ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the amount of opportunity %s cannot be credited",
						TextDatumGetCString(WinGetFuncArgCurrent(winobj, ARG_OPPORTUNITY, &isnull))),
				 errdetail("An amount is a finite number below 10^34."),
				 errhint("Correct the opportunity's amount, then refresh.")));
	in.amount_cents = cents;
	in.custom = &state->custom;
	in.user_models = state->user_models;
	in.user = state->user;

	tp_credit_compute(&in, &part->result);
	part->n = (int) n;
	part->computed = true;
	MemoryContextSwitchTo(old);
}

/* cents as a numeric of 2 decimals; beyond int64 through the text form */
static Datum
cents_numeric(int128 cents)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf);
	bool		negative = cents < 0;
	uint128		v;

	if (cents >= PG_INT64_MIN && cents <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) cents, 2));
	v = negative ? -(uint128) cents : (uint128) cents;
	*--p = '\0';
	for (int d = 0; v > 0 || d < 3; d++)
	{
		if (d == 2)
			*--p = '.';
		*--p = '0' + (int) (v % 10);
		v /= 10;
	}
	if (negative)
		*--p = '-';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

static text *
position_text(uint8 mask, bool open)
{
	StringInfoData s;

	initStringInfo(&s);
	if (mask & TP_POS_FT)
		appendStringInfoString(&s, "FT");
	if (mask & TP_POS_LC)
		appendStringInfoString(&s, s.len ? ",LC" : "LC");
	if (mask & TP_POS_OC)
		appendStringInfoString(&s, s.len ? ",OC" : "OC");
	if (mask & TP_POS_CLOSED)
	{
		if (s.len)
			appendStringInfoChar(&s, ',');
		appendStringInfoString(&s, open ? "Pending" : "Closed");
	}
	return cstring_to_text_with_len(s.data, s.len);
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
		cents[m] = cents_numeric(part->result.cents[m * part->n + row]);
	}
	values[0] = PointerGetDatum(position_text(part->result.positions[row], part->open));
	values[1] = PointerGetDatum(construct_array(pct, models, NUMERICOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(cents, models, NUMERICOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(state->tupdesc, values, nulls)));
}
