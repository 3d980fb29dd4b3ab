/*
 * tp_refresh.c
 *		touchpoint.refresh()'s entry point.  When nothing can have changed
 *		since the last refresh it answers at once, without PL/pgSQL;
 *		otherwise it runs the whole procedure,
 *		touchpoint_internal.refresh_work() (sql/src/60_refresh.sql).
 *
 * Why: a scheduled refresh (pg_cron) runs in a new backend, where the
 * procedure's first call costs ~25-40 ms of loading PL/pgSQL and compiling
 * it and its checks before it can see that the change log is empty.  Here
 * that takes a few catalog lookups (docs/incremental.md, "An empty refresh").
 *
 * "Nothing can have changed" is what the procedure itself would conclude,
 * checked condition by condition (each failed check hands over to it):
 *	- an incremental refresh was asked for, touchpoint.quick_refresh is on;
 *	- the caller has the privileges of the stored relations' owner (else the
 *	  procedure says why not);
 *	- no source is registered (touchpoint reads its own tables: the checks
 *	  of registered relations are the procedure's);
 *	- a last refresh left its state, with touchpoints (none: the procedure
 *	  warns about empty inputs), and touchpoints was analyzed since;
 *	- the change log is empty, read after taking the procedure's lock;
 *	- every input carries its four capture triggers (else the procedure
 *	  rebuilds it in full every time) and has no row-level security;
 *	- the event inputs are not all empty (else the procedure warns);
 *	- the transaction may write and takes a snapshot per statement (READ
 *	  COMMITTED: it sees what a refresh it waited for committed);
 *	- the signature of everything else the procedure compares is the one
 *	  the last refresh stored: the extension's version, the window and
 *	  anchor settings, the channel rules, the custom and position models,
 *	  the registry, and each input table's columns, triggers (the capture
 *	  triggers say how changes are seen), row security and privileges.
 * The answer is then the procedure's: mode incremental, the stored counts,
 * nothing written or recomputed (refresh_state.refreshed_at stays the time
 * of the last refresh that ran the procedure).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "touchpoint.h"
#include "tp_compat.h"

TP_FUNCTION_INFO(tp_refresh);
TP_FUNCTION_INFO(tp_quick_signature);
TP_FUNCTION_INFO(tp_quick_refreshes);

bool		tp_quick_refresh = true;

/* refreshes this backend answered at once (tests and diagnosis) */
static int64 quick_refreshes = 0;

/* refresh()'s result columns, in order */
enum
{
	R_MODE,
	R_TOUCHPOINTS,
	R_OPPORTUNITY_TOUCHPOINTS,
	R_DURATION,
	R_TOUCHPOINTS_WRITTEN,
	R_TOUCHPOINTS_DURATION,
	R_CREDITS_DURATION,
	R_KEYS_RECOMPUTED,
	R_OPPORTUNITIES_RECOMPUTED,
	R_REASON,
	R_COLS
};

/* The inputs, in the order the procedure lists them. */
static const char *const input_kinds[] = {
	"sessions", "tasks", "form_submits", "chats", "people", "opportunities"
};

/* The small tables the procedure's fingerprints read whole. */
static const char *const setting_tables[][2] = {
	{NULL, "channel_rules"},	/* NULL: the extension's schema */
	{NULL, "custom_model"},
	{NULL, "position_models"},
	{"touchpoint_internal", "source_registry"}
};

typedef struct Schemas
{
	Oid			ext;			/* where the extension's relations are */
	Oid			internal;		/* touchpoint_internal */
	char	   *version;		/* pg_extension.extversion */
} Schemas;

static void
find_extension(Schemas *s)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("touchpoint"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "touchpoint: the extension is not installed in this database");
	{
		bool		isnull;
		Datum		v = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		s->ext = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		s->version = isnull ? pstrdup("") : TextDatumGetCString(v);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	s->internal = get_namespace_oid("touchpoint_internal", false);
}

