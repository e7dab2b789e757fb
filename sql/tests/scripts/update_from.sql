-- UPDATE ... FROM and DELETE ... USING: the target's rows joined with other tables by the WHERE clause, SET and RETURNING reading both; a target row that several source rows match is changed once.
CREATE TABLE t (id int PRIMARY KEY, v int, note text);
CREATE TABLE s (id int, dv int, tag text);
INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');
INSERT INTO s VALUES (1, 5, 'x'), (2, 7, 'y'), (9, 100, 'z');
UPDATE t SET v = v + s.dv FROM s WHERE t.id = s.id RETURNING *;
UPDATE t SET note = s.tag FROM s WHERE t.id = s.id AND s.dv > 5 RETURNING t.id, note, s.tag;
UPDATE t x SET v = 0 FROM s WHERE x.id = s.id AND s.tag = 'z';
SELECT * FROM t ORDER BY id;
-- Without WHERE every target row joins every source row, and is updated once.
UPDATE t SET note = t.note || '!' FROM s AS t2;
SELECT * FROM t ORDER BY id;
-- Several source rows for one target row: one update, one RETURNING row.
INSERT INTO s VALUES (3, 1, 'p'), (3, 1, 'q');
UPDATE t SET v = v + s.dv FROM s WHERE t.id = s.id AND s.id = 3 RETURNING t.*;
-- The same statement again runs its cached plan.
UPDATE t SET v = v + s.dv FROM s WHERE t.id = s.id AND s.id = 3 RETURNING t.*;
-- FROM with its own joins, and a subquery in FROM.
UPDATE t SET v = s.dv + s2.dv FROM s JOIN s s2 USING (id) WHERE t.id = s.id AND t.id = 1 AND s.tag = s2.tag RETURNING t.*;
UPDATE t SET note = d.tag FROM (SELECT id, upper(tag) AS tag FROM s) d WHERE d.id = t.id AND t.id < 3 RETURNING t.id, t.note;
-- The primary key can change too.
UPDATE t SET id = t.id + s.dv FROM s WHERE t.id = s.id AND s.tag = 'x' RETURNING t.id;
SELECT * FROM t ORDER BY id;
DELETE FROM t USING s WHERE t.id = s.id AND s.tag = 'y' RETURNING *;
SELECT * FROM t ORDER BY id;
DELETE FROM t USING s, s s2 WHERE t.id = s.id AND s2.id = s.id;
SELECT * FROM t ORDER BY id;
-- Errors.
UPDATE t SET v = 1 FROM t WHERE t.id = 1;
UPDATE t SET v = 1 FROM s WHERE id = 1;
UPDATE t SET v = nope FROM s;
DELETE FROM t USING s WHERE t.id = nope;
EXPLAIN UPDATE t SET v = 1 FROM s WHERE t.id = s.id;
EXPLAIN DELETE FROM t USING s WHERE t.id = s.id;
-- Inside a transaction, with a WITH query as the source.
BEGIN;
INSERT INTO t VALUES (20, 0, 'n');
WITH w AS (SELECT 20 AS id, 42 AS nv) UPDATE t SET v = w.nv FROM w WHERE t.id = w.id RETURNING t.*;
ROLLBACK;
SELECT * FROM t ORDER BY id;
