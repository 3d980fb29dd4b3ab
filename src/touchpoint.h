/*
 * touchpoint.h
 *		Declarations shared by the server-side files of touchpoint.
 *
 * touchpoint.c   module magic and settings (GUCs, window resolution)
 * tp_input.c     the inputs' columns (tp_input.h), their checks, queries and reading
 * tp_run.c       the merge driver: BizibleId groups fed to the engine
 * tp_srf.c       the SQL-callable functions and the explanation sentences
 * tp_match.c     the engine itself, free of fmgr (see tp_match.h)
 */
#ifndef TOUCHPOINT_H
#define TOUCHPOINT_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "tp_input.h"
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
extern bool tp_quick_refresh;	/* tp_refresh.c */
extern int	tp_window_anchor;

/* Raise the error for a bad setting that could not be refused at SET time. */
extern void TpCheckSettings(void);

/* Window in microseconds from the function argument, or the setting when NULL. */
extern int64 TpResolveWindow(Interval *window_arg);

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

/*
 * The earliest session of a called BizibleId (the pipeline's first-touch
 * visits).  What it returns is in run->current_first while that id's calls
 * are emitted.
 */
typedef int (*TpFirstSessionFn) (struct TpRun *run, const char *key,
								 const TpLoadedGroup *group);

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
	/* one-pass strategy only: also report each called id's earliest session */
	TpFirstSessionFn first_session;
	int			current_first;	/* see TpFirstSessionFn; -1 when the id has none */
	/* when set, the one-pass strategy's memory (the strings it emits) lives here */
	MemoryContext keep_ctx;
	/*
	 * The pipeline: sessions wanted by id (form fills and chats that name
	 * their session), found in the same pass whatever their BizibleId.  Each
	 * task's phone names one (the pipeline's events carry it there), and so
	 * does each of named_extra[0 .. n_named_extra - 1].  Filled by the scan.
	 */
	bool		phone_names_session;
	const char *const *named_extra;
	int			n_named_extra;
	struct TpNamedSet *named;
} TpRun;

/* After the scan: the session a pipeline event named, or false (no such session). */
extern bool TpNamedSession(const TpRun *run, const char *session_id, TpSession *session,
						   TpSessionData **data);

/* The sessions run->named_extra names, by id, without a pass (tp_scan_pipeline.c). */
extern void TpFindNamedSessions(TpRun *run);

extern void TpRunMerge(TpRun *run);

/* ---- the input queries, shared by every strategy (tp_input.c) ---- */

/* Which sessions a sessions query returns. */
typedef enum TpSessionsQuery
{
	TP_SQ_ALL,					/* every session, in no order */
	TP_SQ_SORTED,				/* every session with an id, by key, start, id */
	TP_SQ_ONE_ID,				/* the sessions of the key $1 */
	TP_SQ_CALL_RANGES,			/* those that may cover calls: keys $1, ranges $2-$3 */
	TP_SQ_BY_IDS				/* the sessions whose session_id is in $1 (text[]) */
} TpSessionsQuery;

/*
 * The sessions query: the description's columns in order (the web columns
 * only with run->with_web_data), then for TP_SQ_SORTED and TP_SQ_ONE_ID
 * the normalised key, at SPI column TpSessionsKeyColumn(run).
 */
extern void TpBuildSessionsQuery(StringInfo q, const TpRun *run, TpSessionsQuery which);
extern int	TpSessionsKeyColumn(const TpRun *run);

/*
 * The tasks query: the description's columns in order, then the normalised
 * key; all tasks (sorted by key when ordered), only those that can make a
 * touchpoint (run->skip_unmatchable), or the one task $1 (explain_call).
 */
extern void TpBuildTaskQuery(StringInfo q, const TpRun *run, bool ordered);

/* Read one row of the tasks query (strings in the current context). */
extern void TpReadTask(TpTaskRow *t, HeapTuple tup, TupleDesc desc);
extern Relation TpOpenOwnTable(Oid relid, const char *function);
extern bool TpRowsElsewhere(Oid relid);

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

/* ---- channel rules (tp_channel.c) ---- */

/* Columns of a rule row in the rules array, in this order. */
#define TP_RULE_CHANNEL 0
#define TP_RULE_SUBCHANNEL 1
#define TP_RULE_FIRST_CONDITION 2	/* medium, source, campaign, landing_page, referrer */
#define TP_RULE_WIDTH 7

extern void TpRulesParse(ArrayType *rules, int *nrules, char ***cells, int **lens);

/* ---- the pipeline's stages 1 and 2 (tp_pipeline.c, tp_journey.c) ---- */

#endif							/* TOUCHPOINT_H */
