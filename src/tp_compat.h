/*
 * tp_compat.h
 *		Every PostgreSQL-version difference touchpoint cares about, in one place.
 *
 * touchpoint is built and tested on PostgreSQL 15; other majors get their
 * shims here and nowhere else.
 */
#ifndef TP_COMPAT_H
#define TP_COMPAT_H

#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* InitMaterializedSRF arrived in 15.1; 15.0 called it SetSingleFuncCall. */
#if PG_VERSION_NUM >= 150001
#define TpInitMaterializedSRF(fcinfo) InitMaterializedSRF((fcinfo), 0)
#elif PG_VERSION_NUM >= 150000
#define TpInitMaterializedSRF(fcinfo) SetSingleFuncCall((fcinfo), 0)
#else
#error "touchpoint needs PostgreSQL 15 or later; add the manual materialize setup here for older majors"
#endif

/* MarkGUCPrefixReserved is new in 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
/* a sort that honours cancel requests (PostgreSQL 15+); before, a plain one */
#define qsort_interruptible(base, nel, elsize, cmp, arg) \
	qsort_arg((base), (nel), (elsize), (cmp), (arg))
#endif

/* Before 16, functions called from outside the library need PGDLLEXPORT. */
#if PG_VERSION_NUM < 160000
#define TP_FUNCTION_INFO(name) \
	PGDLLEXPORT Datum name(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(name)
#else
#define TP_FUNCTION_INFO(name) PG_FUNCTION_INFO_V1(name)
#endif

/* A hint to fetch memory into the cache (a no-op where the compiler has none). */
#if defined(__GNUC__) || defined(__clang__)
#define tp_prefetch(addr) __builtin_prefetch(addr)
#else
#define tp_prefetch(addr) ((void) 0)
#endif

#endif							/* TP_COMPAT_H */
