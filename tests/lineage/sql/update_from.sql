UPDATE dw.orders
SET amount = dw.orders.amount * 0.9,
    status = s.status
FROM staging.order_status s
WHERE dw.orders.id = s.order_id;
