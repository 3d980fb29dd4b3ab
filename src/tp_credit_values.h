/*
 * tp_credit_values.h
 *		Between stage 3's integers (tp_credit.h) and SQL values: numerics in
 *		and out, the weights arguments, positions as text, and the errors a
 *		bad input gets.  Shared by the window function (tp_credit_window.c)
 *		and the full rebuild's pass (tp_credit_changes.c), so that both read
 *		and refuse the same inputs the same way.
 */
#ifndef TP_CREDIT_VALUES_H
#define TP_CREDIT_VALUES_H

#include "postgres.h"

#include "fmgr.h"

#include "tp_credit.h"

/* The weights of a query: custom_model's, then each position model's. */
typedef struct TpCreditWeights
{
	TpPositionWeights custom;
	int			user_models;
	TpPositionWeights *user;
} TpCreditWeights;

extern bool tp_numeric_to_scaled(Datum value, int scale, bool round, int128 *out);
extern void tp_credit_read_weights(Datum custom, bool custom_null, Datum models, bool models_null,
								   TpCreditWeights *out);
extern int128 tp_credit_amount_cents(Datum amount, bool isnull, const char *opportunity_id);
extern void tp_credit_no_date_error(const char *opportunity_id) pg_attribute_noreturn();
extern void tp_credit_check_size(int64 touchpoints, int models);
extern Datum tp_cents_numeric(int128 cents);
extern text *tp_position_text(uint8 mask, bool open);

#endif							/* TP_CREDIT_VALUES_H */
