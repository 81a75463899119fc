INSERT INTO staging.online_orders (order_id, email, member_id, order_date, net_amount)
SELECT o.order_id,
       LOWER(TRIM(o.customer_email)) AS email,
       o.member_id,
       CAST(o.order_ts AS DATE),
       o.amount
FROM shop.orders o
WHERE o.status IN ('paid', 'shipped', 'delivered');
