-- incremental: refresh() recomputes only what the captured changes can
-- affect, and that always equals a full rebuild (docs/spec.md §8).
--
-- A randomized differential test: random batches of changes to every input
-- (inserts; updates of every column that matters, moves of sessions, calls,
-- form fills and chats between BizibleIds and persons, a form fill naming
-- another visitor's session, keyless events, person moves between accounts,
-- the opportunity lifecycle; deletes; now and then a change of the custom
-- weights, the position models, the channel rules, the window, or a
-- TRUNCATE), each followed by refresh() and compared with a full rebuild:
-- the stored rows are kept, refresh(full => true) runs (it compares the
-- rebuild with the table and must write nothing) and touchpoints, credits,
-- opportunity_touchpoints, channel_report and revenue_report must be equal,
-- EXCEPT ALL both ways.  The counts refresh() returns must be the tables'.
-- Deterministic: setseed, and every choice comes from random().
SET timezone = 'UTC';
SET max_parallel_workers_per_gather = 0;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.position_models;
UPDATE touchpoint.custom_model SET weight = 22.5;
INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium, source) VALUES
    (10, 'Paid Search', 'Google', 'cpc', 'google'), (20, 'Email', NULL, 'email', '*');

-- the pools the batches draw from: 24 BizibleIds written several ways (and
-- a few sessions with none, which only form fills and chats naming them
-- reach), 12 persons, 4 accounts
CREATE FUNCTION pick(a text[]) RETURNS text LANGUAGE sql VOLATILE
AS $$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;
CREATE FUNCTION some_key() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT pick(ARRAY['', 'k', ' K', 'k ']) || (1 + floor(random() * 24)::int) $$;
CREATE FUNCTION some_person() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.45 THEN NULL ELSE 'p' || (1 + floor(random() * 12)::int) END $$;
CREATE FUNCTION some_time() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT timestamptz '2024-03-01' + floor(random() * 6 * 24 * 12) * interval '5 minutes' $$;
CREATE FUNCTION some_row(rel regclass, id text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE r text;
BEGIN
    EXECUTE format('SELECT %I FROM %s ORDER BY random() LIMIT 1', id, rel) INTO r;
    RETURN r;
END $$;
CREATE SEQUENCE ids;

-- One random change; returns what it did (for the record of the batch).
CREATE FUNCTION random_change() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    x float8 := random();
    n int := nextval('ids');
    s text;
    t timestamptz;
    step int;
BEGIN
    -- the tables stay small (an insert into a full one deletes a row instead),
    -- so every batch costs about the same
    IF x < 0.16 AND (SELECT count(*) FROM touchpoint.sessions) >= 150 THEN
        x := 0.25;
    ELSIF x >= 0.28 AND x < 0.42 AND (SELECT count(*) FROM touchpoint.tasks) >= 100 THEN
        x := 0.51;
    ELSIF x >= 0.53 AND x < 0.63 AND (SELECT count(*) FROM touchpoint.form_submits) + (SELECT count(*) FROM touchpoint.chats) >= 80 THEN
        x := 0.71;
    END IF;
    IF x < 0.16 THEN                                         -- a new session
        INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium, source, campaign)
        VALUES ('s' || n, CASE WHEN random() < 0.06 THEN pick(ARRAY['', ' ']) ELSE some_key() END, some_time(), pick(ARRAY[NULL, '', 'Paid Search', 'Display']),
                pick(ARRAY[NULL, 'cpc', 'email']), pick(ARRAY[NULL, 'google', 'news']), pick(ARRAY[NULL, 'spring']));
        RETURN 'session+';
    ELSIF x < 0.24 THEN                                      -- a session changes
        s := some_row('touchpoint.sessions', 'session_id');
        CASE floor(random() * 4)::int
            WHEN 0 THEN UPDATE touchpoint.sessions SET bizible_id = CASE WHEN random() < 0.1 THEN '' ELSE some_key() END WHERE session_id = s;
            WHEN 1 THEN UPDATE touchpoint.sessions SET started_at = started_at + (random() * 120 - 60) * interval '1 minute' WHERE session_id = s;
            WHEN 2 THEN UPDATE touchpoint.sessions SET channel = pick(ARRAY[NULL, 'Email', 'Referral']), medium = pick(ARRAY[NULL, 'cpc']) WHERE session_id = s;
            ELSE UPDATE touchpoint.sessions SET last_activity_at = started_at + random() * interval '2 hours' WHERE session_id = s;
        END CASE;
        RETURN 'session~';
    ELSIF x < 0.28 THEN
        DELETE FROM touchpoint.sessions WHERE session_id = some_row('touchpoint.sessions', 'session_id');
        RETURN 'session-';
    ELSIF x < 0.42 THEN                                      -- a call, near one of the id's sessions or not
        SELECT se.bizible_id, se.started_at + floor(random() * 50 - 5) * interval '1 minute' INTO s, t
        FROM touchpoint.sessions se ORDER BY random() LIMIT 1;
        INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at, is_deleted)
        VALUES ('t' || n, CASE WHEN random() < 0.7 AND s IS NOT NULL THEN s WHEN random() < 0.1 THEN NULL ELSE some_key() END,
                pick(ARRAY[NULL, 'Call', 'Inbound Call', ' ']), some_person(), COALESCE(t, some_time()), random() < 0.08);
        RETURN 'call+';
    ELSIF x < 0.50 THEN
        s := some_row('touchpoint.tasks', 'task_id');
        CASE floor(random() * 5)::int
            WHEN 0 THEN UPDATE touchpoint.tasks SET bizible_id = some_key() WHERE task_id = s;
            WHEN 1 THEN UPDATE touchpoint.tasks SET person_id = some_person() WHERE task_id = s;
            WHEN 2 THEN UPDATE touchpoint.tasks SET occurred_at = occurred_at + (random() * 90 - 45) * interval '1 minute' WHERE task_id = s;
            WHEN 3 THEN UPDATE touchpoint.tasks SET is_deleted = NOT is_deleted WHERE task_id = s;
            ELSE UPDATE touchpoint.tasks SET type = pick(ARRAY[NULL, 'Call', 'Phone Call']) WHERE task_id = s;
        END CASE;
        RETURN 'call~';
    ELSIF x < 0.53 THEN
        DELETE FROM touchpoint.tasks WHERE task_id = some_row('touchpoint.tasks', 'task_id');
        RETURN 'call-';
    ELSIF x < 0.63 THEN                                      -- a form fill or a chat
        SELECT se.bizible_id, se.started_at + floor(random() * 40) * interval '1 minute', se.session_id INTO s, t
        FROM touchpoint.sessions se ORDER BY random() LIMIT 1;
        IF random() < 0.5 THEN
            INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
            VALUES ('f' || n, CASE WHEN random() < 0.15 THEN pick(ARRAY['', ' ']) WHEN random() < 0.7 AND s IS NOT NULL THEN s ELSE some_key() END,
                    CASE WHEN random() < 0.3 THEN some_row('touchpoint.sessions', 'session_id') WHEN random() < 0.05 THEN 'no-such-session' END,
                    COALESCE(t, some_time()), pick(ARRAY[NULL, 'https://x/demo', 'https://x/quote']), some_person());
        ELSE
            INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id)
            VALUES ('c' || n, CASE WHEN random() < 0.15 THEN '' WHEN random() < 0.7 AND s IS NOT NULL THEN s ELSE some_key() END,
                    CASE WHEN random() < 0.3 THEN some_row('touchpoint.sessions', 'session_id') END,
                    COALESCE(t, some_time()), some_person());
        END IF;
        RETURN 'event+';
    ELSIF x < 0.70 THEN
        IF random() < 0.5 THEN
            s := some_row('touchpoint.form_submits', 'submit_id');
            CASE floor(random() * 4)::int
                WHEN 0 THEN UPDATE touchpoint.form_submits SET bizible_id = CASE WHEN random() < 0.2 THEN '' ELSE some_key() END WHERE submit_id = s;
                WHEN 1 THEN UPDATE touchpoint.form_submits SET person_id = some_person() WHERE submit_id = s;
                WHEN 2 THEN UPDATE touchpoint.form_submits SET session_id = CASE WHEN random() < 0.5 THEN some_row('touchpoint.sessions', 'session_id') END WHERE submit_id = s;
                ELSE UPDATE touchpoint.form_submits SET submitted_at = submitted_at + (random() * 60 - 30) * interval '1 minute' WHERE submit_id = s;
            END CASE;
        ELSE
            s := some_row('touchpoint.chats', 'chat_id');
            CASE floor(random() * 3)::int
                WHEN 0 THEN UPDATE touchpoint.chats SET bizible_id = some_key() WHERE chat_id = s;
                WHEN 1 THEN UPDATE touchpoint.chats SET person_id = some_person() WHERE chat_id = s;
                ELSE UPDATE touchpoint.chats SET session_id = CASE WHEN random() < 0.5 THEN some_row('touchpoint.sessions', 'session_id') END WHERE chat_id = s;
            END CASE;
        END IF;
        RETURN 'event~';
    ELSIF x < 0.73 THEN
        DELETE FROM touchpoint.form_submits WHERE submit_id = some_row('touchpoint.form_submits', 'submit_id');
        DELETE FROM touchpoint.chats WHERE chat_id = some_row('touchpoint.chats', 'chat_id');
        RETURN 'event-';
    ELSIF x < 0.80 THEN                                      -- people: join, move account, leave
        s := 'p' || (1 + floor(random() * 12)::int);
        IF random() < 0.2 THEN
            DELETE FROM touchpoint.people WHERE person_id = s;
        ELSE
            INSERT INTO touchpoint.people (person_id, account_id) VALUES (s, 'a' || (1 + floor(random() * 4)::int))
            ON CONFLICT (person_id) DO UPDATE SET account_id = EXCLUDED.account_id;
        END IF;
        RETURN 'person';
    ELSIF x < 0.92 THEN                                      -- the opportunity lifecycle
        s := some_row('touchpoint.opportunities', 'opportunity_id');
        step := CASE WHEN s IS NULL THEN 0 ELSE floor(random() * 7)::int END;
        CASE step
            WHEN 0 THEN
                INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at)
                VALUES ('o' || n, 'a' || (1 + floor(random() * 4)::int), round((1000 + random() * 9000)::numeric, 2), some_time());
            WHEN 1 THEN UPDATE touchpoint.opportunities SET amount = round((500 + random() * 20000)::numeric, 2) WHERE opportunity_id = s;
            WHEN 2 THEN UPDATE touchpoint.opportunities SET closed_at = created_at + random() * interval '4 days', is_won = random() < 0.6 WHERE opportunity_id = s;
            WHEN 3 THEN UPDATE touchpoint.opportunities SET closed_at = NULL, is_won = NULL WHERE opportunity_id = s;
            WHEN 4 THEN UPDATE touchpoint.opportunities SET account_id = 'a' || (1 + floor(random() * 4)::int) WHERE opportunity_id = s;
            WHEN 5 THEN UPDATE touchpoint.opportunities SET created_at = some_time() WHERE opportunity_id = s;
            ELSE DELETE FROM touchpoint.opportunities WHERE opportunity_id = s;
        END CASE;
        RETURN 'opportunity';
    ELSIF x < 0.94 THEN                                      -- what every row depends on
        CASE floor(random() * 4)::int
            WHEN 0 THEN UPDATE touchpoint.custom_model SET weight = CASE position WHEN 'FT' THEN 30 WHEN 'LC' THEN 30 ELSE 15 END
                        WHERE (SELECT weight FROM touchpoint.custom_model WHERE position = 'FT') = 22.5;
            WHEN 1 THEN INSERT INTO touchpoint.position_models VALUES ('m' || (n % 3), 40, 20, 20, 10, 10)
                        ON CONFLICT (model) DO UPDATE SET ft = 30, lc = 30;
            WHEN 2 THEN UPDATE touchpoint.channel_rules SET subchannel = pick(ARRAY['Google', 'Search', NULL]) WHERE priority = 10;
            ELSE PERFORM set_config('touchpoint.session_window', pick(ARRAY['30min', '45min']), false);
        END CASE;
        RETURN 'settings';
    ELSIF x < 0.95 THEN
        TRUNCATE touchpoint.chats;
        RETURN 'truncate';
    END IF;
    RETURN 'nothing';
