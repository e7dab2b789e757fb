-- A NUMERIC quotient has the scale PostgreSQL selects: 16 significant digits counted in
-- its base-10000 digits (more after the point when the quotient is small, fewer when
-- it is large), and never fewer than either operand's scale. avg divides the same way.
SELECT 10 / 4.0, 1.0 / 3, 0 / 4.0, 2 / 3.0;
SELECT 100000000 / 3.0, 12345678901234567890 / 3, 0.000001 / 3, 1 / 0.0003;
SELECT 9999 / 1.0, 10000 / 1.0, 1.23456789012345678901 / 1, -7 / 2.0;
CREATE TABLE m (id INT PRIMARY KEY, a INT, n NUMERIC);
INSERT INTO m VALUES (1, 10, 1.5), (2, 5, -2.25), (3, 0, 3), (4, NULL, 0);
SELECT avg(a), avg(n), sum(n) / count(n), avg(n * 10000) FROM m;
SELECT id, n / 4, a / 4.0 FROM m ORDER BY id;
