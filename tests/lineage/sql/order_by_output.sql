INSERT INTO mart.top_stores (store, revenue)
SELECT s.name AS store, sum(t.amount) AS revenue
FROM sales.transactions t
JOIN pos.stores s ON s.id = t.store_id
GROUP BY s.name
ORDER BY revenue DESC, 1;
