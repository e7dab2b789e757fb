-- A statement still waiting for a lock when the script ends is reported, and the
-- exit status is 1.
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 10);
BEGIN;
UPDATE t SET v = 11 WHERE id = 1;
\s b
UPDATE t SET v = 12 WHERE id = 1;
