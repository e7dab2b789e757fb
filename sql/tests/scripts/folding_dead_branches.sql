-- Constant folding raises no error evaluation would not: branches that never run stay quiet.
-- As in PostgreSQL, an operator or function that is NULL on a NULL argument is NULL
-- when one of its arguments is the constant NULL, without evaluating the others.
SELECT CASE WHEN false THEN 1/0 ELSE 1 END;
SELECT CASE WHEN 1=1 THEN 1 ELSE 1/0 END;
SELECT COALESCE(1, 1/0);
SELECT 1/0;
SELECT CASE WHEN true THEN 1/0 ELSE 1 END;
CREATE TABLE t (x INT);
INSERT INTO t VALUES (0), (2);
SELECT CASE WHEN x = 0 THEN 0 ELSE 10/x END FROM t ORDER BY x;
SELECT x, 1 / x + NULL, substr(substr(x::text, 1, -1), NULL), 1 / x NOT IN (NULL), (1 / x)::text LIKE NULL FROM t ORDER BY x;
SELECT x FROM t WHERE 1 / x > NULL OR x = 2;
SELECT x, 1 / x IN (NULL, 1) FROM t ORDER BY x;
SELECT x, (1 / x IS NULL) AND NULL FROM t ORDER BY x;
