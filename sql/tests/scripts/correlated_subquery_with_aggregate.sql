-- An aggregate inside a subquery belongs to the subquery: a correlated subquery that counts does not make the outer query an aggregation, in the select list or in ORDER BY.
CREATE TABLE s (id INT PRIMARY KEY, k INT);
INSERT INTO s VALUES (1, 1), (2, 2), (3, NULL);
CREATE TABLE u (k INT);
INSERT INTO u VALUES (1), (1), (2);
SELECT id, (SELECT count(*) FROM u WHERE u.k = s.k) FROM s ORDER BY id;
SELECT id FROM s ORDER BY (SELECT count(*) FROM u WHERE u.k = s.k), id;
SELECT id, (SELECT max(u.k) + s.id FROM u WHERE u.k <= s.k) AS m FROM s ORDER BY id;
SELECT id FROM s WHERE (SELECT count(*) FROM u WHERE u.k = s.k) = 2;
-- An uncorrelated subquery with an aggregate, next to an outer aggregate.
SELECT count(*), (SELECT count(*) FROM u) FROM s;
SELECT id, (SELECT count(*) FROM u) FROM s ORDER BY id;
-- In an aggregated query a subquery sees the group: it may use the grouped columns, not the others.
SELECT k, (SELECT count(*) FROM u WHERE u.k = s.k) FROM s GROUP BY k ORDER BY k;
SELECT k, count(*) FROM s GROUP BY k HAVING (SELECT count(*) FROM u WHERE u.k = s.k) > 0 ORDER BY (SELECT (SELECT S.K)) DESC;
SELECT count(*), (SELECT count(*) FROM u WHERE u.k = s.k) FROM s;
SELECT k, (SELECT count(*) FROM u WHERE u.k = s.id) FROM s GROUP BY k;
