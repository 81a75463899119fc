CREATE TEMP TABLE tmp_x AS SELECT o.id, o.amount FROM shop.orders o WHERE o.status = 'paid';
INSERT INTO mart.t (n) SELECT COUNT(*) FROM tmp_x;
