"""The catalog pages (/catalog/, a system, a dataset, a field) and the ETL job page: who reads
what (the API's visibility: a vendor only what its contracts carry), what each page shows, and
a dataset with hundreds of fields read in a fixed number of queries."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Field
from catalog.services import bulk_upsert
from consult.models import Classification, Purpose
from consult.services import set_field_classification
from core.audit import Actor
from lineage.models import EtlJob
from lineage.services import submit_sql
from tests.catalog.helpers import add_dataset, add_field
from tests.vendors.helpers import VendorTestCase
from workspace.search import search


def system_page(key: str) -> str:
    return f"/catalog/systems/{key}/"


def dataset_page(ref: str) -> str:
    return f"/catalog/datasets/{quote(ref, safe=':.')}/"


def field_page(ref: str) -> str:
    return f"/catalog/fields/{quote(ref, safe=':.')}/"


def job_page(key: str, query: str = "") -> str:
    return f"/lineage/jobs/{key}/{query}"


FAILING_SQL = (
    "INSERT INTO staging.pos_transactions (txn_id, gross_amount)\n"
    "SELECT txn_id, amount\n"
    "FROM sales.transactions WHERE amount >= ;"
)


class CatalogPagesTests(VendorTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        pii, _ = Classification.objects.get_or_create(
            key="pii.direct", defaults={"name": "Direct PII"}
        )
        Purpose.objects.get_or_create(key="analytics", defaults={"name": "Analytics"})
        set_field_classification(Actor(cls.steward), cls.receipt, pii, "assigned", "")

    def page(self, user, url: str):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get(url)

    # Who reads what -------------------------------------------------------------------------

    def test_anonymous_is_sent_to_log_in_on_every_page(self):
        for url in (
            "/catalog/",
            system_page("pos"),
            dataset_page("pos:sales.transactions"),
            field_page("pos:sales.transactions.amount"),
            job_page("load_pos"),
        ):
            response = self.page(None, url)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith("/accounts/login/"), url)

    def test_an_outsider_finds_nothing(self):
        for url in (
            system_page("pos"),
            dataset_page("pos:sales.transactions"),
            field_page("pos:sales.transactions.amount"),
            job_page("load_pos"),
        ):
            self.assertEqual(self.page(self.outsider, url).status_code, 404, url)

    def test_a_vendor_reads_the_dataset_its_contract_carries_and_nothing_around_it(self):
        self.assertEqual(
            self.page(self.vendor, dataset_page("pos:sales.transactions")).status_code, 200
        )
        self.assertEqual(
            self.page(self.vendor, field_page("pos:sales.transactions.amount")).status_code, 200
        )
        for url in (
            system_page("pos"),  # a system grant would show every dataset: it holds none
            dataset_page("crm:public.contacts"),
            dataset_page("dw:staging.pos_transactions"),
            field_page("crm:public.contacts.email"),
            job_page("load_pos"),
        ):
            self.assertEqual(self.page(self.vendor, url).status_code, 404, url)

    def test_a_vendor_whose_contract_is_a_draft_reads_none_of_it(self):
        self.assertEqual(
            self.page(self.other_vendor, field_page("crm:public.contacts.email")).status_code, 404
        )
        self.assertEqual(
            self.page(self.other_vendor, dataset_page("pos:sales.transactions")).status_code, 404
        )

    def test_what_does_not_exist_or_is_malformed_is_not_found(self):
        for url in (
            system_page("nope"),
            dataset_page("pos:nope"),
            dataset_page("no-colon"),
            field_page("pos:sales.transactions.nope"),
            field_page("pos:"),
            job_page("nope"),
            job_page("load_pos", "?version=99"),
        ):
            self.assertEqual(self.page(self.engineer, url).status_code, 404, url)

    def test_a_field_whose_name_holds_a_dot_opens_by_its_quoted_reference(self):
        dotted = add_field(self.engineer, self.transactions, "payload.id", ordinal=9)
        self.assertEqual(dotted.ref, 'pos:sales.transactions."payload.id"')
        listing = self.page(self.engineer, dataset_page("pos:sales.transactions"))
        url = "/catalog/fields/pos:sales.transactions.%22payload.id%22/"
        self.assertContains(listing, f'href="{url}"')
        response = self.page(self.engineer, url)
        self.assertContains(response, "payload.id")
        self.assertEqual(response.context["field"], dotted)

    def test_the_index_lists_systems_or_for_a_vendor_the_datasets_of_its_contracts(self):
        response = self.page(self.engineer, "/catalog/")
        for key in ("pos", "crm", "dw", "cdp"):
            self.assertContains(response, f'href="/catalog/systems/{key}/"')
        response = self.page(self.vendor, "/catalog/")
        self.assertNotContains(response, 'href="/catalog/systems/')
        self.assertContains(response, 'href="/catalog/datasets/pos:sales.transactions/"')
        self.assertNotContains(response, "crm:public.contacts")

    def test_the_catalog_is_in_the_navigation_of_those_who_read_it(self):
        self.assertContains(self.page(self.engineer, "/"), 'href="/catalog/"')
        self.assertNotContains(self.page(self.vendor, "/"), 'href="/catalog/"')

    # What the pages show ----------------------------------------------------------------------

    def test_a_system_shows_its_datasets_owners_contracts_and_jobs(self):
        response = self.page(self.engineer, system_page("pos"))
        self.assertContains(response, 'href="/catalog/datasets/pos:sales.transactions/"')
        self.assertContains(response, "Store systems")
        self.assertContains(response, "pos-sales-nightly@1")
        response = self.page(self.engineer, system_page("dw"))
        self.assertContains(response, 'href="/lineage/jobs/load_pos/"')

    def test_a_system_lists_its_introspection_runs_from_the_audit_trail(self):
        who = Actor(self.engineer).with_reason("introspection of pos")
        rows = [{"name": "sales.refunds", "fields": [{"name": "refund_id"}, {"name": "amount"}]}]
        bulk_upsert(who, self.pos, rows)
        runs = self.page(self.engineer, system_page("pos")).context["introspections"]
        self.assertEqual(len(runs), 1)
        self.assertEqual((runs[0]["actor"], runs[0]["datasets"]), ("engineer", 1))
        self.assertEqual((runs[0]["fields"], runs[0]["created"]), (2, 3))
        # Another system's page shows none of it.
        other = self.page(self.committee, system_page("crm"))
        self.assertEqual(other.context["introspections"], [])

    def test_a_dataset_shows_its_fields_and_the_jobs_in_and_out(self):
        response = self.page(self.engineer, dataset_page("pos:sales.transactions"))
        self.assertContains(response, 'href="/catalog/fields/pos:sales.transactions.amount/"')
        self.assertContains(response, "numeric(12,2)")
        self.assertContains(response, "pii.direct")
        self.assertContains(response, "assigned by a steward")
        self.assertContains(response, 'href="/lineage/jobs/load_pos/"')  # reads from it
        self.assertContains(response, 'href="/catalog/datasets/dw:staging.pos_transactions/"')
        self.assertContains(response, 'href="/lineage/?dataset=pos%3Asales.transactions"')

    def test_a_field_shows_classifications_with_their_path_and_the_consult_answer(self):
        response = self.page(self.engineer, field_page("dw:staging.pos_transactions.txn_id"))
        self.assertContains(response, "pii.direct")
        self.assertContains(response, "propagated along lineage")
        self.assertContains(response, 'href="/catalog/fields/pos:sales.transactions.txn_id/"')
        self.assertContains(response, "Analytics")
        self.assertContains(response, "consumer")  # the consumer persona's answer
        self.assertContains(response, "Denied")  # no policy, no approved definition
        self.assertContains(response, 'href="/lineage/?field=dw%3Astaging.pos_transactions.txn_id"')

    def test_a_vendor_sees_no_classification_and_no_consult_answer(self):
        response = self.page(self.vendor, field_page("pos:sales.transactions.txn_id"))
        self.assertNotContains(response, "pii.direct")
        self.assertNotContains(response, "Consult answer")

    def test_search_hits_open_the_pages(self):
        urls = {h.kind: h.url for h in search(self.engineer, "transactions")}
        self.assertEqual(urls["dataset"], "/catalog/datasets/pos:sales.transactions/")
        urls = {h.kind: h.url for h in search(self.engineer, "load_pos")}
        self.assertEqual(urls["job"], "/lineage/jobs/load_pos/")
        urls = {h.kind: h.url for h in search(self.engineer, "pos")}
        self.assertEqual(urls["system"], "/catalog/systems/pos/")

    # The job page -----------------------------------------------------------------------------

    def test_a_job_shows_each_version_its_sql_errors_at_line_and_column_and_the_difference(self):
        job = EtlJob.objects.get(key="load_pos")
        version = submit_sql(Actor(self.engineer), job, FAILING_SQL)
        self.assertEqual(version.status, "failed")
        line, column = version.errors[0]["line"], version.errors[0]["column"]
        response = self.page(self.engineer, job_page("load_pos"))
        self.assertContains(response, f'id="v2-L{line}"')
        self.assertContains(response, f"Error at line {line}, column {column}:")
        self.assertContains(response, "Failed to parse")
        self.assertContains(response, "it produced no lineage")
        response = self.page(self.engineer, job_page("load_pos", "?version=1&a=1&b=2"))
        self.assertContains(response, "sales.transactions.amount")
        self.assertContains(response, "0 column edges added, 2 removed, 0 unchanged")

    def test_two_versions_that_parse_differ_by_the_edges_added_and_removed(self):
        job = EtlJob.objects.get(key="load_pos")
        submit_sql(
            Actor(self.engineer),
            job,
            "INSERT INTO staging.pos_transactions (txn_id) SELECT txn_id FROM sales.transactions",
        )
        response = self.page(self.engineer, job_page("load_pos", "?a=1&b=2"))
        self.assertContains(response, "0 column edges added, 1 removed, 1 unchanged")
        self.assertContains(response, "Column edges removed")


class DatasetQueriesTests(VendorTestCase):
    """A dataset's page reads its fields, their definitions and their classifications in a
    number of queries that does not grow with the number of fields."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        pii, _ = Classification.objects.get_or_create(
            key="pii.direct", defaults={"name": "Direct PII"}
        )
        cls.small = add_dataset(cls.engineer, cls.pos, "wide.small")
        cls.wide = add_dataset(cls.engineer, cls.pos, "wide.large")
        for dataset, count in ((cls.small, 5), (cls.wide, 300)):
            Field.objects.bulk_create(
                Field(dataset=dataset, name=f"c{i}", ordinal=i, data_type="int")
                for i in range(1, count + 1)
            )
        for dataset in (cls.small, cls.wide):
            for name in ("c1", "c2"):
                field = dataset.fields.get(name=name)
                set_field_classification(Actor(cls.steward), field, pii, "assigned", "")
        add_field(cls.engineer, cls.small, "extra", ordinal=99)

    def queries(self, ref: str) -> int:
        client = Client()
        client.force_login(self.engineer)
        client.get("/")  # the session and the user are read once before counting
        with CaptureQueriesContext(connection) as captured:
            response = client.get(dataset_page(ref))
        self.assertEqual(response.status_code, 200)
        return len(captured.captured_queries)

    def test_a_dataset_of_300_fields_takes_as_many_queries_as_one_of_6(self):
        small = self.queries("pos:wide.small")
        large = self.queries("pos:wide.large")
        print(f"queries: {small} for 6 fields, {large} for 300")
        # SQLite splits IN lists of more than 900; consult computes its state of 200 fields at a
        # time (CONSULT_BUILD_CHUNK), five queries a chunk: a few more, never one per field.
        self.assertLessEqual(large, small + 2 + 5 * (300 // settings.CONSULT_BUILD_CHUNK))
        self.assertLessEqual(large, 60)
