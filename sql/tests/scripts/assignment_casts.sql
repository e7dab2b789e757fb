-- Storing a value in a column converts it as PostgreSQL's assignment casts do: numbers
-- convert among themselves (rounding into an integer) and anything converts to text,
-- but an integer is not a boolean, nor a boolean a number (42804 naming the column),
-- though an explicit CAST converts between integer and boolean.
CREATE TABLE c (id INT PRIMARY KEY, a BIGINT, n NUMERIC(6,2), s TEXT, b BOOLEAN);
INSERT INTO c VALUES (1, 1.5, 2, 5, true), (2, 2.5::float8, 1.005, 2.5, false);
INSERT INTO c VALUES (3, 1, 1, 'x', 1);
INSERT INTO c VALUES (4, true, 1, 'x', true);
INSERT INTO c (id, n) VALUES (5, false);
UPDATE c SET b = 0 WHERE id = 1;
UPDATE c SET a = b WHERE id = 1;
INSERT INTO c VALUES (3, CAST(true AS INT), 1, true, CAST(0 AS BOOLEAN));
SELECT * FROM c ORDER BY id;
CREATE TABLE d (id INT PRIMARY KEY, b BOOLEAN DEFAULT 1);
CREATE TABLE e (id INT PRIMARY KEY, a INT DEFAULT false);
