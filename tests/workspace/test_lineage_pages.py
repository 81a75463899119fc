"""The lineage explorer and the pre-change check pages, server side: who may open them, that
the list and the CSV say what the API says for the same question, the picture's cap, what a
vendor is shown and counted, and that the check gives the API's verdict."""

from __future__ import annotations

import csv
import io

from django.test import Client, override_settings
from guardian.shortcuts import assign_perm

from catalog.models import SourceSystem
from lineage.models import EtlJobVersion
from tests.lineage.helpers import API, LineageTestCase
from workspace import lineage_pages

GRAPH = API + "graph/"
PAGE = "/lineage/"


class ExplorerTests(LineageTestCase):
    def page(self, user, path=PAGE, **params):
        self.client.force_login(user)
        return self.client.get(path, params)

    def csv_rows(self, user, **params):
        response = self.page(user, PAGE + "list.csv", **params)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    def api_rows(self, user, **params):
        body = self.as_(user).get(GRAPH, params).json()
        direction = params["direction"]
        return {
            (direction, r["ref"], str(r["depth"]), " > ".join(r["path"]), " ".join(r["jobs"]))
            for r in body[direction]["results"]
        }

    def test_anonymous_is_sent_to_log_in(self):
        for path in (PAGE, PAGE + "list.csv", PAGE + "picture/", PAGE + "check/"):
            response = self.client.get(path, {"field": "dw:dw.sales.amount"})
            self.assertEqual(response.status_code, 302, path)
            self.assertIn("/accounts/login/", response["Location"])

    def test_an_unknown_or_hidden_field_is_a_404(self):
        self.assertEqual(self.page(self.engineer, field="dw:dw.sales.nothing").status_code, 404)
        self.assertEqual(self.page(self.engineer, field="no-colon").status_code, 404)
        self.assertEqual(self.page(self.outsider, field="dw:dw.sales.amount").status_code, 404)
        self.assertEqual(self.page(self.vendor, dataset="dw:dw.sales").status_code, 404)

    def test_the_page_without_a_question_asks_one(self):
        response = self.page(self.engineer)
        self.assertContains(response, 'name="ref"')

    def test_the_csv_rows_equal_the_apis_answer(self):
        rows = self.csv_rows(self.engineer, field="crm:public.contacts.tier", up=0, down=2)
        got = {(r["direction"], r["ref"], r["depth"], r["path"], r["jobs"]) for r in rows}
        expected = self.api_rows(
            self.engineer, field="crm:public.contacts.tier", direction="downstream", depth=2
        )
        self.assertEqual(got, expected)
        self.assertEqual({r["ref"] for r in rows}, {"dw:dw.customer.tier", "dw:dw.sales.tier"})
        self.assertEqual(list(rows[0]), lineage_pages.CSV_COLUMNS)

    def test_both_directions_each_with_its_hops(self):
        rows = self.csv_rows(self.engineer, field="dw:dw.customer.tier", up=1, down=1)
        got = {(r["direction"], r["ref"], r["depth"], r["path"], r["jobs"]) for r in rows}
        expected = self.api_rows(
            self.engineer, field="dw:dw.customer.tier", direction="upstream", depth=1
        ) | self.api_rows(
            self.engineer, field="dw:dw.customer.tier", direction="downstream", depth=1
        )
        self.assertEqual(got, expected)

    def test_the_page_lists_the_same_rows_with_owners_and_links_to_the_jobs(self):
        response = self.page(self.engineer, field="crm:public.contacts.tier", down=2, up=0)
        self.assertContains(response, "dw:dw.sales.tier")
        self.assertContains(response, "Data Platform")
        self.assertContains(response, 'href="/lineage/jobs/load_customer/"')
        self.assertContains(response, 'href="/catalog/fields/dw:dw.customer.tier/"')
        self.assertContains(response, "/lineage/list.csv?")

    def test_the_summary_counts_hops_in_words(self):
        response = self.page(self.engineer, field="crm:public.contacts.tier", down=1, up=2)
        self.assertContains(response, "upstream (within 2 hops)")
        self.assertContains(response, "downstream (within 1 hop)")

    def test_a_dataset_walks_the_table_graph(self):
        page = self.page(self.engineer, dataset="crm:public.contacts")
        self.assertContains(page, 'href="/catalog/datasets/crm:public.contacts/"')
        rows = self.csv_rows(self.engineer, dataset="crm:public.contacts", up=0, down=2)
        self.assertEqual({r["ref"] for r in rows}, {"dw:dw.customer", "dw:dw.sales"})
        picture = self.page(self.engineer, PAGE + "picture/", dataset="crm:public.contacts").json()
        self.assertEqual(picture["kind"], "dataset")
        self.assertTrue(picture["edges"])

    def test_the_picture_has_datasets_columns_and_typed_edges_with_their_jobs(self):
        body = self.page(
            self.engineer, PAGE + "picture/", field="dw:dw.sales.tier", up=2, down=0
        ).json()
        kinds = {n["ref"]: n["kind"] for n in body["nodes"]}
        self.assertEqual(kinds["dw:dw.sales"], "dataset")
        self.assertEqual(kinds["crm:public.contacts.tier"], "field")
        types = {(e["type"], e["job"]) for e in body["edges"]}
        self.assertIn(("DIRECT", "load_sales"), types)
        self.assertTrue(all(e["job_url"] == f"/lineage/jobs/{e['job']}/" for e in body["edges"]))
        masked = [e for e in body["edges"] if e["masking"]]
        self.assertEqual(masked, [])  # MD5(email) feeds email_hash, not tier

    def test_masking_edges_are_marked(self):
        body = self.page(
            self.engineer, PAGE + "picture/", field="dw:dw.customer.email_hash", up=1, down=0
        ).json()
        self.assertEqual([e["masking"] for e in body["edges"]], [True])

    @override_settings(LINEAGE_PICTURE_CAP=1)
    def test_the_picture_is_capped_on_the_server_and_counts_the_rest(self):
        body = self.page(
            self.engineer, PAGE + "picture/", field="crm:public.contacts.tier", down=2, up=0
        ).json()
        columns = [n for n in body["nodes"] if n["kind"] == "field"]
        self.assertEqual(len(columns), 2)  # the root and one more
        self.assertEqual(body["more"], {"upstream": 0, "downstream": 1})

    def test_the_path_between_two_columns(self):
        body = self.page(
            self.engineer,
            PAGE + "paths/",
            source="crm:public.contacts.tier",
            target="dw:dw.sales.tier",
        ).json()
        self.assertEqual(body["count"], 1)
        self.assertEqual(
            body["path_refs"],
            [["crm:public.contacts.tier", "dw:dw.customer.tier", "dw:dw.sales.tier"]],
        )
        self.assertEqual(len(body["paths"][0]), 3)

    def test_a_vendor_sees_what_it_may_read_and_the_rest_is_counted(self):
        assign_perm("catalog.view_sourcesystem", self.vendor, SourceSystem.objects.get(key="crm"))
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        response = self.page(self.vendor, field="crm:public.contacts.tier", up=0, down=2)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "dw:dw.sales.tier")
        self.assertNotContains(response, "load_sales")
        # dw.customer.tier: the job is granted but the vendor may not read the warehouse.
        result = response.context["result"]
        self.assertEqual(result.rows, [])
        self.assertEqual(result.hidden, 2)
        self.assertContains(response, "2 more nodes are hidden")
        picture = self.page(
            self.vendor, PAGE + "picture/", field="crm:public.contacts.tier", down=2, up=0
        ).json()
        self.assertEqual(picture["hidden"], 2)
        self.assertEqual(
            [n["ref"] for n in picture["nodes"] if n["kind"] == "field"],
            ["crm:public.contacts.tier"],
        )

    def test_a_vendor_who_may_read_the_warehouse_sees_the_job_it_is_granted(self):
        for key in ("crm", "dw"):
            assign_perm("catalog.view_sourcesystem", self.vendor, SourceSystem.objects.get(key=key))
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        rows = self.csv_rows(self.vendor, field="crm:public.contacts.tier", up=0, down=2)
        self.assertEqual([r["ref"] for r in rows], ["dw:dw.customer.tier"])
        self.assertEqual(rows, [r for r in rows if "load_sales" not in str(r)])

    def test_the_nav_offers_lineage(self):
        response = self.page(self.engineer)
        self.assertContains(response, 'href="/lineage/"')


