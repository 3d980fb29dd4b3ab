/*
 * tp_capture.c
 *		The capture trigger of incremental refresh (docs/incremental.md):
 *		an AFTER ... FOR EACH STATEMENT trigger on an input that reads the
 *		statement's transition tables once, collects the distinct keys the
 *		rows name (normalised BizibleIds, persons, sessions, keyless events,
 *		accounts, opportunities) and writes one row per kind of key into
 *		touchpoint_internal.changes.  TRUNCATE, which has no transition
 *		table, writes an 'everything' row.  In C rather than PL/pgSQL: a
 *		statement of one row (an ETL tool's row-by-row upsert) costs no
 *		query planning, and a COPY of a million rows one pass.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "tp_compat.h"
#include "touchpoint.h"
#include "tp_match.h"

TP_FUNCTION_INFO(tp_capture_changes);

/* The kinds of key, as touchpoint_internal.changes names them. */
typedef enum
{
	KEY_BIZIBLE, KEY_PERSON, KEY_SESSION, KEY_KEYLESS, KEY_ACCOUNT, KEY_OPPORTUNITY, NUM_KEY_KINDS
} KeyKind;

static const char *const key_kind_names[NUM_KEY_KINDS] = {
	"bizible_key", "person", "session", "keyless", "account", "opportunity"
};

/* A set of strings: open addressing on the string's hash. */
typedef struct
{
	char	  **items;			/* NULL: empty slot */
	uint32	   *hashes;
	int			size;			/* a power of 2 */
	int			count;
} KeySet;

static void
keyset_add_hashed(KeySet *set, char *s, uint32 h)
{
	int			i;

	if (set->count * 2 >= set->size)
	{
		KeySet		bigger;
		int			j;

		bigger.size = Max(set->size * 2, 64);
		bigger.count = 0;
		bigger.items = palloc0(sizeof(char *) * bigger.size);
		bigger.hashes = palloc(sizeof(uint32) * bigger.size);
		for (j = 0; j < set->size; j++)
			if (set->items[j] != NULL)
				keyset_add_hashed(&bigger, set->items[j], set->hashes[j]);
		if (set->items != NULL)
		{
			pfree(set->items);
			pfree(set->hashes);
		}
		*set = bigger;
	}
	for (i = h & (set->size - 1);; i = (i + 1) & (set->size - 1))
	{
		if (set->items[i] == NULL)
		{
			set->items[i] = s;
			set->hashes[i] = h;
			set->count++;
			return;
		}
		if (set->hashes[i] == h && strcmp(set->items[i], s) == 0)
			return;
	}
}

/* Add a copy of s[0..len) (with an optional prefix) unless already there. */
static void
keyset_add(KeySet *set, const char *prefix, const char *s, int len)
{
	int			plen = prefix ? strlen(prefix) : 0;
	char	   *copy = palloc(plen + len + 1);

	if (plen)
		memcpy(copy, prefix, plen);
	memcpy(copy + plen, s, len);
	copy[plen + len] = '\0';
	keyset_add_hashed(set, copy, hash_bytes((const unsigned char *) copy, plen + len));
}

/* One column the capture reads: its number and how to make it text. */
typedef struct
{
	AttrNumber	attnum;			/* 0: the relation has no such column */
	Oid			typoutput;
	bool		is_text;
} Column;

static Column
find_column(TupleDesc desc, const char *name)
{
	Column		c = {0, InvalidOid, false};
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		varlena;

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		c.attnum = att->attnum;
		c.is_text = att->atttypid == TEXTOID || att->atttypid == VARCHAROID || att->atttypid == BPCHAROID;
		if (!c.is_text)
			getTypeOutputInfo(att->atttypid, &c.typoutput, &varlena);
		break;
	}
	return c;
}

/* The column's value as a C string (palloc'd), or NULL. */
static char *
column_text(TupleTableSlot *slot, const Column *c, int *len)
{
	bool		isnull;
	Datum		d;
	char	   *s;

	if (c->attnum == 0)
		return NULL;
	d = slot_getattr(slot, c->attnum, &isnull);
	if (isnull)
		return NULL;
	if (c->is_text)
	{
		text	   *t = DatumGetTextPP(d);

		*len = VARSIZE_ANY_EXHDR(t);
		s = palloc(*len + 1);
		memcpy(s, VARDATA_ANY(t), *len);
		s[*len] = '\0';
		return s;
	}
	s = OidOutputFunctionCall(c->typoutput, d);
	*len = strlen(s);
	return s;
}

