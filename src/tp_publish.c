/*
 * tp_publish.c
 *		touchpoint_internal.pipeline_changes(): stages 1 and 2 (tp_pipeline.c),
 *		compared with what touchpoint.touchpoints holds, as the changes that
 *		make it equal to a full rebuild: the ids to delete, the rows to insert.
 *
 * A full refresh recomputes every touchpoint, but most are what the table
 * already holds: rewriting them costs more than computing them (each
 * written row goes through the heap, the unique index and the WAL, and the
 * row it replaces is a dead row for VACUUM).  So the new rows are hashed by
 * touchpoint_id, the stored rows are read once and compared column by
 * column (exactly: the same bytes, the same NULLs), and only the
 * differences come out.  Nothing here writes: refresh() applies them.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "touchpoint.h"
#include "tp_compat.h"
#include "tp_pipeline.h"

TP_FUNCTION_INFO(tp_pipeline_changes);
TP_FUNCTION_INFO(tp_pipeline_changes_placed);

/* One new row: a conversion event's or a visit's, and whether the table has it already. */
typedef struct NewRow
{
	const TpEvent *event;
	const TpVisit *visit;
	const char *id;				/* touchpoint_id, NUL-terminated */
	uint32		hash;
	bool		stored;			/* the table holds exactly this row */
} NewRow;

/* The new rows by touchpoint_id: open addressing over their hashes. */
typedef struct NewRows
{
	NewRow	   *rows;
	int			nrows;
	int		   *slots;			/* index + 1 into rows, 0: empty */
	uint32		mask;
} NewRows;

static void
new_rows_build(NewRows *n, const TpJourneys *j)
{
	uint32		nslots = 2;
	int			i;

	n->rows = palloc_extended(sizeof(NewRow) * Max(j->nvisits + j->nevents, 1), MCXT_ALLOC_HUGE);
	n->nrows = 0;
	for (i = 0; i < j->nvisits; i++)
	{
		NewRow	   *r = &n->rows[n->nrows++];

		r->event = NULL;
		r->visit = &j->visits[i];
		r->id = r->visit->touchpoint_id;
	}
	for (i = 0; i < j->nevents; i++)
	{
		NewRow	   *r;

		if (!j->events[i].is_touchpoint)
			continue;
		r = &n->rows[n->nrows++];
		r->event = &j->events[i];
		r->visit = NULL;
		r->id = r->event->touchpoint_id;
	}
	while (nslots < 2 * (uint32) n->nrows + 2)
		nslots <<= 1;
	n->mask = nslots - 1;
	n->slots = palloc_extended(sizeof(int) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < n->nrows; i++)
	{
		NewRow	   *r = &n->rows[i];
		uint32		h;

		r->stored = false;
		r->hash = hash_bytes((const unsigned char *) r->id, strlen(r->id));
		for (h = r->hash & n->mask; n->slots[h] != 0; h = (h + 1) & n->mask)
		{
			const NewRow *other = &n->rows[n->slots[h] - 1];

			if (other->hash == r->hash && strcmp(other->id, r->id) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("two touchpoints have the id %s", quote_literal_cstr(r->id)),
						 errdetail("A touchpoint's id is its kind and its source's id: two rows of one source share an id."),
						 errhint("Make the ids of the registered sources unique (SELECT kind, relation FROM touchpoint.sources; lists them).")));
		}
		n->slots[h] = i + 1;
	}
}

static NewRow *
new_rows_find(const NewRows *n, const char *id, int len)
{
	uint32		hash = hash_bytes((const unsigned char *) id, len);
	uint32		h;

	for (h = hash & n->mask; n->slots[h] != 0; h = (h + 1) & n->mask)
	{
		NewRow	   *r = &n->rows[n->slots[h] - 1];

		if (r->hash == hash && strncmp(r->id, id, len) == 0 && r->id[len] == '\0')
			return r;
	}
	return NULL;
}

/* Is the stored value the same as the new one: both NULL, or the same bytes? */
static bool
same_value(Oid type, Datum stored, bool stored_null, Datum fresh, bool fresh_null)
{
	if (stored_null || fresh_null)
		return stored_null == fresh_null;
	switch (type)
	{
		case TEXTOID:
			{
				text	   *a = DatumGetTextPP(stored);
				text	   *b = DatumGetTextPP(fresh);

				return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
					memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
			}
		case TIMESTAMPTZOID:
			return DatumGetTimestampTz(stored) == DatumGetTimestampTz(fresh);
		case BOOLOID:
			return DatumGetBool(stored) == DatumGetBool(fresh);
		case INT4OID:
			return DatumGetInt32(stored) == DatumGetInt32(fresh);
		default:
			elog(ERROR, "touchpoint: unexpected column type %u in touchpoint.touchpoints", type);
	}
	return false;
}

/*
 * pipeline_changes(sessions, events, keyless, channel_rules, session_window, target):
 * (op, id, row) — 'delete' an id the target holds and a full rebuild would
 * not (or would hold differently), 'insert' a row it would hold and the
 * target does not.  Deleting, then inserting them makes target exactly the
 * full rebuild.  A last row ('total', n) says how many rows it then holds.
 */