class CheckPageTests(LineageTestCase):
    BREAKING = (
        "INSERT INTO dw.customer (customer_id, email_hash) "
        "SELECT contact_id, MD5(email) FROM public.contacts;"
    )

    def setUp(self):
        super().setUp()
        self.client = Client()  # a browser's form posts, not the API client's JSON

    def post(self, user, **data):
        self.client.force_login(user)
        return self.client.post("/lineage/check/", data)

    def test_the_page_gives_the_apis_verdict_and_saves_nothing(self):
        before = EtlJobVersion.objects.count()
        api = (
            self.as_(self.engineer)
            .post(API + "check/", {"job": "load_customer", "sql": self.BREAKING}, format="json")
            .json()
        )
        response = self.post(self.engineer, job="load_customer", sql=self.BREAKING)
        self.assertEqual(response.status_code, 200)
        outcome = response.context["outcome"]
        self.assertIsNotNone(outcome, response.context["form"].errors)
        self.assertEqual(outcome.report, api)
        self.assertEqual(outcome.verdict, "breaking")
        self.assertEqual(outcome.exit_status, 1)
        self.assertEqual([r.ref for r in outcome.lost], ["dw:dw.customer.tier"])
        self.assertContains(response, "Breaking")
        self.assertContains(response, "dw:dw.customer.tier")
        self.assertContains(response, "Data Platform")
        self.assertEqual(EtlJobVersion.objects.count(), before)

    def test_an_uploaded_file_is_checked_too(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("new.sql", self.BREAKING.encode(), "text/plain")
        self.client.force_login(self.engineer)
        response = self.client.post("/lineage/check/", {"job": "load_customer", "upload": upload})
        self.assertEqual(response.context["outcome"].verdict, "breaking")

    def test_sql_that_does_not_parse_is_unverified(self):
        response = self.post(self.engineer, job="load_customer", sql="SELEC oops")
        self.assertEqual(response.context["outcome"].verdict, "unparsed")
        self.assertEqual(response.context["outcome"].exit_status, 2)

    def test_no_sql_is_refused_next_to_the_field(self):
        response = self.post(self.engineer, job="load_customer", sql="  ")
        self.assertIsNone(response.context["outcome"])
        self.assertIn("sql", response.context["form"].errors)

    def test_the_job_list_holds_only_readable_jobs(self):
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        response = self.post(self.vendor, job="load_sales", sql=self.BREAKING)
        self.assertIn("job", response.context["form"].errors)
        self.assertIsNone(response.context["outcome"])

    def test_who_may_read_no_job_is_refused(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get("/lineage/check/").status_code, 403)

    def test_the_form_starts_from_the_jobs_current_sql(self):
        self.client.force_login(self.engineer)
        response = self.client.get("/lineage/check/", {"job": "load_customer"})
        self.assertContains(response, "MD5(LOWER(c.email))")
