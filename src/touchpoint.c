/*
 * touchpoint.c
 *		Module magic and settings: touchpoint.session_window and
 *		touchpoint.window_anchor (SPEC §3.2), and how a call's window is chosen.
 */
#include "postgres.h"

#include <limits.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "tp_compat.h"
#include "touchpoint.h"

PG_MODULE_MAGIC;

/* The session window in seconds (GUC_UNIT_S, so '30min' and '1h' work). */
int			tp_session_window_seconds = 30 * 60;

/* TpWindowAnchor. */
int			tp_window_anchor = TP_ANCHOR_SESSION_START;

static const struct config_enum_entry window_anchor_options[] = {
	{"session_start", TP_ANCHOR_SESSION_START, false},
	{"last_activity", TP_ANCHOR_LAST_ACTIVITY, false},
	{NULL, 0, false}
};

PGDLLEXPORT void _PG_init(void);

/* Define the settings when the library loads. */
void
_PG_init(void)
{
	DefineCustomIntVariable("touchpoint.session_window",
							"Length of the window after a session's anchor in which a call is merged with it.",
							"A duration with units, greater than zero, e.g. '30min' or '1h'.",
							&tp_session_window_seconds,
							30 * 60,
							1,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("touchpoint.window_anchor",
							 "Where a session's window starts: session_start or last_activity.",
							 "last_activity anchors on last_activity_at, falling back to started_at when it is NULL.",
							 &tp_window_anchor,
							 TP_ANCHOR_SESSION_START,
							 window_anchor_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("touchpoint");
}

/*
 * Resolve the window for one call, in microseconds.  NULL means the setting.
 * A window is a fixed duration: days count as 24 hours (so a window never
 * stretches or shrinks across a daylight-saving change) and a month part is
 * refused, since months have no fixed length.
 */
int64
TpResolveWindow(Interval *window_arg)
{
	int64		usecs;

	if (window_arg == NULL)
		return (int64) tp_session_window_seconds * USECS_PER_SEC;

	if (window_arg->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session window must not have a month or year part"),
				 errdetail("Months have no fixed length, so a window of \"%d month(s)\" is ambiguous.",
						   window_arg->month),
				 errhint("Write the window in days, hours or minutes, e.g. interval '30 days'.")));

	if (pg_mul_s64_overflow((int64) window_arg->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, window_arg->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session window is out of range")));

	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session window must be greater than zero"),
				 errhint("Pass a positive interval such as interval '30 minutes', or NULL to use touchpoint.session_window.")));
	return usecs;
}
