-- JOIN ... USING and NATURAL JOIN: the merged columns come first in SELECT * (the left side's value), unqualified names mean them, qualified names still reach each side's column, and the errors PostgreSQL gives for a bad column list.
CREATE TABLE a (id int, x int, y text);
CREATE TABLE b (x int, id int, z text);
CREATE TABLE c (x int, w text);
INSERT INTO a VALUES (1, 10, 'a1'), (2, 20, 'a2'), (3, NULL, 'a3');
INSERT INTO b VALUES (10, 1, 'b1'), (30, 2, 'b2'), (NULL, 3, 'b3');
INSERT INTO c VALUES (10, 'c1'), (20, 'c2');
SELECT * FROM a JOIN b USING (x) ORDER BY 1;
SELECT * FROM a INNER JOIN b USING (x) WHERE x > 5;
SELECT * FROM a LEFT JOIN b USING (x) ORDER BY a.id;
SELECT * FROM a LEFT OUTER JOIN c USING (x) ORDER BY a.id;
SELECT * FROM a JOIN b USING (x, id);
SELECT * FROM a JOIN b USING (id) ORDER BY id;
SELECT * FROM a NATURAL JOIN b;
SELECT * FROM a NATURAL LEFT JOIN b ORDER BY id;
SELECT * FROM a NATURAL JOIN c ORDER BY x;
SELECT * FROM c NATURAL JOIN (SELECT 1 AS q) s ORDER BY x;
-- Qualified references and t.* still see each side's own column.
SELECT x, a.x, b.x, a.id, b.id FROM a LEFT JOIN b USING (x) ORDER BY a.id;
SELECT a.*, b.* FROM a JOIN b USING (x);
SELECT b.*, x FROM a JOIN b USING (x);
-- Chains: the merged column of one join is the one the next USING finds.
SELECT * FROM a JOIN b USING (x) JOIN c USING (x);
SELECT * FROM a JOIN c USING (x) JOIN b USING (x);
SELECT * FROM (a JOIN c USING (x)) NATURAL JOIN (SELECT 1 AS id) s;
SELECT x, count(*) FROM a JOIN c USING (x) GROUP BY x ORDER BY x;
SELECT x, w FROM a JOIN c USING (x) WHERE x IN (SELECT x FROM b) ORDER BY x;
SELECT (SELECT count(*) FROM b WHERE b.x = x) FROM a JOIN c USING (x) ORDER BY 1;
EXPLAIN SELECT * FROM a JOIN b USING (x, id);
-- Errors.
SELECT * FROM a JOIN b USING (nope);
SELECT * FROM a JOIN b USING (x, x);
SELECT * FROM a JOIN b USING (y);
SELECT * FROM a JOIN b USING (x) JOIN b b2 USING (id);
SELECT * FROM (a JOIN b ON a.x = b.x) JOIN c USING (x);
SELECT x FROM a JOIN b ON true;
SELECT * FROM a JOIN a USING (x);
