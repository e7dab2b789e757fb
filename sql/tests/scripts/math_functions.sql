-- power and ^, sqrt, exp, ln, log, sign and trunc: double precision for integer and double arguments, exact NUMERIC for sign and trunc of a NUMERIC, with PostgreSQL's domain and range errors.
SELECT sqrt(2), exp(1), ln(10), log(100), log(0.001::float8), sqrt(4), exp(0), ln(1);
SELECT power(2, 10), 2 ^ 10, 2 ^ 3 ^ 2, 2 * 3 ^ 2, power(2, -1), power(-2, 3), power(2.5::float8, 2), power(4, 0.5::float8);
SELECT sign(-5), sign(-5.5), sign(0.0), sign(3::float8), sign(-0.0::float8), sign(42.00);
SELECT trunc(5), trunc(5.5), trunc(-5.79), trunc(5.789, 2), trunc(5.7, 3), trunc(1234.5, -2), trunc(-2.5::float8), trunc(7, 1);
SELECT sqrt(NULL), power(2, NULL), trunc(NULL, 1), sign(NULL), 1 AS one;
SELECT sqrt(-1);
SELECT ln(0);
SELECT ln(-1);
SELECT log(0);
SELECT power(0, -1);
SELECT power(-8::float8, 0.5);
SELECT power(2::float8, 0.5), 2.0 ^ 2::float8;
SELECT (-8) ^ (1.0::float8 / 3);
SELECT exp(1000);
SELECT exp(-1000);
SELECT 10 ^ 400;
SELECT 10.0::float8 ^ -400;
-- sqrt of a NUMERIC is an exact NUMERIC (see numeric_sqrt); a NUMERIC argument of power, exp, ln or log is not supported: PostgreSQL computes those exactly to digits of its own.
SELECT sqrt(2.0);
SELECT sqrt(2.0::float8), power(2.0::float8, 10);
CREATE TABLE m (id int PRIMARY KEY, x int, f float8, n numeric(6,2));
INSERT INTO m VALUES (1, 9, 2.25, -3.75), (2, -4, 0.5, 0), (3, NULL, NULL, NULL);
SELECT id, sqrt(abs(x)), x ^ 2, f ^ 0.5::float8, sign(n), trunc(n), trunc(n, 1) FROM m ORDER BY id;
SELECT sum(trunc(n)), max(sign(x)) FROM m;
