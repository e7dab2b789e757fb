-- INSERT ... ON CONFLICT as PostgreSQL runs it: DO NOTHING skips a conflicting row, DO UPDATE changes the existing row (EXCLUDED is the row proposed), the row count and RETURNING cover the rows inserted or updated, and the errors PostgreSQL gives.
CREATE TABLE kv (k INT PRIMARY KEY, v TEXT, n INT DEFAULT 0);
INSERT INTO kv VALUES (1, 'one', 1), (2, 'two', 2);
-- DO NOTHING, with and without a conflict target: the conflicting row is not counted.
INSERT INTO kv VALUES (1, 'uno', 10) ON CONFLICT DO NOTHING;
INSERT INTO kv VALUES (1, 'uno', 10), (3, 'three', 3) ON CONFLICT (k) DO NOTHING;
INSERT INTO kv VALUES (2, 'dos', 20), (4, 'four', 4) ON CONFLICT DO NOTHING RETURNING *;
SELECT * FROM kv ORDER BY k;
-- DO UPDATE: EXCLUDED is the row proposed for insertion, the bare or qualified column the existing row.
INSERT INTO kv VALUES (1, 'uno', 10) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = kv.n + EXCLUDED.n;
INSERT INTO kv AS t VALUES (2, 'dos', 20), (5, 'five', 5) ON CONFLICT (k) DO UPDATE SET n = t.n * 100 RETURNING k, v, n;
INSERT INTO kv (k, v) VALUES (3, 'tres') ON CONFLICT (k) DO UPDATE SET v = excluded.v || '/' || kv.v, n = excluded.n RETURNING *;
SELECT * FROM kv ORDER BY k;
-- The WHERE of DO UPDATE sees both rows; a row it rejects is neither updated nor counted nor returned.
INSERT INTO kv VALUES (1, 'ein', 0), (4, 'vier', 0) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v WHERE kv.n > 5 RETURNING k, v;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET v = 'never' WHERE EXCLUDED.v = 'y';
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET v = 'never' WHERE false;
SELECT * FROM kv ORDER BY k;
-- A bare column in DO UPDATE is ambiguous when EXCLUDED has one of that name, as in PostgreSQL; with an alias the table name no longer names the row.
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET n = n + 1;
INSERT INTO kv AS t VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET n = EXCLUDED.nope;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET nope = 1;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET n = DEFAULT RETURNING *;
-- The conflict target must be the primary key or a unique index, in any order; DO UPDATE needs one.
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (v) DO NOTHING;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (nope) DO NOTHING;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT DO UPDATE SET v = 'x';
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT ON CONSTRAINT kv_pkey DO NOTHING;
INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT ON CONSTRAINT nope DO NOTHING;
-- One statement cannot update a row twice, whether the row was there or the statement inserted it; DO NOTHING just skips the second.
INSERT INTO kv VALUES (1, 'a', 0), (1, 'b', 0) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v;
INSERT INTO kv VALUES (9, 'a', 0), (9, 'b', 0) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v;
INSERT INTO kv VALUES (9, 'a', 0), (9, 'b', 0) ON CONFLICT (k) DO NOTHING RETURNING *;
SELECT * FROM kv ORDER BY k;
-- INSERT ... SELECT with conflicts.
CREATE TABLE src (k INT, v TEXT);
INSERT INTO src VALUES (1, 'from src'), (2, 'from src'), (10, 'ten');
INSERT INTO kv (k, v) SELECT k, v FROM src ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v WHERE kv.k <> 2 RETURNING k, v, n;
SELECT * FROM kv ORDER BY k;
-- A composite primary key, named in either order.
CREATE TABLE pairs (a INT, b INT, hits INT, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES (1, 1, 1), (1, 2, 1);
INSERT INTO pairs VALUES (1, 2, 1), (2, 1, 1) ON CONFLICT (b, a) DO UPDATE SET hits = pairs.hits + EXCLUDED.hits;
INSERT INTO pairs VALUES (1, 1, 1) ON CONFLICT (a) DO NOTHING;
SELECT * FROM pairs ORDER BY a, b;
-- A unique secondary index as the target; a DO UPDATE through it maintains the indexes as UPDATE does.
CREATE TABLE users (id INT PRIMARY KEY, email TEXT UNIQUE, name TEXT, visits INT);
CREATE INDEX users_name ON users (name);
INSERT INTO users VALUES (1, 'ann@example.com', 'Ann', 1), (2, 'bob@example.com', 'Bob', 1);
INSERT INTO users VALUES (7, 'ann@example.com', 'Annie', 1) ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, visits = users.visits + 1 RETURNING *;
SELECT * FROM users WHERE name = 'Annie';
SELECT * FROM users WHERE name = 'Ann';
INSERT INTO users VALUES (8, 'bob@example.com', 'Bobby', 1) ON CONFLICT (email) DO NOTHING;
INSERT INTO users VALUES (8, 'bob@example.com', 'Bobby', 1) ON CONFLICT ON CONSTRAINT users_email_key DO UPDATE SET visits = users.visits + 1 RETURNING *;
INSERT INTO users VALUES (8, 'cy@example.com', 'Cy', 1), (9, 'cy@example.com', 'Cyrus', 1) ON CONFLICT (email) DO NOTHING;
-- DO NOTHING without a target covers every unique constraint; the row stays out of every index.
INSERT INTO users VALUES (1, 'new@example.com', 'Dup', 1) ON CONFLICT DO NOTHING;
INSERT INTO users VALUES (10, 'ann@example.com', 'Dup', 1) ON CONFLICT DO NOTHING;
SELECT * FROM users ORDER BY id;
SELECT * FROM users WHERE name = 'Dup';
SELECT * FROM users WHERE email = 'new@example.com';
-- A conflict with a unique constraint other than the target is still 23505.
INSERT INTO users VALUES (1, 'other@example.com', 'X', 1) ON CONFLICT (email) DO NOTHING;
INSERT INTO users VALUES (11, 'bob@example.com', 'X', 1) ON CONFLICT (id) DO NOTHING;
INSERT INTO users VALUES (2, 'z@example.com', 'X', 1) ON CONFLICT (id) DO UPDATE SET email = 'ann@example.com';
-- DO UPDATE may move the row to a new key; the new key is checked as UPDATE checks it.
INSERT INTO users VALUES (2, 'z@example.com', 'X', 1) ON CONFLICT (id) DO UPDATE SET id = 20 RETURNING *;
INSERT INTO users VALUES (20, 'z@example.com', 'X', 1) ON CONFLICT (id) DO UPDATE SET id = 1;
SELECT * FROM users ORDER BY id;
-- NULLs never conflict in a unique index.
INSERT INTO users VALUES (30, NULL, 'N', 1), (31, NULL, 'N', 1) ON CONFLICT (email) DO NOTHING;
-- A table without a primary key: only its unique indexes can conflict.
CREATE TABLE tags (tag TEXT, uses INT);
INSERT INTO tags VALUES ('a', 1) ON CONFLICT DO NOTHING;
INSERT INTO tags VALUES ('a', 1) ON CONFLICT DO NOTHING;
INSERT INTO tags VALUES ('a', 1) ON CONFLICT (tag) DO NOTHING;
DELETE FROM tags;
CREATE UNIQUE INDEX tags_tag ON tags (tag);
INSERT INTO tags VALUES ('a', 1), ('b', 1), ('a', 1) ON CONFLICT (tag) DO UPDATE SET uses = tags.uses + 1;
INSERT INTO tags VALUES ('a', 1), ('b', 1) ON CONFLICT (tag) DO UPDATE SET uses = tags.uses + 1 RETURNING *;
INSERT INTO tags VALUES ('a', 1), ('b', 1) ON CONFLICT (tag) DO UPDATE SET uses = tags.uses + 1 RETURNING *;
SELECT * FROM tags ORDER BY tag;
-- A transaction sees its own earlier rows as conflicts, and a rolled-back upsert leaves nothing.
BEGIN;
INSERT INTO kv VALUES (50, 'fifty', 0);
INSERT INTO kv VALUES (50, 'FIFTY', 0) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1 RETURNING *;
ROLLBACK;
SELECT * FROM kv WHERE k = 50;
-- A statement run again reuses its cached plan: the same rules apply at each execution.
INSERT INTO kv VALUES (60, 'a', 1) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1, v = EXCLUDED.v RETURNING *;
INSERT INTO kv VALUES (60, 'a', 1) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1, v = EXCLUDED.v RETURNING *;
INSERT INTO kv VALUES (60, 'a', 1) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1, v = EXCLUDED.v RETURNING *;
EXPLAIN INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO NOTHING;
EXPLAIN INSERT INTO users VALUES (1, 'x', 'y', 0) ON CONFLICT DO NOTHING;
EXPLAIN INSERT INTO users VALUES (1, 'x', 'y', 0) ON CONFLICT (email) DO UPDATE SET visits = 0 WHERE users.visits > 1;
