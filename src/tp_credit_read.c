/*
 * tp_credit_read.c
 *		What the full rebuild's credit pass reads (tp_credit_pass.h): the
 *		touchpoints of people's journeys from touchpoint.touchpoints, the
 *		people and the opportunities from their registered sources (as the
 *		caller, through SPI: privileges and row-level security hold), kept
 *		in hash tables by journey and by account.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "touchpoint.h"
#include "tp_compat.h"
#include "tp_credit_pass.h"

uint32
tp_text_hash(const text *t)
{
	return hash_bytes((const unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

bool
tp_text_same(const text *a, const text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

void
tp_map_init(Map *m, int expected)
{
	uint32		n = 16;

	while (n < 2 * (uint32) expected + 2)
		n <<= 1;
	m->mask = n - 1;
	m->entries = palloc_extended(sizeof(MapEntry) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* The entry of key; with insert, a new one (first = -1) if there is none. */
MapEntry *
tp_map_get(Map *m, text *key, bool insert)
{
	uint32		hash = tp_text_hash(key);
	uint32		h;

	for (h = hash & m->mask; m->entries[h].key != NULL; h = (h + 1) & m->mask)
		if (m->entries[h].hash == hash && tp_text_same(m->entries[h].key, key))
			return &m->entries[h];
	if (!insert)
		return NULL;
	m->entries[h].hash = hash;
	m->entries[h].key = key;
	m->entries[h].first = -1;
	return &m->entries[h];
}

/*
 * A text value kept for the pass (detoasted, 4-byte header; NULL stays
 * NULL), in large chunks: the pass keeps a few million of them, and one
 * palloc each would cost more than the copying.
 */
text *
tp_keep_text(Pass *p, Datum value, bool isnull)
{
	struct varlena *v;
	Size		len;
	Size		size;
	text	   *t;

	if (isnull)
		return NULL;
	v = (struct varlena *) DatumGetPointer(value);
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = PG_DETOAST_DATUM_PACKED(value);
	len = VARSIZE_ANY_EXHDR(v);
	size = INTALIGN(VARHDRSZ + len);
	if (size > p->arena_left)
	{
		Size		chunk = Max(size, TEXT_CHUNK);

		p->arena = MemoryContextAllocHuge(p->cxt, chunk);
		p->arena_left = chunk;
	}
	t = (text *) p->arena;
	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), VARDATA_ANY(v), len);
	p->arena += size;
	p->arena_left -= size;
	return t;
}

Datum
tp_text_or_null(text *t, bool *isnull)
{
	*isnull = (t == NULL);
	return PointerGetDatum(t);
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/* One of touchpoint's own tables with its definition's columns (natts < 0: any). */
Relation
tp_open_readable(Oid relid, int natts)
{
	Relation	rel = TpOpenOwnTable(relid, "credit_changes");

	if (natts >= 0 && RelationGetDescr(rel)->natts != natts)
		elog(ERROR, "touchpoint: \"%s\" does not have the %d columns of its definition",
			 RelationGetRelationName(rel), natts);
	return rel;
}

static AttrNumber
column(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "touchpoint: \"%s\" has no column %s", RelationGetRelationName(rel), name);
	return att;
}

static text *
slot_text(Pass *p, TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return tp_keep_text(p, d, isnull);
}

/*
 * Keep one touchpoint of a person's journey from a slot whose columns are
 * at the given attribute numbers (journey, id, type, channel, subchannel,
 * source_kind, source_id, date, is_lead_creation); false when it is
 * anonymous or has no journey.
 */
typedef struct TouchpointColumns
{
	AttrNumber	person,
				journey,
				id,
				type,
				channel,
				subchannel,
				kind,
				source,
				date,
				lead;
} TouchpointColumns;

