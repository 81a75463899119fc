"""/api/v1/lineage/: jobs, versions, edges, graph questions and the pre-change check, for every
kind of caller."""

from __future__ import annotations

from guardian.shortcuts import assign_perm

from catalog.models import Dataset
from lineage.models import EtlJob, EtlJobVersion
from tests.lineage.helpers import API, BROKEN_SQL, LineageTestCase, direct_edges

JOBS = API + "jobs/"
GRAPH = API + "graph/"


def job_url(key: str, suffix: str = "") -> str:
    return f"{JOBS}{key}/{suffix}"


class JobEndpointTests(LineageTestCase):
    def test_anonymous_caller_gets_401_everywhere(self):
        client = self.as_(None)
        for method, url in [
            ("get", JOBS),
            ("post", JOBS),
            ("get", job_url("load_customer")),
            ("patch", job_url("load_customer")),
            ("delete", job_url("load_customer")),
            ("post", job_url("load_customer", "submit/")),
            ("get", API + "versions/"),
            ("get", API + "edges/"),
            ("get", API + "dataset-edges/"),
            ("get", GRAPH + "?field=dw:dw.customer.tier"),
            ("get", GRAPH + "cycles/"),
            ("get", GRAPH + "orphans/"),
            ("get", GRAPH + "paths/"),
            ("post", API + "check/"),
            ("post", API + "openlineage/"),
        ]:
            with self.subTest(method=method, url=url):
                self.assert_error(getattr(client, method)(url, {}), 401, code="not_authenticated")

    def test_outsider_sees_empty_lists_and_404s(self):
        client = self.as_(self.outsider)
        for url in (JOBS, API + "versions/", API + "edges/", API + "dataset-edges/"):
            with self.subTest(url=url):
                body = client.get(url).json()
                self.assertEqual((body["count"], body["results"]), (0, []))
        for method in ("get", "patch", "delete"):
            self.assert_error(getattr(client, method)(job_url("load_customer"), {}), 404)
        self.assert_error(client.post(job_url("load_customer", "submit/"), {"sql": "x"}), 404)
        version = self.customer_job.current_version
        self.assert_error(client.get(f"{API}versions/{version.pk}/"), 404)

    def test_vendor_granted_one_job_sees_only_that_one_and_cannot_change_it(self):
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        client = self.as_(self.vendor)
        self.assertEqual([j["key"] for j in client.get(JOBS).json()["results"]], ["load_customer"])
        self.assertEqual(client.get(job_url("load_customer")).status_code, 200)
        self.assert_error(client.get(job_url("load_sales")), 404)
        self.assert_error(client.patch(job_url("load_customer"), {"name": "x"}), 403)
        versions = client.get(API + "versions/").json()["results"]
        self.assertEqual({v["job"] for v in versions}, {"load_customer"})
        edges = client.get(API + "edges/").json()["results"]
        self.assertEqual({e["job"] for e in edges}, {"load_customer"})

    def test_everyone_with_a_role_reads_every_job(self):
        for user in (self.committee, self.steward, self.consumer, self.other_engineer):
            with self.subTest(user=user.username):
                self.assertEqual(self.as_(user).get(JOBS).json()["count"], 2)

    def test_owner_changes_its_job_and_another_engineer_may_not(self):
        response = self.as_(self.engineer).patch(job_url("load_customer"), {"schedule": "hourly"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertIn("ETag", response.headers)
        self.assertEqual(response.json()["schedule"], "hourly")
        other = self.as_(self.other_engineer)
        self.assert_error(other.patch(job_url("load_customer"), {"schedule": "never"}), 403)
        self.assert_error(other.delete(job_url("load_customer")), 403)
        self.assert_error(other.post(job_url("load_customer", "submit/"), {"sql": "SELECT 1"}), 403)
        self.assertEqual(self.customer_job.versions.count(), 1)

    def test_a_new_owner_may_maintain_the_job(self):
        self.as_(self.engineer).patch(job_url("load_customer"), {"owner": "other_engineer"})
        response = self.as_(self.other_engineer).patch(job_url("load_customer"), {"name": "x"})
        self.assertEqual(response.status_code, 200, response.content)

    def test_engineers_and_stewards_register_jobs_other_roles_may_not(self):
        for user, key in ((self.engineer, "a"), (self.steward, "b")):
            response = self.as_(user).post(JOBS, {"key": key, "name": "A", "system": "dw"})
            self.assertEqual(response.status_code, 201, response.content)
            self.assertEqual(response.json()["owner"], user.username)
        for user in (self.committee, self.consumer, self.vendor, self.outsider):
            response = self.as_(user).post(JOBS, {"key": "c", "name": "C", "system": "dw"})
            self.assert_error(response, 403)
        self.assertFalse(EtlJob.objects.filter(key="c").exists())

    def test_job_is_found_by_its_key_in_any_case(self):
        body = self.as_(self.consumer).get(job_url("LOAD_Customer")).json()
        self.assertEqual(body["key"], "load_customer")
        self.assertEqual(body["current_version"]["number"], 1)
        self.assertEqual(body["system"], "dw")
        self.assertEqual(body["owner"], "engineer")

    def test_bad_job_payloads_are_400_naming_the_field(self):
        client = self.as_(self.engineer)
        for payload, path in [
            ({"key": "Not a slug!", "name": "x", "system": "dw"}, "key"),
            ({"key": "ok", "name": "x", "system": "nope"}, "system"),
            ({"key": "ok", "name": "x", "system": "dw", "dialect": "cobol"}, "dialect"),
            ({"name": "x", "system": "dw"}, "key"),
        ]:
            with self.subTest(payload=payload):
                self.assert_error(client.post(JOBS, payload, format="json"), 400, path=path)
        # A key that is taken is a conflict with what exists, not a bad payload.
        taken = {"key": "load_customer", "name": "x", "system": "dw"}
        self.assert_error(client.post(JOBS, taken, format="json"), 409, code="conflict", path="")

    def test_deleting_a_job_removes_its_versions_and_edges(self):
        response = self.as_(self.engineer).delete(job_url("load_customer"))
        self.assertEqual(response.status_code, 204)
        self.assertFalse(EtlJobVersion.objects.filter(job__key="load_customer").exists())


class SubmitEndpointTests(LineageTestCase):
    def test_submitting_sql_creates_a_version(self):
        response = self.as_(self.engineer).post(
            job_url("load_customer", "submit/"),
            {"sql": "INSERT INTO dw.customer (tier) SELECT tier FROM public.contacts;"},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["number"], body["status"], body["is_current"]), (2, "ok", True))
        self.assertEqual(body["errors"], [])

    def test_sql_that_does_not_parse_is_stored_with_its_errors_and_answered_201(self):
        response = self.as_(self.engineer).post(
            job_url("load_customer", "submit/"), {"sql": BROKEN_SQL}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["status"], body["is_current"]), ("failed", False))
        self.assertEqual(body["errors"][0]["line"], 1)
        self.assertTrue(body["errors"][0]["message"])
        job = self.as_(self.engineer).get(job_url("load_customer")).json()
        self.assertEqual(job["current_version"]["number"], 1)

    def test_blank_or_missing_sql_is_400(self):
        client = self.as_(self.engineer)
        for payload in ({}, {"sql": "   "}, {"sql": None}):
            with self.subTest(payload=payload):
                self.assert_error(
                    client.post(job_url("load_customer", "submit/"), payload, format="json"),
                    400,
                    code="invalid",
                    path="sql",
                )

    def test_version_detail_shows_errors_and_the_parser_result(self):
        self.as_(self.engineer).post(job_url("load_customer", "submit/"), {"sql": BROKEN_SQL})
        versions = self.as_(self.consumer).get(API + "versions/?job=load_customer").json()
        self.assertEqual([v["number"] for v in versions["results"]], [2, 1])
        detail = self.as_(self.consumer).get(f"{API}versions/{versions['results'][0]['id']}/")
        body = detail.json()
        self.assertEqual(body["status"], "failed")
        self.assertIn("statements", body["result"])
        failed = self.as_(self.consumer).get(API + "versions/?status=failed").json()
        self.assertEqual(failed["count"], 1)


