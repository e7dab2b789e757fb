-- ALTER TABLE: columns added, dropped and renamed, defaults, NOT NULL and constraints
-- changed, tables renamed; existing rows follow (checked against PostgreSQL 15).
CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, NULL, 'z');
-- Existing rows get the default, or NULL without one.
ALTER TABLE t ADD COLUMN c INT DEFAULT 5;
ALTER TABLE t ADD d TEXT;
SELECT * FROM t ORDER BY id;
INSERT INTO t (id) VALUES (4);
SELECT * FROM t WHERE id = 4;
-- NOT NULL without a default cannot be added to a table with rows.
ALTER TABLE t ADD COLUMN e INT NOT NULL;
ALTER TABLE t ADD COLUMN e INT NOT NULL DEFAULT 0;
ALTER TABLE t ADD COLUMN a INT;
ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT;
-- A volatile default is computed for each row; a serial column numbers them.
ALTER TABLE t ADD COLUMN ts TIMESTAMPTZ DEFAULT clock_timestamp(), ADD COLUMN n SERIAL;
SELECT count(DISTINCT ts), min(n), max(n) FROM t;
-- A CHECK or UNIQUE given with the column is tested on the existing rows.
ALTER TABLE t ADD COLUMN f INT DEFAULT 5 CHECK (f > 6);
ALTER TABLE t ADD COLUMN f INT DEFAULT 5 UNIQUE;
-- Dropping columns; the indexes on them go too.
CREATE INDEX t_b ON t (b);
ALTER TABLE t DROP COLUMN b, DROP COLUMN ts, DROP COLUMN n;
CREATE INDEX t_b ON t (a);
SELECT * FROM t ORDER BY id;
ALTER TABLE t DROP COLUMN zz;
ALTER TABLE t DROP COLUMN IF EXISTS zz;
-- Actions apply in PostgreSQL's order: drops before adds.
ALTER TABLE t ADD COLUMN g INT, DROP COLUMN g;
-- All or nothing: the second action fails, so the first is undone.
ALTER TABLE t ADD COLUMN g INT, ADD COLUMN g INT;
SELECT * FROM t ORDER BY id;
-- Renames.
ALTER TABLE t RENAME COLUMN a TO alpha;
ALTER TABLE t RENAME zz TO q;
ALTER TABLE t RENAME alpha TO c;
-- RENAME is a statement of its own, not an action in a list.
ALTER TABLE t RENAME COLUMN alpha TO b, ADD COLUMN x INT;
ALTER TABLE t RENAME TO u;
SELECT * FROM t;
INSERT INTO u VALUES (5, 50, 6, 'w', 1);
INSERT INTO u VALUES (5, 50, 6, 'w', 1);
SELECT * FROM u WHERE alpha = 50;
CREATE TABLE t (x INT);
ALTER TABLE u RENAME TO t;
ALTER TABLE IF EXISTS zz ADD COLUMN q INT;
ALTER TABLE zz ADD COLUMN q INT;
-- Defaults.
ALTER TABLE u ALTER COLUMN c SET DEFAULT 7, ALTER d SET DEFAULT 'dd';
INSERT INTO u (id) VALUES (6);
ALTER TABLE u ALTER COLUMN c DROP DEFAULT;
INSERT INTO u (id) VALUES (7);
SELECT * FROM u WHERE id >= 6 ORDER BY id;
ALTER TABLE u ALTER COLUMN zz SET DEFAULT 1;
-- NOT NULL.
ALTER TABLE u ALTER COLUMN alpha SET NOT NULL;
DELETE FROM u WHERE alpha IS NULL;
ALTER TABLE u ALTER COLUMN alpha SET NOT NULL;
INSERT INTO u (id) VALUES (8);
ALTER TABLE u ALTER COLUMN alpha DROP NOT NULL;
INSERT INTO u (id) VALUES (8);
ALTER TABLE u ALTER COLUMN id DROP NOT NULL;
-- Constraints.
ALTER TABLE u ADD CONSTRAINT big CHECK (c > 5);
ALTER TABLE u ADD CHECK (id > 0);
ALTER TABLE u ADD CONSTRAINT u_id_check CHECK (id > 1);
INSERT INTO u (id) VALUES (-1);
ALTER TABLE u ADD UNIQUE (e);
ALTER TABLE u ADD CONSTRAINT u_alpha UNIQUE (alpha);
INSERT INTO u (id, alpha) VALUES (9, 10);
ALTER TABLE u DROP CONSTRAINT u_alpha, DROP CONSTRAINT u_id_check;
INSERT INTO u (id, alpha) VALUES (-9, 10);
ALTER TABLE u DROP CONSTRAINT zz;
ALTER TABLE u DROP CONSTRAINT IF EXISTS zz;
-- A CHECK follows a renamed column; dropping the column drops the CHECK.
CREATE TABLE k (a INT CHECK (a > 0), b INT);
ALTER TABLE k RENAME a TO aa;
INSERT INTO k VALUES (0, 0);
ALTER TABLE k DROP COLUMN aa;
INSERT INTO k VALUES (0);
-- Transactional: a rolled-back ALTER leaves nothing.
BEGIN;
ALTER TABLE k ADD COLUMN z INT DEFAULT 1;
ALTER TABLE k RENAME TO kk;
SELECT * FROM kk;
ROLLBACK;
SELECT * FROM k;
SELECT * FROM kk;
-- Not supported (0A000), though PostgreSQL allows them: changing a column's type,
-- adding or dropping a primary key or one of its columns, dropping the only column.
ALTER TABLE k ALTER COLUMN b TYPE TEXT;
ALTER TABLE k ADD PRIMARY KEY (b);
ALTER TABLE u DROP COLUMN id;
ALTER TABLE u DROP CONSTRAINT t_pkey;
ALTER TABLE k DROP COLUMN b;
