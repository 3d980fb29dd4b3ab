#!/bin/bash
# The pg_regress suite against a server that runs under valgrind (memcheck).
#
#   bash test/valgrind.sh                         # REGRESS and ISOLATION of the Makefile (~75 min)
#   TP_VALGRIND_TESTS=quick bash test/valgrind.sh # the CI subset (~2-4 min)
#   TP_VALGRIND_TESTS="init merge_rules" TP_VALGRIND_ISOLATION=refresh bash test/valgrind.sh
#
# It uses the touchpoint that is installed (it never builds or installs: run
# `make install` first; a -O0 -g build gives better stacks).  It starts a
# throwaway cluster (initdb as postgres, private socket directory, no TCP, its
# own port) whose postmaster -- and so every backend, background worker and
# auxiliary process it forks -- runs under memcheck, runs pg_regress (and the
# chosen isolation specs) against it with its own output directory, stops it,
# and reads every process's valgrind log.  Suppressions: test/valgrind.supp
# (PostgreSQL's and glibc's own benign reports only; nothing whose stack goes
# through touchpoint.so may be suppressed there).
#
# Settings (environment):
#   TP_VALGRIND_TESTS      pg_regress tests, in order; "all" (the default) is REGRESS of the
#                          Makefile; "quick" is REGRESS without explain, hijack,
#                          differential, journey_differential, attribution_invariants and
#                          cron (for CI).  Every test but cron needs `init` first (it
#                          creates the extension); explain also reads merge_rules' rows.
#   TP_VALGRIND_ISOLATION  isolation specs of test/specs/, or "all" (ISOLATION of the
#                          Makefile) or "none".  Default: all with TP_VALGRIND_TESTS=all,
#                          probe_index with quick, none with an explicit list.
#   TP_VALGRIND_PORT       port of the throwaway cluster (default 54360)
#   TP_VALGRIND_DIR        work directory (default: a new /tmp/touchpoint-valgrind.XXXXXX)
#   TP_VALGRIND_OPTS       extra valgrind options (e.g. --leak-check=full, --error-exitcode=0)
#   TP_VALGRIND_SUPP       suppression file (default test/valgrind.supp; "none" to see every
#                          report, e.g. to check that no suppressed one involves touchpoint.so)
#
# The last line is "<N> tests under valgrind, <E> valgrind errors"; the exit
# status is non-zero when a test failed, a valgrind error was reported, a
# server process crashed, a process's log was left incomplete, or
# touchpoint.so was reinstalled during the run.  The cluster's directory is kept for
# inspection: data/, server.log, valgrind/valgrind.<pid>.log, regress/, isolation/.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(pg_config --bindir)
PKGLIB=$(pg_config --pkglibdir)

if [ "$(id -u)" = 0 ]; then
    bash test/scripts/deps.sh >/dev/null || exit 1
    if ! command -v valgrind >/dev/null; then
        echo "valgrind: installing valgrind"
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q -y \
            install --no-install-recommends valgrind >/dev/null || exit 1
    fi
fi
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
if [ ! -f "$PKGLIB/touchpoint.so" ]; then
    echo "touchpoint is not installed ($PKGLIB/touchpoint.so): run make && make install first" >&2
    exit 1