class EdgeEndpointTests(LineageTestCase):
    def test_edges_filter_by_job_type_source_and_target(self):
        client = self.as_(self.committee)
        rows = client.get(API + "edges/?job=load_customer").json()["results"]
        self.assertEqual(len(rows), 3)
        self.assertEqual(
            rows[0].keys(),
            {
                "id",
                "source",
                "target",
                "type",
                "subtype",
                "expression",
                "masking",
                "job",
                "job_version",
            },
        )
        direct = client.get(API + "edges/?job=load_sales&type=DIRECT").json()
        self.assertEqual(direct["count"], 3)
        by_target = client.get(API + "edges/?target=dw:dw.customer.email_hash").json()["results"]
        self.assertEqual(
            [(e["source"], e["masking"]) for e in by_target], [("crm:public.contacts.email", True)]
        )
        by_source = client.get(API + "edges/?source=dw:dw.customer.tier").json()["results"]
        self.assertEqual([e["target"] for e in by_source], ["dw:dw.sales.tier"])
        self.assertEqual(client.get(API + "edges/?masking=true").json()["count"], 1)

    def test_a_malformed_reference_filter_is_a_400_naming_the_parameter(self):
        response = self.as_(self.committee).get(API + "edges/?source=no-colon")
        self.assert_error(response, 400, path="source")

    def test_an_unknown_field_filter_matches_nothing(self):
        body = self.as_(self.committee).get(API + "edges/?source=pos:no.such.field").json()
        self.assertEqual(body["count"], 0)

    def test_an_invalid_type_filter_is_400(self):
        self.assert_error(
            self.as_(self.committee).get(API + "edges/?type=SIDEWAYS"), 400, path="type"
        )

    def test_dataset_edges_list_the_table_lineage(self):
        rows = self.as_(self.committee).get(API + "dataset-edges/?target=dw:dw.sales").json()
        self.assertEqual(
            sorted(r["source"] for r in rows["results"]),
            ["dw:dw.customer", "pos:sales.transactions"],
        )


