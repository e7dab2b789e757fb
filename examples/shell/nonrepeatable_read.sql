-- A non-repeatable read: session a reads the same row twice in one transaction, and
-- session b updates it and commits in between.
CREATE TABLE accounts (id INT PRIMARY KEY, balance INT);
INSERT INTO accounts VALUES (1, 100);

-- READ COMMITTED: every statement takes a new snapshot, so a's second read sees b's
-- committed update (100, then 200).
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT balance FROM accounts WHERE id = 1;
\session b
UPDATE accounts SET balance = 200 WHERE id = 1;
\session a
SELECT balance FROM accounts WHERE id = 1;
COMMIT;

-- REPEATABLE READ: one snapshot for the whole transaction, so a reads 200 twice,
-- though b commits 300 in between; a new transaction then sees 300.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT balance FROM accounts WHERE id = 1;
\session b
UPDATE accounts SET balance = 300 WHERE id = 1;
\session a
SELECT balance FROM accounts WHERE id = 1;
COMMIT;
SELECT balance FROM accounts WHERE id = 1;
