#!/bin/bash
# Run the TAP tests test/t/*.pl (PostgreSQL::Test::Cluster) against the
# INSTALLED touchpoint, as the postgres user, the way docs/recipe.md §5 says.
#   bash test/t/run.sh [test/t/001_cancel.pl ...]     (as root or as postgres)
# Each test makes its own cluster under a fresh TESTDIR in /tmp (kept, with
# its logs, when a test fails; removed when all pass).  Exits non-zero when a
# test fails.  Needs prove (perl), IPC::Run (libipc-run-perl) and the
# PostgreSQL::Test modules of postgresql-client-15.
set -uo pipefail
cd "$(dirname "$0")/../.."

BIN=$(pg_config --bindir)
PGXS_SRC=$(dirname "$(dirname "$(pg_config --pgxs)")")      # .../lib/pgxs/src
PERL_LIB=$PGXS_SRC/test/perl
PG_REGRESS=$PGXS_SRC/test/regress/pg_regress
if [ ! -f "$PERL_LIB/PostgreSQL/Test/Cluster.pm" ]; then
    echo "test/t/run.sh: $PERL_LIB/PostgreSQL/Test/Cluster.pm not found (postgresql-client-15)" >&2
    exit 1
fi
if ! perl -MIPC::Run -e 1 2>/dev/null; then
    echo "test/t/run.sh: IPC::Run is missing (apt-get install libipc-run-perl)" >&2
    exit 1
fi

tests=("$@")
[ ${#tests[@]} = 0 ] && tests=(test/t/*.pl)

TESTDIR=$(mktemp -d /tmp/touchpoint-tap.XXXXXX)
chmod 755 "$TESTDIR"
# prove runs as postgres, which may not be able to enter the checkout (a
# clone under /root or in a `mktemp -d`, mode 700): it runs from $TESTDIR,
# on copies of the tests.
mkdir "$TESTDIR/t"
copies=()
for t in "${tests[@]}"; do
    cp "$t" "$TESTDIR/t/" || exit 1
    copies+=("t/$(basename "$t")")
done
chmod -R a+rX "$TESTDIR/t"
run=(env TESTDIR="$TESTDIR" PATH="$BIN:$PATH" PG_REGRESS="$PG_REGRESS"
     prove -v -I "$PERL_LIB" "${copies[@]}")
if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$TESTDIR"
    (cd "$TESTDIR" && runuser -u postgres -- "${run[@]}")
else
    (cd "$TESTDIR" && "${run[@]}")
fi
status=$?
if [ $status = 0 ]; then
    rm -rf "$TESTDIR"
else
    echo "test/t/run.sh: FAILED (status $status); logs in $TESTDIR/tmp_check/log" >&2
fi
exit $status
