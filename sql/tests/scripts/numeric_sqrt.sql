-- sqrt of a NUMERIC is an exact NUMERIC at PostgreSQL 15's scale: at least 16
-- significant digits, no fewer decimals than the argument; an integer takes the double
-- precision sqrt (checked against PostgreSQL 15).
SELECT sqrt(16.0), sqrt(2::numeric), sqrt(2.0), sqrt(100);
SELECT sqrt(0.0001::numeric), sqrt(1e-10::numeric), sqrt(0.000000000000000000000001::numeric);
SELECT sqrt(12345678901234567890.12::numeric), sqrt(99999999999999999999999999999999999999::numeric);
SELECT sqrt(0::numeric), sqrt(1.00000000000000000000::numeric), sqrt(2.5::numeric(10,1));
SELECT sqrt(9999.9999), sqrt(10000.0), sqrt(0.5), sqrt(0.05), sqrt(0.005), sqrt(0.0005);
SELECT sqrt(123456.789::numeric), sqrt(NULL::numeric) IS NULL AS null_in_null_out;
SELECT sqrt(2.0) * sqrt(2.0);
SELECT sqrt(0.00000000000000000000000000000000000001::numeric);
SELECT sqrt(-1::numeric);
SELECT sqrt(-0.5);

-- The others over NUMERIC are refused (PostgreSQL computes them to digits of its own).
SELECT power(2.0, 3);
SELECT exp(1.0);
SELECT ln(2.0);
SELECT log(100.0);
