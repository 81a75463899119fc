SELECT * INTO #orders FROM shop.orders;
INSERT INTO mart.order_count (n) SELECT count(*) FROM #orders;
DROP TABLE #orders;
