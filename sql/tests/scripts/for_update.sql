-- SELECT ... FOR UPDATE / FOR SHARE lock the rows they return (a single session sees the rows; the blocking is shown by the two-session tests), and are refused where PostgreSQL refuses them.
CREATE TABLE jobs (id INT PRIMARY KEY, state TEXT);
INSERT INTO jobs VALUES (1, 'queued'), (2, 'queued'), (3, 'done');
BEGIN;
SELECT * FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE;
UPDATE jobs SET state = 'running' WHERE id = 1;
SELECT * FROM jobs WHERE id = 2 FOR SHARE;
EXPLAIN SELECT * FROM jobs WHERE id = 2 FOR UPDATE;
COMMIT;
SELECT * FROM jobs ORDER BY id;
SELECT count(*) FROM jobs FOR UPDATE;
SELECT DISTINCT state FROM jobs FOR UPDATE;
-- NOWAIT and SKIP LOCKED: with nothing held by another transaction they lock as plain FOR UPDATE does; EXPLAIN names them. FOR UPDATE OF is not implemented.
EXPLAIN SELECT * FROM jobs WHERE id = 2 FOR UPDATE NOWAIT;
EXPLAIN SELECT * FROM jobs ORDER BY id LIMIT 1 FOR SHARE SKIP LOCKED;
SELECT * FROM jobs ORDER BY id DESC LIMIT 2 FOR UPDATE SKIP LOCKED;
SELECT * FROM jobs FOR UPDATE OF jobs;
-- A locking clause in a subquery or a WITH query is not implemented (PostgreSQL locks as many of its rows as the outer query reads).
SELECT id FROM (SELECT id FROM jobs FOR UPDATE) s LIMIT 1;
WITH x AS (SELECT * FROM jobs FOR UPDATE) SELECT * FROM x LIMIT 1;
SELECT EXISTS (SELECT 1 FROM jobs FOR UPDATE);
-- Several locking clauses: the strongest mode wins, and NOWAIT over SKIP LOCKED.
EXPLAIN SELECT * FROM jobs ORDER BY state DESC FOR SHARE SKIP LOCKED FOR UPDATE NOWAIT;
