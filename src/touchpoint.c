/*
 * touchpoint.c
 *		Module magic and settings: touchpoint.session_window and
 *		touchpoint.window_anchor (docs/spec.md §3.2), and how a call's window is chosen.
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "tp_compat.h"
#include "touchpoint.h"

PG_MODULE_MAGIC;

/*
 * touchpoint.session_window is a string GUC holding an interval ('30min',
 * '1h', '45 minutes', '00:30:00'); its check hook parses it once and keeps
 * the length in microseconds for the engine.  A bare number is refused: as
 * an interval it would mean seconds, and '30' was surely meant as minutes.
 * SHOW prints the length with its units, whatever spelling set it (see
 * show_session_window).
 */
char	   *tp_session_window_string = NULL;
static int64 tp_session_window_usecs = 30 * USECS_PER_MINUTE;

/* TpWindowAnchor. */
int			tp_window_anchor = TP_ANCHOR_SESSION_START;

/* TpStrategy. */
int			tp_merge_strategy = TP_STRATEGY_AUTO;

static const struct config_enum_entry merge_strategy_options[] = {
	{"auto", TP_STRATEGY_AUTO, false},
	{"sorted", TP_STRATEGY_SORTED, false},
	{"scan", TP_STRATEGY_SCAN, false},
	{"probe", TP_STRATEGY_PROBE, false},
	{"scan_executor", TP_STRATEGY_SCAN_SPI, false},
	{NULL, 0, false}
};

static const struct config_enum_entry window_anchor_options[] = {
	{"session_start", TP_ANCHOR_SESSION_START, false},
	{"last_activity", TP_ANCHOR_LAST_ACTIVITY, false},
	{NULL, 0, false}
};

/*
 * A value set before the library was loaded (SET in a session that had not
 * called touchpoint yet, ALTER ROLE, postgresql.conf) can only be checked
 * when the library loads, and PostgreSQL then merely warns and keeps the
 * default.  We remember such a bad value and refuse to run with it, so a
 * typo never silently becomes "30 minutes".
 */
static char *pending_bad_window = NULL;
static char *pending_bad_anchor = NULL;

PGDLLEXPORT void _PG_init(void);

/* What can be wrong with an interval as a window. */
typedef enum WindowProblem
{
	WINDOW_OK,
	WINDOW_HAS_MONTHS,
	WINDOW_OUT_OF_RANGE,
	WINDOW_NOT_POSITIVE
} WindowProblem;

/*
 * The one rule for a window, from the setting or the argument: a fixed
 * duration, so days count 24 hours (a window never stretches or shrinks
 * across a daylight-saving change) and a month part is refused (months have
 * no fixed length); it must be greater than zero.
 */
static WindowProblem
window_usecs(const Interval *span, int64 *usecs)
{
	if (span->month != 0)
		return WINDOW_HAS_MONTHS;
	if (pg_mul_s64_overflow((int64) span->day, USECS_PER_DAY, usecs) ||
		pg_add_s64_overflow(*usecs, span->time, usecs))
		return WINDOW_OUT_OF_RANGE;
	if (*usecs <= 0)
		return WINDOW_NOT_POSITIVE;
	return WINDOW_OK;
}

/*
 * Is str a positive number without a unit ("30", " 1.5 ", "+.5")?  That is
 * the ambiguous spelling refused with its own hint; a bare 0 or negative
 * number is refused later as not positive.
 */
static bool
ambiguous_number(const char *str)
{
	const char *p = str;
	bool		digits = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	while (*p == ' ' || *p == '\t')
		p++;
	return digits && *p == '\0' && strtod(str, NULL) > 0;
}

/*
 * Parse the setting's text without throwing (a GUC check hook must not).
 * Returns NULL when fine, else what is wrong, as a detail sentence.
 */
