-- test/bench/accounts.sql: people and opportunities for the benchmark data
-- (after generate.sql):  psql -v accounts=N -f test/bench/accounts.sql
-- Each call's person in one of N accounts, one opportunity per account
-- created over the 90 days of sessions, three in four closed 10-29 days
-- later (a third of those won), one in four open.
\set ON_ERROR_STOP 1
INSERT INTO touchpoint.people (person_id, account_id)
SELECT DISTINCT t.person_id, 'acct-' || (abs(hashtext(t.person_id)) % :accounts) FROM touchpoint.tasks t WHERE t.person_id IS NOT NULL;
INSERT INTO touchpoint.opportunities (opportunity_id, account_id, amount, created_at, closed_at, is_won)
SELECT 'opp-' || a, 'acct-' || a, 1000 + a, timestamptz '2026-01-01' + (a % 90) * interval '1 day',
       CASE WHEN a % 4 <> 0 THEN timestamptz '2026-01-01' + (a % 90 + 10 + a % 20) * interval '1 day' END,
       CASE WHEN a % 4 <> 0 THEN a % 3 = 0 END
FROM generate_series(0, :accounts - 1) a;
