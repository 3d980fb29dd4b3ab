#!/bin/bash
# touchpoint dump/restore round trip.
#
#   . /tmp/tpenv && bash test/dump_restore.sh
#
# Needs a running cluster reachable through PGHOST/PGPORT/PGUSER (a superuser)
# with touchpoint installed (make install).  It:
#   1. creates a database, CREATE EXTENSION touchpoint, loads test/data/demo_data.sql
#      (sessions, tasks, form fills, chats, people, opportunities, channel rules) plus generated form fills and chats, and refreshes;
#   2. saves the touchpoints and every input table (ordered) with COPY;
#   3. pg_dump -Fc, creates a second database and pg_restore's into it, which
#      must succeed with no errors;
#   4. checks that every input row came back identical, that the stored
#      relations came back as extension members with no data, and that
#      touchpoint.refresh() rebuilds exactly the original touchpoints;
#   5. checks that the user's sessions and tasks views registered with
#      touchpoint.use_source come back registered, and that merge_calls()
#      without arguments reads them as before;
#   6. drops both databases.
# Prints one line per check and ends with "N passed, M failed"; exits 1 when
# anything failed.  Uses pg_dump, pg_restore and psql from `pg_config --bindir`.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=$(pg_config --bindir)
# The same time zone and date style in every session, so COPY output compares.
export PGTZ=UTC PGDATESTYLE=ISO,YMD
SRC=tp_dump_src_$$
DST=tp_dump_dst_$$
WORK=$(mktemp -d /tmp/tp_dump_restore.XXXXXX)
PSQL=("$BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1)

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   - $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL - $*"; }
note() { echo "       $*"; }

# q DB SQL: one query, unaligned tuples only; errors go to stderr.
q() { "${PSQL[@]}" -d "$1" -c "$2"; }

# expect DESC GOT WANT
expect() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', expected '$3')"; fi
}

# same DESC FILE_A FILE_B: byte-identical files, with a short diff otherwise.
same() {
    if cmp -s "$2" "$3"; then
        ok "$1"
    else
        bad "$1"
        diff "$2" "$3" | head -n 10 | sed 's/^/       /'
    fi
}

drop_dbs() {
    "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >/dev/null
}

finish() {
    trap - EXIT
    drop_dbs
    if q postgres "SELECT count(*) FROM pg_database WHERE datname IN ('$SRC', '$DST')" | grep -qx 0; then
        ok "both databases dropped"
    else
        bad "both databases dropped"
    fi
    if [ "$failed" -eq 0 ]; then rm -rf "$WORK"; else note "files kept in $WORK"; fi
    echo "$passed passed, $failed failed"
    # An explicit status: a bare exit inside the EXIT trap would reuse the
    # status the script had before the trap ran.
    if [ "$failed" -eq 0 ]; then exit 0; else exit 1; fi
}
trap finish EXIT

# setup_or_die DESC CMD...: a step the rest depends on.
setup_or_die() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc"; finish; fi
}

echo "touchpoint dump/restore round trip (server $(q postgres 'SHOW server_version'), databases $SRC -> $DST)"

# ---------------------------------------------------------------------------
# 1. The source database.
setup_or_die "create database $SRC and CREATE EXTENSION touchpoint" \
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $SRC TEMPLATE template0" \
        -c "\\c $SRC" -c "CREATE EXTENSION touchpoint"

setup_or_die "load test/data/demo_data.sql" \
    "${PSQL[@]}" -d "$SRC" -o /dev/null -f test/data/demo_data.sql

# Form fills and chats, generated deterministically from the demo sessions:
# some name their session, some are placed by the window rule, some name a
# session that does not exist, some belong to visitors who never browsed (no
# session at all).  A few carry text that COPY has to escape.
setup_or_die "generate form fills and chats" \
    "${PSQL[@]}" -d "$SRC" <<'SQL'
INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT 'F' || lpad(n::text, 5, '0'),
       CASE WHEN n % 11 = 0 THEN upper(s.bizible_id) ELSE s.bizible_id END,
       CASE n % 4 WHEN 0 THEN s.session_id WHEN 1 THEN 'no-such-session' ELSE NULL END,
       s.started_at + (n % 45) * interval '1 minute',
       CASE n % 5
           WHEN 0 THEN 'https://www.example.com/demo'
           WHEN 1 THEN E'https://www.example.com/contact?q=tab\there&back=\\slash'
           WHEN 2 THEN E'https://www.example.com/ünïcødé/\nnew line'
           WHEN 3 THEN ''
           ELSE NULL END,
       CASE WHEN n % 3 = 0 THEN '00Q5e0000F' || lpad(n::text, 5, '0') || 'IAK' END
FROM (SELECT row_number() OVER (ORDER BY session_id) AS n, *
      FROM touchpoint.sessions) s
WHERE s.n % 50 = 7;

INSERT INTO touchpoint.form_submits (submit_id, bizible_id, submitted_at, form_url, person_id)
SELECT 'FX' || v, md5('touchpoint-demo-visitor-' || v),
       timestamptz '2024-09-10 15:00+00' + v * interval '7 minutes',
       'https://www.example.com/pricing', NULL
FROM generate_series(4601, 4700) AS v;

INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
SELECT 'C' || lpad(n::text, 5, '0'),
       CASE WHEN n % 13 = 0 THEN '  ' || s.bizible_id || ' ' ELSE s.bizible_id END,
       CASE n % 5 WHEN 0 THEN s.session_id WHEN 1 THEN 'no-such-session' ELSE NULL END,
       s.started_at + (n % 40) * interval '1 minute' + interval '17 seconds',
       CASE WHEN n % 4 = 0 THEN '0035e0000C' || lpad(n::text, 5, '0') || 'AAA' END
FROM (SELECT row_number() OVER (ORDER BY session_id) AS n, *
      FROM touchpoint.sessions) s
WHERE s.n % 60 = 11;

INSERT INTO touchpoint.chats (chat_id, bizible_id, started_at)
SELECT 'CX' || v, md5('touchpoint-demo-visitor-' || v),
       timestamptz '2024-09-20 16:00+00' + v * interval '11 minutes'
FROM generate_series(4701, 4760) AS v;

-- the user's own custom-model weights must survive the restore
UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'FT' THEN 10 WHEN 'LC' THEN 35
                                                          WHEN 'OC' THEN 20.5 ELSE 24.5 END;
-- and so must the user's own position models
INSERT INTO touchpoint.position_models VALUES ('sales_led', 10, 20, 40, 20, 10), ('fp_copy', 22.5, 22.5, 22.5, 22.5, 10);
SQL

for t in sessions tasks form_submits chats; do
    note "$t: $(q "$SRC" "SELECT count(*) FROM touchpoint.$t") rows"
done

# The user's own relations, registered (docs/spec.md §7): a CRM-shaped tasks
# table behind a view in a schema of its own, and a sessions view.
setup_or_die "register the user's sessions and tasks views with touchpoint.use_source" \
    "${PSQL[@]}" -d "$SRC" -o /dev/null <<'SQL'
CREATE SCHEMA crm;
CREATE TABLE crm."Task" AS
SELECT task_id AS "Id", bizible_id AS "bizible2__BizibleId__c", type AS "Type", subject AS "Subject",
       phone AS "Phone", person_id AS "WhoId", occurred_at AS "CreatedDate", is_deleted AS "IsDeleted"
FROM touchpoint.tasks WHERE right(md5(task_id), 1) < '8';
CREATE VIEW crm."My Tasks" AS
SELECT "Id" AS task_id, "bizible2__BizibleId__c" AS bizible_id, "Type" AS type, "Subject" AS subject,
       "Phone" AS phone, "WhoId" AS person_id, "CreatedDate" AS occurred_at, "IsDeleted" AS is_deleted
FROM crm."Task";
CREATE VIEW public.web_sessions WITH (security_invoker = true) AS
SELECT * FROM touchpoint.sessions WHERE channel IS DISTINCT FROM 'Email';
SELECT touchpoint.use_source('tasks', 'crm."My Tasks"');
SELECT touchpoint.use_source('sessions', 'public.web_sessions');
SQL

