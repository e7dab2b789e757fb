-- Without --continue a script stops at its first error, even in the middle of a line,
-- and exits with status 1.
CREATE TABLE t (id INT PRIMARY KEY);
INSERT INTO t VALUES (1); SELECT 1 / 0; INSERT INTO t VALUES (2);
INSERT INTO t VALUES (3);
