-- Expressions, arithmetic, casts and PostgreSQL's three-valued NULL logic, without tables.
SELECT 1 + 1;
SELECT 7 / 2 AS int_div, 7 % 3 AS modulo, 7.0 / 2 AS numeric_div, 1.5 * 2 AS product;
SELECT 1 / 3.0, 2.50 + 1;
SELECT NULL = NULL AS eq, NULL IS NULL AS is_null, 1 IS NOT NULL AS not_null;
SELECT TRUE AND NULL AS t_and_n, FALSE AND NULL AS f_and_n, TRUE OR NULL AS t_or_n, FALSE OR NULL AS f_or_n, NOT NULL AS not_n;
SELECT 1 IN (1, 2) AS hit, 3 IN (1, 2) AS miss, 3 IN (1, NULL) AS miss_with_null, 3 NOT IN (1, NULL) AS not_in_null;
SELECT 5 BETWEEN 1 AND 10 AS inside, 5 NOT BETWEEN 1 AND 4 AS outside;
SELECT 'hello' LIKE 'h%' AS a, 'hello' LIKE '_ello' AS b, 'hello' NOT LIKE '%z%' AS c, 'Hello' ILIKE 'h%' AS d;
SELECT COALESCE(NULL, NULL, 3) AS c, NULLIF(1, 1) AS n, abs(-4), lower('ABC'), upper('abc'), length('héllo');
SELECT 'a' || 'b' || 'c' AS cat, CASE WHEN 1 > 2 THEN 'no' WHEN 2 > 1 THEN 'yes' ELSE 'never' END AS case;
SELECT CAST('42' AS INTEGER) + 1 AS i, '2.5'::NUMERIC * 2 AS n, 1.5::DOUBLE PRECISION AS f, 3::TEXT AS t, 'yes'::BOOLEAN AS b;
SELECT 1 / 0;
SELECT 1.0 / 0;
SELECT 'abc'::INTEGER;
SELECT 9223372036854775807 + 1;
SELECT nosuchfunction(1);
SELECT 1 +;
SELECT 1 + 'x';
