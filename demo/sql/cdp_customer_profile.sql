-- The CDP unification layer's input: direct identifiers only as hashes.
INSERT INTO cdp.customer_profile
    (customer_key, email_hash, phone_hash, tier, lifetime_value, last_purchase_date)
WITH sales AS (
    SELECT customer_key, SUM(net_amount) AS lifetime_value, MAX(sale_date) AS last_purchase_date
    FROM dw.sales_fact
    GROUP BY customer_key
)
SELECT d.customer_key,
       SHA2(LOWER(d.email), 256) AS email_hash,
       SHA2(d.phone, 256) AS phone_hash,
       d.tier,
       COALESCE(s.lifetime_value, 0),
       s.last_purchase_date
FROM dw.customer_dim d
LEFT JOIN sales s ON s.customer_key = d.customer_key;