/* The keys of every row of one transition table. */
static void
collect(Tuplestorestate *rows, TupleDesc desc, const char *input, bool old_rows, KeySet *sets)
{
	bool		sessions = strcmp(input, "sessions") == 0;
	bool		forms = strcmp(input, "form_submits") == 0;
	bool		chats = strcmp(input, "chats") == 0;
	bool		events = forms || chats || strcmp(input, "tasks") == 0;
	Column		bizible = find_column(desc, "bizible_id");
	Column		person = find_column(desc, "person_id");
	Column		session = find_column(desc, "session_id");
	Column		own_id = find_column(desc, forms ? "submit_id" : "chat_id");
	Column		account = find_column(desc, "account_id");
	Column		opportunity = find_column(desc, "opportunity_id");
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint capture row",
												  ALLOCSET_SMALL_SIZES);
	int			readptr = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
	char	   *keybuf = NULL;
	int			keybuf_len = 0;
	uint64		n = 0;

	tuplestore_select_read_pointer(rows, readptr);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		MemoryContext parent = MemoryContextSwitchTo(row_ctx);
		char	   *s;
		int			len;
		bool		keyed = false;

		if ((++n & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (sessions || events)
		{
			s = column_text(slot, &bizible, &len);
			if (s != NULL)
			{
				if (len > keybuf_len)
				{
					keybuf_len = Max(len, 64);
					keybuf = MemoryContextAlloc(parent, keybuf_len);
				}
				len = tp_normalize_bizible_id(s, len, keybuf);
				if (len > 0)
				{
					MemoryContextSwitchTo(parent);
					keyset_add(&sets[KEY_BIZIBLE], NULL, keybuf, len);
					MemoryContextSwitchTo(row_ctx);
					keyed = true;
				}
			}
		}
		MemoryContextSwitchTo(parent);
		if (events && (s = column_text(slot, &person, &len)) != NULL)
			keyset_add(&sets[KEY_PERSON], NULL, s, len);
		/* a session that goes (or changes id) leaves the events naming it */
		if (((sessions && old_rows) || forms || chats) && (s = column_text(slot, &session, &len)) != NULL)
			keyset_add(&sets[KEY_SESSION], NULL, s, len);
		if ((forms || chats) && !keyed && (s = column_text(slot, &own_id, &len)) != NULL)
			keyset_add(&sets[KEY_KEYLESS], forms ? "form:" : "chat:", s, len);
		if (strcmp(input, "people") == 0 && (s = column_text(slot, &account, &len)) != NULL)
			keyset_add(&sets[KEY_ACCOUNT], NULL, s, len);
		if (strcmp(input, "opportunities") == 0 && (s = column_text(slot, &opportunity, &len)) != NULL)
			keyset_add(&sets[KEY_OPPORTUNITY], NULL, s, len);
		MemoryContextReset(row_ctx);
	}
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(row_ctx);
}

/* INSERT INTO touchpoint_internal.changes (kind, keys, input) VALUES (...). */
static void
log_keys(const char *kind, ArrayType *keys, const char *input)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[3];
	int			rc;

	if (plan == NULL)
	{
		Oid			types[3] = {TEXTOID, TEXTARRAYOID, TEXTOID};
		SPIPlanPtr	p = SPI_prepare("INSERT INTO touchpoint_internal.changes (kind, keys, input) VALUES ($1, $2, $3)",
									3, types);

		if (p == NULL)
			elog(ERROR, "touchpoint: could not prepare the change log insert: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	values[0] = CStringGetTextDatum(kind);
	values[1] = PointerGetDatum(keys);
	values[2] = CStringGetTextDatum(input);
	rc = SPI_execute_plan(plan, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "touchpoint: writing the change log failed: %s", SPI_result_code_string(rc));
}

/* The set as a text[] (in no particular order). */
static ArrayType *
keyset_array(const KeySet *set)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(set->count, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < set->size; i++)
		if (set->items[i] != NULL)
			elems[n++] = CStringGetTextDatum(set->items[i]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * capture_changes(): the trigger (argument: the input's kind, one of
 * sessions, tasks, form_submits, chats, people, opportunities).
 */
Datum
tp_capture_changes(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *input;
	KeySet		sets[NUM_KEY_KINDS];
	MemoryContext work_ctx;
	MemoryContext parent;
	int			k;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || td->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("touchpoint_internal.capture_changes() must be an AFTER ... FOR EACH STATEMENT trigger with the input's kind as argument")));
	input = td->tg_trigger->tgargs[0];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "touchpoint: SPI_connect failed");
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		Datum		elem = CStringGetTextDatum(input);

		log_keys("everything", construct_array(&elem, 1, TEXTOID, -1, false, TYPALIGN_INT), input);
		SPI_finish();
		return PointerGetDatum(NULL);
	}

	work_ctx = AllocSetContextCreate(CurrentMemoryContext, "touchpoint capture", ALLOCSET_DEFAULT_SIZES);
	parent = MemoryContextSwitchTo(work_ctx);
	memset(sets, 0, sizeof(sets));
	if (td->tg_oldtable != NULL)
		collect(td->tg_oldtable, RelationGetDescr(td->tg_relation), input, true, sets);
	if (td->tg_newtable != NULL)
		collect(td->tg_newtable, RelationGetDescr(td->tg_relation), input, false, sets);
	for (k = 0; k < NUM_KEY_KINDS; k++)
		if (sets[k].count > 0)
			log_keys(key_kind_names[k], keyset_array(&sets[k]), input);
	MemoryContextSwitchTo(parent);
	MemoryContextDelete(work_ctx);
	SPI_finish();
	return PointerGetDatum(NULL);
}
