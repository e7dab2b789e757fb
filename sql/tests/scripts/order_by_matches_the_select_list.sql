-- ORDER BY finds its columns in the select list as PostgreSQL does: an expression the list computes is that output column (so SELECT DISTINCT can sort by it), a name several output columns share is the first of them if they compute the same thing and ambiguous (42702) if not, and the same aggregate call is computed once.
CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
INSERT INTO t VALUES (1, 1, 'z'), (2, 2, 'y'), (3, 1, 'x'), (4, 3, NULL);
SELECT DISTINCT a + 1 FROM t ORDER BY a + 1;
SELECT DISTINCT a + 1 AS n FROM t ORDER BY a + 1 DESC;
SELECT DISTINCT upper(b) FROM t ORDER BY UPPER(b) NULLS FIRST;
SELECT DISTINCT t.a FROM t ORDER BY (a);
SELECT DISTINCT a, count(*) FROM t GROUP BY a ORDER BY count(*) DESC, a;
SELECT a, count(*), count(*) FROM t GROUP BY a ORDER BY a;
-- An expression the select list does not compute is still refused under DISTINCT.
SELECT DISTINCT a FROM t ORDER BY a + 1;
SELECT DISTINCT a FROM t ORDER BY b;
-- Without DISTINCT it sorts by a hidden column.
SELECT a FROM t ORDER BY a * -1, id;
-- Output names come before input columns; a shared name is fine while it is the same column.
SELECT a AS b, a AS b FROM t ORDER BY b, id;
SELECT id AS b, a AS b FROM t ORDER BY b;
SELECT id AS a FROM t ORDER BY a DESC;
SELECT id FROM t ORDER BY b;
-- A name in parentheses is still the name: the output column comes first.
SELECT id, -a AS a FROM t ORDER BY (a), id;
SELECT DISTINCT a FROM t ORDER BY (a);
