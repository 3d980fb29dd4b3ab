#!/bin/bash
# The whole touchpoint test suite: installs what is missing, builds with
# -Werror, installs, starts a throwaway cluster and runs every test.
# Usage: bash test/run.sh          (as root or as a user who can install)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash test/scripts/deps.sh || exit 1

passed=0
failed=0
failures=()
record() {   # record NAME STATUS
    if [ "$2" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

echo "== build"
make -s clean >/dev/null
if ! make -s TP_WERROR=1 >/dev/null || ! make -s install >/dev/null; then
    echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== engine property test (outside the server, ASan + UBSan)"
bash test/engine/run.sh
record engine $?

echo "== fuzzing (libFuzzer + ASan + UBSan against reference models, ${TP_FUZZ_SECONDS:=60} s)"
FUZZ_LOG=$(mktemp /tmp/touchpoint-fuzz.XXXXXX)
bash test/fuzz/run.sh >"$FUZZ_LOG" 2>&1
status=$?
grep -E "^fuzz: |executions, " "$FUZZ_LOG"
[ $status != 0 ] && tail -n 60 "$FUZZ_LOG"
record fuzz $status

WORK=$(mktemp -d /tmp/touchpoint-test.XXXXXX)
eval "$(bash test/scripts/cluster.sh start "$WORK" 54329)"
trap 'bash "$ROOT/test/scripts/cluster.sh" stop "$WORK"' EXIT

echo "== pg_regress (sql/ + expected/) and isolation (test/specs/)"
make -s installcheck >"$WORK/regress.log" 2>&1
status=$?
cat "$WORK/regress.log"
# count each test of the pg_regress run
n_ok=$(grep -cE '^(ok|test) .*\bok\b' "$WORK/regress.log" || true)
n_bad=$(grep -cE 'FAILED|failed \(ignored\)' "$WORK/regress.log" || true)
passed=$((passed + n_ok)); failed=$((failed + n_bad))
if [ $status != 0 ]; then
    [ "$n_bad" = 0 ] && failed=$((failed + 1))
    failures+=(pg_regress)
    [ -f regression.diffs ] && head -c 20000 regression.diffs
    [ -f output_iso/regression.diffs ] && head -c 20000 output_iso/regression.diffs
fi

echo "== incremental refresh under concurrent writers (test/incremental_concurrency.sh)"
bash test/incremental_concurrency.sh >"$WORK/concurrency.log" 2>&1
status=$?
grep -E '^incremental_concurrency:' "$WORK/concurrency.log"
[ $status != 0 ] && tail -n 40 "$WORK/concurrency.log"
record incremental_concurrency $status

echo "== TAP: cancellation and memory over millions of rows (test/t)"
bash test/t/run.sh >"$WORK/tap.log" 2>&1
status=$?
grep -E '^(not ok|# .*delay|# memory|Result|All tests)' "$WORK/tap.log" | cut -c1-160
[ $status != 0 ] && tail -n 80 "$WORK/tap.log"
record tap_cancel $status

echo "== valgrind (memcheck): the hand-written pg_regress tests against a server under valgrind"
# The whole suite under valgrind takes over an hour here: bash test/valgrind.sh
TP_VALGRIND_TESTS=quick TP_VALGRIND_DIR="$WORK/valgrind" bash test/valgrind.sh >"$WORK/valgrind.log" 2>&1
status=$?
grep -E '^(test |valgrind logs|pg_regress:|[0-9]+ tests under valgrind)' "$WORK/valgrind.log"
[ $status != 0 ] && tail -n 80 "$WORK/valgrind.log"
record valgrind $status

echo "== Citus: a coordinator and two workers on loopback, then a third (test/citus.sh)"
# Citus is not in Debian: the script builds the vendored source when none is
# installed.  Where neither is possible that is a failure, never a skip:
# touchpoint.distribute() and the distributed answers would go untested.
if bash test/citus.sh --can-run; then
    bash test/citus.sh >"$WORK/citus.log" 2>&1
    status=$?
    grep -E '^(citus: |ok |FAILED)' "$WORK/citus.log" | cut -c1-200
    [ $status != 0 ] && tail -n 40 "$WORK/citus.log"
    record citus $status
else
    echo "citus: FAILED: cannot run: no Citus installed for $(pg_config --bindir) and no citus-12.1.12.tar.gz to build as root (set TP_CITUS_TARBALL)"
    record citus 1
fi

echo "== pg_dump / pg_restore round trip"
bash test/dump_restore.sh >"$WORK/dump_restore.log" 2>&1
status=$?
tail -3 "$WORK/dump_restore.log"
[ $status != 0 ] && cat "$WORK/dump_restore.log"
record dump_restore $status

echo "== upgrade from every released version"
bash test/upgrade.sh >"$WORK/upgrade.log" 2>&1
status=$?
grep -E "^(ok|FAILED)" "$WORK/upgrade.log" | cut -c1-200
[ $status != 0 ] && cat "$WORK/upgrade.log"
record upgrade $status

echo "== benchmark smoke test (tiny scale: the plain-SQL formulations give merge_calls' rows)"
BENCH_DIR=$(mktemp -d /tmp/touchpoint-bench-smoke.XXXXXX)
TP_BENCH_DIR=$BENCH_DIR TP_BENCH_SHARED_BUFFERS=128MB \
    bash test/bench/run.sh --sessions 20000 --visitors 5000 --tasks 2000 --reps 1 >"$WORK/bench.log" 2>&1
status=$?
grep -E "^(merge_calls|plain_|floor)" "$WORK/bench.log"
if [ $status = 0 ] && [ "$(grep -c '^plain_.* yes$' "$WORK/bench.log")" = 3 ]; then record bench_smoke 0
else cat "$WORK/bench.log"; record bench_smoke 1; fi
rm -rf "$BENCH_DIR"

echo "== README: every number it quotes from the demo, against the demo's output"
TOUCHPOINT_DEMO_BUILD=0 bash test/readme_numbers.sh >"$WORK/readme_numbers.log" 2>&1
status=$?
if [ $status = 0 ]; then grep "^readme_numbers: ok" "$WORK/readme_numbers.log"; else tail -n 40 "$WORK/readme_numbers.log"; fi
record readme_numbers $status

echo
if [ $failed != 0 ]; then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