mode=$(q "$SRC" "SELECT mode FROM touchpoint.refresh()")
expect "first refresh() in $SRC is full" "$mode" full
kinds=$(q "$SRC" "SELECT string_agg(source_kind || '=' || n, ' ' ORDER BY source_kind) FROM (SELECT source_kind, count(*) AS n FROM touchpoint.touchpoints GROUP BY 1) k")
note "touchpoints by kind: $kinds"
nkinds=$(q "$SRC" "SELECT count(DISTINCT source_kind) FROM touchpoint.touchpoints")
expect "the touchpoints include every kind (visit, form, chat, call)" "$nkinds" 4

# ---------------------------------------------------------------------------
# 2. What must survive.  Input tables: the four of docs/spec.md §2/§5 by primary key,
# plus any other table the extension marks for pg_dump (pg_extension.extconfig).
declare -A ORDER_BY=([sessions]=session_id [tasks]=task_id [form_submits]=submit_id [chats]=chat_id)
tables=(sessions tasks form_submits chats)
# (the registry of sources, in touchpoint_internal, is checked apart below: its
# oid column is resolved again at the restore)
for t in $(q "$SRC" "SELECT c.relname FROM pg_extension e, unnest(e.extconfig) x(oid) JOIN pg_class c ON c.oid = x.oid WHERE e.extname = 'touchpoint' AND c.relkind = 'r' AND c.relnamespace = 'touchpoint'::regnamespace ORDER BY 1"); do
    case " ${tables[*]} " in *" $t "*) ;; *) tables+=("$t") ;; esac
done
note "input tables: ${tables[*]}"

# save DB TABLE FILE
save() {
    local key=${ORDER_BY[$2]:-}
    local order="x::text COLLATE \"C\""
    [ -n "$key" ] && order="$key COLLATE \"C\""
    "${PSQL[@]}" -d "$1" -c "COPY (SELECT * FROM touchpoint.$2 x ORDER BY $order) TO STDOUT" >"$3"
}
for t in "${tables[@]}"; do
    save "$SRC" "$t" "$WORK/src.$t.copy" || bad "COPY touchpoint.$t out of $SRC"
done
"${PSQL[@]}" -d "$SRC" -c 'COPY (SELECT * FROM touchpoint.touchpoints ORDER BY touchpoint_id COLLATE "C") TO STDOUT' \
    >"$WORK/src.touchpoints.copy" || bad "COPY touchpoint.touchpoints out of $SRC"
"${PSQL[@]}" -d "$SRC" -c 'COPY (SELECT * FROM touchpoint.opportunity_touchpoints ORDER BY opportunity_id COLLATE "C", touchpoint_id COLLATE "C") TO STDOUT' \
    >"$WORK/src.opportunity_touchpoints.copy" || bad "COPY touchpoint.opportunity_touchpoints out of $SRC"
src_version=$(q "$SRC" "SELECT extversion FROM pg_extension WHERE extname = 'touchpoint'")
SOURCES_Q="SELECT string_agg(kind || '=' || relation || ':' || status, ' ' ORDER BY kind) FROM touchpoint.sources WHERE NOT is_own_table"
src_sources=$(q "$SRC" "$SOURCES_Q")
"${PSQL[@]}" -d "$SRC" -c 'COPY (SELECT * FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C") TO STDOUT' \
    >"$WORK/src.merge_registered.copy" || bad "COPY merge_calls() out of $SRC"
src_merged=$(q "$SRC" "SELECT count(*) FROM touchpoint.merge_calls()")
src_all=$(q "$SRC" "SELECT count(*) FROM touchpoint.merge_calls('touchpoint.sessions', 'touchpoint.tasks')")
[ "$src_merged" -gt 0 ] && [ "$src_merged" != "$src_all" ]
expect "merge_calls() reads the registered views in $SRC ($src_merged rows; $src_all from touchpoint's tables)" $? 0

# ---------------------------------------------------------------------------
# 3. Dump and restore.
if "$BIN/pg_dump" -Fc -d "$SRC" -f "$WORK/dump.fc" 2>"$WORK/pg_dump.err" && [ ! -s "$WORK/pg_dump.err" ]; then
    ok "pg_dump -Fc $SRC: exit status 0, nothing on stderr"
