/*
 * touchpoint.h
 *		Declarations shared by the server-side files of touchpoint.
 *
 * touchpoint.c   module magic and settings (GUCs, window resolution)
 * tp_input.c     checking a user-named input relation and streaming it via SPI
 * tp_run.c       the merge driver: BizibleId groups fed to the engine
 * tp_srf.c       the SQL-callable functions and the explanation sentences
 * tp_match.c     the engine itself, free of fmgr (see tp_match.h)
 */
#ifndef TOUCHPOINT_H
#define TOUCHPOINT_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "tp_match.h"

/* ---- settings (touchpoint.c) ---- */

typedef enum TpWindowAnchor
{
	TP_ANCHOR_SESSION_START,
	TP_ANCHOR_LAST_ACTIVITY
} TpWindowAnchor;

extern char *tp_session_window_string;

/* How merge_calls reads the sessions (touchpoint.merge_strategy). */
typedef enum TpStrategy
{
	TP_STRATEGY_AUTO,			/* scan or probe, chosen from the sizes */
	TP_STRATEGY_SORTED,			/* both inputs sorted by BizibleId (explain's way) */
	TP_STRATEGY_SCAN,			/* calls in memory, every session read once */
	TP_STRATEGY_PROBE,			/* calls in memory, sessions fetched by id */
	TP_STRATEGY_SCAN_SPI		/* as scan, but always through the executor */
} TpStrategy;

extern int	tp_merge_strategy;
extern int	tp_window_anchor;

/* Raise the error for a bad setting that could not be refused at SET time. */
extern void TpCheckSettings(void);

/* Window in microseconds from the function argument, or the setting when NULL. */
extern int64 TpResolveWindow(Interval *window_arg);

/* ---- input relations (tp_input.c) ---- */

/* What kind of value a column must hold. */
typedef enum TpColumnKind
{
	TP_COL_ID,					/* text-like, integer, numeric or uuid; read as text */
	TP_COL_TEXT,				/* text-like (text, varchar, char, name, citext...) */
	TP_COL_BIZIBLE_ID,			/* text-like or uuid */
	TP_COL_TIMESTAMPTZ,			/* timestamptz (or a domain over it) */
	TP_COL_BOOL					/* boolean */
} TpColumnKind;

typedef struct TpColumn
{
	const char *name;
	TpColumnKind kind;
} TpColumn;

/* A checked input relation: its qualified name and what each column needs. */
typedef struct TpInput
{
	Oid			relid;
	char	   *qualified_name; /* quoted, schema-qualified */
	char	   *display_name;	/* for messages */
	const TpColumn *columns;
	int			ncolumns;
	bool	   *needs_text_cast;	/* per column: append ::text in queries */
	bool	   *needs_base_cast;	/* per column: a domain, cast to timestamptz/bool */
} TpInput;

extern void TpCheckInput(TpInput *input, Datum reloid, bool isnull,
						 const char *argname, const TpColumn *columns, int ncolumns);
extern void TpAppendColumn(StringInfo buf, const TpInput *input, int col);
extern int	TpColumnIndex(const TpInput *input, const char *name);
extern bool TpHeapReadable(Oid relid, const char *const *columns, const Oid *types,
						   int ncolumns, AttrNumber *attnums);

/* A batch-fetching cursor over an SPI query. */
typedef struct TpStream
{
	Portal		portal;
	SPITupleTable *batch;
	uint64		pos;
	bool		exhausted;
} TpStream;

extern void TpStreamOpen(TpStream *stream, const char *query,
						 int nargs, Oid *argtypes, Datum *values);
extern HeapTuple TpStreamNext(TpStream *stream, TupleDesc *desc);
extern void TpStreamClose(TpStream *stream);

/* ---- the merge driver (tp_run.c) ---- */

typedef enum TpTaskStatus
{
	TP_STATUS_MERGED,
	TP_STATUS_DELETED,
	TP_STATUS_NO_BIZIBLE_ID,
	TP_STATUS_NO_SESSIONS,
	TP_STATUS_OUTSIDE_WINDOW
} TpTaskStatus;

/* Web data of a session, kept while its group is in memory. */
typedef struct TpSessionData
{
	TimestampTz last_activity_at;
	bool		last_activity_null;
	char	   *web[9];			/* channel .. referrer_page, NULL when NULL */
} TpSessionData;

