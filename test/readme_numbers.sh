#!/bin/bash
# Every number README.md quotes from the demo, checked against what the demo
# prints.  Runs `bash test/demo.sh` non-interactively in a private directory
# and port, then checks
#   - each line of every README code block marked
#     <!-- demo output: every line is checked by test/readme_numbers.sh -->
#     appears in the demo's output (white space at the ends ignored; a line
#     "..." stands for lines left out);
#   - each number the README's prose quotes (sessions, visitors, calls, form
#     fills, chats, opportunities, touchpoints, shares), taken from the
#     demo's output and written as the README writes it;
#   - the connection URI the demo prints.
# Stops the demo cluster and exits non-zero with a message per mismatch.
#
#   bash test/readme_numbers.sh
# Environment: TOUCHPOINT_DEMO_BUILD=0 uses the touchpoint already installed
# (the test command sets it after its own build); TOUCHPOINT_DEMO_PORT picks
# the port (default: the first free one from 54361).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
README=${TOUCHPOINT_README:-$ROOT/README.md}   # another file: to test this test

# A private directory the postgres user can use (cluster.sh chowns it), not
# inside the clone, which postgres may not be able to enter.
DIR=$(mktemp -d /tmp/touchpoint-readme.XXXXXX)
chmod 755 "$DIR"   # mktemp makes it 700: the server (postgres) must reach cluster/ inside
OUT=$DIR/demo.out
if [ -z "${TOUCHPOINT_DEMO_PORT:-}" ]; then
    TOUCHPOINT_DEMO_PORT=54361
    while ss -Hltn "sport = :$TOUCHPOINT_DEMO_PORT" 2>/dev/null | grep -q . ||
          [ -e "/tmp/.s.PGSQL.$TOUCHPOINT_DEMO_PORT" ]; do
        TOUCHPOINT_DEMO_PORT=$((TOUCHPOINT_DEMO_PORT + 1))
    done
fi
PORT=$TOUCHPOINT_DEMO_PORT
cleanup() {
    (cd / && bash "$ROOT/test/scripts/cluster.sh" stop "$DIR/cluster") >/dev/null 2>&1
    if [ "${KEEP:-0}" = 1 ]; then echo "readme_numbers: output kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

echo "readme_numbers: running the demo (cluster in $DIR/cluster, port $PORT)"
if ! TOUCHPOINT_DEMO_DIR=$DIR/cluster TOUCHPOINT_DEMO_PORT=$PORT \
        bash test/demo.sh </dev/null >"$OUT" 2>&1; then
    tail -n 40 "$OUT"
    echo "readme_numbers: FAILED: the demo failed (its output above)"
    KEEP=1
    exit 1
fi

failures=0
checks=0
fail() { echo "readme_numbers: MISMATCH: $*"; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# 1,234,567 as the README writes counts
commas() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }

# --- 1. the marked blocks, line by line -----------------------------------
TRIMMED_OUT=$DIR/demo.trimmed
trim <"$OUT" >"$TRIMMED_OUT"
blocks=0
while IFS= read -r line; do
    case "$line" in
    "<<BLOCK>>") blocks=$((blocks + 1)); continue ;;
    "..." | "") continue ;;
    esac
    if grep -qxF -- "$line" "$TRIMMED_OUT"; then ok
    else fail "README block $blocks has a line the demo does not print:"$'\n'"    $line"
    fi
