-- Dates, timestamps and intervals as PostgreSQL 15 has them, with the session time zone
-- fixed at UTC: literals and casts from text in ISO forms, output in DateStyle ISO,
-- errors 22007/22008 naming the input, arithmetic, comparisons, extract / date_part /
-- date_trunc / age, storage in rows and in primary and index keys (in key order), and
-- the clock functions, whose values are only compared here since they change.
SELECT DATE '2024-02-29', TIMESTAMP '2024-01-01 12:34:56.789', TIMESTAMPTZ '2024-01-01 12:34:56.789+02';
SELECT '2024-01-05'::date, CAST('2024-01-05T12:30:00Z' AS timestamp), '2024-01-05 12:30:00-0330'::timestamp with time zone;
SELECT '20240105'::date, '2024-1-5'::date, '0044-03-15 BC'::date, '5874897-12-31'::date, 'epoch'::date;
SELECT '2024-01-05 12:30:00.1234567'::timestamp, '2024-01-05 24:00:00'::timestamp, '2024-01-05'::timestamptz;
SELECT INTERVAL '1 day', INTERVAL '2 hours 30 minutes', INTERVAL '1 year 2 mons', INTERVAL '01:30:00', INTERVAL '1 day 02:30:00';
SELECT '-1 day'::interval, '1 day -01:00:00'::interval, '1.5 days'::interval, '1 week'::interval, '0'::interval, '1.5 years'::interval, '2 days ago'::interval;
SELECT INTERVAL '2' HOUR, '-13 mons 2 days'::interval, '100:00:00'::interval;
SELECT DATE '2024-01-05'::text, TIMESTAMP '2024-01-05 12:00'::text, '1 day'::interval::text, DATE '2024-01-05' || ' is a date';
SELECT DATE '2024-01-05'::timestamp, TIMESTAMP '2024-01-05 12:34'::date, TIMESTAMP '2024-01-05 12:34'::timestamptz, TIMESTAMPTZ '2024-01-05 12:34+00'::timestamp;
-- Bad input: the wrong shape is 22007, a field out of its range or a value outside the
-- type's range 22008, an interval field too large 22015.
SELECT '2024-02-30'::date;
SELECT 'abc'::date;
SELECT '2024-13-01'::date;
SELECT '2024-01-01 25:00:00'::timestamp;
SELECT 'abc'::timestamp;
SELECT 'noon'::timestamptz;
SELECT 'abc'::interval;
SELECT '1 fortnight'::interval;
SELECT '4714-11-23 BC'::date;
SELECT '294277-01-01'::timestamp;
SELECT '999999999999 days'::interval;
SELECT 1::date;
-- Arithmetic.
SELECT DATE '2024-02-28' + 1, 1 + DATE '2024-02-28', DATE '2024-03-01' - 1, DATE '2024-03-01' - DATE '2024-02-01';
SELECT DATE '2024-01-31' + INTERVAL '1 month', DATE '2024-03-01' - INTERVAL '1 day', INTERVAL '1 hour' + DATE '2024-01-01';
SELECT TIMESTAMP '2024-01-31 10:00' + INTERVAL '1 mon', TIMESTAMPTZ '2024-01-01 00:00+00' - INTERVAL '1 hour', TIMESTAMP '2024-01-01' + '1 hour';
SELECT TIMESTAMP '2024-01-01' - TIMESTAMP '2023-01-01 12:00', TIMESTAMPTZ '2024-01-01 00:00+00' - TIMESTAMP '2024-01-01 01:30', TIMESTAMP '2024-01-02' - '2024-01-01';
SELECT INTERVAL '1 day' + INTERVAL '2 hours', INTERVAL '1 day' - INTERVAL '25 hours', -INTERVAL '1 year 1 day 01:00';
SELECT INTERVAL '1 day' * 1.5, 2 * INTERVAL '1 mon', INTERVAL '1 hour' / 3, INTERVAL '1 mon' / 7, INTERVAL '1 mon 1 day' * 1.5;
SELECT DATE '5874897-12-31' + 1;
SELECT TIMESTAMP '294276-12-31' + INTERVAL '1 day';
SELECT INTERVAL '1 year' * 1e10;
SELECT INTERVAL '1 day' / 0;
SELECT DATE '2024-01-01' + DATE '2024-01-01';
SELECT DATE '2024-01-01' + 1.5;
-- Comparisons: dates with timestamps at midnight, timestamps of both kinds by instant,
-- intervals by length with a month as 30 days; text is read as the other side's type.
SELECT DATE '2024-01-01' = TIMESTAMP '2024-01-01 00:00', DATE '2024-01-01' < TIMESTAMPTZ '2024-01-01 00:00:01+00', TIMESTAMP '2024-01-01 12:00' = TIMESTAMPTZ '2024-01-01 14:00+02';
SELECT INTERVAL '1 mon' = INTERVAL '30 days', INTERVAL '1 day' < INTERVAL '25 hours', DATE '2024-01-05' > '2024-01-04', '2024-01-05' = DATE '2024-01-05';
SELECT DATE '2024-01-01' = 1;
SELECT DATE '2024-01-01' < INTERVAL '1 day';
-- extract (a numeric) and date_part (a double precision), date_trunc, age.
SELECT extract(year FROM TIMESTAMP '2024-05-06 07:08:09.5'), extract(epoch FROM TIMESTAMP '2024-05-06 07:08:09.5'), extract(second FROM TIMESTAMP '2024-05-06 07:08:09.5'), extract(milliseconds FROM TIMESTAMP '2024-05-06 07:08:09.5'), extract(microseconds FROM TIMESTAMP '2024-05-06 07:08:09.5');
SELECT extract(month FROM DATE '2024-05-06'), extract(dow FROM DATE '2024-05-05'), extract(isodow FROM DATE '2024-05-05'), extract(doy FROM DATE '2024-12-31'), extract(week FROM DATE '2021-01-03'), extract(isoyear FROM DATE '2021-01-03'), extract(quarter FROM DATE '2024-05-06');
SELECT extract(century FROM DATE '2000-12-31'), extract(century FROM DATE '2001-01-01'), extract(decade FROM DATE '2024-01-01'), extract(millennium FROM DATE '2001-01-01'), extract(year FROM DATE '0001-01-01 BC'), extract(epoch FROM DATE '2024-01-01'), extract(julian FROM DATE '2024-01-01');
SELECT extract(epoch FROM INTERVAL '1 year'), extract(epoch FROM INTERVAL '1 mon 1 day 1 hour'), extract(hour FROM INTERVAL '100 hours'), extract(day FROM INTERVAL '3 days 4 hours'), extract(month FROM INTERVAL '14 mons'), extract(second FROM INTERVAL '1 min 1.25 sec');
SELECT date_part('year', DATE '2024-01-01'), date_part('dow', DATE '2024-05-06'), date_part('epoch', TIMESTAMPTZ '2024-05-06 07:08:09.5+00'), date_part('milliseconds', TIMESTAMP '2024-05-06 07:08:09.5'), date_part('EPOCH', TIMESTAMP '1999-12-31 23:59:59.5');
SELECT extract(hour FROM DATE '2024-01-01');
SELECT extract(dow FROM INTERVAL '1 day');
SELECT date_part('foo', TIMESTAMP '2024-01-01');
SELECT date_trunc('month', TIMESTAMP '2024-05-06 07:08:09'), date_trunc('hour', TIMESTAMPTZ '2024-05-06 07:08:09+00'), date_trunc('week', DATE '2024-05-08'), date_trunc('quarter', TIMESTAMP '2024-05-06 12:00');
SELECT date_trunc('millennium', TIMESTAMP '2024-05-06'), date_trunc('century', TIMESTAMP '2000-05-06'), date_trunc('decade', TIMESTAMP '2024-05-06'), date_trunc('milliseconds', TIMESTAMP '2024-05-06 12:00:01.123456'), date_trunc('second', TIMESTAMP '2024-05-06 12:00:01.9');
SELECT date_trunc('dow', TIMESTAMP '2024-01-01');
SELECT age(TIMESTAMP '2024-05-06', TIMESTAMP '2020-01-15 12:00'), age(TIMESTAMP '2020-01-15 12:00', TIMESTAMP '2024-05-06'), age(DATE '2024-03-01', DATE '2024-01-31'), age(TIMESTAMPTZ '2024-03-01 00:00+00', TIMESTAMPTZ '2023-02-28 23:00+00');
-- NULLs: every operator and function gives NULL.
SELECT NULL::date + 1, DATE '2024-01-01' - NULL::date, NULL::timestamp + INTERVAL '1 day', extract(year FROM NULL::date), date_trunc('day', NULL::timestamp), NULL::interval * 2;
-- Columns of each type, a date primary key, an index on a timestamp: BC dates sort
-- first, and ranges of dates and timestamps are ranges of keys.
CREATE TABLE orders (day DATE PRIMARY KEY, placed TIMESTAMP NOT NULL, paid TIMESTAMPTZ, wait INTERVAL, note TEXT);
CREATE INDEX orders_placed ON orders (placed);
INSERT INTO orders VALUES ('2024-03-01', '2024-03-01 09:30', '2024-03-01 10:00+00', '30 minutes', 'first');
INSERT INTO orders VALUES (DATE '2023-12-31', TIMESTAMP '2023-12-31 23:59:59.999999', NULL, INTERVAL '1 day', 'new year''s eve');
INSERT INTO orders VALUES ('0044-03-15 BC', '0044-03-15 12:00 BC', NULL, '-1 year', 'ides');
INSERT INTO orders VALUES ('2024-02-29', '2024-02-29 18:00', '2024-03-01 02:00+08', '1 mon', 'leap day');
INSERT INTO orders VALUES ('2024-02-29', '2024-02-29 19:00', NULL, NULL, 'again');
INSERT INTO orders VALUES ('2024-02-30', '2024-02-29 19:00', NULL, NULL, 'no such day');
INSERT INTO orders VALUES ('2024-04-01', 'soon', NULL, NULL, 'bad');
SELECT * FROM orders ORDER BY day;
SELECT day, note FROM orders WHERE day BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' ORDER BY day;
EXPLAIN SELECT day, note FROM orders WHERE day BETWEEN DATE '2024-01-01' AND DATE '2024-12-31';
SELECT note FROM orders WHERE day = '2024-02-29';
EXPLAIN SELECT note FROM orders WHERE day = '2024-02-29';
SELECT placed, note FROM orders WHERE placed >= TIMESTAMP '2024-01-01' ORDER BY placed DESC;
EXPLAIN SELECT placed, note FROM orders WHERE placed >= TIMESTAMP '2024-01-01';
SELECT note, paid - placed AS delay, placed + wait AS due FROM orders ORDER BY wait NULLS FIRST;
SELECT min(day), max(day), min(placed), max(paid), sum(wait), avg(wait), count(wait) FROM orders;
SELECT extract(year FROM day) AS year, count(*) FROM orders GROUP BY 1 ORDER BY 1;
SELECT DISTINCT date_trunc('month', placed) FROM orders ORDER BY 1;
SELECT wait FROM orders WHERE wait > INTERVAL '29 days';
UPDATE orders SET day = day + 1, wait = wait * 2 WHERE note = 'first' RETURNING day, wait;
DELETE FROM orders WHERE placed < '0001-01-01' RETURNING note;
-- Defaults: a constant date, and clock functions read at each insert (the transaction's
-- time, so the same for every row of a transaction and later in the next one).
CREATE TABLE events (id SERIAL PRIMARY KEY, at TIMESTAMPTZ DEFAULT now(), on_day DATE DEFAULT CURRENT_DATE, local TIMESTAMP DEFAULT localtimestamp, since DATE DEFAULT '2024-01-01', note TEXT);
BEGIN;
INSERT INTO events (note) VALUES ('a'), ('b');
INSERT INTO events (note, at) VALUES ('c', DEFAULT);
SELECT id, at = now(), on_day = current_date, local = localtimestamp, since, note FROM events ORDER BY id;
COMMIT;
INSERT INTO events (note) VALUES ('d');
SELECT note, at > '2024-01-01', at = (SELECT max(at) FROM events) AS latest FROM events ORDER BY id;
CREATE TABLE bad_default (n INTEGER DEFAULT now());
-- The clock functions: one value within a statement and a transaction, a date, a
-- timestamp without time zone; clock_timestamp() moves on.
SELECT now() = current_timestamp, now() = transaction_timestamp(), current_date = now()::date, localtimestamp = now()::timestamp, statement_timestamp() >= now(), clock_timestamp() >= now();
BEGIN;
CREATE TABLE clock (t TIMESTAMPTZ);
INSERT INTO clock VALUES (now());
SELECT pg_sleep(0.01);
INSERT INTO clock VALUES (now());
SELECT count(DISTINCT t), min(t) = now(), statement_timestamp() > now() FROM clock;
COMMIT;
SELECT count(*) FROM clock WHERE t < now();
SELECT now() - INTERVAL '1 hour' < now(), now() + '1 day' > now();
SHOW timezone;
SET TIME ZONE 'UTC';
SET timezone = 'Etc/UTC';
SET TIME ZONE 'Europe/Paris';
-- Not supported: time types, infinity, precision, other time zones.
SELECT '12:00'::time;
SELECT 'infinity'::date;
SELECT 'now'::timestamp;
CREATE TABLE p (t TIMESTAMP(3));
