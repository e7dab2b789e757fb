-- Quantified comparisons with a subquery: x op ANY / SOME / ALL (SELECT ...) for every comparison operator, PostgreSQL's NULL rules (ANY over no rows is false, ALL over no rows is true, a NULL comparison makes an undecided result NULL), correlated subqueries, and the errors.
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t VALUES (1, 10), (2, 20), (3, 30);
CREATE TABLE n (v int);
INSERT INTO n VALUES (10), (NULL);
CREATE TABLE e (v int);
SELECT 20 = ANY (SELECT v FROM t), 25 = ANY (SELECT v FROM t), 20 = SOME (SELECT v FROM t);
SELECT 20 <> ANY (SELECT v FROM t), 20 < ANY (SELECT v FROM t), 30 < ANY (SELECT v FROM t), 30 <= ANY (SELECT v FROM t), 10 > ANY (SELECT v FROM t), 10 >= ANY (SELECT v FROM t);
SELECT 5 < ALL (SELECT v FROM t), 10 < ALL (SELECT v FROM t), 10 <= ALL (SELECT v FROM t), 30 >= ALL (SELECT v FROM t), 30 > ALL (SELECT v FROM t), 20 = ALL (SELECT v FROM t), 40 <> ALL (SELECT v FROM t), 20 <> ALL (SELECT v FROM t);
-- Over no rows ANY is false and ALL is true, even for a NULL operand.
SELECT 1 = ANY (SELECT v FROM e), 1 = ALL (SELECT v FROM e), NULL::int = ANY (SELECT v FROM e), NULL::int = ALL (SELECT v FROM e);
-- A NULL operand or a NULL in the subquery makes the result NULL unless a comparison decides it.
SELECT NULL::int = ANY (SELECT v FROM t) IS NULL AS any_null, NULL::int < ALL (SELECT v FROM t) IS NULL AS all_null;
SELECT 10 = ANY (SELECT v FROM n) AS found, 20 = ANY (SELECT v FROM n) AS unknown, 5 < ALL (SELECT v FROM n) AS unknown2, 20 < ALL (SELECT v FROM n) AS decided;
SELECT v, v > ALL (SELECT v FROM n) AS gt_all, v = ANY (SELECT v FROM n) AS eq_any FROM t ORDER BY id;
-- In WHERE, NULL rejects the row as false does; NOT of NULL stays NULL.
SELECT id FROM t WHERE v > ANY (SELECT v FROM t) ORDER BY id;
SELECT id FROM t WHERE v >= ALL (SELECT v FROM t);
SELECT id FROM t WHERE NOT (v = ANY (SELECT v FROM n)) ORDER BY id;
SELECT id FROM t WHERE v <> ALL (SELECT v FROM n) ORDER BY id;
-- Correlated: compared with the rows of the other table that depend on the outer row.
CREATE TABLE s (t_id int, amount int);
INSERT INTO s VALUES (1, 5), (1, 15), (2, 25), (3, NULL), (3, 1);
SELECT id, v FROM t WHERE v > ALL (SELECT amount FROM s WHERE s.t_id = t.id) ORDER BY id;
SELECT id, v < ANY (SELECT amount FROM s WHERE s.t_id = t.id) AS some_bigger, v > ALL (SELECT amount FROM s WHERE s.t_id = t.id + 10) AS none FROM t ORDER BY id;
SELECT t_id, amount FROM s WHERE amount = ANY (SELECT max(amount) FROM s s2 GROUP BY s2.t_id) ORDER BY t_id, amount;
-- Grouped queries compare their group values.
SELECT t_id, sum(amount) AS total FROM s GROUP BY t_id HAVING sum(amount) >= ALL (SELECT v FROM t WHERE id < 2) ORDER BY t_id;
-- Values of other types compare as comparisons do.
SELECT 'b' > ANY (SELECT 'a' UNION SELECT 'c'), 2.5 < ALL (SELECT v FROM t), 1.0 = ANY (SELECT 1);
-- The subquery must have one column.
SELECT 1 = ANY (SELECT 1, 2);
SELECT 1 < ALL (SELECT id, v FROM t);
-- isolde has no arrays: ANY and ALL take a subquery only (0A000).
SELECT 1 = ANY (ARRAY[1, 2]);