END $$;

-- A start: 60 sessions, 40 calls, 20 form fills and chats, people, opportunities.
SELECT setseed(0.5);
SELECT count(*) AS changes FROM (SELECT random_change() AS c FROM generate_series(1, 400)) s WHERE c IS NOT NULL;
SELECT mode FROM touchpoint.refresh();

CREATE TABLE batch_results (batch int, changes text, mode text, reason text, keys int8, opps int8,
                            full_written int8, counts_ok bool, tp_diff int8, credits_diff int8,
                            ot_diff int8, report_diff int8, revenue_diff int8);

-- every relation compared with the same after a full rebuild, EXCEPT ALL both ways
CREATE FUNCTION diff_count(a text, b text) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE n int8;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) UNION ALL (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)) d',
                   a, b, b, a) INTO n;
    RETURN n;
END $$;

-- a procedure: each batch commits (locks of the temporary tables do not pile up)
CREATE PROCEDURE run_batches(batches int) LANGUAGE plpgsql AS $$
DECLARE
    b int;
    done text;
    r record;
    f record;
BEGIN
    FOR b IN 1 .. batches LOOP
        SELECT string_agg(random_change(), ' ') INTO done FROM generate_series(1, 1 + floor(random() * 4)::int);
        r := touchpoint.refresh();
        CREATE TEMP TABLE k_tp AS SELECT * FROM touchpoint.touchpoints;
        CREATE TEMP TABLE k_credits AS SELECT * FROM touchpoint.credits;
        CREATE TEMP TABLE k_ot AS SELECT * FROM touchpoint.opportunity_touchpoints;
        CREATE TEMP TABLE k_report AS SELECT * FROM touchpoint.channel_report;
        CREATE TEMP TABLE k_revenue AS SELECT * FROM touchpoint.revenue_report;
        f := touchpoint.refresh("full" => true);
        INSERT INTO batch_results VALUES ((SELECT count(*) + 1 FROM batch_results), done, r.mode, r.reason, r.keys_recomputed, r.opportunities_recomputed,
            f.touchpoints_written,
            r.touchpoints = (SELECT count(*) FROM k_tp) AND r.opportunity_touchpoints = (SELECT count(*) FROM k_ot),
            diff_count('k_tp', 'touchpoint.touchpoints'), diff_count('k_credits', 'touchpoint.credits'),
            diff_count('k_ot', 'touchpoint.opportunity_touchpoints'), diff_count('k_report', 'touchpoint.channel_report'),
            diff_count('k_revenue', 'touchpoint.revenue_report'));
        DROP TABLE k_tp, k_credits, k_ot, k_report, k_revenue;
        COMMIT;
    END LOOP;
