SELECT o.id, o.amount * 1.05 AS gross
INTO dbo.orders_gross
FROM dbo.orders o;
