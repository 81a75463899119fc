-- One row per customer: CRM contacts matched to loyalty members.
CREATE OR REPLACE TABLE dw.customer_dim AS
WITH contacts AS (
    SELECT c.contact_id, LOWER(c.email) AS email, c.phone, c.birth_date
    FROM public.contacts c
),
members AS (
    SELECT m.member_id, m.crm_contact_id, m.tier, m.phone
    FROM loyalty.members m
)
SELECT c.contact_id AS customer_key,
       mb.member_id,
       c.email,
       COALESCE(c.phone, mb.phone) AS phone,
       c.birth_date,
       CASE WHEN mb.tier IN ('silver', 'gold') THEN UPPER(mb.tier) ELSE 'BASIC' END AS tier
FROM contacts c
LEFT JOIN members mb ON mb.crm_contact_id = c.contact_id;
