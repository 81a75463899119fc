SELECT id, email FROM crm.web_signups
UNION ALL
SELECT cid, lower(mail) AS address FROM crm.store_signups
UNION
SELECT member_id, email FROM loyalty.members;
