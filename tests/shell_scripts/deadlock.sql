-- Two sessions lock two rows in opposite orders: the wait that would close the cycle
-- fails at once with a deadlock (40P01), which releases its locks so that the other
-- session's wait ends. args: --continue
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 0), (2, 0);
BEGIN;
UPDATE t SET v = 1 WHERE id = 1;
\s b
BEGIN;
UPDATE t SET v = 2 WHERE id = 2;
\s a
UPDATE t SET v = 1 WHERE id = 2;
\s b
UPDATE t SET v = 2 WHERE id = 1;
ROLLBACK;
\s a
COMMIT;
SELECT * FROM t ORDER BY id;
