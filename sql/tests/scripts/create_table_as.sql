-- CREATE TABLE ... AS: columns named and typed after the query, rows copied, the
-- SELECT n tag, IF NOT EXISTS, WITH NO DATA, column lists, errors and transactions
-- (checked against PostgreSQL 15).
CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(10,2), s TEXT, v VARCHAR(5));
INSERT INTO t VALUES (1, 1.5, 'a', 'x'), (2, 2.25, 'b', 'y'), (3, NULL, NULL, 'z');
CREATE TABLE c1 AS SELECT * FROM t;
SELECT * FROM c1 ORDER BY id;

-- The copy keeps the declared types: NUMERIC(10,2) rounds, VARCHAR(5) is checked;
-- there is no primary key, so the same id goes in twice.
INSERT INTO c1 VALUES (1, 3.14159, 'c', 'abcde');
INSERT INTO c1 VALUES (4, 1, 'd', 'abcdef');
SELECT * FROM c1 ORDER BY id, n;

-- Unnamed expressions are ?column?, which two of them cannot both be.
CREATE TABLE c2 AS SELECT id, n * 2, s || 'x' FROM t;
CREATE TABLE c2 AS SELECT id, n * 2 FROM t;
SELECT id, "?column?" FROM c2 ORDER BY id;
CREATE TABLE c2b AS SELECT 1 + 1, 2 + 2;

-- A column list renames from the left; it may be shorter than the output.
CREATE TABLE c3 (a, b) AS SELECT id, n, s FROM t WHERE id < 3;
SELECT * FROM c3 ORDER BY a;
CREATE TABLE c4 (a, b, c, d, e) AS SELECT id, n FROM t;
CREATE TABLE c5 (a, a) AS SELECT id, n FROM t;
CREATE TABLE c6 AS SELECT id, id FROM t;
CREATE TABLE c7 (a INT) AS SELECT 1;

-- An existing name: 42P07, or a notice with IF NOT EXISTS; the query is planned first.
CREATE TABLE c1 AS SELECT 1;
CREATE TABLE IF NOT EXISTS c1 AS SELECT 1;
CREATE TABLE IF NOT EXISTS c1 AS SELECT * FROM nonexistent;
CREATE TABLE t AS SELECT 1;

-- WITH NO DATA makes the table only; WITH DATA is the default.
CREATE TABLE c8 AS SELECT * FROM t WITH NO DATA;
SELECT * FROM c8;
INSERT INTO c8 VALUES (1, 2.345, 'q', 'r');
SELECT * FROM c8;
CREATE TABLE c9 AS SELECT id FROM t WHERE id > 1 WITH DATA;
SELECT * FROM c9 ORDER BY id;
CREATE TABLE c10 AS SELECT 1 AS x WHERE false;
SELECT * FROM c10;

-- Types from values: aggregates, VALUES, a subquery in FROM, NULL and unknown literals.
CREATE TABLE c11 AS SELECT NULL AS x, 'abc' AS y, sum(id) AS s, avg(n) AS a, count(*) AS c, 1.50 AS z, 2.5::float8 AS f FROM t;
SELECT * FROM c11;
INSERT INTO c11 VALUES (NULL, 'more', 2, 1.25, 7, 3, 0.5);
SELECT * FROM c11 ORDER BY c;
CREATE TABLE c12 AS VALUES (1, 'a'), (2, 'b');
SELECT * FROM c12 ORDER BY column1;
CREATE TABLE c13 AS SELECT * FROM (SELECT id * 10 AS ten FROM t) AS sub;
SELECT * FROM c13 ORDER BY ten;
CREATE TABLE c14 AS WITH w AS (SELECT id FROM t WHERE id <> 2) SELECT id FROM w;
SELECT * FROM c14 ORDER BY id;

-- Transactional: rolled back with its rows, or seen by the rest of the block.
BEGIN;
CREATE TABLE r AS SELECT id FROM t;
SELECT count(*) FROM r;
ROLLBACK;
SELECT * FROM r;
BEGIN;
CREATE TABLE r AS SELECT id FROM t;
INSERT INTO r VALUES (10);
COMMIT;
SELECT * FROM r ORDER BY id;

-- A failed query creates nothing.
CREATE TABLE bad AS SELECT 1 / 0;
SELECT * FROM bad;

-- The other forms are refused, naming themselves.
CREATE TEMPORARY TABLE tmp AS SELECT 1;
CREATE TABLE l (LIKE t);
CREATE OR REPLACE TABLE o (a INT);
-- A cast of a constant keeps its precision or length as the column's type.
CREATE TABLE cast_consts AS SELECT 1.50::numeric(5,1) AS q, 'x'::varchar(3) AS v, 7 AS n;
INSERT INTO cast_consts VALUES (2.25, 'ab', 1);
INSERT INTO cast_consts VALUES (1, 'abcd', 1);
SELECT * FROM cast_consts ORDER BY q;
