"""dbt artifacts into the catalog and the lineage graph: `manage.py dbt_import` and
POST /api/v1/lineage/dbt/, over a small retail dbt project (tests/lineage/fixtures/dbt/:
staging views over the POS, online-order and CRM sources, a seed, a snapshot and two marts)."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

from django.core.management import CommandError, call_command
from guardian.shortcuts import assign_perm

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import import_systems
from core.audit import Actor
from core.models import ChangeRecord
from demo.catalog import SYSTEMS
from lineage.models import EtlJob, EtlJobVersion, LineageEdge
from lineage.services import rebuild
from tests.lineage.helpers import API, fast_passwords, field
from tests.personas import PersonaTestCase

FIXTURES = Path(__file__).parent / "fixtures" / "dbt"
FILES = [str(FIXTURES / n) for n in ("manifest.json", "catalog.json", "run_results.json")]


def artifact(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def edges_into(ref: str) -> set[tuple[str, str, str]]:
    return {
        (e.source.ref, e.type, e.subtype)
        for e in LineageEdge.objects.filter(target=field(ref)).select_related(
            "source__dataset__system"
        )
    }


@fast_passwords
class DbtTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        import_systems(Actor.system("tests"), copy.deepcopy(SYSTEMS), remove_missing=False)

    def run_import(self, *files, system="analytics", create=True):
        out = io.StringIO()
        args = [*(files or FILES), "--system", system, "--no-progress"]
        if create:
            args.append("--create-system")
        call_command("dbt_import", *args, stdout=out, stderr=io.StringIO())
        return out.getvalue()


class DbtImportCommandTests(DbtTestCase):
    def test_models_seeds_snapshots_and_sources_become_datasets_with_columns(self):
        out = self.run_import()
        self.assertIn("(system created)", out)
        names = set(Dataset.objects.filter(system__key="analytics").values_list("name", "kind"))
        self.assertEqual(
            names,
            {
                ("staging.stg_pos__transactions", "view"),
                ("staging.stg_orders__orders", "view"),
                ("staging.stg_crm__contacts", "view"),
                ("reference.store_regions", "table"),
                ("marts.fct_sales", "table"),
                ("marts.dim_customers", "table"),
                ("snapshots.contacts_snapshot", "table"),
            },
        )
        fct = Dataset.objects.get(system__key="analytics", name="marts.fct_sales")
        self.assertEqual(
            (fct.description, fct.owners, fct.tags),
            (
                "Every sale, in store and online, one row per receipt or order.",
                ["finance-analytics@retail.example"],
                ["mart", "finance"],
            ),
        )
        self.assertEqual(
            list(fct.fields.order_by("ordinal").values_list("name", "data_type")),
            [
                ("channel", "text"),
                ("sale_id", "character varying"),
                ("member_id", "character varying(20)"),
                ("sale_date", "date"),
                ("amount_net", "numeric"),
                ("region", "text"),
            ],
        )
        amount = field("analytics:marts.fct_sales.amount_net")
        self.assertEqual(amount.description, "Sale value in TWD, tax included, after discounts.")
        # the warehouse's own columns (catalog.json) are registered too
        self.assertTrue(
            Field.objects.filter(
                dataset__name="snapshots.contacts_snapshot", name="dbt_valid_to"
            ).exists()
        )
        crm = Dataset.objects.get(system__key="analytics", name="staging.stg_crm__contacts")
        self.assertEqual(crm.owners, ["crm-team@retail.example", "data-platform@retail.example"])
        self.assertEqual(field("analytics:staging.stg_crm__contacts.email_hash").tags, ["masked"])

    def test_sources_resolve_to_the_systems_that_hold_them(self):
        out = self.run_import()
        for ref in ("pos:sales.transactions", "orders:shop.orders", "crm:public.contacts"):
            self.assertIn(f"source {ref}", out)
        self.assertFalse(
            Dataset.objects.filter(system__key="analytics", name="sales.transactions").exists()
        )

    def test_dbt_tests_are_listed_on_the_fields_they_check_with_their_status(self):
        self.run_import()
        txn = field("analytics:staging.stg_pos__transactions.txn_id")
        self.assertEqual(
            [(t["name"], t["status"], t["tool"]) for t in txn.tests],
            [("not_null", "pass", "dbt"), ("unique", "pass", "dbt")],
        )
        self.assertEqual(
            [
                (t["name"], t["status"])
                for t in field("analytics:marts.dim_customers.customer_id").tests
            ],
            [("unique", "fail")],
        )
        self.assertEqual(
            [t["name"] for t in field("analytics:marts.fct_sales.channel").tests],
            ["accepted_values"],
        )

    def test_column_lineage_comes_from_the_compiled_sql_through_our_parser(self):
        self.run_import()
        self.assertEqual(
            edges_into("analytics:staging.stg_pos__transactions.amount_net"),
            {
                ("pos:sales.transactions.amount", "DIRECT", "TRANSFORMATION"),
                ("pos:sales.transactions.discount_amount", "DIRECT", "TRANSFORMATION"),
            },
        )
        masked = LineageEdge.objects.get(
            target=field("analytics:staging.stg_crm__contacts.email_hash")
        )
        self.assertEqual((masked.source.ref, masked.masking), ("crm:public.contacts.email", True))
        self.assertIn(
            ("analytics:marts.fct_sales.amount_net", "DIRECT", "AGGREGATION"),
            edges_into("analytics:marts.dim_customers.lifetime_value"),
        )
        job = EtlJob.objects.get(key="dbt.retail_analytics.fct_sales")
        self.assertEqual((job.system.key, job.dialect), ("analytics", "postgres"))
        self.assertEqual(job.current_version.origin, "dbt")
        # root cause of the mart's lifetime value, through the staging models
        steward = self.as_(self.admin)
        body = steward.get(
            API + "graph/",
            {
                "field": "analytics:marts.dim_customers.lifetime_value",
                "direction": "upstream",
                "types": "direct",
            },
        ).json()
        refs = {r["ref"] for r in body["upstream"]["results"]}
        self.assertTrue(
            {"pos:sales.transactions.amount", "orders:shop.orders.amount"} <= refs, refs
        )

    def test_a_second_import_of_the_same_artifacts_changes_nothing(self):
        self.run_import()
        records, versions = ChangeRecord.objects.count(), EtlJobVersion.objects.count()
        out = self.run_import()
        self.assertIn("'created': 0, 'updated': 0", out)
        self.assertEqual(
            (ChangeRecord.objects.count(), EtlJobVersion.objects.count()), (records, versions)
        )

    def test_changed_compiled_sql_is_a_new_version_and_rebuild_leaves_dbt_jobs_alone(self):
        self.run_import()
        manifest = artifact("manifest")
        node = manifest["nodes"]["model.retail_analytics.stg_orders__orders"]
        node["compiled_code"] = node["compiled_code"].replace(
            "round(amount * 1.05, 2)", "amount + shipping_fee"
        )
        path = Path(self.enterContext(_tempdir())) / "manifest.json"
        path.write_text(json.dumps(manifest))
        self.run_import(str(path), create=False)
        job = EtlJob.objects.get(key="dbt.retail_analytics.stg_orders__orders")
        self.assertEqual(job.versions.count(), 2)
        self.assertIn(
            ("orders:shop.orders.shipping_fee", "DIRECT", "TRANSFORMATION"),
            edges_into("analytics:staging.stg_orders__orders.amount_net"),
        )
        counts = rebuild(Actor.system("tests"), [job])
        self.assertEqual(counts["skipped"], 1)

    def test_an_unsupported_manifest_version_is_refused_naming_it(self):
        manifest = artifact("manifest")
        manifest["metadata"]["dbt_schema_version"] = (
            "https://schemas.getdbt.com/dbt/manifest/v13.json"
        )
        path = Path(self.enterContext(_tempdir())) / "manifest.json"
        path.write_text(json.dumps(manifest))
        with self.assertRaisesMessage(CommandError, "v13"):
            self.run_import(str(path))
        self.assertFalse(SourceSystem.objects.filter(key="analytics").exists())

    def test_an_unknown_system_needs_create_system(self):
        with self.assertRaisesMessage(CommandError, "--create-system"):
            self.run_import(create=False)
        self.assertFalse(SourceSystem.objects.filter(key="analytics").exists())


class DbtImportApiTests(DbtTestCase):
    URL = API + "dbt/"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        analytics = SourceSystem.objects.create(key="analytics", name="Analytics")
        for perm in ("view_sourcesystem", "change_sourcesystem"):
            assign_perm(f"catalog.{perm}", cls.steward, analytics)

    def body(self, **extra):
        return {
            "system": "analytics",
            "manifest": artifact("manifest"),
            "catalog": artifact("catalog"),
            **extra,
        }

    def test_a_steward_of_the_system_uploads_the_artifacts(self):
        response = self.as_(self.steward).post(self.URL, self.body(), format="json")
        self.assertEqual(response.status_code, 200, response.content[:1000])
        report = response.json()
        self.assertEqual(report["datasets"]["created"], 7)
        self.assertEqual(report["jobs"]["created"], 6)
        self.assertEqual(
            report["sources"]["source.retail_analytics.pos.transactions"], "pos:sales.transactions"
        )
        self.assertTrue(
            ChangeRecord.objects.filter(actor_name="steward", object_type="lineage.etljob").exists()
        )

    def test_who_may_upload(self):
        self.assertEqual(self.as_(None).post(self.URL, self.body(), format="json").status_code, 401)
        self.assertEqual(
            self.as_(self.engineer).post(self.URL, self.body(), format="json").status_code, 403
        )
        self.assertEqual(
            self.as_(self.vendor).post(self.URL, self.body(), format="json").status_code, 400
        )
        self.assertEqual(
            self.as_(self.engineer)
            .post(self.URL, self.body(system="brand-new", create_system=True), format="json")
            .status_code,
            200,
        )
        self.assertFalse(Dataset.objects.filter(system__key="analytics").exists())

    def test_bad_artifacts_are_a_400_naming_the_problem_and_write_nothing(self):
        old = self.body()
        old["manifest"]["metadata"]["dbt_schema_version"] = (
            "https://schemas.getdbt.com/dbt/manifest/v7.json"
        )
        response = self.as_(self.steward).post(self.URL, old, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("v7", response.json()["message"])
        broken = self.body()
        broken["manifest"]["nodes"]["model.retail_analytics.fct_sales"]["columns"] = "nope"
        response = self.as_(self.steward).post(self.URL, broken, format="json")
        self.assertEqual(response.status_code, 400, response.content[:500])
        self.assertIn(
            "manifest.nodes.model.retail_analytics.fct_sales",
            " ".join(e["path"] for e in response.json()["errors"]),
        )
        response = self.as_(self.steward).post(self.URL, {"system": "analytics"}, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Dataset.objects.filter(system__key="analytics").exists())


def _tempdir():
    import tempfile

    return tempfile.TemporaryDirectory()
