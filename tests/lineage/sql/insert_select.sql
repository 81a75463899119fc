-- load the customer dimension from the CRM
INSERT INTO dw.customer_dim (customer_id, email_hash, full_name)
SELECT c.id, md5(c.email), c.first_name || ' ' || c.last_name
FROM crm.customers c
WHERE c.active = 1;
