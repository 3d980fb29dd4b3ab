/*
 * tp_credit_changes.c
 *		touchpoint_internal.credit_changes(): stage 3 for every opportunity in
 *		one pass, compared with the stored credit, as the changes that make
 *		it equal to a full rebuild (what tp_publish.c does for stage 2).
 *
 * A full rebuild through the executor joins opportunities, their accounts'
 * people and those people's touchpoints, sorts ~300,000 wide rows, forms
 * 24 numerics per row through field and array selections, writes them to a
 * temporary table and compares it with the stored table column by column:
 * several times the cost of the arithmetic.  Here: three reads into hash
 * tables, one small sort per opportunity, the arithmetic of tp_credit.c,
 * and the stored rows read once and compared bytewise with the new ones.
 * Only differences come out; nothing here writes (build_credits applies
 * them).  The window function credit_shares (tp_credit_window.c) still
 * credits a given set of opportunities for an incremental refresh; both
 * compute through tp_credit.c and tp_credit_values.c, and the tests compare
 * what each stores with the SQL reading, opportunity_touchpoints_live.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "tp_compat.h"
#include "tp_credit_pass.h"

TP_FUNCTION_INFO(tp_credit_changes);

/* The columns of touchpoint.opportunity_touchpoints, in order. */
#define WIDE_COLS		36
#define WIDE_PCT		12		/* then 8 revenue, 8 cents */
/* and of touchpoint_internal.position_credits */
#define LONG_COLS		6

/* NULLs last, bytewise (COLLATE "C") */
static int
compare_text(const text *a, const text *b)
{
	int			la,
				lb,
				c;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	la = VARSIZE_ANY_EXHDR(a);
	lb = VARSIZE_ANY_EXHDR(b);
	c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));
	return c != 0 ? c : (la > lb) - (la < lb);
}

/* The credit's order (build_credits, docs/spec.md §6): date, kind, source id, touchpoint id. */
static int
touchpoint_order(const void *x, const void *y, void *arg)
{
	const Touchpoint *tps = arg;
	const Touchpoint *a = &tps[*(const int *) x];
	const Touchpoint *b = &tps[*(const int *) y];
	int			c;

	if (a->date_null || b->date_null)
		c = (a->date_null) - (b->date_null);
	else
		c = (a->date > b->date) - (a->date < b->date);
	if (c == 0)
		c = a->kind_rank - b->kind_rank;
	if (c == 0)
		c = compare_text(a->source_id, b->source_id);
	if (c == 0)
		c = compare_text(a->id, b->id);
	return c;
}

/*
 * An opportunity's numerics, made once per distinct value: its shares
 * repeat (0 and 100 in most models, one value for every touchpoint in
 * linear), and so do its cents.
 */
#define CACHED_VALUES 32
typedef struct ValueCache
{
	int			n;
	int128		key[CACHED_VALUES];
	Datum		value[CACHED_VALUES];
	Datum		value2[CACHED_VALUES];
} ValueCache;

static bool
cache_find(const ValueCache *cache, int128 key, Datum *value, Datum *value2)
{
	for (int slot = 0; slot < cache->n; slot++)
		if (cache->key[slot] == key)
		{
			*value = cache->value[slot];
			if (value2)
				*value2 = cache->value2[slot];
			return true;
		}
	return false;
}

static void
cache_add(ValueCache *cache, int128 key, Datum value, Datum value2)
{
	if (cache->n == CACHED_VALUES)
		return;
	cache->key[cache->n] = key;
	cache->value[cache->n] = value;
	cache->value2[cache->n++] = value2;
}

/*
 * A numeric made in the opportunity's scratch memory, copied densely into
 * the pass's arena: the pass keeps a few million of them, and a palloc'd
 * numeric with its chunk header and rounding takes twice the space (and the
 * fresh memory costs more to fault in than the copy).
 */
static Datum
keep_numeric(Pass *p, Datum value)
{
	return PointerGetDatum(tp_keep_text(p, value, false));
}

