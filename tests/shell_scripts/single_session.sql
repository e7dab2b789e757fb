-- One session: DDL, DML and queries print as psql prints them, errors carry their
-- SQLSTATE, and the backslash commands answer. args: --continue
CREATE TABLE accounts (
    id INT PRIMARY KEY,
    owner TEXT NOT NULL,
    balance INT
);
INSERT INTO accounts VALUES (1, 'alice', 100), (2, 'bob', 50); INSERT INTO accounts VALUES (3, 'carol', NULL);
UPDATE accounts SET balance = balance + 10 WHERE owner = 'bob';
SELECT id, owner, balance FROM accounts ORDER BY id;
SELECT 'semicolon; inside a string' AS text;
DELETE FROM accounts WHERE id = 3;
-- RETURNING rows come with the command tag after them, and no blank line after it.
UPDATE accounts SET balance = balance + 1 WHERE id = 2 RETURNING id, balance;
SELECT count(*) FROM accounts;
-- Errors: the message as psql words it, the SQLSTATE at the end.
INSERT INTO accounts VALUES (1, 'again', 0);
SELECT * FROM missing;
SELECT nope FROM accounts;
-- Backslash commands.
\timing on
\timing off
\timing
SELECT 1 AS one;
\timing off
\session
\echo narration for a demo
\foo
\timing sometimes
\session not-a-name
\sessions
