SELECT o.id, li.sku
FROM shop.orders o
CROSS JOIN LATERAL (SELECT l.sku FROM shop.lines l WHERE l.order_id = o.id) li;
