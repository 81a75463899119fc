INSERT INTO dw..orders (id)
SELECT o.id FROM staging..orders o;