/*
 * A share as stored (10 decimals) and its revenue, amount * pct * 0.01 as
 * the SQL reading computes it: one exact product with pct / 100 (12
 * decimals), the same value at the same scale, so the same numeric.
 */
static void
share_values(Pass *p, Opportunity *o, ValueCache *cache, int64 pct, Datum *pct_datum, Datum *revenue)
{
	if (cache_find(cache, pct, pct_datum, revenue))
		return;
	*pct_datum = keep_numeric(p, NumericGetDatum(int64_div_fast_to_numeric(pct, 10)));
	*revenue = keep_numeric(p, DirectFunctionCall2(numeric_mul, o->amount,
												   NumericGetDatum(int64_div_fast_to_numeric(pct, 12))));
	cache_add(cache, pct, *pct_datum, *revenue);
}

static Datum
cents_value(Pass *p, ValueCache *cache, int128 cents)
{
	Datum		value;

	if (!cache_find(cache, cents, &value, NULL))
	{
		value = keep_numeric(p, tp_cents_numeric(cents));
		cache_add(cache, cents, value, (Datum) 0);
	}
	return value;
}

/* Credit every opportunity that has touchpoints: the new rows. */
static void
credit_all(Pass *p)
{
	MemoryContext old = MemoryContextSwitchTo(p->cxt);
	int			allocated = Max(p->nopps, 16);
	int		   *found = NULL;
	int			found_allocated = 0;
	int			models = TP_BUILTIN_MODELS + p->weights.user_models;

	/* what one opportunity's arithmetic allocates, freed before the next */
	MemoryContext scratch = AllocSetContextCreate(p->cxt, "touchpoint credit opportunity",
												  ALLOCSET_DEFAULT_SIZES);

	p->rows = palloc_extended(sizeof(CreditRow) * allocated, MCXT_ALLOC_HUGE);
	p->nrows = 0;
	for (int oi = 0; oi < p->nopps; oi++)
	{
		Opportunity *o = &p->opps[oi];
		MapEntry   *account = o->account ? tp_map_get(&p->accounts, o->account, false) : NULL;
		int			n = 0;
		char	   *id;
		TpCreditInput in;
		TimestampTz *dates;
		bool	   *conversion;
		bool	   *lead;
		ValueCache	shares;
		ValueCache	cents;
		TpCreditResult result;

		if ((oi & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (account == NULL)
			continue;
		for (int pi = account->first; pi >= 0; pi = p->people[pi].next)
		{
			MapEntry   *journey = tp_map_get(&p->journeys, p->people[pi].id, false);

			if (journey == NULL)
				continue;
			for (int ti = journey->first; ti >= 0; ti = p->tps[ti].next)
			{
				const Touchpoint *t = &p->tps[ti];

				/* up to the close: a touchpoint without a date is after it */
				if (!o->closed_null && (t->date_null || t->date > o->closed_at))
					continue;
				if (n == found_allocated)
				{
					found_allocated = Max(64, found_allocated * 2);
					found = found ? repalloc_huge(found, sizeof(int) * found_allocated) :
						palloc_extended(sizeof(int) * found_allocated, MCXT_ALLOC_HUGE);
				}
				found[n++] = ti;
			}
		}
		if (n == 0)
			continue;
		if (o->id == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("an opportunity without an opportunity_id has touchpoints"),
					 errhint("Give every row of the opportunities source an opportunity_id, then refresh.")));
		tp_credit_check_size(n, p->weights.user_models);
		qsort_interruptible(found, n, sizeof(int), touchpoint_order, p->tps);
		o->n = n;
		o->touchpoints = palloc(sizeof(int) * n);
		memcpy(o->touchpoints, found, sizeof(int) * n);
		o->pct = palloc(sizeof(Datum) * models * n);
		o->revenue = palloc(sizeof(Datum) * models * n);
		o->cents = palloc(sizeof(Datum) * models * n);
		o->positions = palloc(sizeof(uint8) * n);

		MemoryContextSwitchTo(scratch);
		id = text_to_cstring(o->id);
		dates = palloc(sizeof(TimestampTz) * n);
		conversion = palloc(sizeof(bool) * n);
		lead = palloc(sizeof(bool) * n);
		for (int i = 0; i < n; i++)
		{
			const Touchpoint *t = &p->tps[found[i]];

			if (t->date_null)
				tp_credit_no_date_error(id);
			dates[i] = t->date;
			conversion[i] = t->conversion;
			lead[i] = t->lead_creation;
		}
		memset(&in, 0, sizeof(in));
		in.n = n;
		in.dates = dates;
		in.conversion = conversion;
		in.lead_creation = lead;
		in.created_at = o->created_null ? DT_NOBEGIN : o->created_at;
		in.amount_cents = tp_credit_amount_cents(o->amount, o->amount_null, id);
		in.custom = &p->weights.custom;
		in.user_models = p->weights.user_models;
		in.user = p->weights.user;
		tp_credit_compute(&in, &result);
		memcpy(o->positions, result.positions, sizeof(uint8) * n);
		shares.n = cents.n = 0;
		for (int k = 0; k < models * n; k++)
		{
			share_values(p, o, &shares, result.pct[k], &o->pct[k], &o->revenue[k]);
			o->cents[k] = cents_value(p, &cents, result.cents[k]);
		}
		MemoryContextSwitchTo(p->cxt);
		MemoryContextReset(scratch);

		for (int i = 0; i < n; i++)
		{
			if (p->nrows == allocated)
			{
				allocated *= 2;
				p->rows = repalloc_huge(p->rows, sizeof(CreditRow) * allocated);
			}
			p->rows[p->nrows].opportunity = oi;
			p->rows[p->nrows].row = i;
			p->rows[p->nrows].stored = false;
			p->nrows++;
		}
	}
	MemoryContextDelete(scratch);
	MemoryContextSwitchTo(old);
}

static uint32
key_hash(const text *opportunity, const text *touchpoint)
{
	return hash_combine(tp_text_hash(opportunity), tp_text_hash(touchpoint));
}

static const text *
row_touchpoint_id(const Pass *p, const CreditRow *r)
{
	const Opportunity *o = &p->opps[r->opportunity];

	return p->tps[o->touchpoints[r->row]].id;
}

/* The new rows by (opportunity_id, touchpoint_id); two with one key are an error. */
static void
index_rows(Pass *p)
{
	uint32		nslots = 16;

	while (nslots < 2 * (uint32) p->nrows + 2)
		nslots <<= 1;
	p->mask = nslots - 1;
	p->slots = MemoryContextAllocExtended(p->cxt, sizeof(int) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int i = 0; i < p->nrows; i++)
	{
		CreditRow  *r = &p->rows[i];
		const text *opp = p->opps[r->opportunity].id;
		const text *tp = row_touchpoint_id(p, r);
		uint32		h;

		if (tp == NULL)
			elog(ERROR, "touchpoint: a stored touchpoint has no touchpoint_id");
		r->hash = key_hash(opp, tp);
		for (h = r->hash & p->mask; p->slots[h] != 0; h = (h + 1) & p->mask)
		{
			const CreditRow *other = &p->rows[p->slots[h] - 1];

			if (other->hash == r->hash && tp_text_same(p->opps[other->opportunity].id, opp) &&
				tp_text_same(row_touchpoint_id(p, other), tp))
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("touchpoint %s would be credited twice to opportunity %s",
								quote_literal_cstr(text_to_cstring(tp)),
								quote_literal_cstr(text_to_cstring(opp))),
						 errdetail("Two opportunities share an id, or a person is listed twice in one account."),
						 errhint("Make opportunity_id and person_id unique in the registered sources (SELECT kind, relation FROM touchpoint.sources; lists them).")));
		}
		p->slots[h] = i + 1;
	}
}

