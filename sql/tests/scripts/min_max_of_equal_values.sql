-- Of values that compare equal but print differently (0 and 0.00, 0 and -0, 1 mon
-- and 30 days), min and max return the last one they were given, as PostgreSQL's
-- numeric_smaller and float8_larger keep their second argument on a tie; so does a
-- window frame (found by random testing against PostgreSQL 15).
CREATE TABLE z (id INT PRIMARY KEY, n NUMERIC, f FLOAT, i INTERVAL);
INSERT INTO z VALUES (1, 0.00, 0, '1 mon'), (2, 0, '-0', '30 days'), (3, -0.000, 0, '720 hours');
SELECT min(n), max(n), min(f), max(f), min(i), max(i) FROM (SELECT * FROM z ORDER BY id) s;
SELECT id, min(n) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), max(f) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), min(i) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM z ORDER BY id;