static Oid
relation_in(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("touchpoint's relation \"%s\" is missing", name),
				 errhint("Reinstall the extension: DROP EXTENSION touchpoint; CREATE EXTENSION touchpoint;")));
	return relid;
}

static inline uint64
mix(uint64 h, const void *bytes, Size len)
{
	return hash_bytes_extended((const unsigned char *) bytes, (int) len, h);
}

static inline uint64
mix_string(uint64 h, const char *s)
{
	return s == NULL ? mix(h, "\0null", 5) : mix(h, s, strlen(s) + 1);
}

/* Who owns a relation and who may read it: its owner, ACL and row-security flags. */
static uint64
mix_class(uint64 h, Oid relid)
{
	HeapTuple	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	bool		isnull;
	Datum		acl;

	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	form = (Form_pg_class) GETSTRUCT(classtup);
	h = mix(h, &form->relowner, sizeof(Oid));
	h = mix(h, &form->relrowsecurity, sizeof(bool));
	h = mix(h, &form->relforcerowsecurity, sizeof(bool));
	acl = SysCacheGetAttr(RELOID, classtup, Anum_pg_class_relacl, &isnull);
	if (!isnull)
	{
		struct varlena *bytes = PG_DETOAST_DATUM_PACKED(acl);

		h = mix(h, bytes, VARSIZE_ANY(bytes));
	}
	ReleaseSysCache(classtup);
	return h;
}

/* Every row of a small table as stored: equal rows in equal order, equal hash. */
static uint64
mix_table_rows(uint64 h, Oid relid, Snapshot snapshot, int *nrows)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);

	*nrows = 0;
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		should_free;
		HeapTuple	tup = ExecFetchSlotHeapTuple(slot, false, &should_free);
		HeapTupleHeader hdr = tup->t_data;
		uint16		natts = HeapTupleHeaderGetNatts(hdr);

		h = mix(h, &natts, sizeof(natts));
		if (HeapTupleHasNulls(tup))
			h = mix(h, hdr->t_bits, BITMAPLEN(natts));
		h = mix(h, (char *) hdr + hdr->t_hoff, tup->t_len - hdr->t_hoff);
		if (should_free)
			heap_freetuple(tup);
		(*nrows)++;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return h;
}

/*
 * Does the input carry its four capture triggers, enabled always, for its
 * kind (what change_detection() calls 'triggers')?  Otherwise every refresh
 * of it is full, which is the procedure's to do.
 */
static bool
watched(Relation rel, const char *kind, Oid capture_fn)
{
	static const char *const names[] = {
		"touchpoint_capture_insert", "touchpoint_capture_update",
		"touchpoint_capture_delete", "touchpoint_capture_truncate"
	};
	int			armed = 0;

	if (rel->trigdesc == NULL)
		return false;
	for (int i = 0; i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		if (t->tgfoid != capture_fn || t->tgenabled != TRIGGER_FIRES_ALWAYS ||
			t->tgnargs != 1 || strcmp(t->tgargs[0], kind) != 0)
			continue;
		for (int n = 0; n < (int) lengthof(names); n++)
			if (strcmp(t->tgname, names[n]) == 0)
				armed++;
	}
	return armed == (int) lengthof(names);
}

/*
 * An input table's shape: columns, triggers, row security, privileges.
 * *all_watched is cleared when it lacks its capture triggers.
 */
static uint64
mix_input_shape(uint64 h, Oid relid, const char *kind, Oid capture_fn, bool *all_watched)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);

	if (!watched(rel, kind, capture_fn))
		*all_watched = false;
	if (rel->rd_rel->relrowsecurity)
		*all_watched = false;	/* its policies are the procedure's to apply */
	h = mix(h, &relid, sizeof(relid));
	h = mix(h, &rel->rd_rel->relkind, sizeof(char));
	h = mix(h, &rel->rd_rel->relrowsecurity, sizeof(bool));
	h = mix(h, &rel->rd_rel->relforcerowsecurity, sizeof(bool));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		h = mix_string(h, NameStr(att->attname));
		h = mix(h, &att->atttypid, sizeof(Oid));
		h = mix(h, &att->atttypmod, sizeof(int32));
		h = mix(h, &att->attnotnull, sizeof(bool));
		h = mix(h, &att->attcollation, sizeof(Oid));
	}
	if (rel->trigdesc != NULL)
	{
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			Trigger    *t = &rel->trigdesc->triggers[i];

			h = mix_string(h, t->tgname);
			h = mix(h, &t->tgfoid, sizeof(Oid));
			h = mix(h, &t->tgtype, sizeof(t->tgtype));
			h = mix(h, &t->tgenabled, sizeof(char));
			for (int a = 0; a < t->tgnargs; a++)
				h = mix_string(h, t->tgargs[a]);
		}
	}
	h = mix_class(h, relid);
	table_close(rel, AccessShareLock);
	return h;
}

