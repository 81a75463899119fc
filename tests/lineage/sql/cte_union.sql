WITH online AS (
    SELECT customer_id, amount FROM shop.web_orders
    UNION ALL
    SELECT customer_id, amount FROM shop.app_orders
),
totals AS (
    SELECT customer_id, sum(amount) AS total FROM online GROUP BY customer_id
)
INSERT INTO mart.customer_totals (customer_id, total)
SELECT t.customer_id, t.total FROM totals t;