static const char *
parse_window(const char *str, int64 *usecs)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			dterr;
	struct pg_itm_in itm_in;
	Interval	span;

	if (str == NULL || strlen(str) >= sizeof(workbuf) - 1)
		return "It is not an interval.";
	if (ambiguous_number(str))
		return "A number without a unit is ambiguous (as an interval it would mean seconds).";
	memset(&itm_in, 0, sizeof(itm_in));
	dterr = ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
						  MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm_in);
	if (dterr == DTERR_BAD_FORMAT)
	{
		strlcpy(workbuf, str, sizeof(workbuf));
		dterr = DecodeISO8601Interval(workbuf, &dtype, &itm_in);
	}
	if (dterr != 0 || dtype != DTK_DELTA)
		return "It is not an interval.";
	if (itmin2interval(&itm_in, &span) != 0)
		return "It is out of range.";
	switch (window_usecs(&span, usecs))
	{
		case WINDOW_OK:
			return NULL;
		case WINDOW_HAS_MONTHS:
			return "A window must not have a month or year part: months have no fixed length.";
		case WINDOW_OUT_OF_RANGE:
			return "It is out of range.";
		case WINDOW_NOT_POSITIVE:
			return "A window must be greater than zero.";
	}
	return NULL;
}

static bool
check_session_window(char **newval, void **extra, GucSource source)
{
	int64		usecs = 0;
	const char *problem = parse_window(*newval, &usecs);
	int64	   *parsed;

	if (problem != NULL)
	{
		GUC_check_errdetail("%s", problem);
		if (*newval != NULL && ambiguous_number(*newval))
		{
			char	   *number = pstrdup(*newval);

			/* the number as typed, without surrounding blanks */
			while (*number == ' ' || *number == '\t')
				number++;
			number[strcspn(number, " \t")] = '\0';
			GUC_check_errhint("Write the unit: SET touchpoint.session_window = '%smin' (or '%ss' for seconds).",
							  number, number);
		}
		else
			GUC_check_errhint("Use a positive interval such as '30min', '45 minutes' or '1h'.");
		return false;
	}
	parsed = (int64 *) malloc(sizeof(int64));
	if (parsed == NULL)
		return false;
	*parsed = usecs;
	*extra = parsed;
	return true;
}

static void
assign_session_window(const char *newval, void *extra)
{
	tp_session_window_usecs = *(int64 *) extra;
	pending_bad_window = NULL;
}

/*
 * SHOW touchpoint.session_window: the length with its units, in the
 * compact form the setting's examples use ("30min", "1h 30min",
 * "2 days 12h", "35min 0.000001s"), whatever spelling set it ('PT45M',
 * '00:45:00', '45 minutes' all show as "45min").  Chosen over "00:30:00"
 * so that the unit is written out; every form it prints is accepted back.
 */
static const char *
show_session_window(void)
{
	static char buf[128];
	int64		u = tp_session_window_usecs;
	int64		days = u / USECS_PER_DAY;
	int64		hours = (u / USECS_PER_HOUR) % 24;
	int64		mins = (u / USECS_PER_MINUTE) % 60;
	int64		secs = (u / USECS_PER_SEC) % 60;
	int64		micro = u % USECS_PER_SEC;
	int			len = 0;

	buf[0] = '\0';
	if (days > 0)
		len += snprintf(buf + len, sizeof(buf) - len, INT64_FORMAT " day%s",
						days, days == 1 ? "" : "s");
	if (hours > 0)
		len += snprintf(buf + len, sizeof(buf) - len, "%s" INT64_FORMAT "h",
						len > 0 ? " " : "", hours);
	if (mins > 0)
		len += snprintf(buf + len, sizeof(buf) - len, "%s" INT64_FORMAT "min",
						len > 0 ? " " : "", mins);
	if (secs > 0 || micro > 0)
	{
		len += snprintf(buf + len, sizeof(buf) - len, "%s" INT64_FORMAT,
						len > 0 ? " " : "", secs);
		if (micro > 0)
		{
			len += snprintf(buf + len, sizeof(buf) - len, ".%06d", (int) micro);
			while (buf[len - 1] == '0')
				buf[--len] = '\0';
		}
		snprintf(buf + len, sizeof(buf) - len, "s");
	}
	return buf;
}

