-- The type of a numeric result, where it decides what later arithmetic does, as in
-- PostgreSQL: round, ceil and floor of an integer are double precision (so halving
-- them is not integer division); % takes integers or numerics only, never a double
-- precision (42883). The branches of CASE, COALESCE, GREATEST and LEAST take one type,
-- the widest of their number types (bigint, numeric, double precision), on every row;
-- NULLIF(a, b) returns a at the type a = b compares in; each column of a VALUES list
-- takes one type too.
SELECT round(5) / 2, ceil(5) / 2, floor(-5) / 2, round(7, 1) / 2, abs(-5) / 2;
SELECT round(5), ceil(-5), floor(5);
SELECT 7 % 2.5, -7.5 % 2, 7 % 3;
SELECT 7.5::float8 % 2;
SELECT 7 % 2::float8;
CREATE TABLE v (id INT PRIMARY KEY, a BIGINT, n NUMERIC(10,2), f FLOAT8, s TEXT);
INSERT INTO v VALUES (1, 10, 1.50, 2.5, 'x'), (2, NULL, NULL, NULL, NULL), (3, -5, -2.25, -0.5, 'y');
SELECT id, coalesce(a, 1.5) / 4, coalesce(a, n) / 4, coalesce(a, f) / 4, coalesce(n, 1) / 4 FROM v ORDER BY id;
SELECT id, CASE WHEN id > 1 THEN a ELSE 2.5 END / 4, CASE WHEN id > 1 THEN a ELSE f END / 4 FROM v ORDER BY id;
SELECT id, CASE id WHEN 1 THEN 1 WHEN 2 THEN NULL ELSE 0.5 END, CASE WHEN a > 0 THEN s ELSE 'neg' END FROM v ORDER BY id;
SELECT id, greatest(a, 1.5) / 4, least(a, f) / 4, greatest(a, 0) / 4 FROM v ORDER BY id;
SELECT id, nullif(a, 1.5) / 4, nullif(a, 10) / 4, nullif(n, 1) FROM v ORDER BY id;
SELECT coalesce(max(a), 0.5) / 4, coalesce(sum(a), 0) / 4, coalesce(count(*), 0.5) FROM v;
SELECT a, coalesce(a, 0.5) / 4 FROM v GROUP BY a ORDER BY a;
SELECT x, x / 2 FROM (VALUES (1), (1.5), (NULL)) v(x) ORDER BY x;
SELECT x / 2, y FROM (VALUES (1, 1), (2::float8, 2.5)) v(x, y) ORDER BY x;