class GraphEndpointTests(LineageTestCase):
    def walk(self, user=None, **params):
        return self.as_(user or self.steward).get(GRAPH, params)

    def test_downstream_of_a_field_with_paths_and_jobs(self):
        body = self.walk(field="crm:public.contacts.tier").json()
        self.assertEqual(body["node"], "crm:public.contacts.tier")
        results = {r["ref"]: r for r in body["downstream"]["results"]}
        self.assertEqual(set(results), {"dw:dw.customer.tier", "dw:dw.sales.tier"})
        self.assertEqual(
            results["dw:dw.sales.tier"]["path"],
            ["crm:public.contacts.tier", "dw:dw.customer.tier", "dw:dw.sales.tier"],
        )
        self.assertEqual(results["dw:dw.sales.tier"]["jobs"], ["load_customer", "load_sales"])
        self.assertEqual(body["downstream"]["partial"], False)
        self.assertNotIn("upstream", body)

    def test_upstream_direct_only_versus_all_types(self):
        direct = self.walk(field="dw:dw.sales.amount", direction="upstream", types="direct").json()
        self.assertEqual(
            [r["ref"] for r in direct["upstream"]["results"]], ["pos:sales.transactions.amount"]
        )
        every = self.walk(field="dw:dw.sales.amount", direction="upstream").json()
        self.assertEqual(
            {r["ref"] for r in every["upstream"]["results"]},
            {
                "pos:sales.transactions.amount",
                "pos:sales.transactions.contact_id",
                "dw:dw.customer.customer_id",
                "crm:public.contacts.contact_id",
            },
        )

    def test_depth_and_limit(self):
        one_hop = self.walk(field="crm:public.contacts.tier", depth=1).json()["downstream"]
        self.assertEqual([r["ref"] for r in one_hop["results"]], ["dw:dw.customer.tier"])
        self.assertFalse(one_hop["partial"])
        limited = self.walk(field="crm:public.contacts.contact_id", limit=1).json()["downstream"]
        self.assertEqual((limited["count"], limited["partial"]), (1, True))

    def test_both_directions_of_a_dataset(self):
        body = self.walk(dataset="dw:dw.customer", direction="both").json()
        self.assertEqual(body["kind"], "dataset")
        self.assertEqual([r["ref"] for r in body["upstream"]["results"]], ["crm:public.contacts"])
        self.assertEqual([r["ref"] for r in body["downstream"]["results"]], ["dw:dw.sales"])

    def test_a_submitted_change_shows_in_the_next_graph_request(self):
        self.assertEqual(
            self.walk(field="crm:public.contacts.phone").json()["downstream"]["count"], 0
        )
        response = self.as_(self.engineer).post(
            job_url("load_customer", "submit/"), {"sql": CUSTOMER_PLUS_PHONE}, format="json"
        )
        self.assertEqual(response.status_code, 201)
        after = self.walk(field="crm:public.contacts.phone").json()["downstream"]["results"]
        self.assertEqual([r["ref"] for r in after], ["dw:dw.customer.phone"])

    def test_bad_queries_are_400(self):
        for params, path in [
            ({}, "field"),
            ({"field": "a:b.c", "dataset": "a:b"}, "field"),
            ({"field": "no-colon"}, "field"),
            ({"field": "dw:dw.sales.amount", "direction": "sideways"}, "direction"),
            ({"field": "dw:dw.sales.amount", "depth": 0}, "depth"),
            ({"field": "dw:dw.sales.amount", "types": "some"}, "types"),
            ({"field": "dw:dw.sales.amount", "limit": "many"}, "limit"),
        ]:
            with self.subTest(params=params):
                self.assert_error(self.walk(**params), 400, code="invalid", path=path)

    def test_a_vendor_follows_only_the_jobs_it_is_granted(self):
        from catalog.models import SourceSystem

        assign_perm("catalog.view_sourcesystem", self.vendor, SourceSystem.objects.get(key="crm"))
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        body = self.walk(self.vendor, field="crm:public.contacts.tier").json()
        self.assertEqual([r["ref"] for r in body["downstream"]["results"]], ["dw:dw.customer.tier"])
        self.assertEqual(
            self.walk(field="crm:public.contacts.tier").json()["downstream"]["count"], 2
        )

    def test_unknown_and_invisible_fields_are_404(self):
        self.assert_error(self.walk(field="dw:dw.sales.nothing"), 404)
        self.assert_error(self.walk(self.outsider, field="dw:dw.sales.amount"), 404)
        self.assert_error(self.walk(self.vendor, dataset="dw:dw.sales"), 404)

    def test_paths_between_two_fields(self):
        response = self.as_(self.engineer).get(
            GRAPH + "paths/", {"source": "crm:public.contacts.tier", "target": "dw:dw.sales.tier"}
        )
        body = response.json()
        self.assertEqual(
            body["paths"],
            [
                {
                    "fields": [
                        "crm:public.contacts.tier",
                        "dw:dw.customer.tier",
                        "dw:dw.sales.tier",
                    ],
                    "jobs": ["load_customer", "load_sales"],
                }
            ],
        )
        self.assert_error(self.as_(self.engineer).get(GRAPH + "paths/", {"source": "x"}), 400)

    def test_cycles(self):
        self.add_job(  # the steward maintains crm: only she may write lineage into it
            self.steward,
            "loop",
            "INSERT INTO public.contacts (tier) SELECT tier FROM dw.sales;",
            system="crm",
        )
        body = self.as_(self.engineer).get(GRAPH + "cycles/?types=direct").json()
        self.assertEqual(
            body["cycles"],
            [["crm:public.contacts.tier", "dw:dw.customer.tier", "dw:dw.sales.tier"]],
        )
        self.assertEqual(self.as_(self.outsider).get(GRAPH + "cycles/").json()["cycles"], [])

    def test_orphans_are_warehouse_fields_without_upstream(self):
        body = self.as_(self.engineer).get(GRAPH + "orphans/?system=dw").json()
        # Every dw field has an upstream edge in the fixtures: add one that does not.
        self.assertEqual(body["orphans"], [])
        self.add_job(self.engineer, "partial_load", "INSERT INTO dw.sales (extra) SELECT 1;")
        self.add_job(
            self.engineer, "fresh", "INSERT INTO dw.region (name) SELECT name FROM ref.regions;"
        )
        body = self.as_(self.engineer).get(GRAPH + "orphans/").json()
        self.assertEqual(body["orphans"], ["dw:ref.regions.name"])
        self.assertEqual(self.as_(self.outsider).get(GRAPH + "orphans/").json()["orphans"], [])


