-- Named windows (`WINDOW w AS (...)`), as PostgreSQL 15 resolves them: `OVER w` and `OVER (w)`, a window defined from another, a specification refining a named window with its own ORDER BY or frame (EXCLUDE too), and PostgreSQL's errors for a name undefined or defined twice and for what a refinement may not override or copy.
CREATE TABLE t (id int PRIMARY KEY, g int, x int);
INSERT INTO t VALUES (1, 1, 10), (2, 1, 20), (3, 1, 20), (4, 2, 5), (5, 2, 7), (6, 2, NULL);
SELECT id, sum(x) OVER w, rank() OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY x) ORDER BY id;
SELECT id, sum(x) OVER (w) FROM t WINDOW w AS (PARTITION BY g ORDER BY x) ORDER BY id;
-- Names fold as identifiers do: W is w, "W" is not.
SELECT id, count(*) OVER W FROM t WINDOW w AS (ORDER BY id) ORDER BY id LIMIT 2;
SELECT count(*) OVER "W" FROM t WINDOW w AS (ORDER BY id);
-- A window defined from another takes its PARTITION BY and adds an ORDER BY.
SELECT id, sum(x) OVER w2, row_number() OVER w1 FROM t WINDOW w1 AS (PARTITION BY g), w2 AS (w1 ORDER BY x) ORDER BY id;
SELECT id, sum(x) OVER (w ORDER BY x DESC) FROM t WINDOW w AS (PARTITION BY g) ORDER BY id;
-- A refinement writes its own frame, over the named window's ORDER BY.
SELECT id, sum(x) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM t WINDOW w AS (PARTITION BY g ORDER BY x) ORDER BY id;
SELECT id, sum(x) OVER (w RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) FROM t WINDOW w AS (ORDER BY x) ORDER BY id;
SELECT id, sum(x) OVER (W rows current row exclude current row) FROM t WINDOW w AS (ORDER BY id) ORDER BY id LIMIT 2;
SELECT id, sum(x) OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY x ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) ORDER BY id;
SELECT sum(x) OVER (w GROUPS 1 PRECEDING) FROM t WINDOW w AS (PARTITION BY g);
-- A window with a frame is used as it is, never copied.
SELECT id, sum(x) OVER w FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id;
SELECT sum(x) OVER (w) FROM t WINDOW w AS (ROWS 1 PRECEDING);
SELECT sum(x) OVER (w ORDER BY x) FROM t WINDOW w AS (ROWS 1 PRECEDING);
SELECT 1 FROM t WINDOW w AS (ROWS 1 PRECEDING), w2 AS (w);
-- A refinement may not override the PARTITION BY, nor an ORDER BY the named window has.
SELECT sum(x) OVER (w PARTITION BY id) FROM t WINDOW w AS (ORDER BY x);
SELECT sum(x) OVER (w ORDER BY id) FROM t WINDOW w AS (ORDER BY x);
-- Undefined names, names defined twice, and a window named before it is defined.
SELECT sum(x) OVER v FROM t WINDOW w AS (ORDER BY x);
SELECT sum(x) OVER (v) FROM t WINDOW w AS (ORDER BY x);
SELECT sum(x) OVER w FROM t;
SELECT 1 FROM t WINDOW w AS (ORDER BY x), w AS (ORDER BY id);
SELECT 1 FROM t WINDOW w1 AS (w2), w2 AS (ORDER BY x);
SELECT 1 FROM t WINDOW w AS (nosuch ORDER BY nosuchcol);
-- A subquery does not see the enclosing query's windows.
SELECT (SELECT sum(x) OVER w) FROM t WINDOW w AS (ORDER BY x);
-- A named window where window functions are not allowed, and EXCLUDE without a frame.
SELECT id FROM t WHERE sum(x) OVER w > 1 WINDOW w AS (ORDER BY x);
SELECT sum(x) OVER (w EXCLUDE TIES) FROM t WINDOW w AS (ORDER BY x);
-- Over groups: the window's expressions read the group row.
SELECT g, sum(sum(x)) OVER w FROM t GROUP BY g WINDOW w AS (ORDER BY g) ORDER BY g;
SELECT g, sum(sum(x)) OVER w FROM t GROUP BY g WINDOW w AS (ORDER BY x);
-- A window no call uses is planned all the same, against the groups if the query groups.
SELECT 1 FROM t WINDOW w AS (PARTITION BY nosuch);
SELECT g FROM t GROUP BY g WINDOW w AS (ORDER BY x);
SELECT g FROM t GROUP BY g WINDOW w AS (ORDER BY g, count(*)) ORDER BY g;
SELECT count(*) FROM t WINDOW w AS (ORDER BY sum(x));
-- A view keeps its named windows, and a refinement's EXCLUDE.
CREATE VIEW running AS SELECT id, sum(x) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) AS around, count(*) OVER w AS n FROM t WINDOW w AS (PARTITION BY g ORDER BY id);
SELECT * FROM running ORDER BY id;
