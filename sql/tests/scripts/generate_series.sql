-- generate_series in FROM, compared with PostgreSQL 15: the forms over integers, NUMERIC and timestamps, how aliases name the column, WITH ORDINALITY, empty series, NULLs, errors, joins, subqueries, WITH, INSERT ... SELECT, LIMIT on a huge series, and EXPLAIN.

-- The column is named after the function, or after the alias.
SELECT * FROM generate_series(1, 3);
SELECT * FROM generate_series(1, 3) g;
SELECT g, g * 10 AS tens FROM generate_series(1, 3) AS g;
SELECT n FROM generate_series(1, 3) AS g(n);
SELECT g.n FROM generate_series(1, 3) AS g(n);
SELECT * FROM generate_series(1, 3) AS g(a, b);
SELECT generate_series FROM generate_series(2, 3);

-- Steps: counting up, down, by more than one; a stop it does not land on.
SELECT * FROM generate_series(1, 10, 3);
SELECT * FROM generate_series(5, 1, -2);
SELECT * FROM generate_series(1, 3, 2147483647);
SELECT * FROM generate_series(-2, 2);

-- Empty series: start past stop in the direction of the step.
SELECT * FROM generate_series(5, 1);
SELECT * FROM generate_series(1, 5, -1);
SELECT count(*) FROM generate_series(1, 0);

-- A single value.
SELECT * FROM generate_series(7, 7);

-- NULL arguments give no rows (the function is strict).
SELECT * FROM generate_series(1, NULL);
SELECT * FROM generate_series(NULL, 3, 1);
SELECT * FROM generate_series(1, 3, NULL);

-- A zero step is an error, for every form.
SELECT * FROM generate_series(1, 3, 0);
SELECT * FROM generate_series(1.0, 3, 0);
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03', '0 days');
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03', '1 month -30 days');

-- The end of the integer range: the series stops there.
SELECT * FROM generate_series(9223372036854775806, 9223372036854775807);
SELECT * FROM generate_series(-9223372036854775807, -9223372036854775808, -1);

-- NUMERIC: the first value keeps start's scale, the next ones that of start + step.
SELECT * FROM generate_series(1, 2, 0.5) x;
SELECT * FROM generate_series(1.0, 2) x;
SELECT * FROM generate_series(1.50, 2.5, 0.5) x;
SELECT * FROM generate_series(0.1, 0.35, 0.1) x;
SELECT * FROM generate_series(3, 1.5, -0.75) x;
SELECT x + 1 AS y FROM generate_series(0.5, 1.5) x;

-- Timestamps with an interval step; a text stop or step takes the type the start gives.
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03', '1 day') t;
SELECT * FROM generate_series('2024-01-03 00:00'::timestamp, '2024-01-01', '-12 hours') t;
SELECT * FROM generate_series('2024-01-01'::timestamptz, '2024-01-02', '8 hours') t;
SELECT * FROM generate_series('2024-01-31'::timestamp, '2024-05-01', '1 month') t;
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-01 00:00:01', interval '400 milliseconds') t;
SELECT * FROM generate_series('2024-01-01'::timestamp, '2023-01-01', '1 day') t;
-- A date start is a timestamptz series, as PostgreSQL prefers.
SELECT * FROM generate_series('2024-02-28'::date, '2024-03-01'::date, '1 day') d;
SELECT * FROM generate_series(date '2024-02-28', '2024-03-01', interval '1 day') d;

-- Argument types without a form of generate_series.
SELECT * FROM generate_series(1::float8, 3);
SELECT * FROM generate_series(1, 3, 0.5::float8);
SELECT * FROM generate_series('2024-01-01', '2024-01-03', '1 day');
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03');
SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-01-03', 1);
SELECT * FROM generate_series(true, false);
SELECT * FROM generate_series(1, 'x');
SELECT * FROM generate_series(1);
SELECT * FROM generate_series(1, 2, 3, 4);
SELECT * FROM generate_series(1, 3) AS g(n int);
SELECT * FROM unnest(1, 2);
SELECT * FROM generate_series(1, (SELECT count(*) FROM generate_series(1, 4)));

-- WITH ORDINALITY numbers the rows.
SELECT * FROM generate_series(10, 30, 10) WITH ORDINALITY;
SELECT * FROM generate_series(10, 30, 10) WITH ORDINALITY AS t(v, i);
SELECT * FROM generate_series(3, 1, -1) WITH ORDINALITY g;

-- Expressions as arguments, and clauses around the scan.
SELECT * FROM generate_series(2 * 2, 10 - 4);
SELECT g FROM generate_series(1, 10) g WHERE g % 3 = 0;
SELECT sum(g), avg(g), max(g) FROM generate_series(1, 100) g;
SELECT g % 3 AS r, count(*) FROM generate_series(1, 10) g GROUP BY g % 3 ORDER BY r;
SELECT g FROM generate_series(1, 5) g ORDER BY g DESC LIMIT 2;
SELECT DISTINCT g / 4 AS q FROM generate_series(1, 10) g ORDER BY q;

