-- The keyword DEFAULT in INSERT ... VALUES and UPDATE ... SET stands for the column's
-- default (NULL when it has none); a quoted "default" is still a column name.
CREATE TABLE d (id INT PRIMARY KEY, a INT DEFAULT 5, b TEXT, c VARCHAR(3) DEFAULT 'x' NOT NULL);
INSERT INTO d VALUES (1, DEFAULT, DEFAULT, DEFAULT);
INSERT INTO d (id, c, a) VALUES (2, 'y', default), (3, DEFAULT, 7);
INSERT INTO d VALUES (4, 1, 'b', 'z') RETURNING *;
UPDATE d SET a = DEFAULT, b = 'set' WHERE id = 4;
SELECT * FROM d ORDER BY id;
UPDATE d SET b = DEFAULT WHERE id = 4;
SELECT * FROM d WHERE id = 4;
INSERT INTO d VALUES (5, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
INSERT INTO d (id, b) VALUES (DEFAULT, 'no id');
VALUES (1, DEFAULT);
CREATE TABLE q (id INT PRIMARY KEY, "default" INT);
INSERT INTO q VALUES (1, 2);
UPDATE q SET "default" = "default" + 1;
SELECT "default" FROM q;
