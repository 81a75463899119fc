INSERT INTO mart.paid_orders (id, paid)
SELECT o.id,
       (SELECT max(p.amount) FROM shop.payments p WHERE p.order_id = o.id)
FROM shop.orders o
WHERE o.id NOT IN (SELECT r.order_id FROM shop.refunds r);
