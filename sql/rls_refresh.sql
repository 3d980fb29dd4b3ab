-- rls_refresh: an incremental refresh() under row-level security gives
-- exactly what a full rebuild gives under the same role and policies
-- (docs/spec.md §8), and never a row the policies hide (README: "Who sees
-- what": refresh() reads the sources as the role that runs it).
--
-- The refreshing role is a member of the extension's owner (check_refresh_
-- privilege lets it refresh), so it counts as the tables' owner: row-level
-- security applies to it only with FORCE ROW LEVEL SECURITY, which all six of
-- touchpoint's input tables get here, each with a policy that hides some
-- rows.  The writes are made as the superuser (no row security), on both
-- sides of the policies.  After each batch, rls_check() runs refresh() (the
-- default, incremental), keeps what it stored, runs refresh(full => true) in
-- a subtransaction it rolls back, and compares the two EXCEPT ALL both ways
-- (touchpoints, opportunity_touchpoints, credits); it also counts stored rows
-- made of hidden source rows (none allowed), and checks that the policies
-- matter: a rebuild without row security differs.  Then the row security
-- itself changes (a policy, the role that refreshes, FORCE): the next refresh
-- must be full and give the full rebuild's rows.
-- Runs after incremental, whose rows quick_refresh reads: they are kept
-- aside and put back at the end.
SET timezone = 'UTC';
SET max_parallel_workers_per_gather = 0;

-- incremental's rows, put back at the end
CREATE TABLE rls_saved_sessions AS SELECT * FROM touchpoint.sessions;
CREATE TABLE rls_saved_tasks AS SELECT * FROM touchpoint.tasks;
CREATE TABLE rls_saved_form_submits AS SELECT * FROM touchpoint.form_submits;
CREATE TABLE rls_saved_chats AS SELECT * FROM touchpoint.chats;
CREATE TABLE rls_saved_people AS SELECT * FROM touchpoint.people;
CREATE TABLE rls_saved_opportunities AS SELECT * FROM touchpoint.opportunities;
CREATE TABLE rls_saved_channel_rules AS SELECT * FROM touchpoint.channel_rules;
CREATE TABLE rls_saved_custom_model AS SELECT * FROM touchpoint.custom_model;
CREATE TABLE rls_saved_position_models AS SELECT * FROM touchpoint.position_models;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.position_models;
UPDATE touchpoint.custom_model SET weight = 22.5;
INSERT INTO touchpoint.channel_rules (priority, channel, subchannel, medium, source) VALUES
    (10, 'Paid Search', 'Google', 'cpc', 'google'), (20, 'Email', NULL, 'email', '*');
INSERT INTO touchpoint.position_models VALUES ('rls_model', 40, 20, 20, 10, 10);

-- The data.  Visitors v1..v16 (visible) and x1..x4 (hidden: the policies
-- hide every row whose BizibleId starts with a lower-case x); visitor x5 is
-- written 'X5' in some rows (visible: LIKE is case-sensitive) and 'x5' in
-- others (hidden), one BizibleId for the engine.  Three sessions each, every
-- fifth one 'Confidential' (hidden); a call ten minutes into each visitor's
-- second session, naming a person (x-visitors' calls name visible persons:
-- without row security they would join those journeys); form fills, some to
-- the internal URL (hidden); chats.  People in three visible accounts and
-- HIDDENCO, two with a secret e-mail (hidden), one without an account;
-- opportunities per account, open and closed, one of 2,000,000 (hidden: the
-- policy hides amounts of 1,000,000 or more) and HIDDENCO's (hidden).
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel, medium, source)
SELECT 's' || v || '-' || n,
       CASE WHEN v <= 16 THEN 'v' || v WHEN v <= 20 THEN 'x' || (v - 16) WHEN n = 2 THEN 'x5' ELSE 'X5' END,
       timestamptz '2026-03-01' + v * interval '7 hours' + n * interval '2 days',
       CASE WHEN (v * 3 + n) % 5 = 0 THEN 'Confidential' ELSE (ARRAY[NULL, 'Email', 'Organic Search'])[1 + (v + n) % 3] END,
       CASE WHEN (v + n) % 3 = 0 THEN 'cpc' END, CASE WHEN (v + n) % 3 = 0 THEN 'google' END
