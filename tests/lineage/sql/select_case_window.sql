SELECT t.id,
       CASE WHEN t.amount > 100 THEN 'big' ELSE t.size END AS size,
       sum(t.amount) OVER (PARTITION BY t.store_id ORDER BY t.sold_at) AS running
FROM sales.transactions t;
