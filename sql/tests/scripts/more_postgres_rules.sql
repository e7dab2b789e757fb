-- Smaller points where isolde now answers as PostgreSQL 15: a RETURNING column named by
-- a qualified name takes the column's name; negative zero prints as -0; a VARCHAR(n)
-- default is checked when it is used, not at CREATE TABLE; a LIKE pattern that ends
-- in the escape character is 22025 once matching reaches it with text left; one table
-- name twice in FROM is 42712; avg of text names avg; a qualified column in SET or an
-- INSERT column list names a field of a column (42703 if there is no such column).
CREATE TABLE x (id INT PRIMARY KEY, v INT, s TEXT);
INSERT INTO x AS r VALUES (1, 2, 'a\') RETURNING r.v, id;
SELECT -0.0::float8, '-0'::float8, 0.0::float8 * -1;
CREATE TABLE w (id INT PRIMARY KEY, a VARCHAR(2) DEFAULT 'abc', b VARCHAR(2) DEFAULT 'ab  ');
INSERT INTO w (id, a) VALUES (1, 'ok');
SELECT id, a, b, length(b) FROM w;
INSERT INTO w (id) VALUES (2);
INSERT INTO w VALUES (3, DEFAULT);
SELECT s LIKE s FROM x;
SELECT 'ab' LIKE 'a\';
SELECT 'a\' LIKE 'a\\';
SELECT 'abc' LIKE 'abc\', 'abc' LIKE 'abc%\', '' LIKE '\';
SELECT 'abc' LIKE 'a%\';
SELECT * FROM x, x;
SELECT * FROM x t1 JOIN x t1 ON true;
SELECT t1.id FROM x t1, x t2 WHERE t1.id = t2.id;
SELECT avg(s) FROM x;
UPDATE x SET x.v = 1;
INSERT INTO x (id, x.v) VALUES (2, 1);
UPDATE x AS r SET v = r.v + 1 RETURNING v;