END $$;

\set seed `echo "${TP_INCREMENTAL_SEED:-0.25}"`
SELECT setseed(:seed);
\set batches `echo "${TP_INCREMENTAL_BATCHES:-1000}"`
-- in ten parts with a VACUUM between them: refresh() holds EXCLUSIVE locks,
-- so back-to-back refreshes keep autovacuum off the stage tables (it skips
-- a locked table) and the credit's rewritten rows would pile up
-- (not echoed, and no warnings: the output is the same for any number of batches)
\set ECHO none
SET client_min_messages = error;
SELECT 'CALL run_batches(' || (:batches / 10) || ')' AS run,
       'VACUUM touchpoint.touchpoints, touchpoint.opportunity_touchpoints, touchpoint_internal.position_credits, '
       || 'touchpoint_internal.changes, touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats' AS vacuum
FROM generate_series(1, 10) \gexec
RESET client_min_messages;
\set ECHO all

-- 0 differences in every batch, and the counts refresh() returned were right
SELECT count(*) = :batches AS all_batches_ran,
       count(*) FILTER (WHERE full_written <> 0 OR tp_diff <> 0 OR credits_diff <> 0 OR ot_diff <> 0
                               OR report_diff <> 0 OR revenue_diff <> 0) AS batches_with_differences,
       count(*) FILTER (WHERE NOT counts_ok) AS wrong_counts
