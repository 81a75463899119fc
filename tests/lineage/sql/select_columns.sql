-- what a dashboard reads: names, masking and a filter
SELECT c.id AS customer_id, c.email, upper(c.name), md5(c.phone) AS phone_hash,
       c.signup_at::date, 42
FROM crm.customers c
WHERE c.active = 1;