-- A huge series under LIMIT produces only the rows it needs.
SELECT * FROM generate_series(1, 9000000000000000000) LIMIT 3;
SELECT g * 2 AS d FROM generate_series(1, 9000000000000000000) g WHERE g % 1000 = 0 LIMIT 2 OFFSET 1;
SELECT * FROM (SELECT g FROM generate_series(1, 9000000000000000000) g) s LIMIT 2;
-- Where every row must be held, a series too long is refused.
SELECT count(*) FROM generate_series(1, 9000000000000000000);
SELECT count(*) FROM generate_series(0.5, 1e30);
SELECT count(*) FROM generate_series('2000-01-01'::timestamp, '2200-01-01', '1 second');

-- Joins with tables and with other series.
CREATE TABLE colors (id INT PRIMARY KEY, name TEXT);
INSERT INTO colors VALUES (1, 'red'), (2, 'green'), (3, 'blue');
SELECT c.name, g FROM colors c JOIN generate_series(2, 4) g ON g = c.id ORDER BY g;
SELECT c.name, g FROM colors c LEFT JOIN generate_series(2, 4) g ON g = c.id ORDER BY c.id;
SELECT c.name, g FROM generate_series(2, 4) g LEFT JOIN colors c ON g = c.id ORDER BY g;
SELECT a, b FROM generate_series(1, 2) a CROSS JOIN generate_series(1, 2) b ORDER BY a, b;
-- A function may read the items before it (PostgreSQL's implicit LATERAL): it runs for each of their rows.
SELECT a, b FROM generate_series(1, 2) a, generate_series(a, 2) b;
SELECT c.name, x FROM colors c CROSS JOIN generate_series(1, c.id) x;
SELECT c.name, x FROM colors c JOIN generate_series(c.id, 3) x ON x > 2 ORDER BY c.id;
SELECT c.name, x FROM colors c LEFT JOIN generate_series(c.id + 1, 3) x ON true ORDER BY c.id, x;
SELECT c.name, x FROM colors c, generate_series(1, (SELECT count(*) FROM colors d WHERE d.id < c.id)) x;
SELECT c.name, s.v FROM colors c, generate_series(c.id * 10, c.id * 10 + 1) WITH ORDINALITY AS s(v, i) WHERE s.i = 2;
SELECT c.name, x FROM colors c RIGHT JOIN generate_series(1, c.id) x ON true;
SELECT c.name, x FROM colors c, generate_series(1, c.id) x JOIN colors d ON d.id = x;
SELECT * FROM generate_series(1, x) x;
SELECT * FROM generate_series(1, 2) a JOIN generate_series(1, 2) a ON true;

-- In subqueries and WITH queries.
SELECT (SELECT max(g) FROM generate_series(1, c.id) g) AS m FROM colors c ORDER BY c.id;
SELECT c.name FROM colors c WHERE c.id IN (SELECT * FROM generate_series(2, 3)) ORDER BY c.id;
WITH s AS (SELECT g FROM generate_series(1, 3) g) SELECT sum(g) FROM s;
SELECT x FROM (SELECT g AS x FROM generate_series(1, 3) g) sub WHERE x > 1;

-- Filling a table, the most common use.
CREATE TABLE users (id INT PRIMARY KEY, name TEXT, joined TIMESTAMP);
INSERT INTO users SELECT g, 'u' || g, '2024-01-01'::timestamp + g * interval '1 day' FROM generate_series(1, 5) g;
SELECT * FROM users ORDER BY id;
INSERT INTO users (id, name) SELECT g, 'v' || g FROM generate_series(10, 20, 5) AS g RETURNING id, name;
INSERT INTO users (id, name) SELECT g, 'dup' FROM generate_series(5, 6) g;
SELECT count(*) FROM users;

-- In a select list, one call multiplies the rows of its query: each row once per value.
SELECT generate_series(1, 3);
SELECT generate_series(1, 3) AS n;
SELECT generate_series(1, 3) ORDER BY 1 DESC;
SELECT generate_series(1, 3) * 2, 'x' AS label;
SELECT generate_series(1, 3) * 2 AS doubled ORDER BY doubled DESC;
SELECT generate_series(1, 10) AS n ORDER BY n DESC LIMIT 3;
SELECT generate_series(1, 5) LIMIT 2 OFFSET 1;
SELECT generate_series(5, 1);
SELECT generate_series(1, NULL::int);
SELECT generate_series(1, 3) WHERE false;
SELECT generate_series(1, 1000000000000) LIMIT 3;
SELECT generate_series('2024-01-01'::timestamp, '2024-01-03', '1 day') AS day;
SELECT generate_series(0, 1, 0.5);
SELECT upper(name), generate_series(1, id) FROM colors ORDER BY id, 2;
-- A row whose series is empty is dropped; WHERE is applied before the rows are multiplied.
SELECT name, generate_series(2, id) AS g FROM colors ORDER BY id, g;
SELECT name, generate_series(1, id) FROM colors WHERE id <> 2 ORDER BY 2 DESC, 1;
SELECT *, generate_series(1, 2) FROM colors ORDER BY id, 3;
SELECT * FROM (SELECT name, generate_series(1, id) AS k FROM colors) s WHERE k > 1 ORDER BY name, k;
SELECT c.name, d.name, generate_series(c.id, d.id) AS g FROM colors c JOIN colors d ON d.id = c.id + 1 ORDER BY c.id, g;
SELECT c.name, g, generate_series(1, g) AS h FROM colors c, generate_series(1, 2) g WHERE c.id = 3 ORDER BY g, h;
SELECT (SELECT generate_series(1, 1)) AS one, (SELECT count(*) FROM (SELECT generate_series(1, c.id)) s) AS n FROM colors c ORDER BY c.id;
SELECT generate_series(1, 2) AS a UNION ALL SELECT generate_series(5, 6) ORDER BY a;
CREATE TABLE copies AS SELECT name, generate_series(1, 2) AS copy FROM colors;
SELECT * FROM copies ORDER BY name, copy;
INSERT INTO copies SELECT 'white', generate_series(3, 4);
SELECT count(*) FROM copies;
SELECT c.id, d.name, generate_series(1, d.id) AS k FROM colors c JOIN colors d USING (id) WHERE id > 1 ORDER BY 1, 3;
SELECT c.name, d.name, generate_series(1, 2) FROM colors c LEFT JOIN colors d ON d.id = c.id + 1 WHERE c.id > 1 ORDER BY 1, 3;
CREATE VIEW series_view AS SELECT name, generate_series(1, id) AS k FROM colors;
SELECT * FROM series_view WHERE k > 1 ORDER BY name, k;
SELECT generate_series(1, 3) AS n FROM colors WHERE id = 1 FOR UPDATE;
SELECT generate_series(1, 3) AS name FROM colors ORDER BY name LIMIT 2;
SELECT generate_series(1, 2) IS NULL;
SELECT -generate_series(1, 2) AS minus;
SELECT (generate_series(1, 2))::text;
SELECT nullif(generate_series(1, 2), 1);
SELECT greatest(generate_series(1, 2), 1);
SELECT generate_series(1, 2, 0);
SELECT generate_series(1);
SELECT generate_series(1, x);
-- Refused: several calls (PostgreSQL runs them side by side), nested calls, calls with
-- aggregates, GROUP BY, HAVING, window functions or DISTINCT, and calls anywhere else.
SELECT generate_series(1, 2), generate_series(1, 3);
SELECT generate_series(1, generate_series(1, 2));
SELECT count(*), generate_series(1, 2);
SELECT generate_series(1, count(*)) FROM colors;
SELECT generate_series(1, 2) FROM colors GROUP BY id;
SELECT generate_series(1, 2) FROM colors HAVING true;
SELECT row_number() OVER (), generate_series(1, 2);
SELECT DISTINCT generate_series(1, 2);
SELECT DISTINCT ON (1) generate_series(1, 2);
SELECT sum(generate_series(1, 2));
SELECT CASE generate_series(1, 2) WHEN 1 THEN 'a' END;
SELECT CASE WHEN true THEN generate_series(1, 2) END;
SELECT coalesce(1, generate_series(1, 2));
SELECT 1 WHERE generate_series(1, 2) > 1;
SELECT 1 ORDER BY generate_series(1, 2);
SELECT id FROM colors GROUP BY id HAVING generate_series(1, 2) > 0;
SELECT 1 FROM colors c JOIN colors d ON generate_series(1, 2) = 1;
SELECT * FROM generate_series(1, generate_series(1, 2));
SELECT * FROM colors LIMIT generate_series(1, 2);
VALUES (generate_series(1, 2));
UPDATE colors SET id = generate_series(1, 2);

-- EXPLAIN shows the scan.
EXPLAIN SELECT * FROM generate_series(1, 3);
EXPLAIN SELECT * FROM generate_series(1, 3) g;
EXPLAIN SELECT n FROM generate_series(1, 3) g(n) WHERE n > 1;
EXPLAIN SELECT c.name, g FROM colors c JOIN generate_series(2, 4) g ON g = c.id;
EXPLAIN SELECT generate_series(1, 3);
EXPLAIN SELECT name, generate_series(1, id) FROM colors WHERE id > 1;
-- A step past NUMERIC's 38 digits ends the series, as a step past bigint's range does.
SELECT * FROM generate_series(99999999999999999999999999999999999998, 99999999999999999999999999999999999999, 1);
SELECT * FROM generate_series(-99999999999999999999999999999999999998, -99999999999999999999999999999999999999, -1);
-- LATERAL before a function changes nothing.
CREATE TABLE lat (id INT PRIMARY KEY, n INT);
INSERT INTO lat VALUES (1, 2), (2, 0), (3, 1);
SELECT lat.id, g FROM lat, LATERAL generate_series(1, lat.n) g ORDER BY 1, 2;
SELECT lat.id, g FROM lat LEFT JOIN LATERAL generate_series(1, lat.n) g ON true ORDER BY 1, 2;
DROP TABLE lat;
