CREATE TABLE mart.order_totals AS
SELECT o.customer_id, count(*) AS orders, max(o.amount) AS biggest
FROM sales.orders o
GROUP BY o.customer_id;