static CreditRow *
find_row(const Pass *p, const text *opportunity, const text *touchpoint)
{
	uint32		hash = key_hash(opportunity, touchpoint);

	for (uint32 h = hash & p->mask; p->slots[h] != 0; h = (h + 1) & p->mask)
	{
		CreditRow  *r = &p->rows[p->slots[h] - 1];

		if (r->hash == hash && tp_text_same(p->opps[r->opportunity].id, opportunity) &&
			tp_text_same(row_touchpoint_id(p, r), touchpoint))
			return r;
	}
	return NULL;
}

/* The stored form of a new wide row. */
static void
wide_values(const Pass *p, const CreditRow *r, Datum *values, bool *nulls)
{
	const Opportunity *o = &p->opps[r->opportunity];
	const Touchpoint *t = &p->tps[o->touchpoints[r->row]];
	int			n = o->n;

	values[0] = tp_text_or_null(o->id, &nulls[0]);
	values[1] = tp_text_or_null(o->account, &nulls[1]);
	values[2] = tp_text_or_null(t->id, &nulls[2]);
	values[3] = tp_text_or_null(t->journey, &nulls[3]);
	values[4] = TimestampTzGetDatum(t->date);
	nulls[4] = t->date_null;
	values[5] = tp_text_or_null(t->type, &nulls[5]);
	values[6] = tp_text_or_null(t->channel, &nulls[6]);
	values[7] = tp_text_or_null(t->subchannel, &nulls[7]);
	values[8] = tp_text_or_null(t->source_kind, &nulls[8]);
	values[9] = PointerGetDatum(p->position_texts[o->closed_null][o->positions[r->row]]);
	nulls[9] = false;
	values[10] = o->amount;
	nulls[10] = false;
	values[11] = BoolGetDatum(o->is_won);
	nulls[11] = false;
	for (int m = 0; m < TP_BUILTIN_MODELS; m++)
	{
		values[WIDE_PCT + m] = o->pct[m * n + r->row];
		values[WIDE_PCT + TP_BUILTIN_MODELS + m] = o->revenue[m * n + r->row];
		values[WIDE_PCT + 2 * TP_BUILTIN_MODELS + m] = o->cents[m * n + r->row];
		nulls[WIDE_PCT + m] = nulls[WIDE_PCT + TP_BUILTIN_MODELS + m] =
			nulls[WIDE_PCT + 2 * TP_BUILTIN_MODELS + m] = false;
	}
}

