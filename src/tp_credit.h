/*
 * tp_credit.h
 *		Stage 3 of the pipeline (docs/pipeline-credits.md): one opportunity's
 *		touchpoints in order in, positions and the credit of every model out,
 *		in exact integers (docs/spec.md §6).
 *
 * tp_credit.c uses palloc and qsort only: no fmgr, no SPI, no table.  The
 * window function of tp_credit_window.c feeds it one opportunity at a time
 * and turns its integers into numerics.
 *
 * Units: a percentage is an int64 of 1e-10 percent (the stored scale, 10
 * decimals), money an int128 of cents, a position weight an int128 of 1e-20
 * (the scale the SQL reading splits middle shares at), a time-decay weight
 * an int64 of 1e-18 of the newest touchpoint's weight.
 */
#ifndef TP_CREDIT_H
#define TP_CREDIT_H

#include "postgres.h"

#include "datatype/timestamp.h"

#ifndef HAVE_INT128
#error "touchpoint's credit arithmetic needs a 128-bit integer type"
#endif

/* The built-in models, in the order of docs/spec.md §6 and the stored columns. */
typedef enum TpModel
{
	TP_MODEL_FIRST_TOUCH = 0,
	TP_MODEL_LEAD_CREATION,
	TP_MODEL_U_SHAPED,
	TP_MODEL_W_SHAPED,
	TP_MODEL_FULL_PATH,
	TP_MODEL_LINEAR,
	TP_MODEL_TIME_DECAY,
	TP_MODEL_CUSTOM,
	TP_BUILTIN_MODELS
} TpModel;

/* Position bits of one touchpoint. */
#define TP_POS_FT		0x01
#define TP_POS_LC		0x02
#define TP_POS_OC		0x04
#define TP_POS_CLOSED	0x08	/* Closed, or Pending while open */

/* Which middle touchpoints a position model's middle weight is shared by. */
typedef enum TpMiddleRule
{
	TP_MIDDLE_BEFORE_LC,		/* U-shaped: conversions after FT, before LC */
	TP_MIDDLE_BEFORE_OC,		/* W-shaped: conversions after FT, before OC, not LC */
	TP_MIDDLE_UNPLACED			/* full path, custom, user models: conversions without a position */
} TpMiddleRule;

/* Weights of a position model, each in 1e-20 (so 22.5 is 225 * 10^19). */
typedef struct TpPositionWeights
{
	int128		ft;
	int128		lc;
	int128		oc;
	int128		closed;
	int128		middle;
} TpPositionWeights;

/* One opportunity's touchpoints, in the order of docs/spec.md §6. */
typedef struct TpCreditInput
{
	int			n;				/* touchpoints, at least 1 */
	const TimestampTz *dates;	/* touchpoint_date */
	const bool *conversion;		/* not a plain web visit */
	const bool *lead_creation;	/* is_lead_creation */
	TimestampTz created_at;
	int128		amount_cents;	/* the amount rounded to cents, |x| < 10^36 */
	const TpPositionWeights *custom;	/* custom_model; middle 10 */
	int			user_models;
	const TpPositionWeights *user;	/* position_models, in model order */
} TpCreditInput;

/* The credit of one opportunity: per model m and touchpoint i, [m * n + i]. */
typedef struct TpCreditResult
{
	int			models;			/* TP_BUILTIN_MODELS + user_models */
	uint8	   *positions;		/* n TP_POS_* masks */
	int64	   *pct;			/* 1e-10 percent; each model sums to 100% exactly */
	int128	   *cents;			/* each model sums to amount_cents exactly */
} TpCreditResult;

/* Compute everything for one opportunity; result arrays are palloc'd. */
extern void tp_credit_compute(const TpCreditInput *in, TpCreditResult *out);

/* A weight of 22.5 in 1e-20 units, for tests and callers. */
#define TP_WEIGHT_SCALE_DIGITS 20

#endif							/* TP_CREDIT_H */