static void
keep_touchpoint(Pass *p, TupleTableSlot *slot, const TouchpointColumns *c, int *allocated)
{
	Touchpoint *t;
	bool		isnull;
	Datum		d;

	(void) slot_getattr(slot, c->person, &isnull);
	if (isnull)
		return;					/* anonymous: most of the table, not deformed further */
	d = slot_getattr(slot, c->journey, &isnull);
	if (isnull)
		return;					/* no journey: joins no person */
	if (p->ntps == *allocated)
	{
		*allocated *= 2;
		p->tps = repalloc_huge(p->tps, sizeof(Touchpoint) * *allocated);
	}
	t = &p->tps[p->ntps];
	t->journey = tp_keep_text(p, d, false);
	t->id = slot_text(p, slot, c->id);
	t->type = slot_text(p, slot, c->type);
	t->channel = slot_text(p, slot, c->channel);
	t->subchannel = slot_text(p, slot, c->subchannel);
	t->source_kind = slot_text(p, slot, c->kind);
	t->source_id = slot_text(p, slot, c->source);
	d = slot_getattr(slot, c->date, &t->date_null);
	t->date = t->date_null ? 0 : DatumGetTimestampTz(d);
	d = slot_getattr(slot, c->lead, &isnull);
	t->lead_creation = !isnull && DatumGetBool(d);
	t->kind_rank = 3;
	t->conversion = false;
	if (t->source_kind != NULL)
	{
		const char *k = VARDATA_ANY(t->source_kind);
		int			len = VARSIZE_ANY_EXHDR(t->source_kind);

		t->conversion = !(len == 5 && memcmp(k, "visit", 5) == 0);
		t->kind_rank = !t->conversion ? 0 :
			(len == 4 && memcmp(k, "form", 4) == 0) ? 1 :
			(len == 4 && memcmp(k, "chat", 4) == 0) ? 2 : 3;
	}
	p->ntps++;
}

/* Chain the touchpoints read by journey, in the order read. */
static void
chain_journeys(Pass *p)
{
	tp_map_init(&p->journeys, p->ntps);
	for (int i = p->ntps - 1; i >= 0; i--)
	{
		MapEntry   *j = tp_map_get(&p->journeys, p->tps[i].journey, true);

		p->tps[i].next = j->first;
		j->first = i;
	}
}

/* Where touchpoint.touchpoints keeps what the credit reads. */
static void
touchpoint_columns(Relation rel, TouchpointColumns *c)
{
	c->person = column(rel, "person_id");
	c->journey = column(rel, "journey_id");
	c->id = column(rel, "touchpoint_id");
	c->type = column(rel, "touchpoint_type");
	c->channel = column(rel, "channel");
	c->subchannel = column(rel, "subchannel");
	c->kind = column(rel, "source_kind");
	c->source = column(rel, "source_id");
	c->date = column(rel, "touchpoint_date");
	c->lead = column(rel, "is_lead_creation");
}

/* The touchpoints of people's journeys (person_id set), chained by journey. */
void
tp_read_touchpoints(Pass *p, Oid relid)
{
	Relation	rel = tp_open_readable(relid, -1);
	TouchpointColumns c;
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	int			allocated = 1024;
	uint64		n = 0;

	touchpoint_columns(rel, &c);
	p->tps = palloc(sizeof(Touchpoint) * allocated);
	p->ntps = 0;
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		keep_touchpoint(p, slot, &c, &allocated);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	chain_journeys(p);
}

/* Distinct text keys, bytewise order (qsort comparator). */
static int
key_order(const void *x, const void *y)
{
	const text *a = *(text *const *) x;
	const text *b = *(text *const *) y;
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b),
				c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/*
 * Every row of one of touchpoint's own tables whose text column `column`
 * equals one of keys (each row once, also when a key is given twice), read
 * as the full pass reads it — the active snapshot, straight from the table,
 * no row security (refresh() checked the caller owns it) — through a btree
 * index whose first column is `column`, or a scan of the whole table when
 * there is none; keys NULL: every row, in one scan of the table.  fn gets
 * each row in a slot of the table.
 */
