-- Double precision: a result too large or too small for the type is an error (22003),
-- as in PostgreSQL, never Infinity or 0; a literal beyond NUMERIC's 38 digits written
-- with an exponent is a double precision constant.
SELECT '1e308'::float8 * '10'::float8;
SELECT '1e-300'::float8 * '1e-300'::float8;
SELECT '1e308'::float8 + '1e308'::float8;
SELECT '-1e308'::float8 - '1e308'::float8;
SELECT '1e-300'::float8 / '1e300'::float8;
SELECT '1e400'::float8;
SELECT '-1e400'::float8;
SELECT '1e-400'::float8;
SELECT '1e-310'::float8 > 0;
SELECT 'Infinity'::float8 * 2, '-Infinity'::float8 + 1, 'NaN'::float8 * 0;
SELECT 0::float8 * '1e-300'::float8;
SELECT 1e300::float8, 1.0::float8, 1e100::float8;
SELECT 1e308::float8 + 1e308::float8;
SELECT sum(x) FROM (VALUES ('1e308'::float8), ('1e308'::float8)) v(x);
CREATE TABLE f (id INT PRIMARY KEY, x FLOAT);
INSERT INTO f VALUES (1, 1e60), (2, 1), (3, 1e-60);
SELECT id FROM f WHERE x > 1e50;
SELECT id FROM f WHERE x < 1e-50 ORDER BY id;