class CheckEndpointTests(LineageTestCase):
    def check(self, sql, user=None, job="load_customer"):
        return self.as_(user or self.engineer).post(
            API + "check/", {"job": job, "sql": sql}, format="json"
        )

    def test_dropping_a_column_reports_lost_lineage_downstream_and_owners(self):
        before = EtlJobVersion.objects.count()
        body = self.check(
            "INSERT INTO dw.customer (customer_id, email_hash) "
            "SELECT contact_id, MD5(email) FROM public.contacts;"
        ).json()
        self.assertEqual(body["status"], "ok")
        self.assertTrue(body["breaking"])
        self.assertEqual(body["lineage_lost"], ["dw:dw.customer.tier"])
        self.assertEqual(
            [(e["source"], e["target"]) for e in body["edges_removed"]],
            [("crm:public.contacts.tier", "dw:dw.customer.tier")],
        )
        self.assertEqual(body["edges_added"], [])
        fields = {f["ref"]: f for f in body["affected"]["fields"]}
        self.assertEqual(set(fields), {"dw:dw.customer.tier", "dw:dw.sales.tier"})
        self.assertTrue(fields["dw:dw.customer.tier"]["loses_lineage"])
        self.assertEqual(fields["dw:dw.sales.tier"]["depth"], 1)
        self.assertEqual(
            body["affected"]["jobs"],
            [
                {"key": "load_customer", "owner": "engineer"},
                {"key": "load_sales", "owner": "other_engineer"},
            ],
        )
        self.assertEqual(
            {d["ref"]: d["owning_team"] for d in body["affected"]["datasets"]},
            {"dw:dw.customer": "Data Platform", "dw:dw.sales": "Data Platform"},
        )
        self.assertEqual(EtlJobVersion.objects.count(), before)  # nothing saved

    def test_adding_a_column_is_not_breaking_and_creates_nothing(self):
        from catalog.models import Field

        fields = Field.objects.count()
        body = self.check(CUSTOMER_PLUS_PHONE).json()
        self.assertFalse(body["breaking"])
        self.assertEqual(
            [(e["source"], e["target"]) for e in body["edges_added"]],
            [("crm:public.contacts.phone", "dw:dw.customer.phone")],
        )
        self.assertEqual(Field.objects.count(), fields)

    def test_sql_that_does_not_parse_changes_nothing(self):
        body = self.check(BROKEN_SQL).json()
        self.assertEqual(body["status"], "failed")
        self.assertEqual((body["edges_added"], body["edges_removed"]), ([], []))
        self.assertTrue(body["errors"])

    def test_bad_input_invisible_and_unknown_jobs(self):
        self.assert_error(
            self.as_(self.engineer).post(API + "check/", {"job": "load_customer"}), 400, path="sql"
        )
        self.assert_error(
            self.as_(self.engineer).post(API + "check/", {"sql": "x"}), 400, path="job"
        )
        self.assert_error(self.check("SELECT 1", job="nope"), 404)
        self.assert_error(self.check("SELECT 1", user=self.outsider), 404)

    def test_any_reader_may_check(self):
        self.assertEqual(self.check(CUSTOMER_PLUS_PHONE, user=self.committee).status_code, 200)


