-- An error inside a transaction block fails the block: every statement but ROLLBACK
-- is refused with 25P02, and COMMIT answers ROLLBACK. args: --continue
CREATE TABLE t (id INT PRIMARY KEY);
BEGIN;
INSERT INTO t VALUES (1);
INSERT INTO t VALUES (1);
SELECT * FROM t;
COMMIT;
SELECT count(*) FROM t;