else
    bad "pg_dump -Fc $SRC"
    sed 's/^/       /' "$WORK/pg_dump.err"
    finish
fi

"$BIN/pg_restore" -l "$WORK/dump.fc" >"$WORK/dump.toc"
if grep -Eq 'MATERIALIZED VIEW DATA|TABLE DATA touchpoint (touchpoints|opportunity_touchpoints) ' "$WORK/dump.toc"; then
    bad "the dump holds no stored touchpoints or credit (rebuilt by refresh())"
    grep -E 'MATERIALIZED VIEW DATA|TABLE DATA touchpoint (touchpoints|opportunity_touchpoints) ' "$WORK/dump.toc" | sed 's/^/       /'
else
    ok "the dump holds no stored touchpoints or credit (rebuilt by refresh())"
fi
for t in "${tables[@]}"; do
    if grep -Eq "TABLE DATA touchpoint $t " "$WORK/dump.toc"; then
        ok "the dump holds the rows of touchpoint.$t"
    else
        bad "the dump holds the rows of touchpoint.$t"
    fi
done

setup_or_die "create database $DST" \
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DST TEMPLATE template0"

"$BIN/pg_restore" -d "$DST" "$WORK/dump.fc" >"$WORK/pg_restore.out" 2>&1
rc=$?
expect "pg_restore into $DST: exit status" "$rc" 0
if grep -qi 'error' "$WORK/pg_restore.out"; then
    bad "pg_restore printed no errors"
    sed 's/^/       /' "$WORK/pg_restore.out" | head -n 40
elif [ -s "$WORK/pg_restore.out" ]; then
    bad "pg_restore printed nothing (it printed no errors, but:)"
    sed 's/^/       /' "$WORK/pg_restore.out" | head -n 40
else
    ok "pg_restore printed no errors (no output at all)"
fi

# ---------------------------------------------------------------------------
# 4. What came back.
expect "extension touchpoint restored at the same version" \
    "$(q "$DST" "SELECT extversion FROM pg_extension WHERE extname = 'touchpoint'")" "$src_version"

for t in "${tables[@]}"; do
    if save "$DST" "$t" "$WORK/dst.$t.copy"; then
        same "touchpoint.$t: all $(wc -l <"$WORK/src.$t.copy") rows came back identical" \
            "$WORK/src.$t.copy" "$WORK/dst.$t.copy"
    else
        bad "COPY touchpoint.$t out of $DST"
    fi
done

expect "touchpoint.touchpoints is an extension member" \
    "$(q "$DST" "SELECT count(*) FROM pg_depend WHERE classid = 'pg_class'::regclass AND objid = 'touchpoint.touchpoints'::regclass AND refclassid = 'pg_extension'::regclass AND deptype = 'e'")" 1
expect "touchpoint.touchpoints is empty after the restore (refresh() rebuilds it)" \
    "$(q "$DST" "SELECT count(*) FROM touchpoint.touchpoints")" 0
expect "touchpoint.opportunity_touchpoints is empty after the restore" \
    "$(q "$DST" "SELECT count(*) FROM touchpoint.opportunity_touchpoints")" 0

expect "refresh() after the restore is full" "$(q "$DST" "SELECT mode FROM touchpoint.refresh()")" full
"${PSQL[@]}" -d "$DST" -c 'COPY (SELECT * FROM touchpoint.touchpoints ORDER BY touchpoint_id COLLATE "C") TO STDOUT' \
    >"$WORK/dst.touchpoints.copy" || bad "COPY touchpoint.touchpoints out of $DST"
same "after refresh() the $(wc -l <"$WORK/src.touchpoints.copy") touchpoints are identical to the original" \
    "$WORK/src.touchpoints.copy" "$WORK/dst.touchpoints.copy"

expect "the custom model keeps the user's weights after the restore" \
    "$(q "$DST" "SELECT string_agg(position || '=' || weight, ' ' ORDER BY position) FROM touchpoint.custom_model")" \
    "Closed=24.5 FT=10 LC=35 OC=20.5"
"${PSQL[@]}" -d "$DST" -c 'COPY (SELECT * FROM touchpoint.opportunity_touchpoints ORDER BY opportunity_id COLLATE "C", touchpoint_id COLLATE "C") TO STDOUT' \
    >"$WORK/dst.opportunity_touchpoints.copy" || bad "COPY touchpoint.opportunity_touchpoints out of $DST"
