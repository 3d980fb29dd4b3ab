#!/bin/bash
# Property test of the matching engine (src/tp_match.c) outside the server:
# builds it with ASan + UBSan against a brute-force reference model
# (test/engine/engine_test.c) and runs it.  Exits non-zero on any failure;
# the last line printed is "<cases> passed, <failures> failed".
#   TP_ENGINE_SEED=n   seed (default fixed in engine_test.c)
#   TP_ENGINE_ITERS=n  number of random groups (default 30000)
#   CC=...             compiler (default clang, else gcc)
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=test/engine/build
mkdir -p "$BUILD"

if [ -z "${CC:-}" ]; then
    if command -v clang >/dev/null 2>&1; then CC=clang; else CC=gcc; fi
fi
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=gnu11 -O1 -g -Wall -Wextra $SAN -Isrc"

if ! $CC $CFLAGS -c src/tp_match.c -o "$BUILD/tp_match.o" ||
   ! $CC $CFLAGS -Werror -c test/engine/engine_test.c -o "$BUILD/engine_test.o" ||
   ! $CC $SAN "$BUILD/tp_match.o" "$BUILD/engine_test.o" -o "$BUILD/engine_test"; then
    echo "engine: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

"$BUILD/engine_test" >"$BUILD/output.txt" 2>&1
status=$?
cat "$BUILD/output.txt"
if [ $status != 0 ]; then
    # a sanitizer abort leaves no closing line: supply one
    if ! tail -n 1 "$BUILD/output.txt" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
        echo "engine: the test binary exited with status $status"
        echo "0 passed, 1 failed"
    fi
    exit 1
fi
exit 0
