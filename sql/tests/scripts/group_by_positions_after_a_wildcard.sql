-- GROUP BY positions count the select list as the wildcard expands it, as in PostgreSQL: with `SELECT *, a`, position 1 is id and position 4 is the trailing a.
CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
INSERT INTO t VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'y');
SELECT *, a FROM t GROUP BY 1, 2, 3 ORDER BY 1;
SELECT *, count(*) FROM t GROUP BY 1, 2, 3 ORDER BY 1;
SELECT a, count(*) FROM t GROUP BY 1 ORDER BY 1;
SELECT t.*, a AS again FROM t GROUP BY 1, 2, 3, 4 ORDER BY 4, 1;
SELECT b, count(*) FROM t GROUP BY 1 ORDER BY 1;
-- Position 4 of `SELECT *, a` is a, which does not group id: 42803, as PostgreSQL says.
SELECT *, a FROM t GROUP BY 4;
SELECT *, a FROM t GROUP BY 5;
