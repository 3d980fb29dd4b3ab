#!/bin/bash
# Fuzzing of the fmgr-free C code outside the server, with libFuzzer +
# AddressSanitizer + UndefinedBehaviorSanitizer (Debian's clang), each target
# against its own reference model:
#   fuzz_match      src/tp_match.c: tp_group_build/tp_match_call, the call
#                   tree, tp_time_add, tp_session_cmp  (test/engine/ref_model.h)
#   fuzz_rules      src/tp_rules.c: channel-rule cells (docs/spec.md §6)
#   fuzz_normalize  src/tp_match.c: BizibleId normaliser and trim (docs/spec.md §3.1.1)
# Each target first runs its committed seed corpus (test/fuzz/corpus/<target>,
# read only), then fuzzes for its share of the time budget; new inputs go to a
# scratch corpus under test/fuzz/build/.  A mismatch with a reference aborts
# the target and leaves the input in test/fuzz/build/artifacts/.
#
# The last line is "<executions> executions, <findings> findings"; the exit
# status is 0 only when every target ran and nothing was found.  When clang or
# its libFuzzer runtime is missing it says so and exits 2 (never a silent pass).
#
#   TP_FUZZ_SECONDS=n      total fuzzing time over all targets (default 60)
#   TP_FUZZ_TARGETS="..."  targets to run (default: all three)
#   TP_FUZZ_SEED=n         libFuzzer seed (default: random, printed)
#   TP_FUZZ_KEEP_CORPUS=1  keep the scratch corpus of the previous run
#   TP_FUZZ_ENGINE_SRC=f   engine source to test (default src/tp_match.c)
#   TP_FUZZ_RULES_SRC=f    rules source to test (default src/tp_rules.c)
#   TP_FUZZ_BUILD=dir      build and scratch directory (default test/fuzz/build)
#   TP_FUZZ_CORPUS=dir     seed corpus, one directory per target (default
#                          test/fuzz/corpus; read only)
#   CC=...                 compiler (default clang)
# Reproduce a finding: test/fuzz/build/<target> <artifact> (prints the case).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${TP_FUZZ_BUILD:-test/fuzz/build}
SEEDS=${TP_FUZZ_CORPUS:-test/fuzz/corpus}
mkdir -p "$BUILD"

CC=${CC:-clang}
TOTAL=${TP_FUZZ_SECONDS:-60}
TARGETS=${TP_FUZZ_TARGETS:-fuzz_match fuzz_rules fuzz_normalize}
ENGINE_SRC=${TP_FUZZ_ENGINE_SRC:-src/tp_match.c}
RULES_SRC=${TP_FUZZ_RULES_SRC:-src/tp_rules.c}

not_run() {
    echo "fuzz: $1" >&2
    echo "fuzz: NOT RUN: $2"
    exit "${3:-2}"
}

case "$TOTAL" in
    '' | *[!0-9]*) not_run "TP_FUZZ_SECONDS must be a whole number of seconds, not '$TOTAL'" "bad TP_FUZZ_SECONDS" 1 ;;
esac

# --- is libFuzzer there? ------------------------------------------------------
if ! command -v "$CC" >/dev/null 2>&1; then
    not_run "compiler '$CC' not found; install Debian's clang (apt-get install --no-install-recommends clang libclang-rt-14-dev)" \
        "no clang"
fi
SAN=("-fsanitize=address,undefined" -fno-sanitize-recover=all -fno-omit-frame-pointer)
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }\n' \
    >"$BUILD/probe.c"
if ! "$CC" "${SAN[@]}" -fsanitize=fuzzer "$BUILD/probe.c" -o "$BUILD/probe" >"$BUILD/probe.log" 2>&1 ||
   ! "$BUILD/probe" -runs=1 >>"$BUILD/probe.log" 2>&1; then
    sed 's/^/fuzz:   /' "$BUILD/probe.log" | tail -n 5 >&2
    not_run "'$CC -fsanitize=fuzzer,address,undefined' cannot build a libFuzzer target: libFuzzer's runtime (libclang_rt.fuzzer-x86_64.a, with the ASan/UBSan runtimes) is missing; on Debian 12 it is in libclang-rt-14-dev (apt-get install --no-install-recommends libclang-rt-14-dev)" \
        "clang's libFuzzer runtime is unavailable"
fi

# --- build --------------------------------------------------------------------
# The code under test gets libFuzzer's full instrumentation (edges and
# comparison tracing, for -use_value_profile); the harness and its reference
# model only edges, so the fuzzer is steered by the engine's comparisons and
# runs about four times faster than with the reference's traced as well.
CFLAGS=(-std=gnu11 -O1 -g -Wall -Wextra "${SAN[@]}" -Isrc -Itest/engine -Itest/fuzz)
if ! "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$ENGINE_SRC" -o "$BUILD/tp_match.o" ||
   ! "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -c "$RULES_SRC" -o "$BUILD/tp_rules.o"; then
    not_run "building $ENGINE_SRC / $RULES_SRC failed" "build failed" 1
