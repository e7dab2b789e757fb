-- Output columns without an alias are named as PostgreSQL names them: a cast by its
-- type's internal name (int4, int8, float8, numeric, varchar, bool) unless what it
-- casts is a column, a function call or a subquery, whose name wins; a CASE by its
-- ELSE branch when that has a name of that kind, else "case"; NOT EXISTS has no name.
CREATE TABLE n (id INT PRIMARY KEY, a INT, s TEXT);
INSERT INTO n VALUES (1, 2, 'x');
SELECT 1::int, 2::integer, 3::bigint, 4::smallint, 5::int8, 1.5::float8, 1.5::double precision, 1.5::real, 1.5::float;
SELECT 1.5::numeric(5,2), 1.5::decimal, 'a'::varchar(3), 'a'::character varying, 'a'::text, 't'::boolean, 't'::bool;
SELECT a::text, length(s)::numeric, (SELECT a FROM n)::float8, (a + 1)::text, CAST(s AS varchar(1)) FROM n;
SELECT CASE WHEN a > 0 THEN 'p' ELSE s END, CASE WHEN a > 0 THEN s END, CASE WHEN a > 0 THEN 1 ELSE abs(a) END, CASE WHEN true THEN a ELSE a + 1 END FROM n;
SELECT CASE WHEN a > 0 THEN 1 ELSE a END::text, (CASE WHEN true THEN 1 ELSE 2 END)::int FROM n;
SELECT EXISTS (SELECT 1 FROM n), NOT EXISTS (SELECT 1 FROM n), NOT a > 1 FROM n;
SELECT numeric '1.5', varchar '1';
