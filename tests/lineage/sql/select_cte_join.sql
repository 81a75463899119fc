WITH recent AS (
    SELECT o.customer_id, o.amount
    FROM shop.orders o
    WHERE o.created_at >= DATE '2024-01-01'
)
SELECT c.email, sum(r.amount) AS total
FROM recent r
JOIN crm.customers c ON c.id = r.customer_id
GROUP BY c.email
HAVING sum(r.amount) > 100
ORDER BY total DESC;
