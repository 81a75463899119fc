"""The retail demo's ETL jobs: lineage from the sources to the CDP mart, and a reported error."""

from __future__ import annotations

from core.audit import Actor
from demo import catalog as demo
from demo import lineage as demo_lineage
from lineage.models import EtlJob, EtlJobVersion
from tests.lineage.helpers import API, direct_edges, fast_passwords
from tests.personas import PersonaTestCase


@fast_passwords
class DemoLineageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        actor = Actor.system("tests")
        demo.load_users(actor)
        demo.load_catalog(actor)
        demo_lineage.load(actor)

    def test_every_job_but_the_broken_one_parses(self):
        statuses = dict(EtlJob.objects.values_list("key", "current_version__status"))
        self.assertEqual(statuses.pop("stg_epay_payments"), None)
        self.assertEqual(set(statuses.values()), {"ok"})
        broken = EtlJobVersion.objects.get(job__key="stg_epay_payments")
        self.assertEqual(broken.status, "failed")
        self.assertEqual(broken.errors[0]["line"], 5)  # demo/sql/stg_epay_payments.sql
        self.assertEqual(
            {j.dialect for j in EtlJob.objects.all()}, {"postgres", "snowflake", "tsql"}
        )
        self.assertEqual({j.owner.username for j in EtlJob.objects.all()}, {"eric"})

    def test_loading_twice_changes_nothing(self):
        before = EtlJobVersion.objects.count()
        demo_lineage.load(Actor.system("tests"))
        self.assertEqual(EtlJobVersion.objects.count(), before)

    def test_hashed_identifiers_in_the_mart_are_masked(self):
        job = EtlJob.objects.get(key="cdp_customer_profile")
        masked = {e.target.ref for e in job.edges.filter(masking=True)}
        self.assertEqual(
            masked, {"cdp:cdp.customer_profile.email_hash", "cdp:cdp.customer_profile.phone_hash"}
        )

    def test_the_loyalty_ledger_amount_feeds_the_mart(self):
        self.assertIn(
            ("membership:loyalty.point_ledger.amount", "dw:dw.sales_fact.net_amount"),
            direct_edges(EtlJob.objects.get(key="dw_sales_fact")),
        )
        self.client.force_authenticate(self.steward)
        body = self.client.get(
            API + "graph/",
            {
                "field": "cdp:cdp.customer_profile.lifetime_value",
                "direction": "upstream",
                "types": "direct",
            },
        ).json()
        refs = {r["ref"] for r in body["upstream"]["results"]}
        self.assertIn("membership:loyalty.point_ledger.amount", refs)
        self.assertIn("pos:sales.transactions.amount", refs)
        self.assertIn("orders:shop.orders.amount", refs)
