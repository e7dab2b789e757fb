-- RIGHT [OUTER] JOIN keeps every row of the right side and FULL [OUTER] JOIN every row of both, extended with NULLs where nothing matches; with ON, USING (whose merged column is the right side's value in a RIGHT join, the one that is not NULL in a FULL join) and NATURAL.
CREATE TABLE dept (id int PRIMARY KEY, name text);
CREATE TABLE emp (id int PRIMARY KEY, name text, dept_id int);
INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
INSERT INTO emp VALUES (10, 'ann', 1), (11, 'bob', 1), (12, 'cy', 2), (13, 'dee', NULL), (14, 'eve', 9);
SELECT e.name AS emp, d.name AS dept FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id ORDER BY d.id, e.id;
SELECT e.name AS emp, d.name AS dept FROM emp e RIGHT OUTER JOIN dept d ON e.dept_id = d.id AND e.name <> 'ann' ORDER BY d.id, e.id;
SELECT e.name AS emp, d.name AS dept FROM emp e FULL JOIN dept d ON e.dept_id = d.id ORDER BY d.id, e.id;
SELECT * FROM emp e FULL OUTER JOIN dept d ON e.dept_id = d.id ORDER BY e.id NULLS FIRST, d.id;
-- WHERE filters the joined rows, NULL-extended ones included.
SELECT d.name FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id WHERE e.id IS NULL;
SELECT coalesce(e.name, '-') AS emp, coalesce(d.name, '-') AS dept FROM emp e FULL JOIN dept d ON e.dept_id = d.id WHERE e.id IS NULL OR d.id IS NULL ORDER BY 1, 2;
-- Counting and grouping over the kept rows.
SELECT d.name, count(e.id) AS staff FROM emp e RIGHT JOIN dept d ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name;
-- Empty sides: every row of the other one is kept.
CREATE TABLE none (id int, dept_id int);
SELECT n.*, d.* FROM none n FULL JOIN dept d ON n.dept_id = d.id ORDER BY d.id;
SELECT n.id, n.dept_id, d.name FROM dept d FULL JOIN none n ON n.dept_id = d.id ORDER BY d.id;
SELECT * FROM dept d RIGHT JOIN none n ON n.dept_id = d.id;
-- USING and NATURAL: the merged column comes first.
CREATE TABLE a (k int, x text);
CREATE TABLE b (k int, y text);
INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (NULL, 'anull');
INSERT INTO b VALUES (2, 'b2'), (3, 'b3'), (NULL, 'bnull');
SELECT * FROM a RIGHT JOIN b USING (k) ORDER BY y;
SELECT * FROM a FULL JOIN b USING (k) ORDER BY x, y;
SELECT k, a.k AS ak, b.k AS bk FROM a FULL OUTER JOIN b USING (k) ORDER BY x, y;
SELECT * FROM a NATURAL RIGHT JOIN b ORDER BY y;
SELECT * FROM a NATURAL FULL JOIN b ORDER BY x, y;
-- Chains of joins are read left to right.
SELECT a.x, b.y, d.name FROM a LEFT JOIN b ON a.k = b.k RIGHT JOIN dept d ON d.id = b.k ORDER BY d.id;
SELECT a.x, b.y, d.name FROM a FULL JOIN b ON a.k = b.k FULL JOIN dept d ON d.id = a.k ORDER BY d.id, a.x, b.y;
-- A subquery in FROM on either side, and a correlated subquery over the joined rows.
SELECT s.k, b.y FROM (SELECT k FROM a WHERE k > 1) s RIGHT JOIN b ON s.k = b.k ORDER BY b.y;
SELECT b.y, (SELECT count(*) FROM emp WHERE emp.dept_id = b.k) AS n FROM a FULL JOIN b ON a.k = b.k ORDER BY b.y NULLS FIRST, a.x;
-- Errors as for other joins.
SELECT * FROM a RIGHT JOIN b USING (z);
SELECT * FROM a FULL JOIN a ON true;