fi
for t in $TARGETS; do
    if [ ! -f "test/fuzz/$t.c" ]; then
        not_run "unknown target '$t' (there is no test/fuzz/$t.c)" "unknown target" 1
    fi
    if ! "$CC" "${CFLAGS[@]}" -Werror -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp \
            -c "test/fuzz/$t.c" -o "$BUILD/$t.o" ||
       ! "$CC" "${SAN[@]}" -fsanitize=fuzzer "$BUILD/$t.o" "$BUILD/tp_match.o" "$BUILD/tp_rules.o" \
            -o "$BUILD/$t"; then
        not_run "building test/fuzz/$t.c failed" "build failed" 1
    fi
    if [ ! -d "$SEEDS/$t" ]; then
        not_run "the seed corpus $SEEDS/$t is missing" "no seed corpus" 1
    fi
done

# --- run ------------------------------------------------------------------------
# The time budget is shared by weight (the engine gets most), at least 1 s each.
weight() {
    case "$1" in
        fuzz_match) echo 12 ;;
        fuzz_rules) echo 5 ;;
        *) echo 3 ;;
    esac
}
max_len() {
    case "$1" in
        fuzz_match) echo 512 ;;
        fuzz_rules) echo 128 ;;
        *) echo 64 ;;
    esac
}
wsum=0
for t in $TARGETS; do wsum=$((wsum + $(weight "$t"))); done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$BUILD/artifacts"

total_execs=0
total_findings=0
left=$TOTAL
wleft=$wsum
for t in $TARGETS; do
    w=$(weight "$t")
    secs=$(( (left * w + wleft / 2) / wleft ))
    [ "$secs" -lt 1 ] && secs=1
    left=$((left - secs)); [ "$left" -lt 0 ] && left=0
    wleft=$((wleft - w))

    scratch="$BUILD/corpus/$t"
    [ "${TP_FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$scratch"
    mkdir -p "$scratch"
    rm -f "$BUILD/artifacts/$t-"*
    # libFuzzer stops in the second after max_total_time: ask one second less
    # -timeout: one input may take this long (wall clock) before libFuzzer
    # reports it as a hang; inputs take microseconds, so it only has to be far
    # above what a busy machine makes of them (an endless loop still trips it)
    opts=(-max_total_time="$(( secs > 1 ? secs - 1 : 1 ))" -max_len="$(max_len "$t")" -timeout=60 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-")
    [ "$t" != fuzz_normalize ] && opts+=(-use_value_profile=1)
    [ -n "${TP_FUZZ_SEED:-}" ] && opts+=(-seed="$TP_FUZZ_SEED")

    log="$BUILD/$t.log"
    # the scratch corpus first: libFuzzer writes new inputs only to the first
    t0=$(date +%s.%N)
    "$BUILD/$t" "${opts[@]}" "$scratch" "$SEEDS/$t" >"$log" 2>&1
    status=$?
    elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    [ -z "$execs" ] && execs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
    [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    [ -z "$execs" ] && execs=0
    done_line=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -n 1)
    seed=$(sed -n 's/^INFO: Seed: \([0-9]*\).*/\1/p' "$log" | head -n 1)
    nseeds=$(find "$SEEDS/$t" -type f | wc -l)
    ncorpus=$(find "$scratch" -type f | wc -l)
    cov=$(grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)

    findings=0
    artifacts=$(find "$BUILD/artifacts" -maxdepth 1 -type f \
        \( -name "$t-crash-*" -o -name "$t-leak-*" -o -name "$t-timeout-*" -o -name "$t-oom-*" \) | sort)
    [ -n "$artifacts" ] && findings=$(printf '%s\n' "$artifacts" | wc -l)
    if [ "$status" != 0 ] && [ "$findings" = 0 ]; then
        findings=1            # died without leaving an input: still a failure
    fi

    echo "fuzz: $t: ${done_line:-stopped after $execs runs} (took $elapsed s of a $secs s budget, seed ${seed:-?}, $nseeds seeds + $ncorpus new inputs, ${cov:-cov ?}), exit $status, $findings findings"
    if [ "$findings" != 0 ]; then
        grep -E '^(MISMATCH|case:|  session|  call|SUMMARY|==[0-9]+==ERROR)' "$log" | head -n 60 | sed 's/^/fuzz:   /'
        grep -E 'runtime error' "$log" | head -n 5 | sed 's/^/fuzz:   /'
        for a in $artifacts; do
            echo "fuzz:   input: $a  (reproduce: $BUILD/$t $a)"
        done
        echo "fuzz:   full log: $log"
    fi
    total_execs=$((total_execs + execs))
    total_findings=$((total_findings + findings))
done

echo "$total_execs executions, $total_findings findings"
[ "$total_findings" = 0 ]
