-- A GROUP BY key is recognised in the select list, HAVING and ORDER BY by what it refers to, not by how it is spelled: identifier case, qualification, parentheses and function-name case do not matter; a column neither grouped nor aggregated is still 42803.
CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
INSERT INTO t VALUES (1, 1, 'x'), (2, 1, 'X'), (3, 2, 'y'), (4, NULL, NULL);
SELECT A FROM t GROUP BY a ORDER BY a;
SELECT t.a FROM t GROUP BY a ORDER BY a;
SELECT a FROM t GROUP BY t.a ORDER BY a;
SELECT a FROM t GROUP BY (a) ORDER BY a;
SELECT a FROM t GROUP BY a ORDER BY t.a;
SELECT "a", count(*) FROM t AS x GROUP BY x.A ORDER BY X.a;
SELECT count(*) FROM t GROUP BY A HAVING a > 1;
SELECT upper(b), count(*) FROM t GROUP BY UPPER(b) ORDER BY Upper(B);
SELECT (a + 1) * 2 AS k, count(*) FROM t GROUP BY a + 1 ORDER BY k;
SELECT a + 1 FROM t GROUP BY ((a)) + 1 ORDER BY 1;
SELECT coalesce(a, 0) + sum(id) FROM t GROUP BY a ORDER BY 1;
SELECT * FROM t GROUP BY id, a, b ORDER BY id;
-- Real violations: an ungrouped column, or an expression that only contains a key.
SELECT b FROM t GROUP BY a;
SELECT a FROM t GROUP BY a + 1;
SELECT 1 + a FROM t GROUP BY a + 1;
SELECT a FROM t GROUP BY a ORDER BY b;
SELECT a FROM t GROUP BY a HAVING b = 'x';
SELECT lower(b) FROM t GROUP BY upper(b);
SELECT * FROM t GROUP BY a;
SELECT b, count(*) FROM t;