/*
 * The signature of everything the procedure's fingerprints and source
 * checks look at, for the caller's settings, under the snapshot given.
 * registered: how many sources the registry holds; all_watched: whether
 * every input carries its capture triggers.
 */
static int64
quick_signature(const Schemas *s, Snapshot snapshot, int *registered, bool *all_watched)
{
	uint64		h = 0x746f756368706f69;	/* "touchpoi" */
	int			nrows;
	Oid			capture_fn = LookupFuncName(list_make2(makeString("touchpoint_internal"),
													   makeString("capture_changes")),
											0, NULL, false);

	h = mix_string(h, s->version);
	h = mix_string(h, GetConfigOption("touchpoint.session_window", false, false));
	h = mix_string(h, GetConfigOption("touchpoint.window_anchor", false, false));
	for (int i = 0; i < (int) lengthof(setting_tables); i++)
	{
		Oid			nsp = setting_tables[i][0] == NULL ? s->ext : s->internal;

		Oid			relid = relation_in(nsp, setting_tables[i][1]);

		h = mix_table_rows(h, relid, snapshot, &nrows);
		h = mix(h, &nrows, sizeof(nrows));
		h = mix_class(h, relid);
	}
	*registered = nrows;		/* the registry is the last of them */
	*all_watched = true;
	for (int i = 0; i < (int) lengthof(input_kinds); i++)
		h = mix_input_shape(h, relation_in(s->ext, input_kinds[i]), input_kinds[i],
							capture_fn, all_watched);
	return (int64) h;
}

/* The owner of touchpoint.touchpoints: who may refresh. */
static Oid
stored_owner(const Schemas *s)
{
	Oid			touchpoints = relation_in(s->ext, "touchpoints");
	HeapTuple	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(touchpoints));
	Oid			owner;

	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for relation %u", touchpoints);
	owner = ((Form_pg_class) GETSTRUCT(classtup))->relowner;
	ReleaseSysCache(classtup);
	return owner;
}

/* touchpoint_internal.quick_signature(): what the procedure stores for the next refresh. */
Datum
tp_quick_signature(PG_FUNCTION_ARGS)
{
	Schemas		s;
	int			registered;
	bool		all_watched;

	find_extension(&s);
	/* it reads the settings tables whole: the refresh's privilege, checked as refresh_work() does */
	if (!has_privs_of_role(GetUserId(), stored_owner(&s)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only the owner of touchpoint's stored relations can compute the refresh signature"),
				 errhint("It is computed by touchpoint.refresh(), run as that role.")));
	PG_RETURN_INT64(quick_signature(&s, GetActiveSnapshot(), &registered, &all_watched));
}

/* touchpoint_internal.quick_refreshes(): how many refresh() calls of this session answered at once. */
Datum
tp_quick_refreshes(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(quick_refreshes);
}

/* Does the relation hold a row this snapshot sees? */
static bool
has_rows(Oid relid, Snapshot snapshot)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool		found = table_scan_getnextslot(scan, ForwardScanDirection, slot);

	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

typedef struct LastRefresh
{
	int64		touchpoints;
	int64		opportunity_touchpoints;
	int64		signature;
	bool		signature_null;
} LastRefresh;

