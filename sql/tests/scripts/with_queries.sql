-- WITH queries (non-recursive): named queries in scope for the main query and the WITH queries after them, hiding tables of their name, with column names, inside subqueries, and before INSERT, UPDATE and DELETE.
CREATE TABLE t (id int PRIMARY KEY, g text, v int);
INSERT INTO t VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 5);
WITH x AS (SELECT 1 AS a) SELECT * FROM x;
WITH totals AS (SELECT g, sum(v) AS s FROM t GROUP BY g), big AS (SELECT g FROM totals WHERE s > 10) SELECT t.id, t.g FROM t JOIN big ON t.g = big.g ORDER BY t.id;
WITH x(n) AS (SELECT id FROM t) SELECT n FROM x WHERE n > 1 ORDER BY n;
WITH x(n, m, k, z) AS (SELECT id, g, v FROM t) SELECT * FROM x;
WITH x AS (SELECT 1), x AS (SELECT 2) SELECT * FROM x;
WITH t AS (SELECT 42 AS id) SELECT * FROM t;
WITH x AS (SELECT id FROM t) SELECT * FROM t WHERE id IN (SELECT id FROM x) ORDER BY id;
WITH x AS (SELECT id FROM t) SELECT (SELECT count(*) FROM x) AS c;
SELECT (WITH y AS (SELECT v FROM t WHERE t.id = o.id) SELECT v FROM y) FROM t o ORDER BY 1;
SELECT (WITH y AS (SELECT o.v) SELECT * FROM (SELECT (SELECT count(*) FROM y)) s) FROM t o;
WITH x AS (SELECT id FROM t), y AS (SELECT * FROM x WHERE id > 1) SELECT * FROM y a(i) ORDER BY i;
WITH y AS (SELECT * FROM z), z AS (SELECT 1) SELECT * FROM y;
WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r;
WITH x AS (SELECT id, v FROM t) INSERT INTO t SELECT id + 10, 'c', v FROM x;
EXPLAIN WITH x AS (SELECT * FROM t WHERE id = 1) SELECT * FROM x;
WITH x AS (SELECT 1 AS a) SELECT * FROM x UNION ALL SELECT * FROM x;
WITH small AS (SELECT id FROM t WHERE v < 15) UPDATE t SET v = v + 100 WHERE id IN (SELECT id FROM small) RETURNING *;
WITH gone AS (SELECT id FROM t WHERE g = 'b') DELETE FROM t WHERE id IN (SELECT id FROM gone);
EXPLAIN WITH small AS (SELECT id FROM t WHERE v < 15) UPDATE t SET v = 0 WHERE id IN (SELECT id FROM small);
BEGIN READ ONLY;
WITH x AS (SELECT 1) INSERT INTO t SELECT 9, 'z', 1 FROM x;
ROLLBACK;
SELECT * FROM t ORDER BY id;
-- Every WITH query is planned, referenced or not.
WITH x(a, b, c) AS (SELECT 1, 2) SELECT 1;
WITH x AS (SELECT nope FROM t) SELECT 1;
WITH x(a, b, c) AS (SELECT 1, 2) DELETE FROM t WHERE id = 1;
SELECT count(*) FROM t WHERE id = 1;
-- More column names than a FROM item has columns is 42P10, for tables and subqueries as for WITH queries.
SELECT * FROM t AS x(a, b, c, d);
SELECT * FROM (SELECT 1) s(a, b);
WITH w AS (SELECT 1 AS one) SELECT * FROM w AS v(a, b);
