/*
 * tp_credit.c
 *		Stage 3 arithmetic: one opportunity's positions and the credit of
 *		every model in exact integers (tp_credit.h has the units).
 *
 * The rules are docs/spec.md §6; the SQL reading beside it is the view
 * touchpoint.opportunity_touchpoints_live, and this file computes exactly
 * what that view computes, digit for digit, so that the two can be compared
 * with EXCEPT ALL:
 *
 *   - a position model's middle weight is split over its k middle
 *     touchpoints rounded to 20 decimals (the view's numeric(40,20) / k);
 *   - a share is raw * 100 / present, which the view divides at 30 decimals
 *     and then rounds to 10 (half away from zero each time): share_e10()
 *     gives that double rounding from one exact integer division;
 *   - 100% minus the sum of the rounded shares goes to the largest share,
 *     the earliest touchpoint among equals;
 *   - cents: each row's exact cents floored, the cents still missing one
 *     each to the largest remainders, the earliest on ties.
 *
 * No fmgr, no SPI, no table: values in, values out.
 */
#include "postgres.h"

#include <math.h>

#include "tp_credit.h"

/* 10^k as an int128, k <= 38 */
static int128
pow10_128(int k)
{
	int128		v = 1;

	while (k-- > 0)
		v *= 10;
	return v;
}

/*
 * raw * 100 / present in 1e-10 percent, as the SQL reading gets it: the
 * quotient rounded half away from zero at 30 decimals, then at 10.  With
 * N/P the exact quotient in 1e-10 units, Q = floor and r = N mod P, the
 * first rounding lifts the digits past the 10th to one half exactly when
 * (P - 2r) * 10^20 <= P; the second then rounds up.  raw, present >= 0.
 */
static int64
share_e10(int128 raw, int128 present)
{
	int128		numerator = raw * pow10_128(12);
	int128		quotient = numerator / present;
	int128		remainder = numerator % present;
	int128		below_half = present - 2 * remainder;

	if (below_half <= 0 || below_half <= present / pow10_128(20))
		quotient += 1;
	return (int64) quotient;
}

/* floor(a / b) for b > 0 */
static int128
floor_div(int128 a, int128 b)
{
	int128		q = a / b;

	if (a % b != 0 && a < 0)
		q -= 1;
	return q;
}

/* Give 100% minus the sum to the largest share, the earliest among equals. */
static void
fix_to_100(int64 *pct, int n)
{
	int64		total = 0;
	int			largest = 0;

	for (int i = 0; i < n; i++)
	{
		total += pct[i];
		if (pct[i] > pct[largest])
			largest = i;
	}
	pct[largest] += INT64CONST(1000000000000) - total;
}

typedef struct CentOrder
{
	int128		remainder;
	int			index;
} CentOrder;

/* largest remainder first, then the earliest touchpoint */
static int
cent_order_cmp(const void *a, const void *b)
{
	const CentOrder *x = a;
	const CentOrder *y = b;

	if (x->remainder != y->remainder)
		return x->remainder > y->remainder ? -1 : 1;
	return x->index - y->index;
}

/*
 * The cents of one model: each row's exact cents amount_cents * pct / 100%
 * floored, then the cents still missing one each to the largest remainders.
 * amount_cents = hi * 10^12 + lo keeps every product inside 128 bits.
 */
static void
split_cents(const int64 *pct, int n, int128 amount_cents, int128 *cents, CentOrder *order)
{
	const int128 unit = pow10_128(12);	/* 100% in 1e-10 percent */
	int128		hi = floor_div(amount_cents, unit);
	int128		lo = amount_cents - hi * unit;	/* 0 <= lo < 10^12 */
	int128		floors = 0;
	int128		missing;

	for (int i = 0; i < n; i++)
	{
		int128		low_part = lo * pct[i];	/* < 10^24 */
		int128		fl = hi * pct[i] + low_part / unit;

		cents[i] = fl;
		floors += fl;
		order[i].remainder = low_part % unit;
		order[i].index = i;
	}
	missing = amount_cents - floors;
	if (missing <= 0)
		return;
	qsort(order, n, sizeof(CentOrder), cent_order_cmp);
	for (int j = 0; j < missing && j < n; j++)
		cents[order[j].index] += 1;
}

/* Linear: 100 / n each (also a model's fallback when no one can take weight). */
static void
linear_shares(int n, int64 *pct)
{
	int64		each = share_e10(1, n);

	for (int i = 0; i < n; i++)
		pct[i] = each;
}

static bool
is_middle(TpMiddleRule rule, int i, const TpCreditInput *in, const uint8 *positions, int lc, int oc)
{
	if (!in->conversion[i])
		return false;
	switch (rule)
	{
		case TP_MIDDLE_BEFORE_LC:
			return i > 0 && lc >= 0 && i < lc;
		case TP_MIDDLE_BEFORE_OC:
			return i > 0 && oc >= 0 && i < oc && i != lc;
		case TP_MIDDLE_UNPLACED:
			return positions[i] == 0;
	}
	return false;
}

/*
 * A position-based model: each touchpoint earns the weights of the positions
 * it holds plus its part of the middle; the weights of positions nobody
 * holds are left out of the total (so they are spread in proportion); when
 * nothing can take weight the model is linear.
 */