FROM generate_series(1, 21) v, generate_series(1, 3) n;
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at)
SELECT 't' || v,
       CASE WHEN v <= 16 THEN 'v' || v WHEN v <= 20 THEN 'x' || (v - 16) ELSE 'x5' END,
       'Call', CASE WHEN v % 5 <> 0 THEN 'p' || (1 + v % 13) END,
       timestamptz '2026-03-01' + v * interval '7 hours' + 4 * interval '1 day' + interval '10 minutes'
FROM generate_series(1, 21) v;
INSERT INTO touchpoint.form_submits (submit_id, bizible_id, session_id, submitted_at, form_url, person_id)
SELECT 'f' || v, CASE WHEN v <= 16 THEN 'v' || v ELSE 'x' || (v - 16) END, NULL,
       timestamptz '2026-03-01' + v * interval '7 hours' + 6 * interval '1 day' + interval '5 minutes',
       CASE WHEN v % 2 = 0 THEN 'https://example.com/internal' ELSE 'https://example.com/demo' END,
       CASE WHEN v % 4 = 1 THEN 'p' || (1 + (v + 3) % 13) END
FROM generate_series(3, 18, 3) v;
INSERT INTO touchpoint.chats (chat_id, bizible_id, session_id, started_at, person_id) VALUES
    ('c1', 'v2', NULL, '2026-03-05 20:00', NULL),
    ('c2', 'x2', NULL, '2026-03-07 07:30', 'p5'),
    ('c3', 'v7', 's7-1', '2026-03-03 02:00', NULL);
INSERT INTO touchpoint.people (person_id, account_id, email)
SELECT 'p' || i, (ARRAY['ACME', 'BETA', 'GAMMA', 'HIDDENCO'])[1 + i % 4],
       CASE WHEN i IN (3, 8) THEN 'p' || i || '@secret.example' ELSE 'p' || i || '@example.com' END
FROM generate_series(1, 12) i;
INSERT INTO touchpoint.people VALUES ('p13', NULL, 'p13@example.com');
INSERT INTO touchpoint.opportunities VALUES
    ('o-acme-1', 'ACME', 10000, '2026-03-04', NULL, NULL),
    ('o-acme-2', 'ACME', 2000000, '2026-03-05', NULL, NULL),
    ('o-acme-3', 'ACME', 5000, '2026-03-02', '2026-03-06', true),
    ('o-beta-1', 'BETA', 20000, '2026-03-03', '2026-03-08', false),
    ('o-beta-2', 'BETA', 7000, '2026-03-06', NULL, NULL),
    ('o-gamma-1', 'GAMMA', 30000, '2026-03-05', '2026-03-09', true),
    ('o-hidden-1', 'HIDDENCO', 40000, '2026-03-04', NULL, NULL);

-- The refreshing role: a member of the owner, which may refresh.
SELECT r.rolname AS owner FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
WHERE c.oid = 'touchpoint.touchpoints'::regclass \gset
CREATE ROLE regress_rls_refresher;
GRANT :"owner" TO regress_rls_refresher;

-- Row-level security, forced on the owner, on all six inputs.
ALTER TABLE touchpoint.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.form_submits ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.people ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.opportunities ENABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.form_submits FORCE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.chats FORCE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.people FORCE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.opportunities FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_refresh ON touchpoint.sessions
    USING (bizible_id NOT LIKE 'x%' AND channel IS DISTINCT FROM 'Confidential');
CREATE POLICY rls_refresh ON touchpoint.tasks USING (COALESCE(bizible_id, '') NOT LIKE 'x%');
CREATE POLICY rls_refresh ON touchpoint.form_submits
    USING (bizible_id NOT LIKE 'x%' AND form_url IS DISTINCT FROM 'https://example.com/internal');
CREATE POLICY rls_refresh ON touchpoint.chats USING (bizible_id NOT LIKE 'x%');
CREATE POLICY rls_refresh ON touchpoint.people USING (email IS NULL OR email NOT LIKE '%@secret.example');
CREATE POLICY rls_refresh ON touchpoint.opportunities USING (account_id <> 'HIDDENCO' AND amount < 1000000);

-- diff_count(a, b): rows of a not in b plus rows of b not in a (EXCEPT ALL)
CREATE FUNCTION rls_diff_count(a text, b text) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE n int8;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) UNION ALL (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)) d',
                   a, b, b, a) INTO n;
    RETURN n;