CUSTOMER_PLUS_PHONE = """
INSERT INTO dw.customer (customer_id, email_hash, tier, phone)
SELECT c.contact_id, MD5(LOWER(c.email)), UPPER(c.tier), c.phone
FROM public.contacts c;
"""


class WritePermissionTests(LineageTestCase):
    """Lineage is written only into systems the caller may change (the engineers: dw)."""

    def submit(self, sql, user=None, key="load_customer"):
        return self.as_(user or self.engineer).post(
            job_url(key, "submit/"), {"sql": sql}, format="json"
        )

    def test_a_job_is_created_only_in_a_system_the_caller_may_change(self):
        body = self.assert_error(
            self.as_(self.engineer).post(JOBS, {"key": "x", "name": "X", "system": "pos"}), 403
        )
        self.assertIn("'pos'", body["message"])
        self.assertFalse(EtlJob.objects.filter(key="x").exists())
        response = self.as_(self.steward).post(JOBS, {"key": "x", "name": "X", "system": "pos"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(EtlJob.objects.get(key="x").system.key, "pos")

    def test_a_job_moves_only_to_a_system_the_caller_may_change(self):
        client = self.as_(self.engineer)
        body = self.assert_error(client.patch(job_url("load_customer"), {"system": "pos"}), 403)
        self.assertIn("'pos'", body["message"])
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.system.key, "dw")
        response = client.patch(job_url("load_customer"), {"system": "dw", "name": "same"})
        self.assertEqual(response.status_code, 200, response.content)

    def test_sql_writing_into_a_system_the_caller_may_not_change_is_403_and_stores_nothing(self):
        edges = direct_edges(self.customer_job)
        versions, datasets = EtlJobVersion.objects.count(), Dataset.objects.count()
        for sql in (
            "INSERT INTO sales.transactions (amount) SELECT tier FROM public.contacts;",
            "INSERT INTO crm.new_table (a) SELECT tier FROM dw.customer;",
            "INSERT INTO dw.customer (tier) SELECT tier FROM public.contacts;\n"
            "UPDATE sales.transactions SET amount = 0;",
            "INSERT INTO sales.transactions (amount) SELECT FROM WHERE ;",  # fallback's tables
        ):
            with self.subTest(sql=sql):
                body = self.assert_error(self.submit(sql), 403)
                denied = "'crm'" if "crm.new_table" in sql else "'pos'"
                self.assertIn(denied, body["message"])
                self.assertNotIn("'dw'", body["message"])
        self.assertEqual(EtlJobVersion.objects.count(), versions)
        self.assertEqual(Dataset.objects.count(), datasets)
        self.assertEqual(direct_edges(self.customer_job), edges)

    def test_reading_from_other_systems_is_allowed(self):
        response = self.submit(
            "INSERT INTO dw.customer (tier) SELECT amount FROM sales.transactions;"
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            direct_edges(self.customer_job),
            {("pos:sales.transactions.amount", "dw:dw.customer.tier")},
        )

    def test_openlineage_outputs_into_a_system_the_caller_may_not_change_are_403(self):
        from tests.lineage.test_openlineage import EVENT, URL

        response = self.as_(self.engineer).post(URL, EVENT, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        job = EtlJob.objects.get(key="spark-prod.customer_segments")
        event = {**EVENT, "outputs": [{"namespace": "crm", "name": "public.contacts"}]}
        body = self.assert_error(self.as_(self.engineer).post(URL, event, format="json"), 403)
        self.assertIn("'crm'", body["message"])
        self.assertEqual(job.versions.count(), 1)
        # a new job would be created in the output's system: refused too, nothing kept
        event["job"] = {"namespace": "spark-prod", "name": "other"}
        body = self.assert_error(self.as_(self.engineer).post(URL, event, format="json"), 403)
        self.assertIn("'crm'", body["message"])
        self.assertFalse(EtlJob.objects.filter(key="spark-prod.other").exists())


class GarbageSqlTests(LineageTestCase):
    def test_a_statement_that_is_not_sql_is_a_failed_version_and_keeps_the_edges(self):
        edges = direct_edges(self.customer_job)
        self.assertEqual(len(edges), 3)
        response = self.as_(self.engineer).post(
            job_url("load_customer", "submit/"), {"sql": "SELEC oops"}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["number"], body["status"], body["is_current"]), (2, "failed", False))
        self.assertEqual(
            body["errors"],
            [
                {
                    "statement": 0,
                    "line": 1,
                    "column": 1,
                    "message": "'SELEC' does not start a SQL statement "
                    "(expected SELECT, INSERT, CREATE, ...)",
                }
            ],
        )
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.current_version.number, 1)
        self.assertEqual(direct_edges(self.customer_job), edges)


