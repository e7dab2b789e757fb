-- CHECK constraints: a row passes when the condition is true or NULL; constraints are
-- named as PostgreSQL names them and tested in name order (checked against PostgreSQL 15).
CREATE TABLE t (id INT PRIMARY KEY, a INT CHECK (a > 0), b NUMERIC(10,2) CHECK (b >= 0), c TEXT, CHECK (a < b), CHECK (c <> 'x'), CONSTRAINT named CHECK (a + 1 > 0), CHECK (true));
INSERT INTO t VALUES (1, 5, 10, 'y');
-- Breaks t_a_check and named: "named" comes first.
INSERT INTO t VALUES (2, -1, 10, 'y');
INSERT INTO t VALUES (3, 5, 1, 'y');
INSERT INTO t VALUES (4, NULL, NULL, NULL);
UPDATE t SET c = 'x' WHERE id = 1;
UPDATE t SET b = b - 20 WHERE id = 1 RETURNING *;
UPDATE t SET b = 7 WHERE id = 1 RETURNING *;
-- A multi-row INSERT with one bad row inserts nothing.
INSERT INTO t VALUES (5, 1, 2, 'ok'), (6, 1, -2, 'bad');
SELECT * FROM t ORDER BY id;
-- A column's condition may name other columns; one naming several is table_check.
CREATE TABLE x (a INT, b INT CHECK (a < b));
INSERT INTO x VALUES (1, 0);
INSERT INTO x VALUES (1, 0) ON CONFLICT DO NOTHING;
INSERT INTO x SELECT 2, 1;
-- Names taken get a number.
CREATE TABLE u (a INT CHECK (a > 0), CHECK (a > 1), CHECK (a > 2));
INSERT INTO u VALUES (1);
INSERT INTO u VALUES (2);
INSERT INTO u VALUES (3);
-- ON CONFLICT DO UPDATE checks the row it makes; DEFAULT values are checked too.
CREATE TABLE y (id INT PRIMARY KEY, a TEXT DEFAULT 'long' CHECK (length(a) < 3));
INSERT INTO y VALUES (1, 'ab');
INSERT INTO y VALUES (1, 'abcd') ON CONFLICT (id) DO UPDATE SET a = excluded.a;
INSERT INTO y (id) VALUES (2);
-- Definitions that are refused.
CREATE TABLE v (a INT CONSTRAINT k CHECK (a > 0), b INT CONSTRAINT k CHECK (b > 0));
CREATE TABLE w (a INT CHECK (a > (SELECT 1)));
CREATE TABLE w (a INT CHECK (sum(a) > 1));
CREATE TABLE w (a INT CHECK (zz > 1));
CREATE TABLE w (a INT CHECK (1 + 1));
-- A condition that fails to evaluate fails the write.
CREATE TABLE w (a INT CHECK (1 / a > 0));
INSERT INTO w VALUES (0);
INSERT INTO w VALUES (1);
-- A rolled-back CREATE TABLE takes its constraints with it.
BEGIN;
CREATE TABLE r (a INT CHECK (a > 0));
ROLLBACK;
CREATE TABLE r (a INT);
INSERT INTO r VALUES (-1);
