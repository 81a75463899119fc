INSERT OVERWRITE TABLE mart.daily_sales PARTITION (dt = '2024-01-01')
SELECT store_id, sum(amount) AS total
FROM sales.transactions
GROUP BY store_id;

INSERT OVERWRITE TABLE mart.sales_by_day PARTITION (dt)
SELECT store_id, amount, sale_date AS dt
FROM sales.transactions;