class JobOwnerAndKeyTests(LineageTestCase):
    def test_the_owner_must_be_someone_who_reads_lineage(self):
        client = self.as_(self.engineer)
        for user in (self.vendor, self.outsider):
            with self.subTest(user=user.username):
                body = self.assert_error(
                    client.patch(job_url("load_customer"), {"owner": user.username}),
                    400,
                    path="owner",
                )
                self.assertIn(user.username, body["message"])
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.owner, self.engineer)
        body = self.assert_error(
            client.post(JOBS, {"key": "x", "name": "X", "system": "dw", "owner": "vendor"}),
            400,
            path="owner",
        )
        self.assertFalse(EtlJob.objects.filter(key="x").exists())

    def test_a_jobs_key_cannot_change(self):
        client = self.as_(self.engineer)
        body = self.assert_error(
            client.patch(job_url("load_customer"), {"key": "renamed"}), 400, path="key"
        )
        self.assertEqual(body["errors"], [{"path": "key", "message": "A job's key cannot change."}])
        self.assertTrue(EtlJob.objects.filter(key="load_customer").exists())
        self.assertFalse(EtlJob.objects.filter(key="renamed").exists())
        response = client.patch(job_url("load_customer"), {"key": "load_customer", "name": "n"})
        self.assertEqual(response.status_code, 200, response.content)  # unchanged: fine
        self.assertEqual(response.json()["key"], "load_customer")


