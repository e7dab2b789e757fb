-- READ COMMITTED: b's UPDATE changes row 2 and waits for a's lock on row 1; when a
-- commits, b re-checks its WHERE clause on row 1's newest committed version, which no
-- longer matches: only row 2 is updated (UPDATE 1) and row 1 keeps a's 11. The prompt
-- returns while b waits, and b's result is printed, tagged, when a commits.
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 10), (2, 10);
BEGIN;
UPDATE t SET v = 11 WHERE id = 1;
\session b
UPDATE t SET v = v * 100 WHERE v = 10;
\sessions
\session a
COMMIT;
\session b
SELECT * FROM t ORDER BY id;
