CREATE TEMP TABLE tmp_order_net ON COMMIT DROP AS
SELECT o.id, o.amount - o.discount AS net FROM shop.orders o;
INSERT INTO mart.daily (n, total) SELECT COUNT(*), SUM(net) FROM tmp_order_net;
