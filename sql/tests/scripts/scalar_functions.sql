-- Scalar functions, NULL handling included (checked against PostgreSQL 15). upper and
-- lower map each character to one character, as PostgreSQL does: a character whose
-- upper case is two (ß, ﬁ) stays as it is, and ILIKE compares by the same lower case.
SELECT round(2.5), round(-2.5), round(2.5::float), round(3.5::float), round(1.2345, 2), round(1250, -2), round(1.5, 3), round(7);
SELECT ceil(1.2), ceil(-1.2), ceiling(2), floor(1.7), floor(-1.7), floor(-3.0), ceil(1.5::float), floor(-1.5::float);
SELECT round(NULL), ceil(NULL), floor(NULL), round(1.5, NULL);
SELECT greatest(1, 3, 2), least(1, 3, 2), greatest(1, NULL, 5), least(NULL, NULL), greatest('a', 'b'), least(2.5, 1, 3);
SELECT concat('a', 1, NULL, true, 2.50), concat(NULL), concat('x', '');
SELECT substr('hello', 2, 3), substr('hello', 0, 2), substr('hello', 3), substr('hello', 9), substr('hello', -5, 2);
SELECT substring('hello' FROM 2 FOR 3), substring('hello' FROM 3), substring('hello', 1, 2), substr(NULL, 1);
SELECT substr('hello', 1, -1);
SELECT replace('banana', 'an', 'AN'), replace('abc', '', 'x'), replace('abc', 'b', NULL);
SELECT random() >= 0 AND random() < 1 AS in_range;
SELECT pg_sleep(0);
SELECT pg_sleep(NULL);
SELECT round('x');
SELECT greatest();
SELECT replace('a', 'b');
CREATE TABLE t (id INT PRIMARY KEY, name TEXT, price NUMERIC(10,2));
INSERT INTO t VALUES (1, 'apple', 1.25), (2, 'banana', 0.5), (3, NULL, NULL);
SELECT id, concat(name, ':', price) AS label, round(price), greatest(price, 1) FROM t ORDER BY id;
UPDATE t SET name = concat(name, ',x') WHERE id = 1 RETURNING name;
SELECT id FROM t WHERE substr(name, 1, 1) = 'b';
SELECT upper('straße'), upper('ﬁx'), lower('İSTANBUL'), upper('ǆ'), lower('ÀÉÎ'), upper('àéî');
SELECT 'İ' ILIKE 'i', 'ß' ILIKE 'SS', 'STRASSE' ILIKE 'straße', 'ÀB' ILIKE 'àb';