/* The stored form of a new long row: position model m's credit. */
static void
long_values(const Pass *p, const CreditRow *r, int m, Datum *values, bool *nulls)
{
	const Opportunity *o = &p->opps[r->opportunity];
	int			k = (TP_BUILTIN_MODELS + m) * o->n + r->row;

	values[0] = PointerGetDatum(o->id);
	values[1] = PointerGetDatum(p->tps[o->touchpoints[r->row]].id);
	values[2] = PointerGetDatum(p->model_names[m]);
	values[3] = o->pct[k];
	values[4] = o->revenue[k];
	values[5] = o->cents[k];
	memset(nulls, 0, sizeof(bool) * LONG_COLS);
}

/* Both NULL, or the same bytes (a stored varlena may have a short header). */
static bool
same_value(Form_pg_attribute att, Datum stored, bool stored_null, Datum fresh, bool fresh_null)
{
	if (stored_null || fresh_null)
		return stored_null == fresh_null;
	if (att->attlen == -1)
	{
		struct varlena *a = (struct varlena *) DatumGetPointer(stored);
		struct varlena *b = (struct varlena *) DatumGetPointer(fresh);

		if (VARATT_IS_EXTERNAL(a) || VARATT_IS_COMPRESSED(a))
			a = PG_DETOAST_DATUM_PACKED(stored);
		return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
			memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
	}
	return datumIsEqual(stored, fresh, att->attbyval, att->attlen);
}

static bool
same_row(TupleDesc desc, TupleTableSlot *slot, const Datum *values, const bool *nulls)
{
	for (int c = 0; c < desc->natts; c++)
		if (!same_value(TupleDescAttr(desc, c), slot->tts_values[c], slot->tts_isnull[c], values[c], nulls[c]))
			return false;
	return true;
}

