-- Window functions that read other rows: lag, lead, first_value, last_value, nth_value and ntile, with PostgreSQL's default frame and its errors.
CREATE TABLE sales (id int PRIMARY KEY, region text, amount bigint);
INSERT INTO sales VALUES (1, 'east', 10), (2, 'east', 20), (3, 'east', 20), (4, 'west', 5), (5, 'west', NULL), (6, 'north', 7), (7, 'east', 30);
SELECT id, region, lag(amount) OVER (PARTITION BY region ORDER BY id), lead(amount) OVER (PARTITION BY region ORDER BY id) FROM sales ORDER BY id;
SELECT id, lag(id, 2) OVER (ORDER BY id), lead(id, 2, -1) OVER (ORDER BY id), lag(id, 0) OVER (ORDER BY id) AS same, lag(id, -1) OVER (ORDER BY id) AS ahead, lead(id, -2, 0) OVER (ORDER BY id) AS behind FROM sales ORDER BY id;
SELECT id, lag(amount, 1, 0.5) OVER (ORDER BY id), lead(region, 1, 'none') OVER (ORDER BY id), lag(id, NULL) OVER (ORDER BY id) AS null_offset, lag(id, id % 3) OVER (ORDER BY id) AS varying FROM sales ORDER BY id;
-- With ORDER BY the frame ends at the current row's last peer; without it, it is the whole partition.
SELECT id, amount, first_value(id) OVER (ORDER BY amount), last_value(id) OVER (ORDER BY amount), nth_value(id, 3) OVER (ORDER BY amount, id) FROM sales ORDER BY id;
SELECT id, region, first_value(region) OVER (PARTITION BY region) AS f, last_value(id) OVER (PARTITION BY region ORDER BY id DESC) AS l, nth_value(region, 2) OVER (PARTITION BY region) AS second, last_value(amount) OVER () IS NOT DISTINCT FROM last_value(amount) OVER () AS same FROM sales ORDER BY id;
SELECT nth_value(id, NULL) OVER (ORDER BY id), nth_value(id, 10) OVER (), nth_value(id, id) OVER (ORDER BY id DESC) AS varying, id FROM sales ORDER BY id;
SELECT id, ntile(3) OVER (ORDER BY id), ntile(2) OVER (PARTITION BY region ORDER BY id) AS half, ntile(10) OVER (ORDER BY id) AS many, ntile(NULL) OVER () AS none, ntile(4) OVER (ORDER BY id DESC) AS four FROM sales ORDER BY id;
-- On groups, and in expressions.
SELECT region, sum(amount), lag(sum(amount)) OVER (ORDER BY region), ntile(2) OVER (ORDER BY count(*) DESC, region), first_value(region) OVER (ORDER BY sum(amount) DESC NULLS LAST) FROM sales GROUP BY region ORDER BY region;
SELECT id, amount - lag(amount, 1, amount) OVER (ORDER BY id) AS change FROM sales ORDER BY id;
-- Errors: counts of zero or less, arguments of the wrong type or number.
SELECT ntile(0) OVER () FROM sales;
SELECT ntile(-1) OVER () FROM sales WHERE false;
SELECT nth_value(id, 0) OVER () FROM sales;
SELECT ntile(1.5) OVER () FROM sales;
SELECT lag(amount, 1.5) OVER () FROM sales;
SELECT nth_value(amount, 'a'::text) OVER () FROM sales;
SELECT ntile() OVER () FROM sales;
SELECT lag() OVER () FROM sales;
SELECT first_value(amount, amount) OVER () FROM sales;
SELECT lead(amount, amount, amount, amount) OVER () FROM sales;
SELECT lag(id), ntile(2) FROM sales;
SELECT id FROM sales WHERE lead(id) OVER () > 1;
-- lag ignores an explicit frame.
SELECT lag(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM sales;