END $$;
-- every input row's id as the superuser sees them (SECURITY DEFINER: no row
-- security), and as the caller does; hidden = the first less the second
CREATE FUNCTION rls_all_rows(OUT kind text, OUT id text) RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT 'session', session_id FROM touchpoint.sessions UNION ALL
    SELECT 'task', task_id FROM touchpoint.tasks UNION ALL
    SELECT 'form', submit_id FROM touchpoint.form_submits UNION ALL
    SELECT 'chat', chat_id FROM touchpoint.chats UNION ALL
    SELECT 'person', person_id FROM touchpoint.people UNION ALL
    SELECT 'opportunity', opportunity_id FROM touchpoint.opportunities $$;
CREATE FUNCTION rls_visible_rows(OUT kind text, OUT id text) RETURNS SETOF record
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT 'session', session_id FROM touchpoint.sessions UNION ALL
    SELECT 'task', task_id FROM touchpoint.tasks UNION ALL
    SELECT 'form', submit_id FROM touchpoint.form_submits UNION ALL
    SELECT 'chat', chat_id FROM touchpoint.chats UNION ALL
    SELECT 'person', person_id FROM touchpoint.people UNION ALL
    SELECT 'opportunity', opportunity_id FROM touchpoint.opportunities $$;
CREATE FUNCTION rls_hidden_rows(OUT kind text, OUT id text) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT * FROM rls_all_rows() EXCEPT SELECT * FROM rls_visible_rows() $$;
-- rls_note_hidden(): the input rows the calling role cannot see, kept in
-- pg_temp.rls_hidden for the counts below (which may run as the superuser)
CREATE FUNCTION rls_note_hidden() RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE n int8;
BEGIN
    IF to_regclass('pg_temp.rls_hidden') IS NOT NULL THEN
        DROP TABLE pg_temp.rls_hidden;
    END IF;
    CREATE TEMP TABLE rls_hidden AS SELECT * FROM rls_hidden_rows();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
-- stored rows made of those hidden input rows: a touchpoint of a hidden
-- session, call, form fill or chat (or placed in a hidden session), credit of
-- a hidden opportunity or of a hidden person's touchpoint
CREATE FUNCTION rls_hidden_shown(tp regclass, ot regclass) RETURNS int8 LANGUAGE plpgsql AS $$
DECLARE n int8;
BEGIN
    EXECUTE format($q$
        SELECT (SELECT count(*) FROM %1$s t
                WHERE (CASE t.source_kind WHEN 'visit' THEN 'session' WHEN 'call' THEN 'task' ELSE t.source_kind END, t.source_id)
                      IN (SELECT kind, id FROM pg_temp.rls_hidden)
                   OR t.session_id IN (SELECT id FROM pg_temp.rls_hidden WHERE kind = 'session'))
             + (SELECT count(*) FROM %2$s o LEFT JOIN %1$s t ON t.touchpoint_id = o.touchpoint_id
                WHERE o.opportunity_id IN (SELECT id FROM pg_temp.rls_hidden WHERE kind = 'opportunity')
                   OR t.person_id IN (SELECT id FROM pg_temp.rls_hidden WHERE kind = 'person')) $q$, tp, ot) INTO n;
    RETURN n;
END $$;
-- a full rebuild without row security (as the superuser, rolled back): the
-- rows it would change, and how many of its rows are made of the rows hidden
-- from the caller (rls_note_hidden) -- the policies hide something that
-- matters, and rls_hidden_shown sees it
CREATE FUNCTION rls_unrestricted(OUT differences int8, OUT hidden_shown int8)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    CREATE TEMP TABLE rls_u_tp AS SELECT * FROM touchpoint.touchpoints;
    CREATE TEMP TABLE rls_u_ot AS SELECT * FROM touchpoint.opportunity_touchpoints;
    BEGIN
        PERFORM touchpoint.refresh("full" => true);
        differences := rls_diff_count('rls_u_tp', 'touchpoint.touchpoints')
                       + rls_diff_count('rls_u_ot', 'touchpoint.opportunity_touchpoints');
        hidden_shown := rls_hidden_shown('touchpoint.touchpoints', 'touchpoint.opportunity_touchpoints');
        RAISE EXCEPTION 'roll back' USING ERRCODE = 'TP999';
    EXCEPTION WHEN SQLSTATE 'TP999' THEN
        NULL;
    END;
    DROP TABLE rls_u_tp, rls_u_ot;
