-- TRIM and the trim functions, left/right, padding, repeat, reverse, strpos, split_part, initcap, and LIKE/ILIKE with ESCAPE, with PostgreSQL's column names, NULL rules and errors.
SELECT trim('  ab  '), trim(trailing 'x' from 'xxabxx'), trim(both 'xy' from 'xyaxy'), trim('x' from 'xax');
SELECT ltrim('  a '), rtrim(' a  '), btrim('xxaxx', 'x'), ltrim('xyxa', 'xy'), rtrim('axyx', 'xy'), btrim(NULL), trim(NULL from 'a');
SELECT left('abcde', 2), left('abcde', -2), right('abcde', 2), right('abcde', -2), left('ab', 5), right('ab', -5);
SELECT lpad('hi', 5), lpad('hi', 5, 'xy'), lpad('hello', 2), rpad('hi', 5, 'xy'), lpad('hi', -1), lpad('hi', 5, ''), rpad('hé', 4, 'ü');
SELECT repeat('ab', 3), repeat('ab', 0), repeat('ab', -1), reverse('héllo'), strpos('high', 'ig'), strpos('abc', ''), strpos('abc', 'z'), strpos('héllo', 'l');
SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', 4), split_part('a,b,c', ',', -1), split_part('abc', '', 1), split_part('abc', '', 2), split_part('', ',', 1), split_part('a,,b', ',', -3);
SELECT split_part('a,b', ',', 0);
SELECT initcap('hello wORLD-foo bar_baz 1st'), initcap(''), upper(left(initcap('ab cd'), 4));
SELECT repeat('x', 2000000000);
SELECT 'a_c' LIKE 'a\_c' ESCAPE '\', 'a_c' LIKE 'a#_c' ESCAPE '#', 'abc' LIKE 'a#_c' ESCAPE '#', 'a\c' LIKE 'a\c' ESCAPE '', 'a#' LIKE 'a##' ESCAPE '#';
SELECT 'a\b' LIKE 'a\b' ESCAPE '#', 'a\b' LIKE 'a\\b' ESCAPE '#', 'a%' LIKE 'a\%' ESCAPE '', 'ab' LIKE 'a\%' ESCAPE '', 'a' LIKE 'a#' ESCAPE '#';
SELECT 'AB' ILIKE 'a#b' ESCAPE '#', 'a%' NOT LIKE 'a!%' ESCAPE '!', 'x' LIKE 'x' ESCAPE NULL;
SELECT 'ab' LIKE 'a#' ESCAPE '#';
SELECT 'ab' LIKE 'ab' ESCAPE 'xy';
CREATE TABLE words (id int PRIMARY KEY, w text, esc text);
INSERT INTO words VALUES (1, ' 50% off ', '!'), (2, '5_0', '!'), (3, NULL, '!');
SELECT id, trim(w) AS t, length(trim(w)), trim(w) LIKE '%!%%' ESCAPE esc AS pct, w LIKE '%5!_%' ESCAPE esc AS underscore FROM words ORDER BY id;
SELECT lpad(id::text, 3, '0') || ':' || rpad(coalesce(w, '-'), 10, '.') AS line FROM words ORDER BY id;
