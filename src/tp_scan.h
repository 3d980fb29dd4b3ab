/*
 * tp_scan.h
 *		What the one-pass strategy (tp_scan.c) shares with the pipeline's
 *		additions to it (tp_scan_pipeline.c): a kept session, a session row
 *		from the heap or SPI, the state of one pass.  Private to those two.
 */
#ifndef TP_SCAN_H
#define TP_SCAN_H

#include "postgres.h"

#include "access/htup_details.h"
#include "executor/tuptable.h"

#include "touchpoint.h"
#include "tp_index.h"

/* Sessions wanted by id (tp_scan_pipeline.c). */
typedef struct TpNamedSet TpNamedSet;

/* A session that covered at least one call (the offer comes first). */
typedef struct ScanSession
{
	TpOffer		offer;
	TpSessionData data;
} ScanSession;

/*
 * One session row, wherever it comes from: an SPI tuple (any relation, read
 * by the executor as the caller) or a heap slot (a plain table read
 * directly).  row_get(row, column) returns the Datum of a column of the
 * description (TP_S_*): SPI column column + 1, or heap attribute
 * attnums[column].
 */
typedef struct SessionRow
{
	HeapTuple	tuple;			/* SPI path */
	TupleDesc	desc;
	TupleTableSlot *slot;		/* direct path */
	const AttrNumber *attnums;	/* TP_S_* -> attribute number, direct path */
	AttrNumber	deform_upto;	/* direct path: the last of the four columns every row needs */
} SessionRow;

static inline Datum
row_get(const SessionRow *row, int column, bool *isnull)
{
	if (row->slot != NULL)
		return slot_getattr(row->slot, row->attnums[column], isnull);
	return SPI_getbinval(row->tuple, row->desc, column + 1, isnull);
}

/* What one pass over the sessions needs. */
typedef struct PassState
{
	TpRun	   *run;
	KeyIndex   *index;
	MemoryContext work_ctx;
	MemoryContext row_ctx;		/* detoasted values of the current row */
	bool		row_ctx_used;
	char	   *keybuf;
	int			keybuf_len;
} PassState;

static inline text *
row_text(PassState *st, Datum d)
{
	return TpPlainText(d, st->row_ctx, &st->row_ctx_used);
}

/* What every session needs before its id's calls are consulted. */
typedef struct SessionHead
{
	uint32		hash;			/* of the normalised id, which is in st->keybuf */
	int			keylen;
	bool		id_null;
	bool		start_null;
	bool		last_null;
	TimestampTz started_at;
	TimestampTz last_activity;
	int64		end;			/* covers calls with started_at <= t < end */
} SessionHead;

/* Copy a session into the pass's long-lived memory (tp_scan.c). */
extern ScanSession *keep_session(PassState *st, const SessionRow *row, TimestampTz started_at,
								 bool last_null, TimestampTz last_activity);

/* The pipeline's additions to the pass (tp_scan_pipeline.c). */
extern TpNamedSet *TpBuildNamedSet(TpRun *run, const TpScanCall *calls, int ncalls);
extern bool TpKeyIsCalled(const KeyIndex *index, const SessionHead *head);
extern void TpTrackFirstSession(PassState *st, const SessionRow *row, const SessionHead *head);
extern bool TpMayBeFirstSession(const KeyIndex *index, const SessionHead *head);
extern bool TpNamedMayHave(const TpNamedSet *set, const char *id, int len);
extern void TpTrackNamed(PassState *st, const SessionRow *row, const SessionHead *head);
extern void TpFindNamedLeftovers(PassState *st);

#endif							/* TP_SCAN_H */
