UPDATE orders o
JOIN customers c ON o.customer_id = c.id
SET o.segment = c.segment;
