#!/bin/bash
# touchpoint upgrade test: every released version updated to the current one
# gives the same catalog as a fresh install, keeps the user's rows, and
# refreshes to the same touchpoints.
#
#   . /tmp/tpenv && bash test/upgrade.sh
#
# Needs a running cluster reachable through PGHOST/PGPORT/PGUSER (a superuser)
# with touchpoint installed (make install).  For each older version V it:
#   1. creates a database with a fresh CREATE EXTENSION touchpoint (the
#      default version) and one with CREATE EXTENSION touchpoint VERSION 'V',
#      loads test/data/demo_data.sql into both and refreshes both;
#   2. runs ALTER EXTENSION touchpoint UPDATE on the old one;
#   3. compares the two catalogs: pg_dump --schema-only --binary-upgrade
#      writes out every member object of the extension (a normal dump names
#      only the extension), with the lines that carry OIDs removed;
#   4. checks that the input rows survived and that refresh() gives the same
#      touchpoints and opportunity credit in both databases.
# Prints one line per check and ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=$(pg_config --bindir)
export PGTZ=UTC PGDATESTYLE=ISO,YMD PGOPTIONS="-c client_min_messages=warning"
WORK=$(mktemp -d /tmp/tp_upgrade.XXXXXX)
PSQL=("$BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1)
CURRENT=$(sed -n "s/^default_version = '\(.*\)'/\1/p" touchpoint.control)

passed=0
failed=0
check() {   # check NAME STATUS [DETAIL]
    if [ "$2" = 0 ]; then
        passed=$((passed + 1)); echo "ok     $1"
    else
        failed=$((failed + 1)); echo "FAILED $1${3:+: $3}"
    fi
}

# The catalog as pg_dump sees it, without what differs between any two
# databases: OIDs and transaction ids (the binary-upgrade bookkeeping),
# pg_dump's random \restrict key, comments and blank lines.
catalog() {
    "$BIN/pg_dump" --schema-only --binary-upgrade -d "$1" |
        grep -v -E '^(\\restrict|\\unrestrict|--|$)|binary_upgrade_set_next_|binary_upgrade_set_record_init_privs' |
        grep -v -E "^(UPDATE pg_catalog.pg_class|SET relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'|WHERE oid = '.*';)$" |
        sed -E "s/(binary_upgrade_create_empty_extension\('touchpoint', 'touchpoint', false, '[^']*', )'\{[0-9,]*\}'/\1'{config oids}'/"
}

# Every touchpoint and credit row, in a fixed order.
results() {
    "${PSQL[@]}" -d "$1" -c "COPY (SELECT * FROM touchpoint.touchpoints ORDER BY touchpoint_id) TO STDOUT" \
                         -c "COPY (SELECT * FROM touchpoint.opportunity_touchpoints ORDER BY opportunity_id, touchpoint_id) TO STDOUT"
}

input_counts() {
    "${PSQL[@]}" -d "$1" -c "SELECT (SELECT count(*) FROM touchpoint.sessions), (SELECT count(*) FROM touchpoint.tasks),
        (SELECT count(*) FROM touchpoint.form_submits), (SELECT count(*) FROM touchpoint.chats),
        (SELECT count(*) FROM touchpoint.people), (SELECT count(*) FROM touchpoint.opportunities),
        (SELECT count(*) FROM touchpoint.channel_rules), (SELECT count(*) FROM touchpoint.custom_model)"
}

# every version an upgrade script starts from (1.1 and 1.2 install through 1.0's chain)
older_versions=$(ls sql/touchpoint--*--*.sql | sed -n 's#^sql/touchpoint--\([0-9.]*\)--[0-9.]*\.sql$#\1#p' | sort -u)
for old in $older_versions; do
    FRESH=tp_upgrade_fresh_$$
    UP=tp_upgrade_from_${old//./_}_$$
    for db in $FRESH $UP; do
        "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    done
    "${PSQL[@]}" -d "$FRESH" -c "CREATE EXTENSION touchpoint"
    "${PSQL[@]}" -d "$UP" -c "CREATE EXTENSION touchpoint VERSION '$old'"
    for db in $FRESH $UP; do
        "${PSQL[@]}" -d "$db" -f test/data/demo_data.sql >/dev/null
    done
    # both populated, as a user's would be: the update must cope with that
    for db in $FRESH $UP; do
        "${PSQL[@]}" -d "$db" -c "SELECT touchpoint.refresh()" >/dev/null
    done
    before=$(input_counts "$UP")

    "${PSQL[@]}" -d "$UP" -c "ALTER EXTENSION touchpoint UPDATE"
    version=$("${PSQL[@]}" -d "$UP" -c "SELECT extversion FROM pg_extension WHERE extname = 'touchpoint'")
    [ "$version" = "$CURRENT" ]
    check "$old -> $CURRENT: ALTER EXTENSION UPDATE reaches $CURRENT" $? "at $version"

    catalog "$FRESH" >"$WORK/fresh.sql"
    catalog "$UP" >"$WORK/upgraded.sql"
    members=$(grep -c '^ALTER EXTENSION touchpoint ADD' "$WORK/fresh.sql")
    diff -u "$WORK/fresh.sql" "$WORK/upgraded.sql" >"$WORK/catalog.diff"
    check "$old -> $CURRENT: the same catalog as a fresh install ($members member objects)" $? \
        "$(head -c 4000 "$WORK/catalog.diff")"

    [ "$(input_counts "$UP")" = "$before" ]
    check "$old -> $CURRENT: every input row kept ($before)" $?

    for db in $FRESH $UP; do
        "${PSQL[@]}" -d "$db" -c "SELECT touchpoint.refresh()" >/dev/null
    done
    results "$FRESH" >"$WORK/fresh.out"
    results "$UP" >"$WORK/upgraded.out"
    rows=$(wc -l <"$WORK/fresh.out")
    [ "$rows" -gt 0 ] && cmp -s "$WORK/fresh.out" "$WORK/upgraded.out"
    check "$old -> $CURRENT: refresh() gives the same $rows touchpoint and credit rows" $?

    for db in $FRESH $UP; do
        "${PSQL[@]}" -d postgres -c "DROP DATABASE $db"
    done
done
[ -n "$older_versions" ]
check "there is an older version to update from (found: ${older_versions:-none})" $?

rm -rf "$WORK"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