/* The one row of refresh_state; false when there is none. */
static bool
read_state(Oid relid, Snapshot snapshot, LastRefresh *last)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool		found = table_scan_getnextslot(scan, ForwardScanDirection, slot);

	if (found)
	{
		int			a_tps = -1,
					a_ots = -1,
					a_sig = -1;
		bool		isnull;

		for (int i = 0; i < desc->natts; i++)
		{
			const char *name = NameStr(TupleDescAttr(desc, i)->attname);

			if (TupleDescAttr(desc, i)->attisdropped)
				continue;
			if (strcmp(name, "touchpoints") == 0)
				a_tps = i + 1;
			else if (strcmp(name, "opportunity_touchpoints") == 0)
				a_ots = i + 1;
			else if (strcmp(name, "quick_signature") == 0)
				a_sig = i + 1;
		}
		if (a_tps < 0 || a_ots < 0 || a_sig < 0)
			found = false;		/* not this version's table: let the procedure run */
		else
		{
			last->touchpoints = DatumGetInt64(slot_getattr(slot, a_tps, &isnull));
			last->opportunity_touchpoints = DatumGetInt64(slot_getattr(slot, a_ots, &isnull));
			last->signature = DatumGetInt64(slot_getattr(slot, a_sig, &last->signature_null));
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The answer when nothing can have changed (see the head of this file);
 * false hands over to the procedure.  Takes the procedure's lock first, as
 * it would: a refresh running now is waited for, then its result is seen.
 */
static bool
nothing_to_refresh(LastRefresh *last)
{
	Schemas		s;
	Oid			touchpoints;
	Oid			opportunity_touchpoints;
	HeapTuple	classtup;
	float4		reltuples;
	Snapshot	snapshot;
	bool		quiet = false;
	int			registered;
	bool		all_watched;

	/*
	 * A read-only transaction or a standby: the procedure's error.  One
	 * snapshot for the transaction (REPEATABLE READ, SERIALIZABLE): it
	 * cannot see what a refresh it waited for committed, so the procedure
	 * runs (and fails to serialize, as it should).
	 */
	if (XactReadOnly || IsolationUsesXactSnapshot())
		return false;
	find_extension(&s);
	touchpoints = relation_in(s.ext, "touchpoints");
	opportunity_touchpoints = relation_in(s.ext, "opportunity_touchpoints");
	if (!has_privs_of_role(GetUserId(), stored_owner(&s)))
		return false;			/* the procedure says who may */

	/*
	 * What it reads, before the stage tables, in the procedure's order: a
	 * transaction that holds an input (TRUNCATE and COPY, then refresh())
	 * is waited for before this takes a lock that transaction would need.
	 */
	for (int i = 0; i < (int) lengthof(setting_tables); i++)
		LockRelationOid(relation_in(setting_tables[i][0] == NULL ? s.ext : s.internal,
									setting_tables[i][1]), AccessShareLock);
	for (int i = 0; i < (int) lengthof(input_kinds); i++)
		LockRelationOid(relation_in(s.ext, input_kinds[i]), AccessShareLock);
	LockRelationOid(touchpoints, ExclusiveLock);
	LockRelationOid(opportunity_touchpoints, ExclusiveLock);
	/* what committed before the lock was granted, as the procedure's next statement sees it */
	PushActiveSnapshot(GetTransactionSnapshot());
	snapshot = GetActiveSnapshot();

	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(touchpoints));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for relation %u", touchpoints);
	reltuples = ((Form_pg_class) GETSTRUCT(classtup))->reltuples;
	ReleaseSysCache(classtup);

	if (reltuples >= 0 &&		/* never analyzed: the procedure analyzes it */
		read_state(relation_in(s.internal, "refresh_state"), snapshot, last) &&
		!last->signature_null && last->touchpoints > 0 &&
		!has_rows(relation_in(s.internal, "changes"), snapshot) &&
		quick_signature(&s, snapshot, &registered, &all_watched) == last->signature &&
		registered == 0 && all_watched)
	{
		/* and the inputs are not all empty (else the procedure warns) */
		for (int i = 0; i < 4 && !quiet; i++)	/* sessions, tasks, form fills, chats */
			quiet = has_rows(relation_in(s.ext, input_kinds[i]), snapshot);
	}
	PopActiveSnapshot();
	return quiet;
}

/* Build refresh()'s row for a refresh with nothing to do. */
static HeapTuple
quiet_result(FunctionCallInfo fcinfo, const LastRefresh *last, TimestampTz started)
{
	TupleDesc	desc;
	Datum		values[R_COLS];
	bool		nulls[R_COLS];
	Interval   *zero = palloc0(sizeof(Interval));

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "touchpoint: refresh() must return a row");
	desc = BlessTupleDesc(desc);
	memset(nulls, 0, sizeof(nulls));
	values[R_MODE] = CStringGetTextDatum("incremental");
	values[R_TOUCHPOINTS] = Int64GetDatum(last->touchpoints);
	values[R_OPPORTUNITY_TOUCHPOINTS] = Int64GetDatum(last->opportunity_touchpoints);
	values[R_TOUCHPOINTS_WRITTEN] = Int64GetDatum(0);
	values[R_TOUCHPOINTS_DURATION] = IntervalPGetDatum(zero);
	values[R_CREDITS_DURATION] = IntervalPGetDatum(zero);
	values[R_KEYS_RECOMPUTED] = Int64GetDatum(0);
	values[R_OPPORTUNITIES_RECOMPUTED] = Int64GetDatum(0);
	nulls[R_REASON] = true;
	values[R_REASON] = (Datum) 0;
	values[R_DURATION] = DirectFunctionCall2(timestamp_mi,
											 TimestampTzGetDatum(GetCurrentTimestamp()),
											 TimestampTzGetDatum(started));
	return heap_form_tuple(desc, values, nulls);
}