same "after refresh() the $(wc -l <"$WORK/src.opportunity_touchpoints.copy") opportunity touchpoints (credit of every model) are identical" \
    "$WORK/src.opportunity_touchpoints.copy" "$WORK/dst.opportunity_touchpoints.copy"

expect "the position models are restored" \
    "$(q "$DST" "SELECT string_agg(model || '=' || ft || '/' || lc || '/' || oc || '/' || closed || '/' || middle, ' ' ORDER BY model) FROM touchpoint.position_models")" \
    "fp_copy=22.5/22.5/22.5/22.5/10 sales_led=10/20/40/20/10"
"${PSQL[@]}" -d "$SRC" -c 'COPY (SELECT * FROM touchpoint.credits ORDER BY opportunity_id COLLATE "C", touchpoint_id COLLATE "C", model COLLATE "C") TO STDOUT' \
    >"$WORK/src.credits.copy" || bad "COPY touchpoint.credits out of $SRC"
"${PSQL[@]}" -d "$DST" -c 'COPY (SELECT * FROM touchpoint.credits ORDER BY opportunity_id COLLATE "C", touchpoint_id COLLATE "C", model COLLATE "C") TO STDOUT' \
    >"$WORK/dst.credits.copy" || bad "COPY touchpoint.credits out of $DST"
same "after refresh() the $(wc -l <"$WORK/src.credits.copy") credit rows (10 models, long form) are identical" \
    "$WORK/src.credits.copy" "$WORK/dst.credits.copy"

expect "a second refresh() is full again" "$(q "$DST" "SELECT mode FROM touchpoint.refresh()")" full
"${PSQL[@]}" -d "$DST" -c 'COPY (SELECT * FROM touchpoint.touchpoints ORDER BY touchpoint_id COLLATE "C") TO STDOUT' \
    >"$WORK/dst.touchpoints2.copy" || bad "COPY touchpoint.touchpoints out of $DST"
same "after the second refresh() the touchpoints are still identical" \
    "$WORK/src.touchpoints.copy" "$WORK/dst.touchpoints2.copy"
REBUILD="SELECT * FROM touchpoint_internal.pipeline_touchpoints(touchpoint_internal.source('sessions'), 'touchpoint_internal.pipeline_events', 'touchpoint_internal.pipeline_keyless_events', touchpoint_internal.channel_rules_array(), NULL)"
expect "touchpoint.touchpoints equals a rebuild from the restored registered sources in $DST (EXCEPT ALL both ways)" \
    "$(q "$DST" "SELECT count(*) FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL $REBUILD) UNION ALL ($REBUILD EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d")" 0
expect "refresh() read the registered sources, not touchpoint's tables (its touchpoints differ from touchpoints_live)" \
    "$(q "$DST" "SELECT count(*) > 0 FROM ((SELECT * FROM touchpoint.touchpoints EXCEPT ALL SELECT * FROM touchpoint.touchpoints_live) UNION ALL (SELECT * FROM touchpoint.touchpoints_live EXCEPT ALL SELECT * FROM touchpoint.touchpoints)) d")" t

expect "the registered sources came back (touchpoint.sources)" "$(q "$DST" "$SOURCES_Q")" "$src_sources"
expect "the registrations name the restored relations (oid resolved at restore)" \
    "$(q "$DST" "SELECT count(*) FROM touchpoint_internal.source_registry WHERE relid = to_regclass(relation)::oid")" 2
"${PSQL[@]}" -d "$DST" -c 'COPY (SELECT * FROM touchpoint.merge_calls() ORDER BY task_id COLLATE "C") TO STDOUT' \
    >"$WORK/dst.merge_registered.copy" || bad "COPY merge_calls() out of $DST"
same "merge_calls() without arguments reads the restored registered views: the same $(wc -l <"$WORK/src.merge_registered.copy") rows" \
    "$WORK/src.merge_registered.copy" "$WORK/dst.merge_registered.copy"

# 6. finish (the EXIT trap) drops both databases and prints the totals.
