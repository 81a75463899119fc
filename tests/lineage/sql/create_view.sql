CREATE VIEW mart.v_customers AS
SELECT c.id AS customer_id, c.email
FROM crm.customers c
JOIN crm.accounts a ON a.customer_id = c.id;
