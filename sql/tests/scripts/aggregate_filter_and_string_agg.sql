-- FILTER (WHERE ...) on aggregates, and string_agg (checked against PostgreSQL 15); a
-- DISTINCT aggregate takes its values in sorted order, as PostgreSQL does.
CREATE TABLE orders (id INT PRIMARY KEY, customer TEXT, amount INT, status TEXT);
INSERT INTO orders VALUES (1, 'ann', 10, 'paid'), (2, 'ann', 20, 'open'), (3, 'bob', 5, 'paid'), (4, 'bob', NULL, 'open'), (5, 'cy', 7, NULL);
SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) AS all_orders, sum(amount) FILTER (WHERE status = 'open') AS open_amount FROM orders;
SELECT customer, count(*) FILTER (WHERE amount > 6) AS big, string_agg(status, ',') AS statuses FROM orders GROUP BY customer ORDER BY customer;
SELECT string_agg(customer, ' | ') FROM orders WHERE id < 4;
SELECT string_agg(DISTINCT customer, ',') IS NOT NULL AS some FROM orders;
SELECT string_agg(customer, NULL) FROM orders WHERE id < 4;
SELECT string_agg(customer, ',') FROM orders WHERE false;
SELECT customer FROM orders GROUP BY customer HAVING count(*) FILTER (WHERE status = 'paid') > 0 ORDER BY 1;
SELECT string_agg(customer) FROM orders;
SELECT lower('A') FILTER (WHERE true);
SELECT string_agg(DISTINCT status, ',') AS statuses, string_agg(DISTINCT customer, '|') FROM orders;
SELECT string_agg(DISTINCT status, ','), string_agg(DISTINCT amount::text, ',') FILTER (WHERE amount < 20), string_agg(DISTINCT amount::text, ',') FROM orders WHERE id > 1;
