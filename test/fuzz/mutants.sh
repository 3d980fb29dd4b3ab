#!/bin/bash
# Does test/fuzz catch a broken engine?  Each mutant below is a one-line bug
# put into a COPY of src/tp_match.c or src/tp_rules.c (under
# test/fuzz/build/mutants/; src/ is never touched); test/fuzz/run.sh then
# fuzzes the copy with the one target that should notice, and the mutant
# counts as caught when run.sh reports a finding within the budget.
#
#   TP_MUTANT_SECONDS=n   budget per mutant (default 60, as CI's whole run)
#   TP_MUTANT_NO_SEEDS=1  start from an empty corpus (the fuzzer alone,
#                         without the committed seeds that already pin the
#                         boundaries)
#   TP_MUTANTS="a b"      only these mutants
# Prints one line per mutant and ends with "<caught> of <n> mutants caught";
# exits 0 only when all were caught.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=test/fuzz/build/mutants
SECONDS_EACH=${TP_MUTANT_SECONDS:-60}
mkdir -p "$ROOT"

# name | file (match/rules) | target | sed expression (must change the file)
MUTANTS=$(cat <<'EOF'
closed_window_group|match|fuzz_match|s/g->tree\[node\] <= t)/g->tree[node] < t)/
closed_window_calltree|match|fuzz_match|s/hi = first_call_at_or_after(tree, end);/hi = first_call_at_or_after(tree, tp_time_add(end, 1));/
start_exclusive_group|match|fuzz_match|s/if (g->sessions\[mid\].started_at <= t)/if (g->sessions[mid].started_at < t)/
start_exclusive_calltree|match|fuzz_match|s/lo = first_call_at_or_after(tree, offer->started_at);/lo = first_call_at_or_after(tree, tp_time_add(offer->started_at, 1));/
ties_largest_id_group|match|fuzz_match|s/block, last, occurred_at);/last, last, occurred_at);/
ties_largest_id_calltree|match|fuzz_match|s/return strcmp(a->session_id, b->session_id) < 0;/return strcmp(a->session_id, b->session_id) > 0;/
earliest_start_wins_calltree|match|fuzz_match|s/return a->started_at > b->started_at;/return a->started_at < b->started_at;/
nearest_largest_id|match|fuzz_match|s/result.index = tie_block_start(group, started - 1);/result.index = started - 1;/
winner_skips_root|match|fuzz_match|s/node >= 1; node >>= 1)/node > 1; node >>= 1)/
tree_size_short|match|fuzz_match|s/return 2 \* leaves;/return 2 * leaves - 1;/
minus_infinity_not_sticky|match|fuzz_match|s/if (a == INT64_MIN || a == INT64_MAX)/if (a == INT64_MAX)/
no_negative_saturation|match|fuzz_match|/if (b < 0 && a < INT64_MIN - b)/,+1d
trim_misses_vt|match|fuzz_normalize|s/c == '\\v' || //
fold_misses_Z|match|fuzz_normalize|s/(c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;/(c >= 'A' \&\& c < 'Z') ? (char) (c - 'A' + 'a') : c;/
rules_contains_misses_suffix|rules|fuzz_rules|s/for (i = 0; i + nlen <= vlen; i++)/for (i = 0; i + nlen < vlen; i++)/
rules_equals_is_prefix|rules|fuzz_rules|s/return vlen == alen && equal_folded/return vlen >= alen \&\& equal_folded/
rules_case_sensitive|rules|fuzz_rules|s/return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;/return c;/
rules_semicolon_not_blank|rules|fuzz_rules|s/if (!is_space(pattern\[i\]) && pattern\[i\] != ';')/if (!is_space(pattern[i]))/
EOF
)

empty=$ROOT/empty-corpus
mkdir -p "$empty/fuzz_match" "$empty/fuzz_rules" "$empty/fuzz_normalize"

n=0
caught=0
while IFS='|' read -r name file target expr; do
    [ -z "$name" ] && continue
    if [ -n "${TP_MUTANTS:-}" ] && ! [[ " $TP_MUTANTS " == *" $name "* ]]; then
        continue
    fi
    n=$((n + 1))
    dir=$ROOT/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    src=src/tp_$file.c
    cp "$src" "$dir/tp_$file.c"
    sed -i -e "$expr" "$dir/tp_$file.c"
    if cmp -s "$src" "$dir/tp_$file.c"; then
        echo "mutant $name: the mutation did not apply to $src (update mutants.sh)"
        continue
    fi
    env_src=(TP_FUZZ_ENGINE_SRC=src/tp_match.c TP_FUZZ_RULES_SRC=src/tp_rules.c)
    if [ "$file" = match ]; then
        env_src[0]=TP_FUZZ_ENGINE_SRC=$dir/tp_match.c
    else
        env_src[1]=TP_FUZZ_RULES_SRC=$dir/tp_rules.c
    fi
    corpus=test/fuzz/corpus
    [ "${TP_MUTANT_NO_SEEDS:-0}" = 1 ] && corpus=$empty
    env "${env_src[@]}" TP_FUZZ_BUILD="$dir/build" TP_FUZZ_CORPUS="$corpus" \
        TP_FUZZ_TARGETS="$target" TP_FUZZ_SECONDS="$SECONDS_EACH" \
        bash test/fuzz/run.sh >"$dir/run.out" 2>&1
    status=$?
    line=$(grep -E "^fuzz: $target: " "$dir/run.out" | head -n 1)
    elapsed=$(printf '%s\n' "$line" | sed -n 's/.*(took \([0-9.]*\) s of .*/\1/p')
    execs=$(printf '%s\n' "$line" | sed -n 's/.*\(Done\|stopped after\) \([0-9]*\) runs.*/\2/p')
    what=$(grep -m 1 -E '^fuzz:   (MISMATCH|SUMMARY|==[0-9]+==ERROR)|runtime error' "$dir/run.out" |
        sed 's/^fuzz:   //' | cut -c 1-150)
    if [ "$status" = 1 ] && grep -qE '^[0-9]+ executions, [1-9][0-9]* findings$' "$dir/run.out"; then
        caught=$((caught + 1))
        echo "mutant $name: CAUGHT by $target after ${execs:-?} executions, ${elapsed:-?} s: $what"
    elif [ "$status" = 0 ]; then
        echo "mutant $name: MISSED by $target (${execs:-?} executions, ${elapsed:-?} s)"
    else
        echo "mutant $name: run.sh failed (status $status), see $dir/run.out"
    fi
done <<<"$MUTANTS"

echo "$caught of $n mutants caught"
[ "$caught" = "$n" ]
