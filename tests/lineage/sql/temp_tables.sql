SELECT id, email INTO #recent FROM crm.customers WHERE created > '2024-01-01';
INSERT INTO dw.recent_customers (id, email_hash)
SELECT id, sha2(email, 256) FROM #recent;
DROP TABLE #recent;