static void
position_shares(const TpPositionWeights *w, TpMiddleRule rule, const TpCreditInput *in,
				const uint8 *positions, int lc, int oc, bool *middle, int64 *pct)
{
	int			n = in->n;
	int			k = 0;
	int128		present = w->ft + w->closed;
	int128		middle_share = 0;

	for (int i = 0; i < n; i++)
	{
		middle[i] = is_middle(rule, i, in, positions, lc, oc);
		if (middle[i])
			k++;
	}
	if (lc >= 0)
		present += w->lc;
	if (oc >= 0)
		present += w->oc;
	if (k > 0)
	{
		present += w->middle;
		/* the middle weight / k at 20 decimals, half away from zero */
		middle_share = (2 * w->middle + k) / (2 * (int128) k);
	}
	if (present <= 0)
	{
		linear_shares(n, pct);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		int128		raw = 0;

		if (positions[i] & TP_POS_FT)
			raw += w->ft;
		if (positions[i] & TP_POS_LC)
			raw += w->lc;
		if (positions[i] & TP_POS_OC)
			raw += w->oc;
		if (positions[i] & TP_POS_CLOSED)
			raw += w->closed;
		if (middle[i])
			raw += middle_share;
		pct[i] = share_e10(raw, present);
	}
}

/*
 * Time decay: weight 2^(x) with x the (non-positive) number of weeks the
 * touchpoint lies before the newest one — the same as before the close, the
 * close cancelling out of the normalised weights — floored at 2^-1000, kept
 * as the nearest integer of weight * 10^18 (ties to even, as float8 to int8).
 * x is the touchpoint's distance in microseconds (exact in a double below
 * 285 years) divided by a week's, one IEEE division, so the SQL reading
 * computes the same double.
 */
static void
time_decay_shares(const TpCreditInput *in, int64 *pct, int64 *weights)
{
	int			n = in->n;
	TimestampTz newest = in->dates[0];
	int128		total = 0;

	for (int i = 1; i < n; i++)
		if (in->dates[i] > newest)
			newest = in->dates[i];
	for (int i = 0; i < n; i++)
	{
		double		weeks = (double) (in->dates[i] - newest) / 604800000000.0;

		if (weeks < -1000.0)
			weeks = -1000.0;
		weights[i] = (int64) rint(pow(2.0, weeks) * 1e18);
		total += weights[i];
	}
	for (int i = 0; i < n; i++)
		pct[i] = share_e10(weights[i], total);
}

void
tp_credit_compute(const TpCreditInput *in, TpCreditResult *out)
{
	int			n = in->n;
	int			models = TP_BUILTIN_MODELS + in->user_models;
	int			lc = -1;
	int			oc = -1;
	const int128 one = pow10_128(TP_WEIGHT_SCALE_DIGITS);
	TpPositionWeights w;
	bool	   *middle = palloc(sizeof(bool) * n);
	int64	   *decay_weights = palloc(sizeof(int64) * n);
	CentOrder  *order = palloc(sizeof(CentOrder) * n);

	out->models = models;
	out->positions = palloc0(sizeof(uint8) * n);
	out->pct = palloc(sizeof(int64) * models * n);
	out->cents = palloc(sizeof(int128) * models * n);

	/* positions: FT the first, LC the first lead creation, OC the last at or
	 * before the creation, Closed/Pending the last */
	for (int i = 0; i < n; i++)
	{
		if (lc < 0 && in->lead_creation[i])
			lc = i;
		if (in->dates[i] <= in->created_at)
			oc = i;
	}
	out->positions[0] |= TP_POS_FT;
	out->positions[n - 1] |= TP_POS_CLOSED;
	if (lc >= 0)
		out->positions[lc] |= TP_POS_LC;
	if (oc >= 0)
		out->positions[oc] |= TP_POS_OC;

	/* first touch, lead creation, U, W, full path: fixed weights */
	memset(&w, 0, sizeof(w));
	w.ft = 100 * one;
	position_shares(&w, TP_MIDDLE_UNPLACED, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_FIRST_TOUCH * n);
	memset(&w, 0, sizeof(w));
	w.lc = 100 * one;
	position_shares(&w, TP_MIDDLE_UNPLACED, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_LEAD_CREATION * n);
	memset(&w, 0, sizeof(w));
	w.ft = 40 * one;
	w.lc = 40 * one;
	w.middle = 20 * one;
	position_shares(&w, TP_MIDDLE_BEFORE_LC, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_U_SHAPED * n);
	memset(&w, 0, sizeof(w));
	w.ft = w.lc = w.oc = 30 * one;
	w.middle = 10 * one;
	position_shares(&w, TP_MIDDLE_BEFORE_OC, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_W_SHAPED * n);
	memset(&w, 0, sizeof(w));
	w.ft = w.lc = w.oc = w.closed = 225 * one / 10;
	w.middle = 10 * one;
	position_shares(&w, TP_MIDDLE_UNPLACED, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_FULL_PATH * n);
	linear_shares(n, out->pct + TP_MODEL_LINEAR * n);
	time_decay_shares(in, out->pct + TP_MODEL_TIME_DECAY * n, decay_weights);
	w = *in->custom;
	w.middle = 10 * one;
	position_shares(&w, TP_MIDDLE_UNPLACED, in, out->positions, lc, oc, middle,
					out->pct + TP_MODEL_CUSTOM * n);
	for (int m = 0; m < in->user_models; m++)
		position_shares(&in->user[m], TP_MIDDLE_UNPLACED, in, out->positions, lc, oc, middle,
						out->pct + (TP_BUILTIN_MODELS + m) * n);

	for (int m = 0; m < models; m++)
	{
		fix_to_100(out->pct + m * n, n);
		split_cents(out->pct + m * n, n, in->amount_cents, out->cents + m * n, order);
	}
	pfree(middle);
	pfree(decay_weights);
	pfree(order);
}
