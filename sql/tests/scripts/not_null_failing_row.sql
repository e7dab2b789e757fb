-- A NULL in a NOT NULL column is 23502 with the failing row as detail, as PostgreSQL
-- reports it: the whole row as it would be stored (defaults filled in, values
-- converted to the column types). As there, NOT NULL is tested once the whole row is
-- built, so a value too long for its column is reported first, and before CHECK
-- constraints.
CREATE TABLE nn (id INT PRIMARY KEY, name TEXT NOT NULL, score NUMERIC(5,2) DEFAULT 1, tag VARCHAR(2) NOT NULL DEFAULT 'x', CHECK (score > 0));
INSERT INTO nn (id, name) VALUES (1, NULL);
INSERT INTO nn VALUES (1, 'a', 2, NULL);
INSERT INTO nn VALUES (1, NULL, -1, 'abc');
INSERT INTO nn VALUES (1, NULL, -1, 'ab');
INSERT INTO nn VALUES (1, 'a', 2.5, 'ab');
UPDATE nn SET name = NULL, score = 3;
INSERT INTO nn VALUES (1, NULL, 1, 'y') ON CONFLICT (id) DO NOTHING;
INSERT INTO nn VALUES (1, 'b', 1, 'y') ON CONFLICT (id) DO UPDATE SET tag = NULL;
INSERT INTO nn (name) VALUES ('z');
SELECT * FROM nn;