#define TP_WEB_CHANNEL 0
#define TP_WEB_SUBCHANNEL 1
#define TP_WEB_SOURCE 2
#define TP_WEB_MEDIUM 3
#define TP_WEB_CAMPAIGN 4
#define TP_WEB_AD_CONTENT 5
#define TP_WEB_KEYWORD 6
#define TP_WEB_LANDING_PAGE 7
#define TP_WEB_REFERRER_PAGE 8

/* One task as read from the input. */
typedef struct TpTaskRow
{
	char	   *task_id;
	char	   *bizible_key;	/* normalised, NULL when missing */
	TimestampTz occurred_at;
	bool		occurred_null;
	bool		is_deleted;
	bool		deleted_null;
	char	   *type;			/* raw, NULL when NULL */
	char	   *person_id;
	char	   *phone;
	char	   *subject;
} TpTaskRow;

/* A group of sessions of one BizibleId, as loaded by the driver. */
typedef struct TpLoadedGroup
{
	char	   *key;
	TpGroup		group;
	TpSession  *sessions;
	TpSessionData *data;		/* parallel to sessions; NULL for explain */
} TpLoadedGroup;

struct TpRun;
typedef void (*TpEmitFn) (struct TpRun *run, const TpTaskRow *task,
						  TpTaskStatus status, const TpLoadedGroup *group,
						  int session_index);

/* Everything one call of merge_calls / explain_calls / explain_call needs. */
typedef struct TpRun
{
	TpInput		sessions;
	TpInput		tasks;
	int64		window;			/* microseconds */
	TpWindowAnchor anchor;
	TpStrategy	strategy;
	bool		with_web_data;	/* merge_calls reads the web columns */
	bool		skip_unmatchable;	/* merge_calls: deleted / missing id rows filtered */
	bool		text_strings;	/* every task and session string is a text string */
	const char *single_task_id; /* explain_call: the one task, else NULL */
	char	   *key_function;	/* qualified name of bizible_key() */
	TpEmitFn	emit;
	void	   *emit_state;
} TpRun;

extern const char *const tp_web_columns[9];
extern const TpColumn tp_session_columns[];
extern const int tp_session_ncolumns;
extern const TpColumn tp_task_columns[];
extern const int tp_task_ncolumns;

extern void TpRunMerge(TpRun *run);

/* Shared by the drivers (tp_run.c). */
extern void TpBuildTaskQuery(StringInfo q, TpRun *run, bool ordered);
extern void TpReadTask(TpTaskRow *t, HeapTuple tup, TupleDesc desc);
extern void TpNullColumnError(TpInput *in, const char *column, const char *row_kind,
							  const char *row_id);

/*
 * A "text string": a NUL-terminated copy of a text value with a 4-byte
 * varlena header just before it, so that it is both a C string and (at
 * str - VARHDRSZ) a text Datum.  The one-pass strategy keeps every string
 * this way (run->text_strings) and merge_calls' output hands them to the
 * tuplestore without another copy.  `at` must be int-aligned.
 */
#define TP_TEXT_STRING_SIZE(len) INTALIGN(VARHDRSZ + (Size) (len) + 1)
#define TpTextStringDatum(str) PointerGetDatum((str) - VARHDRSZ)

static inline char *
tp_text_string_init(char *at, const char *bytes, Size len)
{
	SET_VARSIZE(at, VARHDRSZ + len);
	memcpy(at + VARHDRSZ, bytes, len);
	at[VARHDRSZ + len] = '\0';
	return at + VARHDRSZ;
}

/* One call in memory for the one-pass strategy, its key hashed (tp_calls.c). */
typedef struct TpScanCall
{
	TpTaskRow	task;
	int			keylen;
	uint32		hash;			/* of the key: grouped and probed without touching it */
} TpScanCall;

extern TpScanCall *TpReadCalls(TpRun *run, MemoryContext row_ctx, int *ncalls);
extern text *TpPlainText(Datum d, MemoryContext row_ctx, bool *used);
extern int	TpNormaliseKey(text *raw, char **buf, int *buflen, MemoryContext ctx);

/* merge_calls' one-pass and probe strategies (tp_scan.c). */
extern void TpRunMergeScan(TpRun *run);

#endif							/* TOUCHPOINT_H */
