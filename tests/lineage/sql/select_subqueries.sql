SELECT x.id,
       (SELECT max(p.amount) FROM shop.payments p WHERE p.order_id = x.id) AS paid
FROM (SELECT id, status FROM shop.orders) x
WHERE x.status = 'open'
  AND x.id NOT IN (SELECT r.order_id FROM shop.refunds r);
