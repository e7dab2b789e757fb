-- REPEATABLE READ, first updater wins: b waits for a's lock on the row, and when a
-- commits b fails with a serialization failure (40001); its transaction is then
-- failed (25P02) until ROLLBACK. args: --continue
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 10);
\s b
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT v FROM t WHERE id = 1;
\s a
BEGIN;
UPDATE t SET v = 11 WHERE id = 1;
\s b
UPDATE t SET v = v + 1 WHERE id = 1;
\s a
COMMIT;
\s b
SELECT v FROM t WHERE id = 1;
ROLLBACK;
SELECT v FROM t WHERE id = 1;
