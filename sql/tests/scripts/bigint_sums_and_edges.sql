-- sum() and avg() of integers are NUMERIC, as sum(bigint) and avg(bigint) are in
-- PostgreSQL: they do not overflow where a bigint would, and sum(a)/count(a) divides
-- exactly. The edges of bigint: the literal -9223372036854775808 is a bigint, and
-- overflowing it is an error, as is text out of its range (22003, not 22P02).
SELECT sum(x) FROM (VALUES (9223372036854775807), (1)) v(x);
SELECT avg(x) FROM (VALUES (9223372036854775807), (9223372036854775807)) v(x);
SELECT sum(x), avg(x) FROM (VALUES (-9223372036854775807), (-9223372036854775807), (5)) v(x);
CREATE TABLE b (id INT PRIMARY KEY, a BIGINT);
INSERT INTO b VALUES (1, 1), (2, 1), (3, 2), (4, 3), (5, NULL);
SELECT sum(a), count(a), sum(a) / count(a), avg(a) FROM b;
SELECT sum(a) + 1, sum(DISTINCT a) FROM b WHERE id < 5;
SELECT id, sum(a) FROM b GROUP BY id HAVING sum(a) > 1 ORDER BY id;
SELECT sum(a) FROM b WHERE id > 100;
SELECT (-9223372036854775807 - 1) % -1;
SELECT -9223372036854775808;
SELECT -9223372036854775808 - 1;
SELECT (-9223372036854775808) / -1;
SELECT abs(-9223372036854775808);
SELECT 9223372036854775808;
SELECT '9223372036854775808'::bigint;
SELECT '-9223372036854775809'::bigint;
SELECT '-9223372036854775808'::bigint;
SELECT '12x'::bigint;
SELECT -(-9223372036854775808), -(-(5)), - -5, -(-9223372036854775807);
