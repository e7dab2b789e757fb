-- Window functions in the select list and ORDER BY: row_number, rank, dense_rank and the aggregates OVER (PARTITION BY ... ORDER BY ...), with PostgreSQL's default frame (through the current row's last peer with ORDER BY, the whole partition without), and 42P20 where a window function is not allowed.
CREATE TABLE sales (id int PRIMARY KEY, region text, amount bigint);
INSERT INTO sales VALUES (1, 'east', 10), (2, 'east', 20), (3, 'east', 20), (4, 'west', 5), (5, 'west', NULL), (6, 'north', 7);
SELECT id, region, amount, row_number() OVER (PARTITION BY region ORDER BY id) AS rn, rank() OVER (PARTITION BY region ORDER BY amount) AS rk, dense_rank() OVER (PARTITION BY region ORDER BY amount) AS drk FROM sales ORDER BY id;
SELECT id, amount, rank() OVER (ORDER BY amount DESC), dense_rank() OVER (ORDER BY amount DESC NULLS LAST), row_number() OVER (ORDER BY amount, id) FROM sales ORDER BY id;
-- Without ORDER BY the frame is the whole partition; with it, peers share the running value.
SELECT id, region, sum(amount) OVER (PARTITION BY region) AS region_total, count(*) OVER () AS all_rows, count(amount) OVER (PARTITION BY region) AS counted FROM sales ORDER BY id;
SELECT id, amount, sum(amount) OVER (ORDER BY amount) AS running, count(*) OVER (ORDER BY amount) AS n, avg(amount) OVER (ORDER BY amount) AS mean FROM sales ORDER BY id;
SELECT id, region, min(amount) OVER (PARTITION BY region ORDER BY id) AS lowest, max(amount) OVER (PARTITION BY region ORDER BY id DESC) AS highest FROM sales ORDER BY id;
-- Expressions over window values, in ORDER BY, after WHERE, with DISTINCT and LIMIT.
SELECT id, amount * 100 / sum(amount) OVER () AS pct FROM sales WHERE amount IS NOT NULL ORDER BY id;
SELECT id, region FROM sales ORDER BY row_number() OVER (ORDER BY id DESC) LIMIT 3;
SELECT DISTINCT region, count(*) OVER (PARTITION BY region) AS n FROM sales ORDER BY region;
SELECT * FROM (SELECT id, region, row_number() OVER (PARTITION BY region ORDER BY amount DESC NULLS LAST, id) AS rn FROM sales) ranked WHERE rn = 1 ORDER BY region;
-- In a query that groups, window functions work on the groups, after HAVING, and may use group keys and aggregates.
SELECT region, count(*) AS n, sum(amount) AS total, rank() OVER (ORDER BY count(*) DESC) AS by_size, sum(sum(amount)) OVER (ORDER BY region) AS running, count(*) OVER () AS regions FROM sales GROUP BY region ORDER BY region;
SELECT region, row_number() OVER (ORDER BY region DESC) FROM sales GROUP BY region HAVING count(*) > 1 ORDER BY region;
SELECT count(*), sum(count(*)) OVER (), rank() OVER () FROM sales;
SELECT amount > 5 AS big, count(*), dense_rank() OVER (PARTITION BY amount > 5 IS NULL ORDER BY count(*)) FROM sales GROUP BY amount > 5 ORDER BY 1;
SELECT region, rank() OVER (ORDER BY amount) FROM sales GROUP BY region;
SELECT region, count(*) FROM sales GROUP BY region ORDER BY rank() OVER (ORDER BY max(amount) DESC NULLS LAST);
-- Over no rows.
SELECT id, row_number() OVER () FROM sales WHERE false;
-- Window functions are allowed in the select list and ORDER BY only.
SELECT id FROM sales WHERE row_number() OVER () > 1;
SELECT count(*) FROM sales GROUP BY row_number() OVER ();
SELECT count(*) FROM sales HAVING count(*) OVER () > 1;
SELECT 1 FROM sales a JOIN sales b ON row_number() OVER () > 1;
SELECT sum(row_number() OVER ()) FROM sales;
SELECT row_number() OVER (ORDER BY rank() OVER ()) FROM sales;
SELECT sum(rank() OVER ()) OVER () FROM sales;
SELECT lower(region) OVER () FROM sales;
SELECT rank() FROM sales;
SELECT id, row_number() OVER () FROM sales FOR UPDATE;
-- Named windows work (see window_named); FILTER does not here (0A000).
SELECT row_number() OVER w FROM sales WINDOW w AS (ORDER BY id);
SELECT count(*) FILTER (WHERE amount > 5) OVER () FROM sales;
