# touchpoint — PGXS build.  `make && make install`, then see README.md for tests.
EXTENSION = touchpoint

MODULE_big = touchpoint
OBJS = \
	src/touchpoint.o \
	src/tp_input.o \
	src/tp_match.o \
	src/tp_run.o \
	src/tp_calls.o \
	src/tp_index.o \
	src/tp_scan.o \
	src/tp_srf.o \
	src/tp_rules.o \
	src/tp_channel.o

# Install scripts only; the pg_regress inputs beside them are never installed.
DATA = $(wildcard sql/touchpoint--*.sql)

# pg_regress: sql/<name>.sql against expected/<name>.out, in this order.
REGRESS = init merge_rules explain settings errors inputs hostile security hijack privileges journey channel_rules attribution differential journey_differential attribution_invariants cron
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
