-- Views: created, replaced and dropped, read alone, joined, in subqueries, in WITH and
-- under other views; the names they share with tables, the objects that depend on them
-- (checked against PostgreSQL 15).
CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT);
INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, NULL, 'z');
CREATE VIEW v AS SELECT id, a FROM t WHERE id < 3;
SELECT * FROM v ORDER BY id;
SELECT a FROM v WHERE id = 2;

-- Column names given to the view, and an alias renaming them again.
CREATE VIEW totals (n, biggest) AS SELECT count(*), max(a) FROM t;
SELECT * FROM totals;
SELECT x.n FROM totals AS x (n);
SELECT * FROM totals AS x (c, m);

-- Joined, in a subquery, in WITH, and a view on a view.
SELECT v.id, t.b FROM v JOIN t ON t.id = v.id ORDER BY v.id;
SELECT id FROM t WHERE id IN (SELECT id FROM v) ORDER BY id;
SELECT (SELECT n FROM totals) AS n;
WITH w AS (SELECT * FROM v) SELECT count(*) FROM w;
CREATE VIEW vv AS SELECT id * 100 AS hundred FROM v;
SELECT * FROM vv ORDER BY hundred;

-- A view's query reads its own tables, not a WITH query of the statement using it.
WITH t AS (SELECT 99 AS id, 99 AS a) SELECT * FROM v ORDER BY id;

-- A view reads the table as it is now.
INSERT INTO t VALUES (0, 5, 'w');
SELECT * FROM v ORDER BY id;

-- Names are shared with tables, indexes and sequences.
CREATE VIEW t AS SELECT 1;
CREATE VIEW v AS SELECT 1;
CREATE TABLE v (x INT);
CREATE INDEX v ON t (a);
CREATE SEQUENCE v;
CREATE SEQUENCE s;
CREATE VIEW s AS SELECT 1;
CREATE VIEW bad (a, b) AS SELECT 1;
CREATE VIEW twice AS SELECT 1 AS a, 2 AS a;
CREATE VIEW missing AS SELECT * FROM nowhere;

-- CREATE OR REPLACE keeps the columns there were, by name and position.
CREATE OR REPLACE VIEW v AS SELECT id AS x, a FROM t;
CREATE OR REPLACE VIEW v AS SELECT id FROM t;
CREATE OR REPLACE VIEW v AS SELECT id, a, b FROM t WHERE id > 1;
SELECT * FROM v ORDER BY id;
CREATE OR REPLACE VIEW t AS SELECT 1;

-- Rows are not written through a view: 0A000 for every view (PostgreSQL updates simple
-- views and says 55000 "cannot insert into view" for this one).
INSERT INTO totals VALUES (1, 2);

-- Dependencies: a table or view under another view is not dropped without CASCADE.
DROP TABLE t;
DROP VIEW v;
DROP TABLE v;
DROP VIEW t;
DROP VIEW nosuch;
DROP VIEW IF EXISTS nosuch, vv;
SELECT * FROM vv;
DROP VIEW v CASCADE;
SELECT count(*) FROM t;

-- An ALTER TABLE that would break the stored query of a view reading the table is
-- refused (0A000: PostgreSQL renames along, isolde asks for the view to go first);
-- adding a column is not, and a view keeps its columns (its * meant the columns then).
CREATE VIEW star AS SELECT * FROM t;
ALTER TABLE t RENAME TO u;
ALTER TABLE t RENAME COLUMN a TO aa;
ALTER TABLE t ADD COLUMN c INT;
SELECT * FROM totals;
SELECT * FROM star ORDER BY id;

-- DDL is transactional: a rolled-back CREATE VIEW leaves nothing.
BEGIN;
CREATE VIEW gone AS SELECT 1 AS one;
SELECT * FROM gone;
ROLLBACK;
SELECT * FROM gone;

-- DROP TABLE ... CASCADE drops the views over it.
CREATE VIEW v1 AS SELECT id FROM t;
CREATE VIEW v2 AS SELECT id FROM v1;
DROP TABLE t CASCADE;
SELECT * FROM v1;
SELECT * FROM totals;