fi
for f in src/*.c src/*.h; do
    if [ "$f" -nt "$PKGLIB/touchpoint.so" ]; then
        echo "warning: $f is newer than the installed touchpoint.so: the test runs the installed build" >&2
        break
    fi
done

# The installed library this run tests (checked again at the end: a `make
# install` during the run would mix two builds).
so_id() { readelf -n "$PKGLIB/touchpoint.so" 2>/dev/null | sed -n 's/.*Build ID: //p'; }
SO_ID=$(so_id)
echo "touchpoint.so build id $SO_ID ($(stat -c %y "$PKGLIB/touchpoint.so" | cut -c1-19)), default_version $(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$(pg_config --sharedir)/extension/touchpoint.control")"

# make's own value of a Makefile variable
make_var() {
    make --no-print-directory -s -f Makefile -f - "print-$1" <<'MK'
print-%: ; @echo $($*)
MK
}
# The quick subset (for CI, about 4 minutes): REGRESS without the tests that
# take longest under valgrind -- the random differential ones (47, 4 and 20
# min; and keyed, whose plain-SQL reference scans 6,000 sessions per call),
# explain (40 s, mostly a 60,000-row load), hijack (30 s, search_path
# checks) and cron (waits for pg_cron's next minute) -- and the index-probe
# spec.  hostile (3 min) stays: its hostile inputs are what memcheck is for.
SLOW="explain hijack differential journey_differential keyed attribution_invariants cron"
TESTS=${TP_VALGRIND_TESTS:-all}
ISOLATION=${TP_VALGRIND_ISOLATION-default}
case "$TESTS" in
all) TESTS=$(make_var REGRESS)
     [ "$ISOLATION" = default ] && ISOLATION=all ;;
quick)
     # the incremental differential test with 40 batches, not 1,000 (same output)
     export TP_INCREMENTAL_BATCHES=${TP_INCREMENTAL_BATCHES:-40}
     TESTS=$(for t in $(make_var REGRESS); do case " $SLOW " in *" $t "*) ;; *) echo -n "$t ";; esac; done)
     [ "$ISOLATION" = default ] && ISOLATION=probe_index ;;
esac
case "$ISOLATION" in
all) ISOLATION=$(make_var ISOLATION) ;;
default|none) ISOLATION= ;;
esac
PORT=${TP_VALGRIND_PORT:-54360}
WORK=${TP_VALGRIND_DIR:-$(mktemp -d /tmp/touchpoint-valgrind.XXXXXX)}
WORK=$(realpath -m -- "$WORK")
VGLOG=$WORK/valgrind
SUPP=${TP_VALGRIND_SUPP:-$ROOT/test/valgrind.supp}

# As root, the server's commands run as postgres and from / -- the checkout
# may sit in a directory postgres cannot enter (a clone under /root or in a
# `mktemp -d`, mode 700), where pg_ctl and postgres fail with "could not
# change directory".  Everything the server reads is under $WORK (the
# suppression file is copied there).
as_postgres() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

if [ -e "$WORK/data" ]; then
    echo "$WORK/data already exists: give TP_VALGRIND_DIR a new directory" >&2
    exit 2
fi
mkdir -p "$WORK" "$VGLOG"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK" "$VGLOG"
# valgrind runs as postgres: it reads the suppressions from a copy in $WORK,
# not from the checkout
SUPP_OPT=
if [ "$SUPP" != none ]; then   # "none": audit, every report, nothing suppressed
    cp "$SUPP" "$WORK/valgrind.supp" || exit 1
    chmod 644 "$WORK/valgrind.supp"
    SUPP_OPT=--suppressions=$WORK/valgrind.supp
fi
echo "== valgrind cluster in $WORK (port $PORT)"
echo "   tests: $TESTS"
echo "   isolation: ${ISOLATION:-(none)}"
as_postgres "$BIN/initdb" -D "$WORK/data" -U postgres -A trust --no-sync \
    -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" || { cat "$WORK/initdb.log"; exit 1; }
# As test/scripts/cluster.sh (pg_cron preloaded: the cron test needs it, and its
# job runs touchpoint.refresh() in a pg_cron background worker, also under
# valgrind), plus: no JIT (valgrind and LLVM's generated code do not mix, and
# the normal suite does not depend on it), no huge pages, and every connection
# logged with its pid and application name (pg_regress/<test>), which ties each
# valgrind.<pid>.log to the test that ran in that backend.
cat >>"$WORK/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK'
fsync = off
synchronous_commit = off
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_prepared_transactions = 4
jit = off
huge_pages = off
log_connections = on
log_line_prefix = '%m [%p] %a '
CONF

# pg_ctl -p runs this instead of postgres: exec keeps the pid, so
# postmaster.pid and pg_ctl see the postmaster itself.  Children are forked,
# not exec'd, and valgrind follows them with a log file each (%p).
# --error-exitcode=128 as PostgreSQL's own valgrind buildfarm animal: a
# process with an error exits with 128, which the postmaster reports as a
# crash ("terminated by exit code 128") and answers with a restart -- loud, and
# the logs below count every error anyway.
cat >"$WORK/postgres-valgrind" <<WRAP
#!/bin/sh
exec valgrind --tool=memcheck --trace-children=yes --leak-check=no \\
    --track-origins=yes --read-var-info=no --num-callers=40 \\
    --error-exitcode=128 --gen-suppressions=all \\
    $SUPP_OPT ${TP_VALGRIND_OPTS:-} \\
    --log-file=$VGLOG/valgrind.%p.log \\
    $BIN/postgres "\$@"
WRAP
chmod 755 "$WORK/postgres-valgrind"

stop_server() {
    [ -f "$WORK/data/postmaster.pid" ] || return 0
    local pid
    pid=$(head -1 "$WORK/data/postmaster.pid")
    as_postgres "$BIN/pg_ctl" -D "$WORK/data" -m fast -w -t 600 stop >/dev/null
    # pg_ctl returns once postmaster.pid is gone; valgrind writes the
    # postmaster's summary after that.
    for _ in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
}
trap stop_server EXIT

t0=$(date +%s)
if ! as_postgres "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -p "$WORK/postgres-valgrind" \
        -w -t 600 start >/dev/null; then
    echo "the server did not start under valgrind" >&2
    tail -30 "$WORK/server.log" >&2
    exit 1
fi
echo "   server started under valgrind in $(( $(date +%s) - t0 )) s"
export PGHOST=$WORK PGPORT=$PORT PGUSER=postgres
# isolationtester cancels a step that has run for PGISOLATIONTIMEOUT seconds
# (300 by default); under valgrind, with the other core busy, give it far more
export PGISOLATIONTIMEOUT=${PGISOLATIONTIMEOUT:-3600}

status=0
: >"$WORK/regress.log"
if [ -n "$TESTS" ]; then
    echo "== pg_regress"
    t1=$(date +%s)
    make -s installcheck REGRESS="$TESTS" ISOLATION= \
        EXTRA_REGRESS_OPTS="--outputdir=$WORK/regress" >>"$WORK/regress.log" 2>&1 || status=1
    echo "   pg_regress took $(( $(date +%s) - t1 )) s"
fi
if [ -n "$ISOLATION" ]; then
    echo "== isolation"
    t1=$(date +%s)
    make -s installcheck REGRESS= ISOLATION="$ISOLATION" \
        EXTRA_REGRESS_OPTS="--outputdir=$WORK/isolation" >>"$WORK/regress.log" 2>&1 || status=1
    echo "   isolation took $(( $(date +%s) - t1 )) s"
fi
cat "$WORK/regress.log"
for d in regress isolation; do
    if [ -s "$WORK/$d/regression.diffs" ]; then
        echo "== $WORK/$d/regression.diffs (first 20000 bytes)"
        head -c 20000 "$WORK/$d/regression.diffs"
    fi
done

echo "== stopping the server"
stop_server
trap - EXIT
echo "   total $(( $(date +%s) - t0 )) s"

# Tests: one line per test of pg_regress / pg_isolation_regress.
n_tests=$(grep -cE '^(test )? *[A-Za-z0-9_]+ +\.\.\. ' "$WORK/regress.log" || true)
n_failed=$(grep -E '^(test )? *[A-Za-z0-9_]+ +\.\.\. ' "$WORK/regress.log" | grep -cvE '\.\.\. ok ' || true)
n_passed=$((n_tests - n_failed))
# a run that failed before or around its tests (e.g. could not create the database)
[ "$status" != 0 ] && [ "$n_failed" = 0 ] && n_failed=1

# Valgrind: every process's "ERROR SUMMARY: N errors".
errors=0
incomplete=0
bad_logs=()
for log in "$VGLOG"/valgrind.*.log; do
    [ -e "$log" ] || continue
    n=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1 | tr -d ,)
    if [ -z "$n" ]; then
        # no summary: the process was killed (SIGKILL) or exec'd something
        incomplete=$((incomplete + 1))
        echo "warning: $log has no ERROR SUMMARY (process killed?)"
        n=$(grep -cE '^==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|.*definitely lost)' "$log" || true)
    fi
    if [ "$n" -gt 0 ]; then
        errors=$((errors + n))
        bad_logs+=("$log")
    fi
done
n_logs=$(ls "$VGLOG" | wc -l)

for log in "${bad_logs[@]}"; do
    pid=${log##*/valgrind.}; pid=${pid%.log}
    who=$(grep -m1 -E "\[$pid\] .*connection authorized" "$WORK/server.log" | sed 's/.*connection authorized: //')
    [ -z "$who" ] && who=$(grep -m1 -E "\[$pid\]" "$WORK/server.log" | cut -c1-160)
    echo "== valgrind errors in $log"
    echo "   process: ${who:-(no line in server.log)}"
    if grep -q 'touchpoint\.so' "$log"; then
        echo "   ** a stack goes through touchpoint.so **"
    fi
    # each error report with its stack and origin (not the suppression templates)
    awk '/^==[0-9]+== (Syscall param|Conditional jump|Use of uninitialised|Invalid |Source and destination|Mismatched|Argument|Jump to|Process terminating)/ {p = 1}
         p && /^==[0-9]+== $/ {p = 0; print ""}
         p' "$log" | head -300
done

# Crashes: a process that died of a signal, or exited with valgrind's 128.
crashes=$(grep -cE 'terminated by signal|exited with exit code 128' "$WORK/server.log" || true)
if [ "$crashes" != 0 ]; then
    echo "== server processes that crashed or exited with valgrind's error code"
    grep -E 'terminated by signal|exited with exit code 128' "$WORK/server.log"
fi

reinstalled=0
if [ "$(so_id)" != "$SO_ID" ]; then
    reinstalled=1
    echo "warning: touchpoint.so was reinstalled during the run (build id $SO_ID -> $(so_id)): rerun"
fi

echo
echo "valgrind logs: $n_logs processes ($VGLOG), $incomplete without a summary, $crashes crashed"
echo "pg_regress: $n_passed passed, $n_failed failed (output in $WORK/regress${ISOLATION:+ and $WORK/isolation})"
echo "$n_tests tests under valgrind, $errors valgrind errors"
[ "$n_failed" = 0 ] && [ "$errors" = 0 ] && [ "$incomplete" = 0 ] && [ "$crashes" = 0 ] && [ "$reinstalled" = 0 ]