void
tp_scan_by_keys(Pass *p, Relation rel, AttrNumber column, text **keys, int nkeys,
				TpRowFn fn, void *arg)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	Relation	index = NULL;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	int			n = 0;

	/* distinct keys: a key given twice must not read its rows twice */
	if (keys == NULL)
		nkeys = 0;
	else
		qsort(keys, nkeys, sizeof(text *), key_order);
	for (int i = 0; i < nkeys; i++)
		if (n == 0 || key_order(&keys[n - 1], &keys[i]) != 0)
			keys[n++] = keys[i];
	nkeys = n;

	foreach(lc, keys != NULL ? indexes : NIL)
	{
		Relation	candidate = index_open(lfirst_oid(lc), AccessShareLock);

		/* as the planner: valid, no predicate, usable by this snapshot (indcheckxmin) */
		if (candidate->rd_rel->relam == BTREE_AM_OID && candidate->rd_index->indkey.values[0] == column &&
			candidate->rd_index->indisvalid && RelationGetIndexPredicate(candidate) == NIL &&
			(!candidate->rd_index->indcheckxmin ||
			 TransactionIdPrecedes(HeapTupleHeaderGetXmin(candidate->rd_indextuple->t_data), TransactionXmin)))
		{
			index = candidate;
			break;
		}
		index_close(candidate, AccessShareLock);
	}
	list_free(indexes);
	if (index != NULL)
	{
		IndexScanDesc scan = index_beginscan(rel, index, GetActiveSnapshot(), 1, 0);
		ScanKeyData key;

		for (int i = 0; i < nkeys; i++)
		{
			CHECK_FOR_INTERRUPTS();
			ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
								   index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(keys[i]));
			index_rescan(scan, &key, 1, NULL, 0);
			while (index_getnext_slot(scan, ForwardScanDirection, slot))
				fn(p, slot, arg);
		}
		index_endscan(scan);
		index_close(index, AccessShareLock);
	}
	else
	{
		TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
		uint64		rows = 0;

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			Datum		d;
			text	   *value;

			if ((++rows & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			if (keys == NULL)
			{
				fn(p, slot, arg);
				continue;
			}
			d = slot_getattr(slot, column, &isnull);
			if (isnull)
				continue;
			value = DatumGetTextPP(d);
			if (bsearch(&value, keys, nkeys, sizeof(text *), key_order) != NULL)
				fn(p, slot, arg);
		}
		table_endscan(scan);
	}
	ExecDropSingleTupleTableSlot(slot);
}

typedef struct KeepTouchpoints
{
	const TouchpointColumns *columns;
	int			allocated;
} KeepTouchpoints;

static void
keep_touchpoint_row(Pass *p, TupleTableSlot *slot, void *arg)
{
	KeepTouchpoints *k = arg;
	MemoryContext old = MemoryContextSwitchTo(p->cxt);

	keep_touchpoint(p, slot, k->columns, &k->allocated);
	MemoryContextSwitchTo(old);
}

/*
 * The same for the journeys of the people read (tp_read_people) only,
 * through the journey index: an incremental refresh credits a few
 * opportunities.
 */
void
tp_read_touchpoints_of_people(Pass *p, Oid relid)
{
	Relation	rel = tp_open_readable(relid, -1);
	TouchpointColumns c;
	KeepTouchpoints k;
	text	  **ids = palloc(sizeof(text *) * Max(1, p->npeople));

	touchpoint_columns(rel, &c);
	for (int i = 0; i < p->npeople; i++)
		ids[i] = p->people[i].id;
	k.columns = &c;
	k.allocated = 1024;
	p->tps = MemoryContextAlloc(p->cxt, sizeof(Touchpoint) * k.allocated);
	p->ntps = 0;
	tp_scan_by_keys(p, rel, c.journey, ids, p->npeople, keep_touchpoint_row, &k);
	table_close(rel, AccessShareLock);
	{
		MemoryContext old = MemoryContextSwitchTo(p->cxt);

		chain_journeys(p);
		MemoryContextSwitchTo(old);
	}
}

