/*
 * tp_credit_pass.h
 *		The full rebuild's credit pass (tp_credit_changes.c): what it reads
 *		(tp_credit_read.c) and what it computes, in memory for one call.
 */
#ifndef TP_CREDIT_PASS_H
#define TP_CREDIT_PASS_H

#include "postgres.h"

#include "executor/tuptable.h"
#include "utils/rel.h"

#include "tp_credit_values.h"

/* A string key (text, detoasted) -> the first of a chain of items. */
typedef struct MapEntry
{
	uint32		hash;
	text	   *key;
	int			first;
} MapEntry;

typedef struct Map
{
	MapEntry   *entries;
	uint32		mask;
} Map;

/* A touchpoint of a person's journey, as the credit reads it. */
typedef struct Touchpoint
{
	text	   *id;
	text	   *journey;
	text	   *type;
	text	   *channel;
	text	   *subchannel;
	text	   *source_kind;
	text	   *source_id;
	TimestampTz date;
	bool		date_null;
	bool		conversion;		/* source_kind <> 'visit' */
	bool		lead_creation;
	int8		kind_rank;		/* visit, form, chat, the rest */
	int			next;			/* the journey's next touchpoint, -1: none */
} Touchpoint;

typedef struct Person
{
	text	   *id;
	int			next;			/* the account's next person */
} Person;

typedef struct Opportunity
{
	text	   *id;
	text	   *account;		/* NULL: none */
	Datum		amount;
	bool		amount_null;
	TimestampTz created_at;
	bool		created_null;
	bool		closed_null;
	TimestampTz closed_at;
	bool		is_won;			/* NULL reads false, as stored */
	/* computed */
	int			n;				/* touchpoints credited */
	int		   *touchpoints;	/* in touchpoint order */
	uint8	   *positions;		/* n TP_POS_* masks */
	Datum	   *pct;			/* [model * n + i], numerics shared among equal values */
	Datum	   *revenue;
	Datum	   *cents;
} Opportunity;

/* One new (opportunity, touchpoint) row and which of its stored forms match. */
typedef struct CreditRow
{
	int			opportunity;
	int			row;			/* index among its opportunity's touchpoints */
	uint32		hash;
	bool		stored;			/* the wide table holds exactly this row */
} CreditRow;

typedef struct Pass
{
	MemoryContext cxt;
	Touchpoint *tps;
	int			ntps;
	Person	   *people;
	int			npeople;
	Opportunity *opps;
	int			nopps;
	Map			journeys;		/* journey_id -> touchpoints */
	Map			accounts;		/* account_id -> people */
	CreditRow  *rows;
	int			nrows;
	int		   *slots;			/* rows by (opportunity_id, touchpoint_id) */
	uint32		mask;
	bool	   *model_stored;	/* [row * user_models + m] */
	TpCreditWeights weights;
	int			nmodels;		/* position models' names */
	text	  **model_names;
	text	   *position_texts[2][16];	/* [open][TP_POS_* mask] */
	char	   *arena;			/* keep_text's chunk */
	Size		arena_left;
} Pass;

#define TEXT_CHUNK (1024 * 1024)

extern uint32 tp_text_hash(const text *t);
extern bool tp_text_same(const text *a, const text *b);
extern void tp_map_init(Map *m, int expected);
extern MapEntry *tp_map_get(Map *m, text *key, bool insert);
extern text *tp_keep_text(Pass *p, Datum value, bool isnull);
extern Datum tp_text_or_null(text *t, bool *isnull);
extern Relation tp_open_readable(Oid relid, int natts);
extern void tp_read_touchpoints(Pass *p, Oid relid);
typedef void (*TpRowFn) (Pass *p, TupleTableSlot *slot, void *arg);
extern void tp_scan_by_keys(Pass *p, Relation rel, AttrNumber column, text **keys, int nkeys,
							TpRowFn fn, void *arg);
extern void tp_read_touchpoints_of_people(Pass *p, Oid relid);
extern void tp_read_people(Pass *p, Oid relid, Datum accounts);
extern void tp_read_opportunities(Pass *p, Oid relid, Datum only);

#endif							/* TP_CREDIT_PASS_H */
