/*
 * tp_credit_values.c
 *		Stage 3's integers to and from SQL values (tp_credit_values.h): the
 *		exact numeric conversions, the weights arguments, the position text
 *		and the errors of a bad amount or date.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "tp_credit_values.h"

/*
 * A numeric as an integer count of 10^-scale: digits past `scale` are
 * rounded half away from zero when `round`, refused otherwise.  Via the
 * text form, which is exact; only weights (once) and amounts (once per
 * opportunity) come this way.
 */
bool
tp_numeric_to_scaled(Datum value, int scale, bool round, int128 *out)
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
 * A weights array in 1e-20 units, palloc'd: exactly `exact` of them, or
 * (exact < 0) a multiple of 5.  A NULL array or weight, a negative one or
 * one with more than 20 decimals is an error.
 */
static int128 *
read_weights(Datum weights, bool isnull, int exact, const char *what, int *count)
{
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
		if (nulls[i] || !tp_numeric_to_scaled(values[i], TP_WEIGHT_SCALE_DIGITS, false, &out[i]) || out[i] < 0)
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

/* custom_weights numeric[4] (FT, LC, OC, Closed) and model_weights numeric[5 * m], palloc'd. */
void
tp_credit_read_weights(Datum custom, bool custom_null, Datum models, bool models_null,
					   TpCreditWeights *out)
{
	int			count;
	int128	   *w = read_weights(custom, custom_null, 4, "custom_model", &count);

	memset(out, 0, sizeof(*out));
	out->custom.ft = w[0];
	out->custom.lc = w[1];
	out->custom.oc = w[2];
	out->custom.closed = w[3];
	w = read_weights(models, models_null, -1, "position_models", &count);
	out->user_models = count / 5;
	out->user = palloc(sizeof(TpPositionWeights) * Max(1, out->user_models));
	for (int m = 0; m < out->user_models; m++)
	{
		out->user[m].ft = w[5 * m];
		out->user[m].lc = w[5 * m + 1];
		out->user[m].oc = w[5 * m + 2];
		out->user[m].closed = w[5 * m + 3];
		out->user[m].middle = w[5 * m + 4];
	}
}

/* An opportunity's amount in cents (rounded half away from zero), or its error. */
int128
tp_credit_amount_cents(Datum amount, bool isnull, const char *opportunity_id)
{
	int128		cents;

	if (isnull || !tp_numeric_to_scaled(amount, 2, true, &cents))
		ereport(ERROR,
				(errcode(isnull ? ERRCODE_NULL_VALUE_NOT_ALLOWED : ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the amount of opportunity %s cannot be credited", opportunity_id),
				 errdetail("An amount is a finite number below 10^34."),
				 errhint("Correct the opportunity's amount, then refresh.")));
	return cents;
}

void
tp_credit_no_date_error(const char *opportunity_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("a touchpoint of opportunity %s has no touchpoint_date", opportunity_id),
			 errhint("Give every session and conversion event a date, then refresh.")));
}

/* The result arrays are models * touchpoints long: keep that within an int. */
void
tp_credit_check_size(int64 touchpoints, int models)
{
	if (touchpoints > PG_INT32_MAX / (TP_BUILTIN_MODELS + models + 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an opportunity has too many touchpoints to credit (%lld)", (long long) touchpoints)));
}

/* cents as a numeric of 2 decimals; beyond int64 through the text form */
Datum
tp_cents_numeric(int128 cents)
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

/* FT,LC,OC,Closed (Pending while the opportunity is open), as stored */
text *
tp_position_text(uint8 mask, bool open)
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
