-- Constant folding raises no error evaluation would not: branches that never run stay quiet.
SELECT CASE WHEN false THEN 1/0 ELSE 1 END;
SELECT CASE WHEN 1=1 THEN 1 ELSE 1/0 END;
SELECT COALESCE(1, 1/0);
SELECT 1/0;
SELECT CASE WHEN true THEN 1/0 ELSE 1 END;
CREATE TABLE t (x INT);
INSERT INTO t VALUES (0), (2);
SELECT CASE WHEN x = 0 THEN 0 ELSE 10/x END FROM t ORDER BY x;
