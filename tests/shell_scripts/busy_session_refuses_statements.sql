-- A session whose statement waits for a lock takes no new statement until it
-- finishes; the prompt says it is waiting. args: --continue
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 10);
BEGIN;
SELECT v FROM t WHERE id = 1 FOR UPDATE;
\s b
DELETE FROM t WHERE id = 1;
SELECT 1;
\s a
ROLLBACK;
\s b
SELECT count(*) FROM t;
