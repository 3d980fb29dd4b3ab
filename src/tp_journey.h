/*
 * tp_journey.h
 *		Stage 2 of the pipeline (docs/pipeline.md): placed conversion events in,
 *		touchpoints with journeys and positions out (docs/spec.md §5).
 *
 * tp_journey.c uses palloc and qsort only: no fmgr, no SPI, no table.  The
 * caller (tp_pipeline.c) fills the events from the engine's pass and gives
 * each BizibleId's earliest session; every string is a "text string"
 * (touchpoint.h), so the rows go out without another copy.
 */
#ifndef TP_JOURNEY_H
#define TP_JOURNEY_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Kinds of conversion event, in the order the spec breaks ties at one instant. */
typedef enum TpEventKind
{
	TP_KIND_VISIT = 0,			/* a first-touch visit (made here, never an input) */
	TP_KIND_FORM = 1,
	TP_KIND_CHAT = 2,
	TP_KIND_CALL = 3
} TpEventKind;

/* A session as the pipeline keeps it: its id, start and nine web columns. */
typedef struct TpJourneySession
{
	const char *session_id;
	TimestampTz started_at;
	char	   *const *web;		/* TP_WEB_* order, NULL entries for NULL */
} TpJourneySession;

/* A BizibleId's earliest session. */
typedef struct TpKeyFirst
{
	const char *key;
	TpJourneySession session;
} TpKeyFirst;

/* One conversion event: filled by the caller, then completed by stage 2. */
typedef struct TpEvent
{
	/* in */
	TpEventKind kind;
	const char *touchpoint_id;	/* kind:source_id */
	const char *source_id;
	const char *key;			/* normalised BizibleId, NULL when missing */
	const char *own_person;		/* trimmed, NULL when blank */
	const char *call_type;		/* calls: the trimmed task type, NULL when blank */
	const char *form_url;
	TimestampTz at;
	TpJourneySession session;	/* session_id NULL: not placed in a session */
	/* work: hashes that group the sorts (a group need not be in string order) */
	uint32		id_hash;
	uint32		key_hash;
	uint32		session_hash;
	uint32		journey_hash;
	int			key_first;		/* index into firsts of the key's earliest session, or -1 */
	/* out */
	const char *journey_id;
	const char *person_id;		/* NULL for anon: journeys */
	int			session_rank;	/* 1 = the session's first event; 0 without session */
	int			session_conversions;	/* events of its session (1 without) */
	bool		is_touchpoint;	/* a conversion touchpoint */
	bool		is_first_touch;
	bool		is_lead_creation;
} TpEvent;

/* A first-touch visit made by stage 2. */
typedef struct TpVisit
{
	const char *touchpoint_id;	/* visit:journey:session */
	const char *journey_id;
	const char *person_id;
	const TpKeyFirst *first;	/* the key and the session */
} TpVisit;

/* What stage 2 produced: the events completed, and the visits. */
typedef struct TpJourneys
{
	TpEvent    *events;
	int			nevents;
	TpKeyFirst *firsts;
	int			nfirsts;
	TpVisit    *visits;
	int			nvisits;
} TpJourneys;

/* A text string (touchpoint.h) of len bytes, in the current context. */
extern char *tp_journey_string(const char *bytes, Size len);

/*
 * Stage 1's stitching and stage 2: journeys, session ranks and counts,
 * first-touch visits and positions (docs/spec.md §5).
 */
extern void tp_build_journeys(TpJourneys *j);

#endif							/* TP_JOURNEY_H */