END $$;

-- rls_check(batch): refresh() as the caller, then compare what it stored
-- with refresh(full => true) run by the same role under the same policies (in
-- a subtransaction, rolled back: the next batch starts from what the
-- incremental refreshes built).
CREATE FUNCTION rls_check(label text, OUT batch text, OUT mode text, OUT reason text,
                          OUT keys bool, OUT opportunities bool, OUT counts_ok bool, OUT full_written int8,
                          OUT tp_diff int8, OUT ot_diff int8, OUT credits_diff int8,
                          OUT hidden_shown int8, OUT policies_matter bool, OUT hidden_would_show bool)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    f record;
    u record;
BEGIN
    batch := label;
    r := touchpoint.refresh();
    mode := r.mode;
    reason := r.reason;
    keys := r.keys_recomputed > 0;
    opportunities := r.opportunities_recomputed > 0;
    CREATE TEMP TABLE rls_inc_tp AS SELECT * FROM touchpoint.touchpoints;
    CREATE TEMP TABLE rls_inc_ot AS SELECT * FROM touchpoint.opportunity_touchpoints;
    CREATE TEMP TABLE rls_inc_credits AS SELECT * FROM touchpoint.credits;
    counts_ok := r.touchpoints = (SELECT count(*) FROM rls_inc_tp)
                 AND r.opportunity_touchpoints = (SELECT count(*) FROM rls_inc_ot);
    PERFORM rls_note_hidden();
    hidden_shown := rls_hidden_shown('rls_inc_tp', 'rls_inc_ot');
    BEGIN
        f := touchpoint.refresh("full" => true);
        full_written := f.touchpoints_written;
        tp_diff := rls_diff_count('rls_inc_tp', 'touchpoint.touchpoints');
        ot_diff := rls_diff_count('rls_inc_ot', 'touchpoint.opportunity_touchpoints');
        credits_diff := rls_diff_count('rls_inc_credits', 'touchpoint.credits');
        RAISE EXCEPTION 'roll back' USING ERRCODE = 'TP999';
    EXCEPTION WHEN SQLSTATE 'TP999' THEN
        NULL;
    END;
    u := rls_unrestricted();
    policies_matter := u.differences > 0;
    hidden_would_show := u.hidden_shown > 0;
    DROP TABLE rls_inc_tp, rls_inc_ot, rls_inc_credits;
END $$;

-- The first refresh is full (the inputs were truncated), as the refreshing
-- role, to whom the policies apply.
SET ROLE regress_rls_refresher;
SELECT row_security_active('touchpoint.sessions') AS sessions_restricted,
       row_security_active('touchpoint.opportunities') AS opportunities_restricted;
SELECT mode FROM touchpoint.refresh();
-- what the data holds: every kind of touchpoint, persons and anonymous
-- journeys, credit; hidden rows of every input (the superuser sees more)
SELECT source_kind, count(*) > 0 AS some FROM touchpoint.touchpoints GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE person_id IS NOT NULL) > 0 AS persons,
       count(*) FILTER (WHERE journey_id LIKE 'anon:%') > 0 AS anonymous,
       count(*) FILTER (WHERE source_kind = 'call' AND session_id IS NOT NULL) > 0 AS merged_calls,
       (SELECT count(*) FROM touchpoint.opportunity_touchpoints) > 10 AS credit
FROM touchpoint.touchpoints;
SELECT kind, count(*) AS hidden FROM rls_hidden_rows() GROUP BY 1 ORDER BY 1;
-- nothing hidden is stored, and the policies matter: without them the
-- touchpoints and the credit would differ
SELECT rls_note_hidden() > 0 AS some_hidden,
       rls_hidden_shown('touchpoint.touchpoints', 'touchpoint.opportunity_touchpoints') AS hidden_shown,
       (rls_unrestricted()).differences > 0 AS policies_matter,
       (rls_unrestricted()).hidden_shown > 0 AS hidden_would_show;
SELECT * FROM rls_check('nothing changed');
RESET ROLE;