done < <(awk '
    /<!-- demo output: every line is checked by test\/readme_numbers.sh -->/ { want = 1; next }
    want && /^```/ && !inside { inside = 1; print "<<BLOCK>>"; next }
    inside && /^```/ { inside = 0; want = 0; next }
    inside { sub(/^[ \t]+/, ""); sub(/[ \t]+$/, ""); print }
' "$README")
[ "$blocks" -ge 1 ] || fail "README has no block marked as demo output"

# --- 2. the numbers in the prose ----------------------------------------------
# field N (|-separated, trimmed) of the demo line whose first field is NAME
field() {
    awk -F'|' -v name="$1" -v n="$2" '
        { f = $1; gsub(/^[ \t]+|[ \t]+$/, "", f) }
        f == name { v = $n; gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit }' "$OUT"
}
# the README must contain TEXT (across line breaks), which quotes WHAT from the demo
FLAT=$DIR/readme.flat
tr '\n' ' ' <"$README" | tr -s ' ' >"$FLAT"
says() {
    local text=$1 what=$2
    if grep -qF -- "$text" "$FLAT"; then ok
    else fail "README does not say \"$text\" ($what, as the demo prints it)"
    fi
}
number() {   # number VALUE WHAT: VALUE must be a number the demo printed
    if [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; then return 0; fi
    fail "could not find $2 in the demo's output (got \"$1\")"
    return 1
}

sessions=$(field "web sessions" 2);  number "$sessions" "the web sessions' count" &&
    says "$(commas "$sessions") web sessions" "web sessions"
visitors=$(field "web sessions" 3);  number "$visitors" "the sessions' BizibleIds" &&
    says "of $(commas "$visitors") visitors" "BizibleIds of the web sessions"
calls=$(field "call tasks" 2);       number "$calls" "the call tasks' count" &&
    says "$(commas "$calls") call tasks" "call tasks"
forms=$(field "form fills" 2);       number "$forms" "the form fills' count" &&
    says "$(commas "$forms") form fills" "form fills"
chats=$(field "chats" 2);            number "$chats" "the chats' count" &&
    says "$(commas "$chats") chats" "chats"
opps=$(awk -F'|' '/^ *people *\| *in an account/ { getline; getline;
    v = $4; gsub(/ /, "", v); print v; exit }' "$OUT")
number "$opps" "the opportunities' count" && says "$(commas "$opps") opportunities" "opportunities"
touchpoints=$(field "full" 2); number "$touchpoints" "refresh()'s touchpoints" &&
    says "$(commas "$touchpoints") after \`refresh()\`" "touchpoints after refresh()"
lc_share=$(grep -oE '^ *[0-9]+ \| *[0-9]+ \| [0-9]+ \(([0-9.]+) %\)' "$OUT" |
    sed -E 's/.*\(([0-9.]+) %\)/\1/' | head -1)
number "$lc_share" "the share of lead creations by a call" &&
    says "$lc_share % of lead creations are phone calls" "LCs by a call"

# the merge rate and the other statuses appear in the status block (part 1);
# the shares of won revenue the prose derives from the revenue table:
revenue() {   # revenue FIRST-FIELD SECOND-FIELD COLUMN: a cell of the revenue table, no commas
    awk -F'|' -v a="$1" -v b="$2" -v n="$3" '
        { x = $1; y = $2; gsub(/^ +| +$/, "", x); gsub(/^ +| +$/, "", y) }
        x == a && y == b && NF == 10 && $3 ~ /[0-9],[0-9]/ { v = $n; gsub(/[ ,]/, "", v); print v; exit }' "$OUT"
}
won_total=$(revenue total "" 4)
phone_ft=$(revenue "all channels" "phone call" 3)
phone_lc=$(revenue "all channels" "phone call" 4)
if number "$won_total" "the won revenue total" && number "$phone_ft" "phone calls' first-touch revenue" &&
   number "$phone_lc" "phone calls' lead-creation revenue"; then
    says "$(awk -v a="$phone_lc" -v b="$won_total" 'BEGIN { printf "%.1f", 100 * a / b }') % of the won revenue's leads" \
        "phone calls' share of lead-creation revenue"
    says "$(awk -v a="$phone_ft" -v b="$won_total" 'BEGIN { printf "%.1f", 100 * a / b }') % of its first touches" \
        "phone calls' share of first-touch revenue"
fi

# --- 3. the connection URI ------------------------------------------------------
if grep -qF "psql postgresql://postgres@localhost:$PORT/touchpoint_demo" "$OUT"; then ok
else fail "the demo does not print 'psql postgresql://postgres@localhost:$PORT/touchpoint_demo'"
fi
default_port=$(sed -n 's/^PORT=\${TOUCHPOINT_DEMO_PORT:-\([0-9]*\)}$/\1/p' test/demo.sh)
says "psql postgresql://postgres@localhost:$default_port/touchpoint_demo" "the demo's URI with its default port"

if [ "$failures" != 0 ]; then
    KEEP=1
    echo "readme_numbers: FAILED: $failures of $((checks + failures)) checks; update README.md from the demo's output ($OUT)"
    exit 1
fi
echo "readme_numbers: ok: $checks checks, README.md quotes the demo's output exactly"
