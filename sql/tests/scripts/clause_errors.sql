-- Errors PostgreSQL reports in LIMIT, OFFSET, GROUP BY, ORDER BY, SET and SELECT lists,
-- with its SQLSTATEs: a negative LIMIT is 2201W and OFFSET 2201X; a position out of
-- range is 42P10 and any other constant in GROUP BY or ORDER BY 42601; one column set
-- twice is 42601; a string after a select item is no alias (42601); FOR UPDATE in a
-- READ ONLY transaction is 25006.
CREATE TABLE t (id INT PRIMARY KEY, a INT);
INSERT INTO t VALUES (1, 10), (2, 20);
SELECT id FROM t LIMIT -1;
SELECT id FROM t OFFSET -1;
SELECT id FROM t ORDER BY id LIMIT 1 OFFSET 1;
SELECT a, count(*) FROM t GROUP BY 3;
SELECT a, count(*) FROM t GROUP BY 0;
SELECT a, count(*) FROM t GROUP BY -1;
SELECT a, count(*) FROM t GROUP BY 'x';
SELECT a, count(*) FROM t GROUP BY 1 ORDER BY 1;
SELECT id FROM t ORDER BY 'x';
SELECT id FROM t ORDER BY -1;
SELECT id FROM t ORDER BY 1.5;
SELECT id FROM t ORDER BY NULL;
SELECT id FROM t ORDER BY (2);
SELECT id FROM t ORDER BY 1 DESC;
SELECT id FROM t ORDER BY 0 + 1;
VALUES (2), (1) ORDER BY 'x';
UPDATE t SET a = NULL, a = 1;
SELECT 'a' 'b';
SELECT 1 AS "b", 2 c;
BEGIN READ ONLY;
SELECT id FROM t WHERE id = 1 FOR UPDATE;
ROLLBACK;
BEGIN READ ONLY;
SELECT id FROM t WHERE id = 1 FOR SHARE;
ROLLBACK;
BEGIN READ ONLY;
SELECT id FROM t WHERE id = 1;
COMMIT;