/*
 * refresh(full boolean DEFAULT false) -> (mode, touchpoints, ...): see the
 * head of this file and touchpoint_internal.refresh_work().
 */
Datum
tp_refresh(PG_FUNCTION_ARGS)
{
	TimestampTz started = GetCurrentTimestamp();
	bool		full = !PG_ARGISNULL(0) && PG_GETARG_BOOL(0);
	LastRefresh last;
	HeapTuple	result;
	Oid			argtypes[1] = {BOOLOID};
	Datum		args[1];
	char		argnulls[1];
	MemoryContext caller_ctx = CurrentMemoryContext;

	memset(&last, 0, sizeof(last));
	if (!full && tp_quick_refresh && nothing_to_refresh(&last))
	{
		/*
		 * Nothing is written, not even refresh_state.refreshed_at: a refresh
		 * scheduled every minute leaves no dead row behind when nothing
		 * changed (and an UPDATE cost a tenth of this answer's time).
		 */
		quick_refreshes++;
		ereport(DEBUG1,
				(errmsg_internal("touchpoint: nothing changed since the last refresh")));
		PG_RETURN_DATUM(HeapTupleGetDatum(quiet_result(fcinfo, &last, started)));
	}

	/* the procedure: everything else */
	SPI_connect();
	args[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	argnulls[0] = PG_ARGISNULL(0) ? 'n' : ' ';
	if (SPI_execute_with_args("SELECT * FROM touchpoint_internal.refresh_work($1)",
							  1, argtypes, args, argnulls, false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1 || SPI_tuptable->tupdesc->natts != R_COLS)
		elog(ERROR, "touchpoint: refresh_work() did not return its row");
	{
		TupleDesc	desc;
		Datum		values[R_COLS];
		bool		nulls[R_COLS];
		MemoryContext spi_ctx;

		for (int i = 0; i < R_COLS; i++)
			values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i]);
		/* formed in the caller's memory: it outlives SPI_finish */
		spi_ctx = MemoryContextSwitchTo(caller_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "touchpoint: refresh() must return a row");
		result = heap_form_tuple(BlessTupleDesc(desc), values, nulls);
		MemoryContextSwitchTo(spi_ctx);
	}
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(result));
}
