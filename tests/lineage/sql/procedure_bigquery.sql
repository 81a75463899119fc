CREATE PROCEDURE mart.refresh()
BEGIN
  DECLARE n INT64 DEFAULT 0;
  INSERT INTO mart.daily (day, total)
  SELECT day, SUM(amount) FROM raw.sales GROUP BY day;
END
