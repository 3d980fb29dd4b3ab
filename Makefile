# touchpoint — PGXS build.  `make && make install`, then see README.md for tests.
EXTENSION = touchpoint

MODULE_big = touchpoint
OBJS = \
	src/touchpoint.o \
	src/tp_input.o \
	src/tp_input_read.o \
	src/tp_match.o \
	src/tp_run.o \
	src/tp_calls.o \
	src/tp_index.o \
	src/tp_scan.o \
	src/tp_scan_pipeline.o \
	src/tp_srf.o \
	src/tp_rules.o \
	src/tp_channel.o \
	src/tp_journey.o \
	src/tp_pipeline.o \
	src/tp_publish.o \
	src/tp_capture.o \
	src/tp_credit.o \
	src/tp_credit_window.o \
	src/tp_credit_values.o \
	src/tp_credit_read.o \
	src/tp_credit_changes.o \
	src/tp_keyed.o \
	src/tp_refresh.o

# The install script of the current version is built from one source, the
# files of sql/src/ in name order, one per stage of the pipeline; older versions are reached through the upgrade scripts
# from the frozen 1.0 script (CREATE EXTENSION ... VERSION '1.1' runs 1.0 and
# then 1.0--1.1).  The pg_regress inputs beside them are never installed.
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
# An upgrade script still being written is built the same way, from the
# files of sql/update/FROM--TO/ in name order.
UPDATE_BUILT = $(patsubst sql/update/%,sql/$(EXTENSION)--%.sql,$(wildcard sql/update/*--*))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql $(UPDATE_BUILT)
DATA = sql/$(EXTENSION)--1.0.sql $(filter-out $(UPDATE_BUILT),$(wildcard sql/$(EXTENSION)--*--*.sql))

# pg_regress: sql/<name>.sql against expected/<name>.out, in this order.
REGRESS = init merge_rules explain settings errors inputs hostile security hijack privileges sources journey channel_rules attribution credits differential journey_differential pipeline keyed incremental rls_refresh quick_refresh attribution_invariants cron
REGRESS_OPTS = --dbname=contrib_regression

# Isolation specs: test/specs/<name>.spec against test/expected/<name>.out.
ISOLATION = refresh probe_index merge_snapshot
ISOLATION_OPTS = --inputdir=test --dbname=isolation_regression

PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifdef TP_WERROR
PG_CFLAGS += -Werror
endif

EXTRA_CLEAN = results regression.diffs regression.out log output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

SQL_SOURCE = $(sort $(wildcard sql/src/*.sql))
sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCE) $(EXTENSION).control
	cat $(SQL_SOURCE) > $@

.SECONDEXPANSION:
$(UPDATE_BUILT): sql/$(EXTENSION)--%.sql: $$(sort $$(wildcard sql/update/%/*.sql))
	cat $^ > $@

# Full scripts of older versions are no longer shipped (they are reached
# through the upgrade chain); remove any a previous install left behind, so
# that what is installed is exactly this tree's scripts.
install: remove-stale-scripts
remove-stale-scripts:
	rm -f '$(DESTDIR)$(datadir)/extension/$(EXTENSION)--'*.sql
.PHONY: remove-stale-scripts

# PGXS tracks no header dependencies: a changed struct in a header must
# rebuild every object, or they disagree about its layout.
$(OBJS): $(wildcard src/*.h)
