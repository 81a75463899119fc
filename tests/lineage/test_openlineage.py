"""POST /api/v1/lineage/openlineage/: RunEvents (spec 2-0-2) recorded as job versions."""

from __future__ import annotations

import copy

from catalog.models import Dataset
from lineage.models import EtlJob, EtlJobVersion
from tests.lineage.helpers import API, LineageTestCase, direct_edges, field

URL = API + "openlineage/"

EVENT = {
    "eventType": "COMPLETE",
    "eventTime": "2026-11-25T02:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0192f1f8-3f40-7cc4-8d52-5c1f0b8a3b10"},
    "job": {"namespace": "spark-prod", "name": "customer_segments"},
    "inputs": [
        {
            "namespace": "crm",
            "name": "public.contacts",
            "facets": {"schema": {"fields": [{"name": "email"}, {"name": "tier"}]}},
        }
    ],
    "outputs": [
        {
            "namespace": "dw",
            "name": "dw.segments",
            "facets": {
                "schema": {"fields": [{"name": "tier"}, {"name": "email_hash"}, {"name": "note"}]},
                "columnLineage": {
                    "fields": {
                        "tier": {
                            "inputFields": [
                                {
                                    "namespace": "crm",
                                    "name": "public.contacts",
                                    "field": "tier",
                                    "transformations": [
                                        {"type": "DIRECT", "subtype": "IDENTITY"},
                                        {"type": "INDIRECT", "subtype": "FILTER"},
                                    ],
                                }
                            ]
                        },
                        "email_hash": {
                            "inputFields": [
                                {"namespace": "crm", "name": "public.contacts", "field": "email"}
                            ],
                            "transformationType": "MASKED",
                        },
                    }
                },
            },
        }
    ],
}


class OpenLineageTests(LineageTestCase):
    def post(self, event, user=None, query=""):
        return self.as_(user or self.engineer).post(URL + query, event, format="json")

    def test_an_event_becomes_a_job_with_column_edges(self):
        response = self.post(EVENT)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            (response.json()["origin"], response.json()["status"]), ("openlineage", "ok")
        )
        job = EtlJob.objects.get(key="spark-prod.customer_segments")
        self.assertEqual((job.system.key, job.owner), ("dw", self.engineer))
        self.assertEqual(
            direct_edges(job),
            {
                ("crm:public.contacts.tier", "dw:dw.segments.tier"),
                ("crm:public.contacts.email", "dw:dw.segments.email_hash"),
            },
        )
        masked = job.edges.get(target=field("dw:dw.segments.email_hash"))
        self.assertTrue(masked.masking)
        self.assertEqual(job.edges.filter(type="INDIRECT", subtype="FILTER").count(), 1)
        self.assertEqual(job.current_version.payload["run"]["runId"], EVENT["run"]["runId"])

    def test_schema_facets_register_unknown_datasets_and_columns(self):
        self.post(EVENT)
        self.assertTrue(Dataset.objects.get(system__key="dw", name="dw.segments").discovered)
        self.assertTrue(field("dw:dw.segments.note").discovered)

    def test_the_lineage_is_queryable_with_the_sql_lineage(self):
        self.post(EVENT)
        body = (
            self.as_(self.steward)
            .get(API + "graph/", {"field": "crm:public.contacts.email", "types": "direct"})
            .json()
        )
        self.assertEqual(
            {r["ref"] for r in body["downstream"]["results"]},
            {"dw:dw.customer.email_hash", "dw:dw.segments.email_hash"},
        )

    def test_a_second_event_is_a_new_version_of_the_same_job(self):
        self.post(EVENT)
        self.post(EVENT)
        job = EtlJob.objects.get(key="spark-prod.customer_segments")
        self.assertEqual(job.versions.count(), 2)
        self.assertEqual(job.current_version.number, 2)

    def test_an_unknown_namespace_waits_unless_the_caller_names_a_fallback_system(self):
        event = copy.deepcopy(EVENT)
        event["inputs"][0]["namespace"] = "postgres://crm-db:5432"
        lineage = event["outputs"][0]["facets"]["columnLineage"]["fields"]
        for spec in lineage.values():
            spec["inputFields"][0]["namespace"] = "postgres://crm-db:5432"
        response = self.post(event)
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response.json()["unmapped_namespaces"], ["postgres://crm-db:5432"])
        self.assertEqual(EtlJobVersion.objects.filter(origin="openlineage").count(), 0)
        # The fallback is the new job's system: the reporter must be allowed to change it.
        body = self.assert_error(self.post(event, query="?system=crm"), 403)
        self.assertIn("'crm'", body["message"])
        self.assertFalse(EtlJob.objects.filter(key="spark-prod.customer_segments").exists())
        self.grant_systems(self.engineer, "crm")
        response = self.post(event, query="?system=crm")
        self.assertEqual(response.status_code, 201, response.content)
        job = EtlJob.objects.get(key="spark-prod.customer_segments")
        self.assertEqual(job.system.key, "crm")
        self.assertIn(("crm:public.contacts.tier", "dw:dw.segments.tier"), direct_edges(job))

    def test_an_unknown_fallback_system_is_400(self):
        self.assert_error(self.post(EVENT, query="?system=nope"), 400, path="system")

    def test_malformed_events_are_400_naming_the_problem(self):
        cases = [
            ([], ""),
            ({**EVENT, "job": {"namespace": "x"}}, "job.name"),
            ({**EVENT, "run": "r"}, "run"),
            ({**EVENT, "eventType": "DONE"}, "eventType"),
            ({**EVENT, "inputs": {"name": "x"}}, "inputs"),
            ({**EVENT, "outputs": [{"namespace": "dw"}]}, "outputs[0].name"),
        ]
        bad_lineage = copy.deepcopy(EVENT)
        bad_lineage["outputs"][0]["facets"]["columnLineage"]["fields"]["tier"] = {"inputFields": 3}
        cases.append((bad_lineage, "outputs[0].facets.columnLineage.fields.tier.inputFields"))
        for event, path in cases:
            with self.subTest(path=path):
                self.assert_error(self.post(event), 400, code="invalid", path=path)
        self.assertFalse(EtlJob.objects.filter(key="spark-prod.customer_segments").exists())

    def test_fail_events_are_accepted_and_record_nothing(self):
        response = self.post({**EVENT, "eventType": "FAIL"})
        self.assertEqual(response.status_code, 202)
        self.assertFalse(EtlJob.objects.filter(key="spark-prod.customer_segments").exists())

    def test_who_may_report(self):
        self.assert_error(self.post(EVENT, user=self.committee), 403)
        self.assert_error(self.post(EVENT, user=self.outsider), 403)
        self.post(EVENT)  # the engineer's job now
        self.assert_error(self.post(EVENT, user=self.other_engineer), 403)
        self.assert_error(self.post(EVENT, user=self.vendor), 404)
        self.assertEqual(self.post(EVENT, user=self.admin).status_code, 201)