class JobDeleteAuditTests(LineageTestCase):
    def test_deleting_a_job_audits_each_removed_edge_by_reference(self):
        from core.models import ChangeRecord

        edge_ids = set(self.customer_job.edges.values_list("pk", flat=True))
        response = self.as_(self.engineer).delete(job_url("load_customer"))
        self.assertEqual(response.status_code, 204, response.content)
        self.assertFalse(EtlJob.objects.filter(key="load_customer").exists())
        records = ChangeRecord.objects.filter(object_type="lineage.lineageedge", action="delete")
        records = records.filter(object_id__in=[str(i) for i in edge_ids])
        self.assertEqual(
            sorted(r.object_repr for r in records),
            [
                "crm:public.contacts.contact_id -> dw:dw.customer.customer_id (DIRECT)",
                "crm:public.contacts.email -> dw:dw.customer.email_hash (DIRECT)",
                "crm:public.contacts.tier -> dw:dw.customer.tier (DIRECT)",
            ],
        )
        self.assertEqual({r.actor_name for r in records}, {"engineer"})
        self.assertTrue(all(r.after is None and r.before["job_id"] for r in records))
        job_record = ChangeRecord.objects.get(
            object_type="lineage.etljob", action="delete", object_repr="load_customer"
        )
        self.assertEqual(
            job_record.before["removed"],
            {
                "versions": 1,
                "edges": 3,
                "dataset_edges": 1,
                "targets": [
                    "dw:dw.customer.customer_id",
                    "dw:dw.customer.email_hash",
                    "dw:dw.customer.tier",
                ],
            },
        )
        self.assertEqual(job_record.request_id, records.first().request_id)


class MalformedRequestTests(LineageTestCase):
    def test_graph_limits_are_validated_and_capped(self):
        from django.conf import settings

        cap = settings.LINEAGE_MAX_RESULTS
        queries = {
            "": {"field": "crm:public.contacts.tier"},
            "paths/": {"source": "crm:public.contacts.tier", "target": "dw:dw.sales.tier"},
            "cycles/": {},
            "orphans/": {},
        }
        client = self.as_(self.engineer)
        for suffix, params in queries.items():
            for limit in ("99999999999999999999999", str(cap + 1), "0", "-1", "x"):
                with self.subTest(query=suffix, limit=limit):
                    self.assert_error(
                        client.get(GRAPH + suffix, {**params, "limit": limit}), 400, path="limit"
                    )
            with self.subTest(query=suffix, limit=cap):
                response = client.get(GRAPH + suffix, {**params, "limit": cap})
                self.assertEqual(response.status_code, 200, response.content)

    def test_openlineage_event_type_must_be_a_string(self):
        from tests.lineage.test_openlineage import EVENT, URL

        for value in ([], {}, 3, None):
            with self.subTest(eventType=value):
                self.assert_error(
                    self.as_(self.engineer).post(URL, {**EVENT, "eventType": value}, format="json"),
                    400,
                    path="eventType",
                )
        self.assertFalse(EtlJob.objects.filter(key="spark-prod.customer_segments").exists())

    def test_sql_and_job_keys_must_be_strings(self):
        client = self.as_(self.engineer)
        for body in ({"job": "load_customer", "sql": 123}, {"job": "load_customer", "sql": [1]}):
            with self.subTest(body=body):
                response = client.post(API + "check/", body, format="json")
                self.assertEqual(
                    self.assert_error(response, 400, path="sql")["errors"],
                    [{"path": "sql", "message": "Expected a string."}],
                )
        self.assert_error(
            client.post(API + "check/", {"job": 7, "sql": "SELECT 1"}, format="json"),
            400,
            path="job",
        )
        self.assert_error(
            client.post(job_url("load_customer", "submit/"), {"sql": 123}, format="json"),
            400,
            path="sql",
        )
        self.assertEqual(self.customer_job.versions.count(), 1)


