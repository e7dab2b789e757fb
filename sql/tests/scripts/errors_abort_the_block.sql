-- Every error inside a transaction block aborts it, syntax errors and 25001 included.
BEGIN;
SELEC 1;
SELECT 'still usable after syntax error' AS x;
ROLLBACK;
BEGIN;
SELECT 1;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT 'still usable after 25001' AS x;
COMMIT;
SELECT 'usable again' AS x;
