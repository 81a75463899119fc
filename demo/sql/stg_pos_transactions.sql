-- Nightly load of till receipts into staging.
INSERT INTO staging.pos_transactions
    (txn_id, store_id, member_id, txn_date, gross_amount, net_amount)
SELECT t.txn_id,
       t.store_id,
       NULLIF(TRIM(t.member_id), '') AS member_id,
       CAST(t.txn_ts AS DATE) AS txn_date,
       t.amount AS gross_amount,
       (t.amount - COALESCE(t.discount_amount, 0) - t.tax_amount) AS net_amount
FROM sales.transactions AS t
WHERE t.txn_ts >= CURRENT_DATE - INTERVAL '1 day';