static Datum
pipeline_changes(FunctionCallInfo fcinfo, bool placed)
{
	MemoryContext keep_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint pipeline",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint publish row",
												  ALLOCSET_DEFAULT_SIZES);
	Oid			target = PG_GETARG_OID(5);
	ReturnSetInfo *rsinfo;
	Collector	c;
	Rules		rules;
	NewRows		fresh;
	Relation	rel;
	TupleDesc	desc;
	TupleDesc	row_desc;
	TableScanDesc scan;
	TupleTableSlot *slot;
	Oid			types[TP_TOUCHPOINT_COLS];
	Datum		out[3];
	bool		out_nulls[3];
	uint64		n = 0;
	int			i;

	if (PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the target of pipeline_changes must not be NULL")));
	TpPipelineRun(fcinfo, NULL, &c, &rules, keep_ctx, placed);
	TpInitMaterializedSRF(fcinfo);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	row_desc = TupleDescAttr(rsinfo->setDesc, 2)->atttypid == InvalidOid ? NULL :
		lookup_rowtype_tupdesc_copy(TupleDescAttr(rsinfo->setDesc, 2)->atttypid, -1);

	{
		MemoryContext oldcxt = MemoryContextSwitchTo(keep_ctx);

		new_rows_build(&fresh, &c.j);
		MemoryContextSwitchTo(oldcxt);
	}

	/* the stored rows, read once: the refresh's owner reads its own table */
	rel = TpOpenOwnTable(target, "pipeline_changes");
	desc = RelationGetDescr(rel);
	if (desc->natts != TP_TOUCHPOINT_COLS || row_desc == NULL || row_desc->natts != TP_TOUCHPOINT_COLS)
		elog(ERROR, "touchpoint: \"%s\" is not shaped as touchpoint.touchpoints", RelationGetRelationName(rel));
	for (i = 0; i < TP_TOUCHPOINT_COLS; i++)
		types[i] = TupleDescAttr(desc, i)->atttypid;
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(row_ctx);
		bool		isnull;
		text	   *id;
		NewRow	   *r;
		bool		same = false;

		if ((++n & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		id = DatumGetTextPP(slot_getattr(slot, 1, &isnull));
		r = isnull ? NULL : new_rows_find(&fresh, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id));
		if (r != NULL && !r->stored)
		{
			Datum		values[TP_TOUCHPOINT_COLS];
			bool		nulls[TP_TOUCHPOINT_COLS];

			TpTouchpointValues(&rules, r->event, r->visit, values, nulls);
			same = true;
			for (i = 0; i < TP_TOUCHPOINT_COLS && same; i++)
				same = same_value(types[i], slot->tts_values[i], slot->tts_isnull[i], values[i], nulls[i]);
			r->stored = same;
		}
		if (!same)
		{
			/* delete it: gone, changed, or a duplicate of a row already kept */
			out[0] = CStringGetTextDatum("delete");
			out[1] = slot_getattr(slot, 1, &out_nulls[1]);
			out_nulls[0] = false;
			out_nulls[2] = true;
			out[2] = (Datum) 0;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, out_nulls);
		}
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(row_ctx);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	/* the rows the table does not hold as they should be */
	for (i = 0; i < fresh.nrows; i++)
	{
		MemoryContext oldcxt;
		Datum		values[TP_TOUCHPOINT_COLS];
		bool		nulls[TP_TOUCHPOINT_COLS];
		HeapTuple	tuple;

		if (fresh.rows[i].stored)
			continue;
		CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(row_ctx);
		TpTouchpointValues(&rules, fresh.rows[i].event, fresh.rows[i].visit, values, nulls);
		tuple = heap_form_tuple(row_desc, values, nulls);
		out[0] = CStringGetTextDatum("insert");
		out[1] = values[0];
		out[2] = HeapTupleGetDatum(tuple);
		out_nulls[0] = out_nulls[1] = out_nulls[2] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, out_nulls);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(row_ctx);
	}
	/* and how many rows the table holds afterwards, so no one counts them */
	out[0] = CStringGetTextDatum("total");
	out[1] = CStringGetTextDatum(psprintf("%d", fresh.nrows));
	out_nulls[0] = out_nulls[1] = false;
	out_nulls[2] = true;
	out[2] = (Datum) 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, out_nulls);
	MemoryContextDelete(row_ctx);
	MemoryContextDelete(keep_ctx);
	return (Datum) 0;
}

Datum
tp_pipeline_changes(PG_FUNCTION_ARGS)
{
	return pipeline_changes(fcinfo, false);
}

/*
 * pipeline_changes_placed(sessions, placed, keyless, channel_rules,
 * session_window, target): the same, from events stage 1 placed on Citus's
 * workers (docs/distributed.md) instead of a pass over the sessions.
 */
Datum
tp_pipeline_changes_placed(PG_FUNCTION_ARGS)
{
	return pipeline_changes(fcinfo, true);
}
