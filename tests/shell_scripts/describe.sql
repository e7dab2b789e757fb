-- psql's describe commands, laid out as psql 15 prints them: \d, \dt and \di lists,
-- \d of a table and of an index, patterns, unknown names, an empty database, and a
-- describe inside a transaction block, which sees the block's own CREATE TABLE and
-- leaves the block as it was. args: --continue
\d
\dt
\di
\d nosuch
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) UNIQUE NOT NULL, x BIGINT DEFAULT 7, amount NUMERIC(10,2), f DOUBLE PRECISION DEFAULT 1.5, b BOOLEAN DEFAULT true, s TEXT DEFAULT 'it''s', neg INT DEFAULT -1);
CREATE INDEX ON t (x);
CREATE UNIQUE INDEX t_b_s_idx ON t (b, s);
CREATE TABLE pairs (a INT, b INT, c TEXT, PRIMARY KEY (a, b), UNIQUE (b, c));
CREATE TABLE heap (v TEXT);
\d
\dt
\di
\d t
\d pairs
\d heap
\d t_x_idx
\d t_pkey
\d t_name_key
\d pairs_pkey
\dt t
\di t_pkey
\dt nosuch
\d heap_pkey
\d T*
\di *key
\dt public.p*
BEGIN ISOLATION LEVEL REPEATABLE READ;
CREATE TABLE inside (k INT PRIMARY KEY);
\dt
\d inside
\s b
\dt inside
\s a
SELECT count(*) FROM inside;
ROLLBACK;
\dt inside
BEGIN;
\d heap
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT 1/0;
\dt
ROLLBACK;
-- A session whose statement waits for a lock takes no describe either.
INSERT INTO heap VALUES ('x');
BEGIN;
UPDATE heap SET v = 'y';
\s b
DELETE FROM heap;
\d heap
\s a
ROLLBACK;
\echo -- Defaults from sequences, identity columns and CHECK constraints.
CREATE TABLE acc (id SERIAL PRIMARY KEY, owner TEXT NOT NULL DEFAULT 'x', balance INT CHECK (balance >= 0), n BIGINT GENERATED ALWAYS AS IDENTITY, CHECK (owner <> ''));
\d acc