typedef struct Output
{
	ReturnSetInfo *rsinfo;
	TupleDesc	wide_desc;
	TupleDesc	long_desc;
} Output;

enum
{
	OUT_OP,
	OUT_OPPORTUNITY,
	OUT_TOUCHPOINT,
	OUT_MODEL,
	OUT_WIDE,
	OUT_LONG,
	OUT_COLS
};

static void
emit(Output *out, const char *op, Datum opportunity, Datum touchpoint, Datum model, bool model_null,
	 HeapTuple wide, HeapTuple long_row)
{
	Datum		v[OUT_COLS];
	bool		n[OUT_COLS];

	v[OUT_OP] = CStringGetTextDatum(op);
	v[OUT_OPPORTUNITY] = opportunity;
	v[OUT_TOUCHPOINT] = touchpoint;
	v[OUT_MODEL] = model;
	v[OUT_WIDE] = wide ? HeapTupleGetDatum(wide) : (Datum) 0;
	v[OUT_LONG] = long_row ? HeapTupleGetDatum(long_row) : (Datum) 0;
	n[OUT_OP] = n[OUT_OPPORTUNITY] = n[OUT_TOUCHPOINT] = false;
	n[OUT_MODEL] = model_null;
	n[OUT_WIDE] = wide == NULL;
	n[OUT_LONG] = long_row == NULL;
	tuplestore_putvalues(out->rsinfo->setResult, out->rsinfo->setDesc, v, n);
}

/*
 * One stored row compared with the new rows: true when a new row is exactly
 * it (which is then marked stored), false when it is to be deleted.
 */
typedef bool (*StoredRowMatches) (Pass *p, TupleDesc desc, TupleTableSlot *slot);

static bool
wide_row_matches(Pass *p, TupleDesc desc, TupleTableSlot *slot)
{
	CreditRow  *r = find_row(p, DatumGetTextPP(slot->tts_values[0]), DatumGetTextPP(slot->tts_values[2]));
	Datum		values[WIDE_COLS];
	bool		nulls[WIDE_COLS];

	if (r == NULL || r->stored)
		return false;			/* gone, or a second copy */
	wide_values(p, r, values, nulls);
	return r->stored = same_row(desc, slot, values, nulls);
}

static int
model_index(const Pass *p, const text *name)
{
	for (int m = 0; m < p->nmodels; m++)
		if (tp_text_same(p->model_names[m], name))
			return m;
	return -1;
}

static bool
long_row_matches(Pass *p, TupleDesc desc, TupleTableSlot *slot)
{
	CreditRow  *r = find_row(p, DatumGetTextPP(slot->tts_values[0]), DatumGetTextPP(slot->tts_values[1]));
	int			m = model_index(p, DatumGetTextPP(slot->tts_values[2]));
	bool	   *stored;
	Datum		values[LONG_COLS];
	bool		nulls[LONG_COLS];

	if (r == NULL || m < 0)
		return false;			/* gone, or a model no longer defined */
	stored = &p->model_stored[(r - p->rows) * p->nmodels + m];
	if (*stored)
		return false;
	long_values(p, r, m, values, nulls);
	return *stored = same_row(desc, slot, values, nulls);
}

/* What compare_stored does with each stored row. */
typedef struct CompareStored
{
	TupleDesc	desc;
	StoredRowMatches matches;
	const char *op;
	int			key_model;
	Output	   *out;
	MemoryContext row_ctx;
	uint64		rows;
} CompareStored;

static void
compare_stored_row(Pass *p, TupleTableSlot *slot, void *arg)
{
	CompareStored *c = arg;
	MemoryContext old = MemoryContextSwitchTo(c->row_ctx);

	if ((++c->rows & 1023) == 0)
		CHECK_FOR_INTERRUPTS();
	slot_getallattrs(slot);
	if (!c->matches(p, c->desc, slot))
		emit(c->out, c->op, slot->tts_values[0], slot->tts_values[c->key_model > 0 ? 1 : 2],
			 c->key_model > 0 ? slot->tts_values[c->key_model] : (Datum) 0, c->key_model <= 0, NULL, NULL);
	MemoryContextSwitchTo(old);
	MemoryContextReset(c->row_ctx);
}

