-- An INSERT must give a value for every column it names, as PostgreSQL requires.
CREATE TABLE t (id INT PRIMARY KEY, a INT DEFAULT 7);
INSERT INTO t (id, a) VALUES (1);
INSERT INTO t (id, a) SELECT 2;
INSERT INTO t (id, a) VALUES (3, 3, 3);
INSERT INTO t VALUES (4);
INSERT INTO t (id) VALUES (5);
SELECT * FROM t ORDER BY id;