static void
assign_window_anchor(int newval, void *extra)
{
	pending_bad_anchor = NULL;
}

/* A copy, in long-lived memory, of a placeholder's value, or NULL. */
static char *
placeholder_value(const char *name)
{
	const char *value = GetConfigOption(name, true, false);

	return value ? MemoryContextStrdup(TopMemoryContext, value) : NULL;
}

/* Define the settings when the library loads. */
void
_PG_init(void)
{
	char	   *window_before = placeholder_value("touchpoint.session_window");
	char	   *anchor_before = placeholder_value("touchpoint.window_anchor");
	int64		ignored;

	DefineCustomStringVariable("touchpoint.session_window",
							   "Length of the window after a session's anchor in which a call is merged with it.",
							   "An interval greater than zero, e.g. '30min', '45 minutes' or '1h'.",
							   &tp_session_window_string,
							   "30min",
							   PGC_USERSET,
							   0,
							   check_session_window, assign_session_window,
							   show_session_window);

	DefineCustomEnumVariable("touchpoint.window_anchor",
							 "Where a session's window starts: session_start or last_activity.",
							 "last_activity anchors on last_activity_at, falling back to started_at when it is NULL.",
							 &tp_window_anchor,
							 TP_ANCHOR_SESSION_START,
							 window_anchor_options,
							 PGC_USERSET,
							 0,
							 NULL, assign_window_anchor, NULL);

	DefineCustomEnumVariable("touchpoint.merge_strategy",
							 "How merge_calls reads the sessions: auto, sorted, scan, probe or scan_executor.",
							 "auto reads every session once, or only the sessions of the calls' BizibleIds when they are few; the others force one way (for tests and benchmarks).",
							 &tp_merge_strategy,
							 TP_STRATEGY_AUTO,
							 merge_strategy_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("touchpoint.quick_refresh",
							 "Answer an incremental refresh() that has nothing to do without running its whole procedure.",
							 "off runs the procedure every time (the answer is the same; for tests and diagnosis).",
							 &tp_quick_refresh,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("touchpoint");

	/* Remember values set before loading that PostgreSQL could only warn about. */
	if (window_before != NULL && parse_window(window_before, &ignored) != NULL)
		pending_bad_window = window_before;
	if (anchor_before != NULL &&
		pg_strcasecmp(anchor_before, "session_start") != 0 &&
		pg_strcasecmp(anchor_before, "last_activity") != 0)
		pending_bad_anchor = anchor_before;
}

/* Refuse to run with a bad value that was set before the library loaded. */
void
TpCheckSettings(void)
{
	if (pending_bad_window != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"touchpoint.session_window\": \"%s\"",
						pending_bad_window),
				 errdetail("The value was set before touchpoint was loaded, so it could not be checked then."),
				 errhint("Set a positive interval such as '30min', or RESET touchpoint.session_window.")));
	if (pending_bad_anchor != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"touchpoint.window_anchor\": \"%s\"",
						pending_bad_anchor),
				 errdetail("The value was set before touchpoint was loaded, so it could not be checked then."),
				 errhint("Available values: session_start, last_activity.")));
}

/* Resolve the window for one call, in microseconds; NULL means the setting. */
int64
TpResolveWindow(Interval *window_arg)
{
	int64		usecs = 0;

	if (window_arg == NULL)
		return tp_session_window_usecs;

	switch (window_usecs(window_arg, &usecs))
	{
		case WINDOW_OK:
			break;
		case WINDOW_HAS_MONTHS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("session window must not have a month or year part"),
					 errdetail("Months have no fixed length, so a window of \"%d month(s)\" is ambiguous.",
							   window_arg->month),
					 errhint("Write the window in days, hours or minutes, e.g. interval '30 days'.")));
			break;
		case WINDOW_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("session window is out of range")));
			break;
		case WINDOW_NOT_POSITIVE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("session window must be greater than zero"),
					 errhint("Pass a positive interval such as interval '30 minutes', or NULL to use touchpoint.session_window.")));
			break;
	}
	return usecs;
}
