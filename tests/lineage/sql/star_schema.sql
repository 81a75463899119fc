WITH recent AS (SELECT * FROM sales.orders WHERE order_date > '2024-01-01')
INSERT INTO mart.recent_orders
SELECT r.* FROM recent r;
