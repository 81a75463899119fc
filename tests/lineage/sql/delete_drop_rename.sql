DELETE FROM dw.orders WHERE amount < 0;
DROP TABLE IF EXISTS dw.orders_old;
ALTER TABLE dw.orders RENAME TO orders_old;
