-- A value coerced to a declared NUMERIC(p, s) is rounded to s digits after the point
-- (half away from zero; a negative s rounds to tens, hundreds, ...) and must then be
-- below 10^(p-s) in absolute value, else 22003 "numeric field overflow" with the bound
-- as detail: in INSERT, UPDATE, ON CONFLICT, casts and defaults, as PostgreSQL 15 has
-- it. NUMERIC(p) is NUMERIC(p, 0); a plain NUMERIC and arithmetic results are
-- unconstrained. Outputs checked against PostgreSQL 15.
CREATE TABLE n (id INT PRIMARY KEY, a NUMERIC(6,2), b NUMERIC(4), c NUMERIC, d NUMERIC(3,5), e DECIMAL(2,-3));
INSERT INTO n (id, a) VALUES (1, 12345.678);
INSERT INTO n (id, a) VALUES (1, 9999.99);
INSERT INTO n (id, a) VALUES (2, 9999.995);
INSERT INTO n (id, a) VALUES (2, 9999.994);
INSERT INTO n (id, a) VALUES (3, -9999.995);
INSERT INTO n (id, a) VALUES (3, -9999.994);
INSERT INTO n (id, b) VALUES (4, 9999.5);
INSERT INTO n (id, b) VALUES (4, -9999.4);
INSERT INTO n (id, c) VALUES (5, 12345678901234567890.123456789);
INSERT INTO n (id, d) VALUES (6, 0.0099999);
INSERT INTO n (id, d) VALUES (6, 0.009994);
INSERT INTO n (id, e) VALUES (7, 99500);
INSERT INTO n (id, e) VALUES (7, 99499);
INSERT INTO n (id, e) VALUES (8, -500), (9, -499.9), (10, 12345);
INSERT INTO n VALUES (11, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM n ORDER BY id;

-- Integers, floats and text are held to the same bound.
INSERT INTO n (id, a) VALUES (12, 10000);
INSERT INTO n (id, a) VALUES (12, 1e10::float8);
INSERT INTO n (id, a) VALUES (12, 'infinity'::float8);
INSERT INTO n (id, a) VALUES (12, '99999');
INSERT INTO n (id, a) VALUES (12, ' 12.345 '), (13, 2.5::float8), (14, 42);
SELECT id, a FROM n WHERE id >= 12 ORDER BY id;

-- UPDATE, INSERT ... SELECT and ON CONFLICT DO UPDATE; an arithmetic result is a plain
-- NUMERIC until it is stored.
UPDATE n SET a = a * 100 WHERE id = 12;
UPDATE n SET a = a * 100 WHERE id = 14 RETURNING a;
SELECT a * 1000 AS big FROM n WHERE id = 1;
INSERT INTO n (id, a) SELECT 15, a + 1 FROM n WHERE id = 1;
INSERT INTO n (id, a) SELECT 15, a - 1 FROM n WHERE id = 1;
INSERT INTO n (id, a) VALUES (15, 0) ON CONFLICT (id) DO UPDATE SET a = n.a * 2;
INSERT INTO n (id, a) VALUES (15, 0) ON CONFLICT (id) DO UPDATE SET a = n.a / 2;
SELECT id, a FROM n WHERE id = 15;

-- A lookup with a value the column could not hold finds nothing; it is no error.
SELECT id FROM n WHERE a = 12345.678;
SELECT count(*) FROM n WHERE a < 123456.7;
SELECT coalesce(a, 123456.789) FROM n WHERE id = 11;

-- Casts.
SELECT 12345.678::numeric(6,2);
SELECT CAST(123456 AS DECIMAL(5));
SELECT 1.5::numeric(1,0), 0.94::numeric(1,1), 12.34::numeric(2,-1), 1.5::numeric(3,-5);
SELECT 0.95::numeric(1,1);
SELECT 2.5::float8::numeric(2,0), -2.5::numeric(2,0), '1.2345'::numeric(5,3);
SELECT 123::numeric(2)::text;
SELECT 0.1::numeric(38,38);
SELECT 1::numeric(38,38);
SELECT NULL::numeric(1,0) IS NULL AS null_passes;
-- Messages about a type that does not convert name it without its modifiers.
SELECT true::numeric(5,2);
SELECT '2020-01-01'::date::numeric(5,2);
INSERT INTO n (id, a) VALUES (16, false);
CREATE TABLE bad (a NUMERIC(5,2) DEFAULT true);

-- Declarations: PostgreSQL's ranges (22023), then the 38 digits isolde's NUMERIC holds
-- (0A000).
SELECT 1::numeric(0);
SELECT 1::numeric(1001);
SELECT 1::numeric(0,1001);
SELECT 1::numeric(5,1001);
SELECT 1::numeric(5,-1001);
CREATE TABLE bad (a NUMERIC(0));
SELECT 1::numeric(39);
SELECT 1::numeric(5,39);
SELECT 1::numeric(5,-39);

-- A default is checked when it is used (CREATE TABLE and SET DEFAULT take it); ADD
-- COLUMN computes a constant default at once, so it fails even on an empty table (a
-- VARCHAR(n) default too).
CREATE TABLE f (id INT PRIMARY KEY, x NUMERIC(3,1) DEFAULT 123.45, y NUMERIC(3,1) DEFAULT 12.345);
INSERT INTO f (id) VALUES (1);
INSERT INTO f (id, x) VALUES (1, 1);
SELECT * FROM f;
CREATE TABLE g (id INT PRIMARY KEY);
ALTER TABLE g ADD COLUMN z NUMERIC(3,1) DEFAULT 123.45;
ALTER TABLE g ADD COLUMN z NUMERIC(3,1) DEFAULT 12.345;
ALTER TABLE g ADD COLUMN v VARCHAR(2) DEFAULT 'abc';
ALTER TABLE f ADD COLUMN z NUMERIC(2,1) DEFAULT 12;
ALTER TABLE f ALTER COLUMN y SET DEFAULT 1000;
INSERT INTO f (id, x) VALUES (2, 1);
ALTER TABLE f ALTER COLUMN y SET DEFAULT -99.94;
INSERT INTO f (id, x) VALUES (2, 1);
SELECT * FROM f ORDER BY id;
