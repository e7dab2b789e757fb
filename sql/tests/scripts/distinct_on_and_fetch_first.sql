-- SELECT DISTINCT ON keeps the first row of each set of rows agreeing on its expressions, first by the ORDER BY, which must start with them (42P10 otherwise); FETCH FIRST n ROWS ONLY and OFFSET n ROWS are the standard's LIMIT and OFFSET.
CREATE TABLE readings (sensor text, taken int, value int, PRIMARY KEY (sensor, taken));
INSERT INTO readings VALUES ('a', 1, 10), ('a', 2, 12), ('a', 3, 9), ('b', 1, 20), ('b', 5, 25), ('c', 2, NULL);
-- The latest reading of each sensor.
SELECT DISTINCT ON (sensor) sensor, taken, value FROM readings ORDER BY sensor, taken DESC;
-- The lowest value of each sensor; NULL sorts last ascending.
SELECT DISTINCT ON (sensor) sensor, value FROM readings ORDER BY sensor, value;
-- Without ORDER BY the rows come sorted by the DISTINCT ON expressions.
SELECT DISTINCT ON (sensor) sensor FROM readings;
-- ORDER BY may name the expressions in any order, by output name or position, and leave some out.
SELECT DISTINCT ON (sensor, taken > 1) sensor, taken > 1 AS late, value FROM readings ORDER BY late, 1, value DESC;
SELECT DISTINCT ON (sensor, value IS NULL) sensor, taken FROM readings ORDER BY sensor DESC;
-- An expression not in the select list, descending, with NULLs equal.
SELECT DISTINCT ON (value IS NULL) sensor, taken FROM readings ORDER BY value IS NULL DESC, sensor;
SELECT DISTINCT ON (1) sensor, value FROM readings ORDER BY sensor, value DESC NULLS LAST;
-- Grouped queries: the expressions are computed on the groups.
SELECT DISTINCT ON (count(*)) count(*) AS n, sensor FROM readings GROUP BY sensor ORDER BY count(*), sensor DESC;
-- With LIMIT and OFFSET, applied after DISTINCT ON.
SELECT DISTINCT ON (sensor) sensor, taken FROM readings ORDER BY sensor, taken LIMIT 2 OFFSET 1;
-- The ORDER BY must start with all of the expressions.
SELECT DISTINCT ON (sensor) sensor, taken FROM readings ORDER BY taken;
SELECT DISTINCT ON (sensor, taken) sensor, taken FROM readings ORDER BY sensor, value, taken;
SELECT DISTINCT ON (5) sensor FROM readings;
SELECT DISTINCT ON (sensor) sensor FROM readings FOR UPDATE;
-- FETCH FIRST and OFFSET ... ROWS.
SELECT sensor, taken FROM readings ORDER BY sensor, taken FETCH FIRST 2 ROWS ONLY;
SELECT sensor, taken FROM readings ORDER BY sensor, taken FETCH FIRST ROW ONLY;
SELECT sensor, taken FROM readings ORDER BY sensor, taken OFFSET 2 ROWS FETCH NEXT 2 ROWS ONLY;
SELECT sensor, taken FROM readings ORDER BY sensor, taken OFFSET 4 ROW;
SELECT count(*) FROM (SELECT * FROM readings FETCH FIRST NULL ROWS ONLY) r;
SELECT sensor FROM readings OFFSET -1 ROWS;
SELECT sensor FROM readings LIMIT 1 FETCH FIRST 2 ROWS ONLY;
