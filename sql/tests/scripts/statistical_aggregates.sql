-- variance, stddev and their _samp and _pop forms print PostgreSQL 15's digits: NUMERIC (exact, at a division's scale) over integers and numerics, double precision over floats; NULLs skipped, NULL for no rows and for a sample of one, 0 for a population of one; with GROUP BY, HAVING, DISTINCT, FILTER and OVER; 42883 for an argument that is not a number.
CREATE TABLE m (g int, i int, n numeric(10,2), f double precision);
INSERT INTO m VALUES (1, 1, 1.50, 1.5), (1, 2, 2.25, 2.25), (1, 3, NULL, NULL), (1, 4, 10.00, 10), (2, 10, 3.10, 0.1), (2, 10, 3.10, 0.2), (2, NULL, -7.77, 0.3), (3, 5, 0.01, 0.001), (4, NULL, NULL, NULL);
SELECT variance(x), stddev(x), var_samp(x), stddev_samp(x), var_pop(x), stddev_pop(x) FROM (VALUES (1), (2), (3), (4)) t(x);
SELECT variance(i), stddev(i), var_pop(i), stddev_pop(i) FROM m;
SELECT variance(n), stddev(n), var_pop(n), stddev_pop(n) FROM m;
SELECT variance(f), stddev(f), var_pop(f), stddev_pop(f) FROM m;
SELECT g, var_samp(i), var_pop(i), stddev_samp(n), stddev_pop(n), var_samp(f), stddev_pop(f) FROM m GROUP BY g ORDER BY g;
-- No rows, one row, two equal rows.
SELECT variance(i), var_pop(i), stddev_pop(f) FROM m WHERE false;
SELECT variance(i), stddev(i), var_pop(i), stddev_pop(i), var_pop(n), var_pop(f), var_samp(f) FROM m WHERE g = 3;
SELECT var_samp(i), stddev(n), var_pop(n), var_pop(f) FROM m WHERE g = 2 AND i IS NOT NULL;
-- DISTINCT, FILTER, HAVING.
SELECT variance(DISTINCT i), stddev_pop(DISTINCT n), var_samp(DISTINCT f) FROM m;
SELECT variance(i) FILTER (WHERE g = 1), stddev(f) FILTER (WHERE f < 1) FROM m;
SELECT g, stddev_pop(i) FROM m GROUP BY g HAVING stddev_pop(i) > 0.5 ORDER BY g;
-- As window functions, over a sliding frame and over partitions.
SELECT i, n, var_pop(n) OVER (ORDER BY i, n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), stddev(i) OVER (PARTITION BY g), variance(f) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM m ORDER BY i, n;
-- Large and negative integers, small numerics, real, and floats far from zero.
SELECT variance(x), stddev_pop(x) FROM (VALUES (1000000000000::bigint), (-1000000000001), (7)) t(x);
SELECT variance(x), stddev(x), var_pop(x) FROM (VALUES (0.000001), (0.000002), (0.0000045)) t(x);
SELECT variance(x), stddev(x), var_pop(x) FROM (VALUES (123456.789), (-0.5), (2)) t(x);
SELECT variance(x), stddev(x) FROM (VALUES (1.5::real), (2.5::real), (4::real)) t(x);
SELECT stddev(x), var_pop(x) FROM (VALUES (1e10::float8 + 4), (1e10 + 7), (1e10 + 13), (1e10 + 16)) t(x);
SELECT variance(x), stddev_pop(x) FROM (VALUES ('Infinity'::float8), (1)) t(x);
SELECT variance(x) FROM (VALUES (1e308::float8), (-1e308)) t(x);
-- The exact sums hold 38 digits, so squares of integers near the bigint limit overflow (22003), where PostgreSQL's unbounded NUMERIC gives 162000000000000000000000000000000000000.
SELECT variance(x) FROM (VALUES (9000000000000000000), (-9000000000000000000)) t(x);
-- Not numbers.
SELECT stddev(t) FROM (VALUES ('a'::text)) v(t);
SELECT var_pop(b) FROM (VALUES (true)) v(b);
SELECT stddev_samp(d) FROM (VALUES (interval '1 day')) v(d);
SELECT variance(1, 2);
-- Large values close to each other: the exact sums are taken relative to the first
-- value, so their squares stay within 38 digits.
SELECT stddev(x), var_pop(x) FROM (VALUES (1e20::numeric), (1e20 + 1), (1e20 + 2)) v(x);
SELECT variance(x), stddev_pop(x) FROM (VALUES (9223372036854775807::bigint), (9223372036854775806)) v(x);
-- Squares with 38 decimals: N times their sum passes 38 digits (PostgreSQL gives
-- 0.38416400036427373947509525999375095261).
SELECT variance(x) FROM (VALUES (1.1234567890123456789::numeric), (2)) v(x);
-- Values 1.8e19 apart: a variance past 38 digits (PostgreSQL's numeric is unbounded).
SELECT stddev(x) FROM (VALUES (9223372036854775807::bigint), (-9223372036854775807)) v(x);
