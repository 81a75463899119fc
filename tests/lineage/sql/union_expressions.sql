INSERT INTO crm.contacts (id, email)
SELECT id, email FROM crm.web_signups
UNION
SELECT cid, lower(mail) FROM crm.store_signups;