FROM batch_results;
-- the first batches that differ, if any
SELECT * FROM batch_results
WHERE full_written <> 0 OR tp_diff <> 0 OR credits_diff <> 0 OR ot_diff <> 0 OR report_diff <> 0 OR revenue_diff <> 0
   OR NOT counts_ok
ORDER BY batch LIMIT 5;
-- most refreshes were incremental (the test proves nothing otherwise), each
-- full one had a reason, and the batches covered every kind of change
SELECT count(*) FILTER (WHERE mode = 'incremental') * 10 > count(*) * 8 AS mostly_incremental,
       count(*) FILTER (WHERE mode = 'full' AND reason IS NULL) AS full_without_reason,
       count(*) FILTER (WHERE mode = 'incremental' AND keys > 0) > count(*) / 2 AS keys_recomputed,
       count(*) FILTER (WHERE mode = 'incremental' AND opps > 0) > count(*) / 10 AS opportunities_recomputed
FROM batch_results;
SELECT k.change, COALESCE(d.n, 0) >= least(5, :batches / 200) AS drawn_often_enough
FROM unnest(ARRAY['session+', 'session~', 'session-', 'call+', 'call~', 'call-', 'event+', 'event~', 'event-',
                  'person', 'opportunity', 'settings', 'truncate']) k(change)
