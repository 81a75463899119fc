"""Where a job's table names resolve (its system, then its search path), what an ambiguous name
does (an error of its statement, nothing invented), the retirement of discovered entities no
lineage refers to any more, and temp tables that never enter the catalog."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from catalog.choices import Status
from catalog.models import Dataset, Field
from catalog.services import import_systems
from core.audit import Actor
from core.models import ChangeRecord
from lineage.models import DatasetEdge
from lineage.services import submit_sql, update_job
from tests.lineage.helpers import API, CUSTOMER_SQL, LineageTestCase, direct_edges

# `shop.orders` is a dataset of two systems, neither of them the jobs' system (dw).
SHOPS = [
    {
        "key": key,
        "name": key,
        "datasets": [{"name": "shop.orders", "fields": [{"name": "id"}, {"name": "amount"}]}],
    }
    for key in ("orders", "webshop")
]

AMBIGUOUS_SQL = CUSTOMER_SQL + (
    "INSERT INTO dw.sales (customer_id, amount)\nSELECT o.id, o.amount FROM shop.orders o;\n"
)


def dataset_edges(job) -> set[tuple[str, str]]:
    return {
        (e.source.ref, e.target.ref)
        for e in DatasetEdge.objects.filter(job=job).select_related(
            "source__system", "target__system"
        )
    }


class SearchPathTests(LineageTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        import_systems(Actor.system("tests"), SHOPS, remove_missing=False)

    def test_a_name_in_two_systems_none_searched_is_an_error_of_its_statement_and_invents_nothing(
        self,
    ):
        datasets = Dataset.objects.count()
        version = submit_sql(Actor(self.engineer), self.customer_job, AMBIGUOUS_SQL)
        self.assertEqual(version.status, "partial")
        (error,) = version.errors
        self.assertEqual((error["statement"], error["line"], error["column"]), (1, 6, 28))
        self.assertIn("'shop.orders' is ambiguous", error["message"])
        self.assertIn("orders, webshop", error["message"])
        self.assertEqual(Dataset.objects.count(), datasets)
        self.assertFalse(Dataset.objects.filter(system__key="dw", name="shop.orders").exists())
        self.assertFalse(any("shop.orders" in s for s, _ in direct_edges(self.customer_job)))
        # the statement that parsed and resolved is recorded
        self.assertIn(
            ("crm:public.contacts.tier", "dw:dw.customer.tier"), direct_edges(self.customer_job)
        )

    def test_a_job_whose_every_statement_is_ambiguous_keeps_its_lineage(self):
        before = direct_edges(self.customer_job)
        version = submit_sql(
            Actor(self.engineer),
            self.customer_job,
            "INSERT INTO dw.customer (customer_id) SELECT id FROM shop.orders;",
        )
        self.assertEqual(version.status, "failed")
        self.assertEqual(direct_edges(self.customer_job), before)

    def test_the_first_system_of_the_search_path_holding_the_name_wins(self):
        for path, system in ((["webshop", "orders"], "webshop"), (["orders", "webshop"], "orders")):
            with self.subTest(path=path):
                job = update_job(Actor(self.engineer), self.customer_job, {"search_path": path})
                version = submit_sql(Actor(self.engineer), job, AMBIGUOUS_SQL)
                self.assertEqual((version.status, version.errors), ("ok", []))
                self.assertIn(
                    (f"{system}:shop.orders.amount", "dw:dw.sales.amount"), direct_edges(job)
                )
                self.assertFalse(Dataset.objects.filter(system__key="dw", name="shop.orders"))

    def test_the_jobs_own_system_is_searched_before_its_search_path(self):
        import_systems(
            Actor.system("tests"),
            [{"key": "dw", "datasets": [{"name": "shop.orders", "fields": [{"name": "amount"}]}]}],
            remove_missing=False,
        )
        job = update_job(Actor(self.engineer), self.customer_job, {"search_path": ["orders"]})
        submit_sql(Actor(self.engineer), job, AMBIGUOUS_SQL)
        self.assertIn(("dw:shop.orders.amount", "dw:dw.sales.amount"), direct_edges(job))

    def test_a_search_path_names_existing_systems_once_and_not_the_jobs_own(self):
        for path, message in [
            (["nope"], "No system 'nope'"),
            (["orders", "ORDERS"], "'orders' is listed twice"),
            (["dw"], "the job's own system"),
            ("orders", "A list of system keys"),
        ]:
            with self.subTest(path=path), self.assertRaisesMessage(ValidationError, message):
                update_job(Actor(self.engineer), self.customer_job, {"search_path": path})
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.search_path, [])

    def test_the_search_path_is_a_job_field_of_the_api_validated_and_audited(self):
        client = self.as_(self.engineer)
        url = API + "jobs/load_customer/"
        response = client.patch(url, {"search_path": ["Webshop", "orders"]}, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["search_path"], ["webshop", "orders"])
        record = ChangeRecord.objects.filter(object_type="lineage.etljob").latest("id")
        self.assertEqual(record.after["search_path"], ["webshop", "orders"])
        self.assert_error(
            client.patch(url, {"search_path": ["nope"]}, format="json"), 400, path="search_path"
        )
        self.assert_error(
            client.post(
                API + "jobs/",
                {"key": "new", "name": "n", "system": "dw", "search_path": ["orders", {}]},
                format="json",
            ),
            400,
            path="search_path[1]",
        )
        body = client.post(
            API + "jobs/",
            {"key": "new", "name": "n", "system": "dw", "search_path": ["orders"]},
            format="json",
        ).json()
        self.assertEqual(body["search_path"], ["orders"])

    def test_the_pre_change_check_reports_the_ambiguity_and_creates_nothing(self):
        datasets = Dataset.objects.count()
        body = (
            self.as_(self.engineer)
            .post(API + "check/", {"job": "load_customer", "sql": AMBIGUOUS_SQL}, format="json")
            .json()
        )
        self.assertEqual(body["status"], "partial")
        self.assertIn("ambiguous", body["errors"][0]["message"])
        self.assertEqual(body["edges_added"], [])
        self.assertEqual(Dataset.objects.count(), datasets)


class RetirementTests(LineageTestCase):
    STORES_SQL = "INSERT INTO dw.customer (tier) SELECT s.region FROM ref.stores s;"

    def test_a_discovered_dataset_no_lineage_refers_to_is_retired_and_audited(self):
        submit_sql(Actor(self.engineer), self.customer_job, self.STORES_SQL)
        stores = Dataset.objects.get(system__key="dw", name="ref.stores")
        self.assertTrue(stores.discovered)
        submit_sql(Actor(self.engineer), self.customer_job, CUSTOMER_SQL)
        stores.refresh_from_db()
        self.assertEqual(stores.status, Status.REMOVED)
        region = Field.objects.get(dataset=stores, name="region")
        self.assertEqual(region.status, Status.REMOVED)
        for obj, kind in ((stores, "catalog.dataset"), (region, "catalog.field")):
            record = ChangeRecord.objects.filter(object_type=kind, object_id=str(obj.pk)).latest(
                "id"
            )
            self.assertEqual(
                (record.action, record.before["status"], record.after["status"]),
                ("update", "active", "removed"),
            )
        # registered datasets and fields are never retired by lineage
        self.assertEqual(
            set(Dataset.objects.filter(status=Status.REMOVED).values_list("name", flat=True)),
            {"ref.stores"},
        )
        # named again, it is active again
        submit_sql(Actor(self.engineer), self.customer_job, self.STORES_SQL)
        stores.refresh_from_db()
        region.refresh_from_db()
        self.assertEqual((stores.status, region.status), (Status.ACTIVE, Status.ACTIVE))

    def test_deleting_the_only_job_referring_to_a_discovered_dataset_retires_it(self):
        from lineage.services import delete_job

        job = self.add_job(self.engineer, "stores", self.STORES_SQL)
        delete_job(Actor(self.engineer), job)
        stores = Dataset.objects.get(system__key="dw", name="ref.stores")
        self.assertEqual(stores.status, Status.REMOVED)

    def test_a_discovered_dataset_another_job_still_uses_stays(self):
        submit_sql(Actor(self.engineer), self.customer_job, self.STORES_SQL)
        sql = "INSERT INTO dw.sales (tier) SELECT region FROM ref.stores;"
        other = self.add_job(self.engineer, "stores_too", sql)
        self.assertTrue(direct_edges(other))
        submit_sql(Actor(self.engineer), self.customer_job, CUSTOMER_SQL)
        stores = Dataset.objects.get(system__key="dw", name="ref.stores")
        self.assertEqual(stores.status, Status.ACTIVE)
        self.assertEqual(Field.objects.get(dataset=stores, name="region").status, Status.ACTIVE)

    def test_the_phantom_of_an_ambiguous_name_is_retired_once_the_sql_is_fixed(self):
        # as an earlier release left it: the ambiguous name registered in the job's system
        submit_sql(
            Actor(self.engineer),
            self.customer_job,
            "INSERT INTO dw.customer (tier) SELECT amount FROM shop.orders;",
        )
        phantom = Dataset.objects.get(system__key="dw", name="shop.orders")
        import_systems(Actor.system("tests"), SHOPS, remove_missing=False)
        job = update_job(Actor(self.engineer), self.customer_job, {"search_path": ["orders"]})
        submit_sql(
            Actor(self.engineer),
            job,
            "INSERT INTO dw.customer (tier) SELECT amount FROM shop.orders;",
        )
        phantom.refresh_from_db()
        self.assertEqual(phantom.status, Status.REMOVED)
        self.assertEqual(direct_edges(job), {("orders:shop.orders.amount", "dw:dw.customer.tier")})


TEMP_COUNT_SQL = """
CREATE TEMP TABLE tmp_order_net ON COMMIT DROP AS
SELECT c.contact_id, c.tier FROM public.contacts c WHERE c.tier <> 'none';
INSERT INTO dw.customer (customer_id, tier)
SELECT COUNT(*), MAX(tier) FROM tmp_order_net;
"""

BROKEN_TEMP_SQL = """
CREATE TEMP TABLE tmp_order_net AS SELECT c.contact_id FROM public.contacts c WHERE ;
INSERT INTO dw.customer (customer_id) SELECT COUNT(*) FROM tmp_order_net;
"""


class TempTableTests(LineageTestCase):
    def assert_never_in_catalog(self, job, name="tmp_order_net"):
        self.assertFalse(Dataset.objects.filter(name__contains=name).exists())
        self.assertFalse(any(name in s or name in t for s, t in dataset_edges(job)))
        warnings = " ".join(w["message"] for w in job.current_version.warnings)
        self.assertNotIn("register the columns", warnings)

    def test_count_star_over_a_temp_table_of_the_script_never_enters_the_catalog(self):
        job = self.add_job(self.engineer, "temp_count", TEMP_COUNT_SQL, dialect="postgres")
        self.assertEqual(job.current_version.status, "ok")
        self.assert_never_in_catalog(job)
        self.assertEqual(dataset_edges(job), {("crm:public.contacts", "dw:dw.customer")})
        self.assertEqual(direct_edges(job), {("crm:public.contacts.tier", "dw:dw.customer.tier")})

    def test_a_temp_table_whose_create_does_not_parse_never_enters_the_catalog(self):
        job = self.add_job(self.engineer, "temp_broken", BROKEN_TEMP_SQL, dialect="postgres")
        self.assertEqual(job.current_version.status, "partial")
        self.assert_never_in_catalog(job)
        # the table-level lineage goes through the temp table, end to end
        self.assertEqual(dataset_edges(job), {("crm:public.contacts", "dw:dw.customer")})

    def test_count_star_over_a_registered_table_is_table_lineage_without_advice(self):
        job = self.add_job(
            self.engineer,
            "count_contacts",
            "INSERT INTO dw.customer (customer_id) SELECT COUNT(*) FROM public.contacts;",
        )
        self.assertEqual(job.current_version.warnings, [])
        self.assertEqual(dataset_edges(job), {("crm:public.contacts", "dw:dw.customer")})
