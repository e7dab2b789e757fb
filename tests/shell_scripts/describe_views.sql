-- psql's describe commands on views, laid out as psql 15 prints them: \d lists tables
-- and views, \dv lists views, \d of a view shows its columns and their types; a view
-- created inside a block is seen by the block's describes only. args: --continue
CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, amount NUMERIC(10,2));
\dv
CREATE VIEW named AS SELECT id, name FROM t WHERE amount > 0;
CREATE VIEW counts (n, longest) AS SELECT count(*), max(name) FROM t;
CREATE VIEW computed AS SELECT id + 1 AS next, name || '!' AS shout, amount > 1 AS big FROM t;
\d
\dv
\dv c*
\dt
\d named
\d counts
\d computed
BEGIN;
CREATE VIEW inside AS SELECT 1 AS one;
\dv
ROLLBACK;
\dv
