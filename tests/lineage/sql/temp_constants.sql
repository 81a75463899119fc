CREATE TEMP TABLE wanted (id INT);
INSERT INTO wanted VALUES (1), (2);
INSERT INTO mart.some_orders SELECT o.amount FROM shop.orders o JOIN wanted w ON w.id = o.id;
SELECT w.id FROM wanted w;
