-- ORDER BY inside an aggregate's arguments (checked against PostgreSQL 15): the values
-- are aggregated in that order; with DISTINCT the ORDER BY must sort by the argument.
CREATE TABLE orders (id INT PRIMARY KEY, customer TEXT, amount INT, status TEXT);
INSERT INTO orders VALUES (1, 'ann', 10, 'paid'), (2, 'ann', 20, 'open'), (3, 'bob', 5, 'paid'), (4, 'bob', NULL, 'open'), (5, 'cy', 7, NULL), (6, 'ann', 10, 'void');
SELECT string_agg(customer, ',' ORDER BY customer DESC, id) FROM orders;
SELECT customer, string_agg(status, ',' ORDER BY amount DESC NULLS LAST, id) FROM orders GROUP BY customer ORDER BY customer;
SELECT string_agg(status, ',' ORDER BY status NULLS FIRST) FROM orders;
SELECT string_agg(status, ',' ORDER BY status DESC NULLS LAST) FROM orders;
SELECT string_agg(amount::text, '+' ORDER BY amount) FILTER (WHERE amount > 5) FROM orders;
SELECT string_agg(DISTINCT customer, ',' ORDER BY customer DESC) FROM orders;
SELECT string_agg(DISTINCT customer, ',' ORDER BY id) FROM orders;
SELECT count(*), sum(amount ORDER BY id), min(customer ORDER BY id DESC), stddev(amount ORDER BY amount) FROM orders;
SELECT string_agg(customer, ',' ORDER BY 1) FROM orders;
SELECT string_agg(customer, ',' ORDER BY nosuch) FROM orders;
SELECT string_agg(customer, ',' ORDER BY id) FROM orders WHERE false;
SELECT customer, string_agg(status, '/' ORDER BY id DESC) AS s FROM orders GROUP BY customer HAVING string_agg(status, '' ORDER BY id) LIKE 'paid%' ORDER BY 1;
-- Aggregates that differ only in their ORDER BY are different aggregates.
SELECT string_agg(customer, ',' ORDER BY id), string_agg(customer, ',' ORDER BY id DESC), string_agg(customer, ',') FROM orders;
SELECT 1 AS differ FROM orders HAVING string_agg(customer, ',' ORDER BY id) <> string_agg(customer, ',' ORDER BY id DESC);
