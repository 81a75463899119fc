SELECT 1;
SELECT now() AS ts, 'nightly' AS label;
