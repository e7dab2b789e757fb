-- A statement's subqueries see the table as it was before the statement: UPDATE's SET and RETURNING and DELETE's RETURNING are computed for every row before any row is changed (as PostgreSQL's statement snapshot).
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t VALUES (1, 1), (2, 2), (3, 3);
UPDATE t SET v = (SELECT sum(t2.v) FROM t t2 WHERE t2.id < t.id) RETURNING *;
UPDATE t SET v = id * 10 RETURNING id, v, (SELECT max(v) FROM t) AS m;
DELETE FROM t WHERE id < 3 RETURNING id, (SELECT count(*) FROM t) AS c;
CREATE TABLE u (id int PRIMARY KEY, k int UNIQUE);
INSERT INTO u VALUES (1, 1), (2, 2);
UPDATE u SET k = k + 1;
UPDATE u SET k = 10 / (k - 2);
SELECT * FROM u ORDER BY id;
