CREATE LOCAL TEMPORARY TABLE tmp_paid (id int, amount numeric) ON COMMIT DELETE ROWS;
INSERT INTO tmp_paid SELECT o.id, o.amount FROM shop.orders o;
INSERT INTO mart.paid (n, total) SELECT COUNT(*), SUM(amount) FROM pg_temp.tmp_paid;
