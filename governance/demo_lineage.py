"""The retail demo's ETL jobs: staging and dimensional layers of the warehouse built from the
source systems, and the CDP mart built from the warehouse, in several SQL dialects, plus one job
whose SQL does not parse (to show how errors are reported).

Loaded by `manage.py load_demo` after the catalog; idempotent (SQL already current is skipped).

`loyalty.point_ledger.amount` (membership) feeds `dw.sales_fact.net_amount` and from there
`cdp.customer_profile.lifetime_value`: an upstream field without an approved definition."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from catalog.models import SourceSystem
from core.audit import Actor
from lineage.models import EtlJob
from lineage.services import create_job, submit_sql

STG_POS = """
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
"""

STG_ORDERS = """
INSERT INTO staging.online_orders (order_id, email, member_id, order_date, net_amount)
SELECT o.order_id,
       LOWER(TRIM(o.customer_email)) AS email,
       o.member_id,
       CAST(o.order_ts AS DATE),
       o.amount
FROM shop.orders o
WHERE o.status IN ('paid', 'shipped', 'delivered');
"""

DW_CUSTOMER = """
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
"""

DW_SALES = """
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
"""

CDP_PROFILE = """
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
"""

BROKEN_EPAY = """
-- Deliberately broken (a missing expression after '>=') to show how parse errors are reported.
INSERT INTO staging.payments (payment_id, member_id, paid_amount)
SELECT TOP 100 p.payment_id, p.member_id, p.paid_amount
FROM epay.payments AS p
WHERE p.paid_at >= ;
"""

JOBS = [
    ("stg_pos_transactions", "Stage till receipts", "dw", "postgres", "daily 01:00", STG_POS),
    ("stg_online_orders", "Stage online orders", "dw", "postgres", "daily 01:00", STG_ORDERS),
    ("dw_customer_dim", "Customer dimension", "dw", "snowflake", "daily 02:00", DW_CUSTOMER),
    ("dw_sales_fact", "Build the sales fact", "dw", "snowflake", "daily 02:30", DW_SALES),
    ("cdp_customer_profile", "CDP profile mart", "cdp", "snowflake", "daily 04:00", CDP_PROFILE),
    ("stg_epay_payments", "Stage e-payments (broken)", "dw", "tsql", "hourly", BROKEN_EPAY),
]


def load(actor: Actor) -> list[EtlJob]:
    """Create the demo's jobs (owner eric) and submit their SQL unless already current."""
    owner = get_user_model().objects.filter(username="eric").first()
    jobs = []
    for key, name, system, dialect, schedule, sql in JOBS:
        job = EtlJob.objects.filter(key=key).first()
        if job is None:
            job = create_job(
                actor,
                {
                    "key": key,
                    "name": name,
                    "system": SourceSystem.objects.get(key=system),
                    "dialect": dialect,
                    "schedule": schedule,
                    "owner": owner,
                },
            )
        latest = job.versions.order_by("-number").first()
        if latest is None or latest.sql != sql:
            submit_sql(actor, job, sql)
        jobs.append(job)
    return jobs
