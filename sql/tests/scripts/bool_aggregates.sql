-- bool_and, bool_or and every: NULLs skipped, NULL for no rows, with GROUP BY, FILTER and DISTINCT; 42883 for a non-boolean argument.
CREATE TABLE n (v int, b bool);
INSERT INTO n VALUES (1, true), (2, false), (3, NULL), (NULL, true), (1, true);
SELECT bool_and(b), bool_or(b), every(b), bool_and(b) FILTER (WHERE v < 2), bool_or(b) FILTER (WHERE false) FROM n;
SELECT v, bool_and(b), bool_or(NOT b), every(b IS NOT NULL) FROM n GROUP BY v ORDER BY v;
SELECT bool_or(DISTINCT b), count(DISTINCT b) FROM n;
SELECT v FROM n GROUP BY v HAVING bool_and(b) ORDER BY v;
SELECT bool_and(b) FROM n WHERE false;
SELECT bool_and(v > 0) AND bool_or(v = 2) AS both FROM n;
SELECT bool_and(v::text) FROM n;
