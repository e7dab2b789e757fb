-- The type of a numeric result, where it decides what later arithmetic does, as in
-- PostgreSQL: round, ceil and floor of an integer are double precision (so halving
-- them is not integer division); % takes integers or numerics only, never a double
-- precision (42883).
SELECT round(5) / 2, ceil(5) / 2, floor(-5) / 2, round(7, 1) / 2, abs(-5) / 2;
SELECT round(5), ceil(-5), floor(5);
SELECT 7 % 2.5, -7.5 % 2, 7 % 3;
SELECT 7.5::float8 % 2;
SELECT 7 % 2::float8;
