-- A statement still waiting for a lock when the script ends is reported, and the
-- exit status is 1. Then the sessions close as their connections would: a's open
-- transaction is rolled back, which lets b's statement run, and its result is shown.
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 10);
BEGIN;
UPDATE t SET v = 11 WHERE id = 1;
\s b
UPDATE t SET v = 12 WHERE id = 1;