-- Batch 1, sessions on both sides: a new first session (visible) and a new
-- earlier one that is hidden; a first-touch session hidden, a hidden first
-- session shown, a hidden session shown under a call (the call merges into
-- it now); a hidden and a visible session deleted; a visible session moved
-- to a hidden visitor and a hidden one to a visible visitor.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
    ('s1-0', 'v1', '2026-03-01 09:00', 'Email'),
    ('s2-0', 'v2', '2026-03-01 10:00', 'Confidential');
UPDATE touchpoint.sessions SET channel = 'Confidential' WHERE session_id = 's4-1';
UPDATE touchpoint.sessions SET channel = 'Paid Search' WHERE session_id = 's3-1';
UPDATE touchpoint.sessions SET channel = 'Email' WHERE session_id = 's1-2';
DELETE FROM touchpoint.sessions WHERE session_id IN ('s21-2', 's10-1');
UPDATE touchpoint.sessions SET bizible_id = 'x6' WHERE session_id = 's6-1';
UPDATE touchpoint.sessions SET bizible_id = 'v8', started_at = '2026-03-02 08:00' WHERE session_id = 's17-1';
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('sessions');
-- the call t1 is merged into s1-2 now; the hidden earlier session s2-0 is
-- not p3's first touch; s4-1 (hidden now) is not p5's
SELECT (SELECT session_id FROM touchpoint.touchpoints WHERE touchpoint_id = 'call:t1') AS t1_session,
       (SELECT count(*) FROM touchpoint.touchpoints WHERE session_id IN ('s2-0', 's4-1', 's6-1')) AS in_hidden_sessions,
       (SELECT string_agg(session_id, ',') FROM touchpoint.touchpoints WHERE journey_id = 'p3' AND position LIKE 'FT%') AS p3_first_touch;
RESET ROLE;

-- Batch 2, calls: a visible call stitching an anonymous visitor to a
-- person, a hidden one that would stitch a hidden visitor to a person; a
-- hidden call moved to a visible visitor and a visible one to a hidden
-- visitor; a hidden and a visible call deleted; a call moved to a hidden
-- person (the call stays visible: its journey is that person's, whose credit
-- must not show); a call without a BizibleId.
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
    ('t30', 'v5', 'Call', 'p5', '2026-03-08 11:10'),
    ('t31', 'x3', 'Call', 'p12', '2026-03-08 09:00'),
    ('t32', NULL, 'Call', 'p1', '2026-03-08 10:00');
UPDATE touchpoint.tasks SET bizible_id = 'v17' WHERE task_id = 't17';
UPDATE touchpoint.tasks SET bizible_id = 'x2' WHERE task_id = 't2';
DELETE FROM touchpoint.tasks WHERE task_id IN ('t18', 't8');
UPDATE touchpoint.tasks SET person_id = 'p8' WHERE task_id = 't11';
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('calls');
-- t31 (hidden) makes nothing, t17 (shown) a touchpoint; t2 (hidden now) none;
-- t11's journey is p8's, whose credit does not show (p8 is hidden)
SELECT (SELECT string_agg(touchpoint_id, ',' ORDER BY touchpoint_id) FROM touchpoint.touchpoints
        WHERE touchpoint_id IN ('call:t2', 'call:t17', 'call:t31')) AS calls,
       (SELECT journey_id FROM touchpoint.touchpoints WHERE touchpoint_id = 'call:t11') AS t11_journey,
       (SELECT count(*) FROM touchpoint.opportunity_touchpoints WHERE journey_id = 'p8') AS p8_credited;
RESET ROLE;

-- Batch 3, form fills and chats: a visible form fill naming a visible
-- session, one naming the hidden session s2-0 (for the refreshing role an
-- unknown session: a touchpoint of its own); an internal form fill made
-- public and a public one internal; keyless form fills (BizibleId blank), one
-- hidden; a hidden chat naming a person, a hidden chat moved to a visible
-- visitor, a visible chat deleted.
INSERT INTO touchpoint.form_submits VALUES
    ('f30', 'v4', 's4-2', '2026-03-06 04:30', 'https://example.com/demo', 'p5'),
    ('f31', 'v1', 's2-0', '2026-03-01 10:20', 'https://example.com/demo', NULL),
    ('f32', '', NULL, '2026-03-06 12:00', 'https://example.com/internal', 'p4'),
    ('f33', ' ', NULL, '2026-03-06 13:00', 'https://example.com/demo', 'p9');