/* A registered source, read as the caller (privileges, row-level security). */
static SPITupleTable *
read_source(const char *query, Datum only, uint64 *n)
{
	Oid			argtype = TEXTARRAYOID;
	int			rc = only == (Datum) 0 ? SPI_execute(query, true, 0) :
		SPI_execute_with_args(query, 1, &argtype, &only, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "touchpoint: reading a source failed: %s", SPI_result_code_string(rc));
	*n = SPI_processed;
	return SPI_tuptable;
}

/*
 * The people of a source; with accounts (a text[], not 0), only the people
 * of those accounts.
 */
void
tp_read_people(Pass *p, Oid relid, Datum accounts)
{
	char	   *q = psprintf("SELECT p.person_id::pg_catalog.text, p.account_id::pg_catalog.text FROM %s p%s",
							 qualified_name(relid),
							 accounts == (Datum) 0 ? "" :
							 " WHERE p.account_id::pg_catalog.text COLLATE \"C\" OPERATOR(pg_catalog.=) ANY ($1)");
	uint64		n;
	SPITupleTable *tt = read_source(q, accounts, &n);
	MemoryContext old = MemoryContextSwitchTo(p->cxt);

	p->people = palloc_extended(sizeof(Person) * Max(n, 1), MCXT_ALLOC_HUGE);
	p->npeople = 0;
	tp_map_init(&p->accounts, (int) n);
	for (uint64 i = 0; i < n; i++)
	{
		bool		id_null;
		bool		account_null;
		Datum		id = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &id_null);
		Datum		account = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &account_null);
		MapEntry   *a;
		Person	   *person;

		if (id_null || account_null)
			continue;			/* joins no opportunity, or no journey */
		person = &p->people[p->npeople];
		person->id = tp_keep_text(p, id, false);
		a = tp_map_get(&p->accounts, tp_keep_text(p, account, false), true);
		person->next = a->first;
		a->first = p->npeople++;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}

/*
 * The opportunities of a source; with only (a text[], not 0), those of
 * these ids.
 */
void
tp_read_opportunities(Pass *p, Oid relid, Datum only)
{
	char	   *q = psprintf("SELECT o.opportunity_id::pg_catalog.text, o.account_id::pg_catalog.text, "
							 "o.amount::pg_catalog.numeric, o.created_at::pg_catalog.timestamptz, "
							 "o.closed_at::pg_catalog.timestamptz, o.is_won::pg_catalog.bool FROM %s o%s",
							 qualified_name(relid),
							 only == (Datum) 0 ? "" :
							 " WHERE o.opportunity_id::pg_catalog.text COLLATE \"C\" OPERATOR(pg_catalog.=) ANY ($1)");
	uint64		n;
	SPITupleTable *tt = read_source(q, only, &n);
	MemoryContext old = MemoryContextSwitchTo(p->cxt);

	p->opps = palloc_extended(sizeof(Opportunity) * Max(n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	p->nopps = 0;
	for (uint64 i = 0; i < n; i++)
	{
		Opportunity *o = &p->opps[p->nopps];
		HeapTuple	tuple = tt->vals[i];
		bool		isnull;
		Datum		d;

		d = SPI_getbinval(tuple, tt->tupdesc, 1, &isnull);
		o->id = tp_keep_text(p, d, isnull);	/* NULL: an error if it has touchpoints */
		d = SPI_getbinval(tuple, tt->tupdesc, 2, &isnull);
		o->account = tp_keep_text(p, d, isnull);
		d = SPI_getbinval(tuple, tt->tupdesc, 3, &o->amount_null);
		o->amount = o->amount_null ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
		d = SPI_getbinval(tuple, tt->tupdesc, 4, &o->created_null);
		o->created_at = o->created_null ? 0 : DatumGetTimestampTz(d);
		d = SPI_getbinval(tuple, tt->tupdesc, 5, &o->closed_null);
		o->closed_at = o->closed_null ? 0 : DatumGetTimestampTz(d);
		d = SPI_getbinval(tuple, tt->tupdesc, 6, &isnull);
		o->is_won = !isnull && DatumGetBool(d);
		p->nopps++;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}
