-- Casts as PostgreSQL makes them: a float rounds to an integer half to even; a boolean
-- is 'true'/'false' as text (in casts, concatenation and stored into TEXT); an explicit
-- cast to VARCHAR(n) truncates, while storing too long a value into a VARCHAR(n)
-- column is 22001 unless the characters beyond n are spaces, which are cut.
SELECT 2.5::float8::int, -2.5::float8::int, 3.5::float8::bigint, 0.5::float8::int, 1.5::float8::int;
SELECT 2.5::int, -2.5::int;
SELECT true::text, false::text, 'a' || true, false || 'b';
SELECT 'abc'::varchar(2), 'abc'::varchar(3), 'ab'::varchar(5), 'héllo'::varchar(2);
SELECT 12345::varchar(3);
SELECT 1.5::varchar(0);
CREATE TABLE c (id INT PRIMARY KEY, t TEXT, v VARCHAR(3));
INSERT INTO c VALUES (1, true, 'ab  ');
INSERT INTO c VALUES (2, false, 'abc   ');
INSERT INTO c VALUES (3, NULL, 'ab  x');
INSERT INTO c VALUES (4, NULL, 'abcd');
INSERT INTO c VALUES (5, NULL, 'abcd'::varchar(3));
UPDATE c SET v = 'xyzw' WHERE id = 1;
UPDATE c SET v = 'xyz ' WHERE id = 1;
SELECT id, t, v, length(v) FROM c ORDER BY id;
