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
