INSERT INTO mart.ranked
SELECT
    x.id,
    CASE WHEN x.amount > 100 THEN 'big' ELSE 'small' END AS size,
    row_number() OVER (PARTITION BY x.store_id ORDER BY x.amount DESC) AS rnk
FROM (SELECT id, amount, store_id FROM sales.transactions) x;