UPDATE touchpoint.form_submits SET form_url = 'https://example.com/demo' WHERE submit_id = 'f6';
UPDATE touchpoint.form_submits SET form_url = 'https://example.com/internal' WHERE submit_id = 'f3';
INSERT INTO touchpoint.chats VALUES ('c4', 'x4', NULL, '2026-03-02 12:00', 'p1');
UPDATE touchpoint.chats SET bizible_id = 'v12' WHERE chat_id = 'c2';
DELETE FROM touchpoint.chats WHERE chat_id = 'c1';
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('form fills and chats');
-- f31 names a session hidden from the refreshing role: a touchpoint without
-- a session; f6 shown, f3 and f32 hidden, f33 shown; c2 is p5's, c4 is hidden
SELECT string_agg(touchpoint_id || ':' || COALESCE(session_id, '-') || ':' || journey_id, ' ' ORDER BY touchpoint_id) AS events
FROM touchpoint.touchpoints
WHERE source_id IN ('f31', 'f6', 'f3', 'f32', 'f33', 'c2', 'c4');
RESET ROLE;

-- Batch 4, people: a hidden person shown and a visible one hidden (by
-- e-mail, in a visible account); people moving between visible accounts and
-- into the hidden one; new people, one hidden; a person deleted.
UPDATE touchpoint.people SET email = 'p8@example.com' WHERE person_id = 'p8';
UPDATE touchpoint.people SET email = 'p4@secret.example' WHERE person_id = 'p4';
UPDATE touchpoint.people SET account_id = 'ACME' WHERE person_id = 'p5';
UPDATE touchpoint.people SET account_id = 'HIDDENCO' WHERE person_id = 'p2';
INSERT INTO touchpoint.people VALUES ('p14', 'BETA', 'p14@secret.example'), ('p15', 'GAMMA', NULL);
DELETE FROM touchpoint.people WHERE person_id = 'p9';
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('people');
-- p8 is shown now (ACME's credit has its touchpoints), p4 hidden; p2 in
-- HIDDENCO, whose opportunity is hidden
SELECT (SELECT count(*) FROM touchpoint.opportunity_touchpoints WHERE journey_id = 'p8' AND account_id = 'ACME') > 0 AS p8_credited,
       (SELECT count(*) FROM touchpoint.opportunity_touchpoints WHERE journey_id IN ('p4', 'p2')) AS p4_p2_credited;
RESET ROLE;

-- Batch 5, people without an account: a person leaves its account (NULL),
-- one without an account joins one, a hidden person leaves its account, a
-- hidden person without an account is shown, a new one without an account
-- that is hidden, and an event naming a person without an account.
UPDATE touchpoint.people SET account_id = NULL WHERE person_id = 'p12';
UPDATE touchpoint.people SET account_id = 'BETA' WHERE person_id = 'p13';
UPDATE touchpoint.people SET account_id = NULL WHERE person_id = 'p3';
INSERT INTO touchpoint.people VALUES ('p16', NULL, 'p16@secret.example');
UPDATE touchpoint.people SET account_id = NULL, email = 'p14@example.com' WHERE person_id = 'p14';
INSERT INTO touchpoint.tasks (task_id, bizible_id, type, person_id, occurred_at) VALUES
    ('t33', 'v16', 'Call', 'p12', '2026-03-10 16:00');
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('people without an account');
-- p12 has no account (no credit), p13 joined BETA
SELECT (SELECT count(*) FROM touchpoint.opportunity_touchpoints WHERE journey_id = 'p12') AS p12_credited,
       (SELECT string_agg(DISTINCT account_id, ',') FROM touchpoint.opportunity_touchpoints WHERE journey_id = 'p13') AS p13_accounts;
RESET ROLE;

-- Batch 6, opportunities: closed won, reopened, the close date moved, the
-- creation date and amount changed; a hidden amount made visible and a
-- visible one hidden; HIDDENCO's moved to a visible account; new ones, one
-- hidden.
UPDATE touchpoint.opportunities SET closed_at = '2026-03-07', is_won = true WHERE opportunity_id = 'o-acme-1';
UPDATE touchpoint.opportunities SET closed_at = NULL, is_won = NULL WHERE opportunity_id = 'o-acme-3';
UPDATE touchpoint.opportunities SET closed_at = '2026-03-06' WHERE opportunity_id = 'o-gamma-1';
UPDATE touchpoint.opportunities SET created_at = '2026-03-07', amount = 21000 WHERE opportunity_id = 'o-beta-1';
UPDATE touchpoint.opportunities SET amount = 50000 WHERE opportunity_id = 'o-acme-2';
UPDATE touchpoint.opportunities SET amount = 5000000 WHERE opportunity_id = 'o-beta-2';
UPDATE touchpoint.opportunities SET account_id = 'BETA' WHERE opportunity_id = 'o-hidden-1';
INSERT INTO touchpoint.opportunities VALUES
    ('o-beta-3', 'BETA', 9000, '2026-03-08', NULL, NULL),
    ('o-hidden-2', 'HIDDENCO', 60000, '2026-03-05', '2026-03-09', true);
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('opportunities');
-- o-acme-2 (shown), o-hidden-1 (now BETA's) and o-beta-3 are credited;
-- o-beta-2 (hidden now) and o-hidden-2 are not
SELECT string_agg(DISTINCT opportunity_id, ',' ORDER BY opportunity_id) AS credited
FROM touchpoint.opportunity_touchpoints;
RESET ROLE;

-- Batch 7, everything at once, on both sides.
INSERT INTO touchpoint.sessions (session_id, bizible_id, started_at, channel) VALUES
    ('s40', 'v9', '2026-03-02 15:00', NULL), ('s41', 'x1', '2026-03-02 15:00', 'Email'),
    ('s42', 'v11', '2026-03-08 05:00', 'Confidential');
UPDATE touchpoint.sessions SET channel = 'Organic Search' WHERE session_id = 's4-1';
UPDATE touchpoint.tasks SET bizible_id = 'v3', person_id = 'p4' WHERE task_id = 't31';
UPDATE touchpoint.tasks SET occurred_at = '2026-03-08 05:10' WHERE task_id = 't12';
DELETE FROM touchpoint.form_submits WHERE submit_id = 'f18';
UPDATE touchpoint.form_submits SET bizible_id = 'x3' WHERE submit_id = 'f15';
UPDATE touchpoint.people SET account_id = NULL WHERE person_id = 'p10';
UPDATE touchpoint.people SET account_id = 'ACME', email = 'p16@example.com' WHERE person_id = 'p16';
UPDATE touchpoint.opportunities SET account_id = 'HIDDENCO' WHERE opportunity_id = 'o-beta-3';
DELETE FROM touchpoint.opportunities WHERE opportunity_id IN ('o-hidden-2', 'o-gamma-1');
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('everything');
SELECT * FROM rls_check('nothing changed again');
RESET ROLE;

-- Row security itself changes.  Nothing is logged for it, yet the rows read
-- change: the next refresh must be a full one (reason: row-level security),
-- with the full rebuild's rows.  rls_shown() (run as the superuser) counts
-- the stored touchpoints in Email sessions, in sessions the first policy
-- hides, and of v3's two calls, which a later policy hides from one role: the
-- changes below change them.
CREATE FUNCTION rls_shown(OUT in_email_sessions int8, OUT in_hidden_sessions int8, OUT v3_calls int8)
LANGUAGE sql AS $$
    SELECT count(*) FILTER (WHERE s.channel = 'Email'),
           count(*) FILTER (WHERE s.channel = 'Confidential' OR s.bizible_id LIKE 'x%'),
           count(*) FILTER (WHERE t.touchpoint_id IN ('call:t3', 'call:t31'))
    FROM touchpoint.touchpoints t LEFT JOIN touchpoint.sessions s ON s.session_id = t.session_id $$;
SELECT * FROM rls_shown();
-- (a) a policy: Email sessions hidden too
ALTER POLICY rls_refresh ON touchpoint.sessions
    USING (bizible_id NOT LIKE 'x%' AND channel IS DISTINCT FROM 'Confidential' AND channel IS DISTINCT FROM 'Email');
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('a policy altered');
RESET ROLE;
SELECT * FROM rls_shown();
-- (b) another role refreshes: the superuser (no row security: nothing is
-- hidden from it, its refresh is the rebuild without the policies), then the
-- refreshing role again
SELECT * FROM rls_check('the superuser refreshes');
SELECT * FROM rls_shown();
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('the refreshing role again');
RESET ROLE;
SELECT * FROM rls_shown();
-- (c) another member of the owner, with a restrictive policy of its own on
-- calls: the policies are the same for both roles, what they let through is not
CREATE ROLE regress_rls_other;
GRANT :"owner" TO regress_rls_other;
CREATE POLICY rls_other ON touchpoint.tasks AS RESTRICTIVE TO regress_rls_other USING (bizible_id IS DISTINCT FROM 'v3');
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('a policy for another role');
RESET ROLE;
SET ROLE regress_rls_other;
SELECT * FROM rls_check('the other role refreshes');
RESET ROLE;
SELECT * FROM rls_shown();
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('the refreshing role again');
RESET ROLE;
SELECT * FROM rls_shown();
-- (d) FORCE taken off the sessions (their policy no longer applies to the
-- owner's members), then put back
ALTER TABLE touchpoint.sessions NO FORCE ROW LEVEL SECURITY;
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('sessions not forced');
RESET ROLE;
SELECT * FROM rls_shown();
ALTER TABLE touchpoint.sessions FORCE ROW LEVEL SECURITY;
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('sessions forced again');
RESET ROLE;
SELECT * FROM rls_shown();
-- and incremental again after them
UPDATE touchpoint.sessions SET channel = 'Email' WHERE session_id = 's40';
UPDATE touchpoint.opportunities SET amount = 12000 WHERE opportunity_id = 'o-acme-1';
SET ROLE regress_rls_refresher;
SELECT * FROM rls_check('incremental again');
RESET ROLE;

-- Clean up: the policies, row security, the roles, the functions; then
-- incremental's rows back, and a full refresh as the owner.
DROP POLICY rls_other ON touchpoint.tasks;
DROP POLICY rls_refresh ON touchpoint.sessions;
DROP POLICY rls_refresh ON touchpoint.tasks;
DROP POLICY rls_refresh ON touchpoint.form_submits;
DROP POLICY rls_refresh ON touchpoint.chats;
DROP POLICY rls_refresh ON touchpoint.people;
DROP POLICY rls_refresh ON touchpoint.opportunities;
ALTER TABLE touchpoint.sessions NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.tasks NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.form_submits NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.chats NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.people NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE touchpoint.opportunities NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
DROP TABLE pg_temp.rls_hidden;
DROP FUNCTION rls_check(text), rls_shown(), rls_unrestricted(), rls_hidden_shown(regclass, regclass), rls_note_hidden(),
              rls_hidden_rows(), rls_visible_rows(), rls_all_rows(), rls_diff_count(text, text);
REVOKE :"owner" FROM regress_rls_refresher, regress_rls_other;
DROP ROLE regress_rls_refresher, regress_rls_other;
TRUNCATE touchpoint.sessions, touchpoint.tasks, touchpoint.form_submits, touchpoint.chats,
         touchpoint.people, touchpoint.opportunities, touchpoint.channel_rules, touchpoint.position_models;
INSERT INTO touchpoint.sessions SELECT * FROM rls_saved_sessions;
INSERT INTO touchpoint.tasks SELECT * FROM rls_saved_tasks;
INSERT INTO touchpoint.form_submits SELECT * FROM rls_saved_form_submits;
INSERT INTO touchpoint.chats SELECT * FROM rls_saved_chats;
INSERT INTO touchpoint.people SELECT * FROM rls_saved_people;
INSERT INTO touchpoint.opportunities SELECT * FROM rls_saved_opportunities;
INSERT INTO touchpoint.channel_rules SELECT * FROM rls_saved_channel_rules;
UPDATE touchpoint.custom_model m SET weight = s.weight FROM rls_saved_custom_model s WHERE s.position = m.position;
INSERT INTO touchpoint.position_models SELECT * FROM rls_saved_position_models;
DROP TABLE rls_saved_sessions, rls_saved_tasks, rls_saved_form_submits, rls_saved_chats, rls_saved_people,
           rls_saved_opportunities, rls_saved_channel_rules, rls_saved_custom_model, rls_saved_position_models;
SELECT mode FROM touchpoint.refresh();
-- nothing of this test is left: no policy, no row security, no role
SELECT count(*) AS policies FROM pg_policy WHERE polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'touchpoint'::regnamespace);
SELECT count(*) AS row_security FROM pg_class
WHERE relnamespace = 'touchpoint'::regnamespace AND (relrowsecurity OR relforcerowsecurity);
SELECT count(*) AS roles FROM pg_roles WHERE rolname LIKE 'regress_rls%';