LEFT JOIN (SELECT c, count(*) AS n FROM batch_results, unnest(string_to_array(changes, ' ')) c GROUP BY c) d
       ON d.c = k.change;
-- a full refresh only for a truncate or a settings change; the credit alone for the weights
SELECT COALESCE(bool_and(reason ~ '^(chats truncated|the window, the anchor, the channel rules)'), true) AS full_for_a_reason,
       COALESCE(bool_and(changes ~ '(truncate|settings)'), true) AS full_only_after_truncate_or_settings
FROM batch_results WHERE mode = 'full';
SELECT COALESCE(bool_and(changes ~ 'settings'), true) AS credit_full_only_after_settings
FROM batch_results WHERE mode = 'incremental' AND reason IS NOT NULL;


-- The indexes the incremental credit reads the stored rows by (a journey's
-- touchpoints, an opportunity's credit rows: tp_scan_by_keys) made unusable,
-- as while one is rebuilt: it then scans the whole table, with the same
-- answers.  The indexes stay maintained (indisready), so they can be made
-- valid again after; the planner skips them too, so none may be read.
UPDATE pg_index SET indisvalid = false
WHERE indexrelid IN ('touchpoint.touchpoints_journey_id_idx'::regclass, 'touchpoint.opportunity_touchpoints_pkey'::regclass,
                     'touchpoint_internal.position_credits_pkey'::regclass);
SELECT pg_stat_force_next_flush();
CREATE TABLE index_reads AS
SELECT indexrelid::regclass AS index, idx_scan FROM pg_stat_all_indexes
WHERE indexrelid IN ('touchpoint.touchpoints_journey_id_idx'::regclass, 'touchpoint.opportunity_touchpoints_pkey'::regclass,
                     'touchpoint_internal.position_credits_pkey'::regclass);
DELETE FROM batch_results;
SELECT setseed(0.75);
-- 60 batches (10 under valgrind, whose run asks for 40 in all; not echoed)
\set ECHO none
SELECT 'CALL run_batches(' || least(60, :batches / 4) || ')' \gexec
\set ECHO all
SELECT pg_stat_force_next_flush();
SELECT count(*) = least(60, :batches / 4) AS all_batches_ran,
       count(*) FILTER (WHERE full_written <> 0 OR tp_diff <> 0 OR credits_diff <> 0 OR ot_diff <> 0
                               OR report_diff <> 0 OR revenue_diff <> 0 OR NOT counts_ok) AS batches_with_differences,
       count(*) FILTER (WHERE mode = 'incremental' AND keys > 0) > count(*) / 3 AS journeys_recomputed,
       count(*) FILTER (WHERE mode = 'incremental' AND opps > 0) > count(*) / 12 AS credit_recomputed
FROM batch_results;
SELECT r.index, s.idx_scan = r.idx_scan AS not_read
FROM index_reads r JOIN pg_stat_all_indexes s ON s.indexrelid = r.index::oid ORDER BY 1::text;
UPDATE pg_index SET indisvalid = true
WHERE indexrelid IN ('touchpoint.touchpoints_journey_id_idx'::regclass, 'touchpoint.opportunity_touchpoints_pkey'::regclass,
                     'touchpoint_internal.position_credits_pkey'::regclass);
DROP TABLE index_reads;
