ALTER TABLE dw.orders SWAP WITH dw.orders_staging;
