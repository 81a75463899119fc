CREATE TEMPORARY TABLE paid AS SELECT * FROM shop.orders WHERE status = 'paid';
INSERT INTO mart.paid_orders SELECT * FROM paid;
INSERT INTO mart.paid_ids (id) SELECT id FROM paid;
