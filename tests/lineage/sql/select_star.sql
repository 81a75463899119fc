SELECT * FROM sales.orders;
SELECT o.*, c.email FROM sales.orders o JOIN crm.customers c ON c.id = o.customer_id;