/*
 * Read a stored table once and emit `op` with the key columns (opportunity,
 * touchpoint, and the model when key_model > 0) of every row no new row
 * matches.  With only (the opportunities of an incremental refresh, not
 * NULL): only the rows of those, through the index on opportunity_id (its
 * first column); NULL: every row.
 */
static void
compare_stored(Pass *p, Oid relid, int natts, StoredRowMatches matches, const char *op, int key_model,
			   text **only, int nonly, Output *out, MemoryContext row_ctx)
{
	Relation	rel = tp_open_readable(relid, natts);
	CompareStored c;

	c.desc = RelationGetDescr(rel);
	c.matches = matches;
	c.op = op;
	c.key_model = key_model;
	c.out = out;
	c.row_ctx = row_ctx;
	c.rows = 0;
	tp_scan_by_keys(p, rel, 1, only, nonly, compare_stored_row, &c);
	table_close(rel, AccessShareLock);
}

/* The accounts of the opportunities read, as a text[] (for tp_read_people). */
static Datum
accounts_of(const Pass *p)
{
	Datum	   *accounts = palloc(sizeof(Datum) * Max(1, p->nopps));
	int			n = 0;

	for (int i = 0; i < p->nopps; i++)
		if (p->opps[i].account != NULL)
			accounts[n++] = PointerGetDatum(p->opps[i].account);
	return PointerGetDatum(construct_array(accounts, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * credit_changes(opportunities, people, touchpoints, custom_weights,
 *                model_names, model_weights, wide_target, long_target, only)
 * -> (op, opportunity_id, touchpoint_id, model, wide, long):
 * with only (a text[]; NULL: all), for those opportunities alone — read
 * through indexes, compared with their stored rows (an incremental
 * refresh); the others are neither read nor compared.
 * 'delete' / 'delete model' a stored row a full rebuild would not hold (or
 * would hold differently), 'insert' / 'insert model' a row it would hold and
 * the table does not; a last row ('total', n) says how many rows the wide
 * table then holds (with only: how many those opportunities then have).
 */
Datum
tp_credit_changes(PG_FUNCTION_ARGS)
{
	MemoryContext pass_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint credit",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint credit row",
												  ALLOCSET_DEFAULT_SIZES);
	Pass		p;
	Output		out;
	ArrayType  *names;
	Datum	   *name_values;
	bool	   *name_nulls;
	MemoryContext old;
	int			i;
	int			n;
	Datum		only = (PG_NARGS() > 8 && !PG_ARGISNULL(8)) ? PG_GETARG_DATUM(8) : (Datum) 0;
	text	  **only_ids = NULL;
	int			nonly = 0;

	for (i = 0; i < 8; i++)
		if (PG_ARGISNULL(i) && i != 3 && i != 5)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("touchpoint_internal.credit_changes: argument %d must not be NULL", i + 1)));
	TpInitMaterializedSRF(fcinfo);
	out.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	out.wide_desc = lookup_rowtype_tupdesc_copy(TupleDescAttr(out.rsinfo->setDesc, OUT_WIDE)->atttypid, -1);
	out.long_desc = lookup_rowtype_tupdesc_copy(TupleDescAttr(out.rsinfo->setDesc, OUT_LONG)->atttypid, -1);
	if (out.wide_desc->natts != WIDE_COLS || out.long_desc->natts != LONG_COLS)
		elog(ERROR, "touchpoint: credit_changes returns rows of the wrong shape");

	memset(&p, 0, sizeof(p));
	p.cxt = pass_ctx;
	old = MemoryContextSwitchTo(pass_ctx);
	tp_credit_read_weights(PG_GETARG_DATUM(3), PG_ARGISNULL(3), PG_GETARG_DATUM(5), PG_ARGISNULL(5),
						   &p.weights);
	names = PG_GETARG_ARRAYTYPE_P(4);
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &name_values, &name_nulls, &p.nmodels);
	if (p.nmodels != p.weights.user_models)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("touchpoint_internal.credit_changes: %d model names for %d position models",
						p.nmodels, p.weights.user_models)));
	p.model_names = palloc(sizeof(text *) * Max(1, p.nmodels));
	for (i = 0; i < p.nmodels; i++)
		p.model_names[i] = tp_keep_text(&p, name_values[i], name_nulls[i]);
	for (i = 0; i < 16; i++)
	{
		p.position_texts[0][i] = tp_position_text(i, false);
		p.position_texts[1][i] = tp_position_text(i, true);
	}
	if (only == (Datum) 0)
		tp_read_touchpoints(&p, PG_GETARG_OID(2));
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	if (only == (Datum) 0)
	{
		tp_read_people(&p, PG_GETARG_OID(1), (Datum) 0);
		tp_read_opportunities(&p, PG_GETARG_OID(0), (Datum) 0);
	}
	else
	{
		/* the opportunities, their accounts' people, those people's journeys */
		tp_read_opportunities(&p, PG_GETARG_OID(0), only);
		old = MemoryContextSwitchTo(pass_ctx);
		tp_read_people(&p, PG_GETARG_OID(1), accounts_of(&p));
		MemoryContextSwitchTo(old);
		tp_read_touchpoints_of_people(&p, PG_GETARG_OID(2));
	}

	credit_all(&p);
	index_rows(&p);
	p.model_stored = MemoryContextAllocExtended(pass_ctx, sizeof(bool) * Max(1, (Size) p.nrows * p.nmodels),
												MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	/* wide: (opportunity_id, touchpoint_id, ...); long: (opportunity_id, touchpoint_id, model, ...) */
	SPI_finish();
	if (only != (Datum) 0)
	{
		/* the given ids, kept as the pass's texts (a NULL id matches no row) */
		Datum	   *ids;
		bool	   *id_nulls;

		deconstruct_array(DatumGetArrayTypeP(only), TEXTOID, -1, false, TYPALIGN_INT, &ids, &id_nulls, &nonly);
		only_ids = MemoryContextAlloc(pass_ctx, sizeof(text *) * Max(1, nonly));
		for (i = 0, n = 0; i < nonly; i++)
			if (!id_nulls[i])
				only_ids[n++] = tp_keep_text(&p, ids[i], false);
		nonly = n;
	}
	compare_stored(&p, PG_GETARG_OID(6), WIDE_COLS, wide_row_matches, "delete", 0, only_ids, nonly, &out, row_ctx);
	compare_stored(&p, PG_GETARG_OID(7), LONG_COLS, long_row_matches, "delete model", 2, only_ids, nonly, &out, row_ctx);

	/* the rows the tables do not hold as they should be */
	for (i = 0; i < p.nrows; i++)
	{
		CreditRow  *r = &p.rows[i];
		Datum		values[WIDE_COLS];
		bool		nulls[WIDE_COLS];

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(row_ctx);
		if (!r->stored)
		{
			wide_values(&p, r, values, nulls);
			emit(&out, "insert", values[0], values[2], (Datum) 0, true,
				 heap_form_tuple(out.wide_desc, values, nulls), NULL);
		}
		for (int m = 0; m < p.nmodels; m++)
			if (!p.model_stored[(Size) i * p.nmodels + m])
			{
				long_values(&p, r, m, values, nulls);
				emit(&out, "insert model", values[0], values[1], values[2], false, NULL,
					 heap_form_tuple(out.long_desc, values, nulls));
			}
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_ctx);
	}
	emit(&out, "total", CStringGetTextDatum(psprintf("%d", p.nrows)), CStringGetTextDatum(""),
		 (Datum) 0, true, NULL, NULL);
	MemoryContextDelete(row_ctx);
	MemoryContextDelete(pass_ctx);
	return (Datum) 0;
}