class HiddenLineageTests(LineageTestCase):
    """A caller who may not read some jobs is told that more lineage exists, and how much,
    never what it is."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from catalog.models import SourceSystem

        for key in ("crm", "dw"):
            assign_perm("catalog.view_sourcesystem", cls.vendor, SourceSystem.objects.get(key=key))

    def get(self, url, **params):
        response = self.as_(self.vendor).get(url, params)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertNotIn("load_sales", response.content.decode())
        return response.json()

    def test_a_walk_through_jobs_the_caller_may_not_read_says_how_much_is_hidden(self):
        body = self.get(GRAPH, field="crm:public.contacts.tier")["downstream"]
        self.assertEqual(
            (body["count"], body["partial"], body["hidden"]),
            (0, True, {"nodes": 2, "edges": 2}),
        )
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        body = self.get(GRAPH, field="crm:public.contacts.tier")["downstream"]
        self.assertEqual([r["ref"] for r in body["results"]], ["dw:dw.customer.tier"])
        self.assertEqual((body["partial"], body["hidden"]), (True, {"nodes": 1, "edges": 1}))
        self.assertNotIn("dw:dw.sales.tier", str(body))

    def test_a_walk_with_nothing_hidden_is_not_partial(self):
        body = self.get(GRAPH, field="crm:public.contacts.tier", direction="upstream")["upstream"]
        self.assertEqual((body["count"], body["partial"]), (0, False))
        self.assertEqual(body["hidden"], {"nodes": 0, "edges": 0})
        everything = self.as_(self.engineer).get(GRAPH, {"field": "crm:public.contacts.tier"})
        side = everything.json()["downstream"]
        self.assertEqual(
            (side["count"], side["partial"], side["hidden"]), (2, False, {"nodes": 0, "edges": 0})
        )

    def test_a_depth_limit_counts_only_what_is_hidden_within_it(self):
        body = self.get(GRAPH, field="crm:public.contacts.tier", depth=1)["downstream"]
        self.assertEqual((body["count"], body["hidden"]), (0, {"nodes": 1, "edges": 1}))

    def test_a_dataset_walk_says_how_much_is_hidden(self):
        body = self.get(GRAPH, dataset="crm:public.contacts")["downstream"]
        self.assertEqual((body["count"], body["partial"]), (0, True))
        self.assertEqual(body["hidden"], {"nodes": 2, "edges": 2})

    def test_paths_through_jobs_the_caller_may_not_read_are_counted_not_shown(self):
        body = self.get(
            GRAPH + "paths/", source="crm:public.contacts.tier", target="dw:dw.sales.tier"
        )
        self.assertEqual(
            (body["count"], body["paths"], body["partial"], body["hidden"]),
            (0, [], True, {"paths": 1}),
        )

    def test_the_pre_change_check_shows_only_the_impact_the_caller_may_see(self):
        assign_perm("lineage.view_etljob", self.vendor, self.customer_job)
        response = self.as_(self.vendor).post(
            API + "check/",
            {
                "job": "load_customer",
                "sql": "INSERT INTO dw.customer (customer_id, email_hash) "
                "SELECT contact_id, MD5(email) FROM public.contacts;",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertNotIn("load_sales", response.content.decode())
        body = response.json()
        self.assertEqual(body["lineage_lost"], ["dw:dw.customer.tier"])
        affected = body["affected"]
        self.assertEqual([f["ref"] for f in affected["fields"]], ["dw:dw.customer.tier"])
        self.assertEqual([j["key"] for j in affected["jobs"]], ["load_customer"])
        self.assertEqual(
            (affected["partial"], affected["hidden"]), (True, {"nodes": 1, "edges": 1})
        )

    def test_a_field_fed_by_a_job_the_caller_may_not_read_is_no_orphan(self):
        self.add_job(
            self.engineer, "fresh", "INSERT INTO dw.region (name) SELECT name FROM ref.regions;"
        )
        body = self.get(GRAPH + "orphans/", system="dw")
        self.assertEqual(body["orphans"], ["dw:ref.regions.name"])

    def test_cycles_through_jobs_the_caller_may_not_read_are_counted_not_shown(self):
        self.add_job(
            self.steward,
            "loop",
            "INSERT INTO public.contacts (tier) SELECT tier FROM dw.sales;",
            system="crm",
        )
        body = self.get(GRAPH + "cycles/", types="direct")
        self.assertEqual(
            (body["count"], body["cycles"], body["partial"], body["hidden"]),
            (0, [], True, {"cycles": 1}),
        )
