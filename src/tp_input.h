/*
 * tp_input.h
 *		The input relations of merge_calls / explain_calls / explain_call
 *		(docs/spec.md §2): the one description of their columns, the checks of a
 *		user-named relation, and the helpers that read its rows.
 *
 * Every strategy (tp_run.c, tp_scan.c, tp_calls.c) reads the inputs through
 * what is declared here, so a column's name, type and role are written down
 * once: in tp_session_input and tp_task_input (tp_input.c).
 */
#ifndef TP_INPUT_H
#define TP_INPUT_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"

/* What kind of value a column must hold. */
typedef enum TpColumnKind
{
	TP_COL_ID,					/* text-like, integer, numeric or uuid; read as text */
	TP_COL_TEXT,				/* text-like (text, varchar, char, name, citext...) */
	TP_COL_BIZIBLE_ID,			/* text-like or uuid */
	TP_COL_TIMESTAMPTZ,			/* timestamptz (or a domain over it) */
	TP_COL_BOOL,				/* boolean */
	TP_COL_NUMERIC				/* numeric or an integer type */
} TpColumnKind;

/* One column of an input, as docs/spec.md §2 describes it. */
typedef struct TpColumn
{
	const char *name;
	TpColumnKind kind;
	bool		required;		/* a NULL is an error (docs/spec.md: NOT NULL) */
	const char *fill;			/* what a view may put when the CRM has no such
								 * data (e.g. "NULL::text"), NULL when the
								 * column must come from a real column */
	const char *role;			/* what touchpoint does with it, for messages */
} TpColumn;

/*
 * The columns of each input, by position in its description.  Queries
 * select them in this order (SPI column = position + 1); a heap read finds
 * them at TpInput.attnums[position].
 */
enum
{
	TP_S_SESSION_ID,
	TP_S_BIZIBLE_ID,
	TP_S_STARTED_AT,
	TP_S_LAST_ACTIVITY_AT,
	TP_S_WEB,					/* the nine web columns, in TP_WEB_* order */
	TP_S_COUNT = TP_S_WEB + 9
};

/* A session's web columns: index into TpSessionData.web, TP_S_WEB + i. */
#define TP_WEB_CHANNEL 0
#define TP_WEB_SUBCHANNEL 1
#define TP_WEB_SOURCE 2
#define TP_WEB_MEDIUM 3
#define TP_WEB_CAMPAIGN 4
#define TP_WEB_AD_CONTENT 5
#define TP_WEB_KEYWORD 6
#define TP_WEB_LANDING_PAGE 7
#define TP_WEB_REFERRER_PAGE 8

enum
{
	TP_T_TASK_ID,
	TP_T_BIZIBLE_ID,
	TP_T_TYPE,
	TP_T_SUBJECT,
	TP_T_PHONE,
	TP_T_PERSON_ID,
	TP_T_OCCURRED_AT,
	TP_T_IS_DELETED,
	TP_T_COUNT
};

/* An input: the argument's name and its columns. */
typedef struct TpInputDesc
{
	const char *argname;		/* "sessions" or "tasks" */
	const TpColumn *columns;
	int			ncolumns;
} TpInputDesc;

extern const TpInputDesc tp_session_input;
extern const TpInputDesc tp_task_input;

/*
 * The inputs of the later stages (docs/spec.md §5, §6), described the same
 * way so that a relation registered with touchpoint.use_source (§7) is
 * checked, and refused, like the sessions and tasks are.
 */
extern const TpInputDesc tp_form_submit_input;
extern const TpInputDesc tp_chat_input;
extern const TpInputDesc tp_people_input;
extern const TpInputDesc tp_opportunity_input;

/* The description of a source kind ("sessions", ... "opportunities"), or NULL. */
extern const TpInputDesc *TpInputByKind(const char *kind);

#define TP_MAX_INPUT_COLUMNS TP_S_COUNT

/* A checked input relation: its qualified name and each column's reading. */
typedef struct TpInput
{
	const TpInputDesc *desc;
	Oid			relid;
	char		relkind;
	char	   *qualified_name; /* quoted, schema-qualified */
	char	   *display_name;	/* for messages */
	AttrNumber	attnums[TP_MAX_INPUT_COLUMNS];	/* by position in desc */
	bool		needs_text_cast[TP_MAX_INPUT_COLUMNS];	/* append ::text in queries */
	bool		needs_base_cast[TP_MAX_INPUT_COLUMNS];	/* a domain: cast to its base */
} TpInput;

/* NULL argument, existence, lock, kind of relation. */
extern void TpOpenInput(TpInput *input, const TpInputDesc *desc, Datum reloid, bool isnull);

/*
 * Sessions given as tasks and tasks as sessions?  Raises the error, with the
 * call in the right order (call_prefix + sessions, tasks + call_suffix).
 */
extern void TpCheckSwapped(const TpInput *sessions, const TpInput *tasks,
						   const char *function, const char *call_prefix,
						   const char *call_suffix);

/* Every column present with a usable type, SELECT allowed, matview populated. */
extern void TpCheckColumns(TpInput *input);

/* Append column col (a position of the description), quoted and cast. */
extern void TpAppendColumn(StringInfo buf, const TpInput *input, int col);

/* Can the input be read straight from the heap (TpInput.attnums)? */
extern bool TpHeapReadable(const TpInput *input);

/* Raise the error for a NULL where a value is required. */
extern void TpNullColumnError(const TpInput *in, const char *column, const char *row_kind,
							  const char *row_id);

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

/* A text column (SPI column number) as a palloc'd C string, or NULL. */
extern char *TpGetText(HeapTuple tup, TupleDesc desc, int spi_col);

/* A text Datum as bytes, expanded in row_ctx only when stored compressed. */
extern text *TpPlainText(Datum d, MemoryContext row_ctx, bool *used);

/* Normalise a BizibleId into *buf (grown in ctx); its length, 0 = missing. */
extern int	TpNormaliseKey(text *raw, char **buf, int *buflen, MemoryContext ctx);

#endif							/* TP_INPUT_H */
