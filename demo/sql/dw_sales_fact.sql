-- Net sales per customer, channel and day. For members the loyalty ledger's amount is
-- preferred to the till's (it is tax included, after member discount: not the same meaning).
INSERT INTO dw.sales_fact (customer_key, channel, sale_date, net_amount)
SELECT cd.customer_key, s.channel, s.sale_date, SUM(s.net_amount) AS net_amount
FROM (
    SELECT p.member_id, 'store' AS channel, p.txn_date AS sale_date,
           COALESCE(pl.amount, p.net_amount) AS net_amount
    FROM staging.pos_transactions p
    LEFT JOIN loyalty.point_ledger pl
           ON pl.member_id = p.member_id AND CAST(pl.earned_at AS DATE) = p.txn_date
    UNION ALL
    SELECT o.member_id, 'online', o.order_date, o.net_amount
    FROM staging.online_orders o
) s
JOIN dw.customer_dim cd ON cd.member_id = s.member_id
GROUP BY cd.customer_key, s.channel, s.sale_date;
