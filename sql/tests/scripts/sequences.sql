-- Sequences as in PostgreSQL: CREATE/DROP SEQUENCE with their options, nextval, currval, setval and lastval, running past the end with and without CYCLE, and the errors for each misuse.
CREATE SEQUENCE s;
SELECT nextval('s');
SELECT nextval('s'), nextval('s');
SELECT currval('s');
SELECT lastval();
CREATE SEQUENCE s;
CREATE SEQUENCE IF NOT EXISTS s;
CREATE TABLE s (id int);
CREATE SEQUENCE down INCREMENT BY -2;
SELECT nextval('down'), nextval('down');
CREATE SEQUENCE fresh;
SELECT currval('fresh');
SELECT lastval();
SELECT nextval('nope');
SELECT currval('nope');
SELECT setval('nope', 1);
-- A sequence with a range: START inside it, running to MAXVALUE and failing there.
CREATE SEQUENCE small INCREMENT 2 MINVALUE 3 MAXVALUE 8 START 4;
SELECT nextval('small');
SELECT nextval('small');
SELECT nextval('small');
SELECT nextval('small');
SELECT currval('small');
-- With CYCLE it starts again at MINVALUE (MAXVALUE when descending).
CREATE SEQUENCE ring MINVALUE 1 MAXVALUE 3 CYCLE;
SELECT nextval('ring'), nextval('ring'), nextval('ring'), nextval('ring');
CREATE SEQUENCE ring_down INCREMENT -1 MINVALUE 1 MAXVALUE 2 CYCLE;
SELECT nextval('ring_down'), nextval('ring_down'), nextval('ring_down');
CREATE SEQUENCE low INCREMENT -1 MINVALUE -2 MAXVALUE -1;
SELECT nextval('low'), nextval('low');
SELECT nextval('low');
-- setval: the next nextval continues after the value, or returns it when is_called is false.
SELECT setval('s', 100);
SELECT nextval('s');
SELECT setval('s', 7, false);
SELECT currval('s');
SELECT nextval('s');
SELECT setval('small', 9);
SELECT setval('small', 2);
-- Options checked as PostgreSQL checks them (sqlparser takes them in the order of PostgreSQL's documentation only).
CREATE SEQUENCE bad INCREMENT 0;
CREATE SEQUENCE bad MINVALUE 5 MAXVALUE 5;
CREATE SEQUENCE bad START 0;
CREATE SEQUENCE bad MAXVALUE 10 START 11;
CREATE SEQUENCE bad CACHE 0;
CREATE SEQUENCE cached NO MINVALUE NO MAXVALUE START WITH 10 CACHE 20 NO CYCLE;
SELECT nextval('cached');
CREATE SEQUENCE typed AS integer;
SELECT setval('typed', 2147483647);
SELECT nextval('typed');
-- The name space is shared with tables and indexes.
CREATE TABLE t (id int PRIMARY KEY);
CREATE SEQUENCE t;
CREATE INDEX s ON t (id);
SELECT nextval('t');
-- nextval is an expression like any other: in VALUES, in a select list over rows, in a DEFAULT.
CREATE SEQUENCE ids START 10;
INSERT INTO t VALUES (nextval('ids')), (nextval('ids'));
SELECT id, nextval('s') > 0 AS after FROM t ORDER BY id;
CREATE TABLE d (id int DEFAULT nextval('ids'), v text);
INSERT INTO d (v) VALUES ('a'), ('b');
INSERT INTO d VALUES (DEFAULT, 'c') RETURNING id;
SELECT * FROM d ORDER BY id;
DROP SEQUENCE ids;
-- CREATE and DROP SEQUENCE are transactional.
BEGIN;
CREATE SEQUENCE tx;
SELECT nextval('tx'), nextval('tx');
ROLLBACK;
SELECT nextval('tx');
BEGIN;
DROP SEQUENCE s;
ROLLBACK;
SELECT nextval('s');
DROP SEQUENCE s, down;
DROP SEQUENCE s;
DROP SEQUENCE IF EXISTS s, ring;
SELECT nextval('s');
SELECT currval('ring');
-- nextval writes: a read-only transaction refuses it, but not currval.
BEGIN READ ONLY;
SELECT currval('small');
SELECT nextval('small');
ROLLBACK;
