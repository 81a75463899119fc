"""OpenLineage as producers send it: Bearer API keys, connection-style namespaces mapped through
systems' `openlineage_namespaces`, unmapped namespaces kept for a steward, column-lineage facet
1-2-0, run states and batches; and the stock client (openlineage-python) against a live server."""

from __future__ import annotations

import copy

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from catalog.models import SourceSystem
from catalog.services import import_systems, update_system
from core.audit import Actor
from core.models import ChangeRecord
from core.services import issue_token
from lineage.models import EtlJob, LineageEdge, UnmappedNamespace, WaitingEvent
from tests.lineage.helpers import API, CATALOG, LineageTestCase, direct_edges, field

URL = API + "openlineage/"
NAMESPACES = API + "openlineage/namespaces/"
WAREHOUSE = "postgres://warehouse:5432"
CRM_DB = "postgres://crm-db:5432"


def dataset(namespace, name, fields=None, lineage=None, whole=None):
    facets = {}
    if fields:
        facets["schema"] = {"fields": [{"name": f, "type": "varchar"} for f in fields]}
    if lineage is not None or whole is not None:
        facets["columnLineage"] = {
            "_producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": lineage or {},
            **({"dataset": whole} if whole is not None else {}),
        }
    return {"namespace": namespace, "name": name, "facets": facets}


def source(namespace, name, column, *transformations):
    item = {"namespace": namespace, "name": name, "field": column}
    if transformations:
        item["transformations"] = list(transformations)
    return item


def event(kind="COMPLETE", run="01937f0e-6c3e-7b1a-9d5e-0c1a2b3c4d5e", crm=CRM_DB):
    """An Airflow-style event: connection namespaces, database.schema.table names."""
    return {
        "eventType": kind,
        "eventTime": "2026-12-06T02:00:00.000Z",
        "producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.20.3",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run},
        "job": {"namespace": "airflow-prod", "name": "crm_to_dw.load_segments"},
        "inputs": [dataset(crm, "crm.public.contacts", ["email", "tier"])],
        "outputs": [
            dataset(
                WAREHOUSE,
                "analytics.dw.segments",
                ["tier", "email_hash"],
                lineage={
                    "tier": {
                        "inputFields": [
                            source(
                                crm,
                                "crm.public.contacts",
                                "tier",
                                {"type": "DIRECT", "subtype": "IDENTITY"},
                                {"type": "INDIRECT", "subtype": "FILTER"},
                            )
                        ]
                    },
                    "email_hash": {
                        "inputFields": [
                            source(
                                crm,
                                "crm.public.contacts",
                                "email",
                                {
                                    "type": "DIRECT",
                                    "subtype": "TRANSFORMATION",
                                    "description": "sha256(lower(email))",
                                    "masking": True,
                                },
                            )
                        ]
                    },
                },
                whole=[
                    source(
                        crm,
                        "crm.public.contacts",
                        "contact_id",
                        {"type": "INDIRECT", "subtype": "JOIN"},
                    )
                ],
            )
        ],
    }


class ProducerTestCase(LineageTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        actor = Actor.system("tests")
        update_system(
            actor,
            SourceSystem.objects.get(key="dw"),
            {"openlineage_namespaces": [WAREHOUSE], "openlineage_database": "analytics"},
        )

    def post(self, body, user=None, query=""):
        return self.as_(user or self.engineer).post(URL + query, body, format="json")


class BearerTokenTests(ProducerTestCase):
    def bearer(self, header):
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        return client.get("/api/v1/lineage/jobs/")

    def test_an_api_token_is_accepted_with_the_bearer_prefix_as_with_token(self):
        _, raw = issue_token(Actor.system("tests"), self.engineer, name="airflow")
        self.assertEqual(self.bearer(f"Bearer {raw}").status_code, 200)
        self.assertEqual(self.bearer(f"bearer {raw}").status_code, 200)
        self.assertEqual(self.bearer(f"Token {raw}").status_code, 200)

    def test_a_wrong_or_empty_bearer_token_is_401(self):
        self.assertEqual(self.bearer("Bearer nope").status_code, 401)
        self.assertEqual(self.bearer("Bearer").status_code, 401)
        self.assertEqual(self.bearer("Basic abc").status_code, 401)


class NamespaceDeclarationTests(ProducerTestCase):
    def test_a_system_lists_its_namespaces_in_the_api_and_each_names_one_system(self):
        body = self.as_(self.steward).get("/api/v1/catalog/systems/dw/").json()
        self.assertEqual(
            (body["openlineage_namespaces"], body["openlineage_database"]),
            ([WAREHOUSE], "analytics"),
        )
        response = self.as_(self.steward).patch(
            "/api/v1/catalog/systems/crm/",
            {"openlineage_namespaces": [WAREHOUSE + "/", CRM_DB, CRM_DB]},
            format="json",
        )
        body = self.assert_error(response, 400, path="openlineage_namespaces")
        self.assertIn("'dw'", body["message"] + str(body["errors"]))
        response = self.as_(self.steward).patch(
            "/api/v1/catalog/systems/crm/",
            {"openlineage_namespaces": [CRM_DB + "/"], "openlineage_database": "CRM"},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        crm = SourceSystem.objects.get(key="crm")
        self.assertEqual((crm.openlineage_namespaces, crm.openlineage_database), ([CRM_DB], "crm"))
        self.assertTrue(
            ChangeRecord.objects.filter(
                object_type="catalog.sourcesystem", object_id=str(crm.pk), action="update"
            ).exists()
        )

    def test_a_manifest_declares_namespaces_and_refuses_one_named_twice(self):
        actor = Actor.system("tests")
        import_systems(
            actor,
            [{"key": "crm", "openlineage_namespaces": [CRM_DB], "openlineage_database": "crm"}],
            remove_missing=False,
        )
        self.assertEqual(SourceSystem.objects.get(key="crm").openlineage_namespaces, [CRM_DB])
        from core.errors import BulkRejected

        with self.assertRaises(BulkRejected) as caught:
            import_systems(
                actor,
                [
                    {"key": "pos", "openlineage_namespaces": ["snowflake://acme-xy123"]},
                    {
                        "key": "new",
                        "name": "New",
                        "openlineage_namespaces": ["snowflake://acme-xy123"],
                    },
                ],
                remove_missing=False,
            )
        self.assertIn(
            "systems[1].openlineage_namespaces", [e["path"] for e in caught.exception.errors]
        )
        self.assertEqual(SourceSystem.objects.get(key="pos").openlineage_namespaces, [])


class ProducerEventTests(ProducerTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        update_system(
            Actor.system("tests"),
            SourceSystem.objects.get(key="crm"),
            {"openlineage_namespaces": [CRM_DB], "openlineage_database": "crm"},
        )

    def test_connection_namespaces_and_database_names_resolve_to_catalog_datasets(self):
        response = self.post(event())
        self.assertEqual(response.status_code, 201, response.content)
        job = EtlJob.objects.get(key="airflow-prod.crm_to_dw.load_segments")
        self.assertEqual(job.system.key, "dw")
        self.assertEqual(
            direct_edges(job),
            {
                ("crm:public.contacts.tier", "dw:dw.segments.tier"),
                ("crm:public.contacts.email", "dw:dw.segments.email_hash"),
            },
        )

    def test_the_column_lineage_facet_keeps_transformation_types_and_masking(self):
        self.post(event())
        job = EtlJob.objects.get(key="airflow-prod.crm_to_dw.load_segments")
        masked = job.edges.get(target=field("dw:dw.segments.email_hash"), type="DIRECT")
        self.assertEqual(
            (masked.subtype, masked.masking, masked.expression),
            ("TRANSFORMATION", True, "sha256(lower(email))"),
        )
        self.assertTrue(job.edges.filter(type="INDIRECT", subtype="FILTER").exists())
        # the facet's dataset-wide inputs feed every output column indirectly
        joins = job.edges.filter(type="INDIRECT", subtype="JOIN").select_related(
            "source__dataset__system", "target__dataset__system"
        )
        self.assertEqual(
            {(e.source.ref, e.target.ref) for e in joins},
            {
                ("crm:public.contacts.contact_id", "dw:dw.segments.tier"),
                ("crm:public.contacts.contact_id", "dw:dw.segments.email_hash"),
            },
        )

    def test_only_a_complete_event_replaces_lineage(self):
        self.assertEqual(self.post(event()).status_code, 201)
        job = EtlJob.objects.get(key="airflow-prod.crm_to_dw.load_segments")
        edges = set(job.edges.values_list("source_id", "target_id", "type", "subtype"))
        empty = {**event(), "outputs": [dataset(WAREHOUSE, "analytics.dw.segments", ["tier"])]}
        for kind in ("START", "RUNNING", "FAIL", "ABORT", "OTHER"):
            with self.subTest(kind=kind):
                response = self.post({**empty, "eventType": kind})
                self.assertEqual(response.status_code, 202, response.content)
                self.assertFalse(response.json()["recorded"])
                self.assertTrue(response.json()["reason"])
        job.refresh_from_db()
        self.assertEqual(job.versions.count(), 1)
        self.assertEqual(
            set(job.edges.values_list("source_id", "target_id", "type", "subtype")), edges
        )

    def test_a_batch_is_recorded_in_order_with_one_result_per_event(self):
        batch = [event("START"), event("COMPLETE")]
        response = self.post(batch)
        self.assertEqual(response.status_code, 200, response.content)
        results = response.json()["results"]
        self.assertEqual([r["recorded"] for r in results], [False, True])
        self.assertEqual(results[1]["job"], "airflow-prod.crm_to_dw.load_segments")

    def test_a_batch_with_one_bad_event_is_refused_whole_naming_it(self):
        bad = event()
        del bad["run"]["runId"]
        response = self.post([event(), bad])
        self.assert_error(response, 400, path="[1].run.runId")
        self.assertFalse(EtlJob.objects.filter(key__startswith="airflow-prod").exists())
        self.assert_error(self.post([]), 400)

    def test_a_batch_writing_where_the_caller_may_not_is_refused_whole(self):
        into_crm = copy.deepcopy(event(run="01937f0e-6c3e-7b1a-9d5e-000000000002"))
        into_crm["job"]["name"] = "reverse_etl"
        into_crm["outputs"][0]["namespace"] = CRM_DB
        into_crm["outputs"][0]["name"] = "crm.public.segments"
        response = self.post([event(), into_crm])
        self.assert_error(response, 403)
        self.assertFalse(EtlJob.objects.filter(key__startswith="airflow-prod").exists())


class UnmappedNamespaceTests(ProducerTestCase):
    def test_an_unknown_namespace_is_kept_with_its_event_and_listed_never_invented(self):
        systems = SourceSystem.objects.count()
        response = self.post(event())
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(response.json()["unmapped_namespaces"], [CRM_DB])
        self.assertEqual(SourceSystem.objects.count(), systems)
        self.assertFalse(EtlJob.objects.filter(key__startswith="airflow-prod").exists())
        body = self.as_(self.steward).get(NAMESPACES, {"status": "pending"}).json()
        self.assertEqual([n["namespace"] for n in body["results"]], [CRM_DB])
        waiting = body["results"][0]["events"]
        self.assertEqual(
            [(e["job"], e["status"], e["submitted_by_name"]) for e in waiting],
            [("airflow-prod/crm_to_dw.load_segments", "waiting", "engineer")],
        )
        # a second event on the same namespace waits on the same mapping
        self.post(event(run="01937f0e-6c3e-7b1a-9d5e-000000000003"))
        self.assertEqual(UnmappedNamespace.objects.count(), 1)
        self.assertEqual(WaitingEvent.objects.count(), 2)

    def test_resolving_a_namespace_maps_it_once_and_records_the_waiting_events(self):
        self.post(event())
        pending = UnmappedNamespace.objects.get()
        response = self.as_(self.steward).post(
            f"{NAMESPACES}{pending.pk}/resolve/",
            {"system": "crm", "database": "crm"},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["status"], body["system"]), ("resolved", "crm"))
        self.assertEqual([e["status"] for e in body["processed"]], ["recorded"])
        crm = SourceSystem.objects.get(key="crm")
        self.assertEqual((crm.openlineage_namespaces, crm.openlineage_database), ([CRM_DB], "crm"))
        job = EtlJob.objects.get(key="airflow-prod.crm_to_dw.load_segments")
        self.assertEqual(job.owner, self.engineer)  # recorded as the producer's, not the steward's
        self.assertIn(("crm:public.contacts.email", "dw:dw.segments.email_hash"), direct_edges(job))
        for obj in (pending, WaitingEvent.objects.get()):
            self.assertTrue(
                ChangeRecord.objects.filter(
                    object_id=str(obj.pk), action="update", actor_name="steward"
                ).exists()
            )
        # the next event from that producer maps straight away
        self.assertEqual(
            self.post(event(run="01937f0e-6c3e-7b1a-9d5e-000000000004")).status_code, 201
        )
        again = self.as_(self.steward).post(
            f"{NAMESPACES}{pending.pk}/resolve/", {"system": "pos"}, format="json"
        )
        self.assert_error(again, 400, path="namespace")

    def test_an_event_that_cannot_be_recorded_once_resolved_is_marked_failed_writing_nothing(self):
        into_crm = event()
        into_crm["outputs"][0]["namespace"] = CRM_DB
        into_crm["outputs"][0]["name"] = "crm.public.segments"
        for spec in into_crm["outputs"][0]["facets"]["columnLineage"]["fields"].values():
            spec["inputFields"][0]["namespace"] = WAREHOUSE
        into_crm["inputs"] = [dataset(WAREHOUSE, "analytics.dw.customer", ["tier"])]
        into_crm["outputs"][0]["facets"]["columnLineage"].pop("dataset")
        self.assertEqual(self.post(into_crm).status_code, 202)
        pending = UnmappedNamespace.objects.get()
        response = self.as_(self.steward).post(
            f"{NAMESPACES}{pending.pk}/resolve/", {"system": "crm"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        processed = response.json()["processed"][0]
        self.assertEqual(processed["status"], "failed")
        self.assertIn("'crm'", str(processed["errors"]))
        self.assertFalse(EtlJob.objects.filter(key__startswith="airflow-prod").exists())
        self.assertEqual(SourceSystem.objects.get(key="crm").openlineage_namespaces, [CRM_DB])

    def test_who_may_list_and_resolve_namespaces(self):
        self.post(event())
        pending = UnmappedNamespace.objects.get()
        url = f"{NAMESPACES}{pending.pk}/resolve/"
        self.assertEqual(self.as_(None).get(NAMESPACES).status_code, 401)
        vendor_list = self.as_(self.vendor).get(NAMESPACES)  # reads no lineage: sees none
        self.assertEqual((vendor_list.status_code, vendor_list.json()["count"]), (200, 0))
        self.assert_error(self.as_(self.vendor).post(url, {"system": "crm"}, format="json"), 404)
        # the engineer reads lineage but may not change crm
        self.assert_error(self.as_(self.engineer).post(url, {"system": "crm"}, format="json"), 403)
        self.assert_error(self.as_(self.steward).post(url, {"system": "nope"}, format="json"), 404)
        self.assert_error(self.as_(self.steward).post(url, {"sistem": "crm"}, format="json"), 400)
        self.assertEqual(UnmappedNamespace.objects.get().status, "pending")
        self.assertEqual(WaitingEvent.objects.get().status, "waiting")


# The stock client, as its documentation configures it, against a live server -----------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_stock_openlineage_client_delivers_an_event_with_an_api_key(live_server):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.generated import column_lineage_dataset as cl
    from openlineage.client.generated import schema_dataset as sd
    from openlineage.client.uuid import generate_new_uuid

    actor = Actor.system("tests")
    import_systems(actor, copy.deepcopy(CATALOG), remove_missing=False)
    update_system(
        actor,
        SourceSystem.objects.get(key="dw"),
        {"openlineage_namespaces": [WAREHOUSE], "openlineage_database": "analytics"},
    )
    update_system(
        actor,
        SourceSystem.objects.get(key="crm"),
        {"openlineage_namespaces": [CRM_DB], "openlineage_database": "crm"},
    )
    from django.contrib.auth.models import Group

    engineer = get_user_model().objects.create_user("producer")
    engineer.groups.add(Group.objects.get(name="engineer"))
    assign_perm("catalog.change_sourcesystem", engineer, SourceSystem.objects.get(key="dw"))
    _, key = issue_token(actor, engineer, name="airflow")

    client = OpenLineageClient(
        config={
            "transport": {
                "type": "http",
                "url": live_server.url,
                "endpoint": "api/v1/lineage/openlineage/",
                "auth": {"type": "api_key", "apiKey": key},
            }
        }
    )
    lineage = cl.ColumnLineageDatasetFacet(
        fields={
            "email_hash": cl.Fields(
                inputFields=[
                    cl.InputField(
                        namespace=CRM_DB,
                        name="crm.public.contacts",
                        field="email",
                        transformations=[
                            cl.Transformation(type="DIRECT", subtype="TRANSFORMATION", masking=True)
                        ],
                    )
                ]
            )
        }
    )
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace="airflow-prod", name="crm_to_dw.hash_emails")
    inputs = [InputDataset(namespace=CRM_DB, name="crm.public.contacts")]
    schema = sd.SchemaDatasetFacet(fields=[sd.SchemaDatasetFacetFields(name="email_hash")])
    outputs = [
        OutputDataset(
            namespace=WAREHOUSE,
            name="analytics.dw.customer",
            facets={"schema": schema, "columnLineage": lineage},
        )
    ]
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime="2026-12-06T02:00:00.000Z",
                run=run,
                job=job,
                producer="https://github.com/apache/airflow/tree/providers-openlineage/2.20.3",
                inputs=inputs,
                outputs=outputs,
            )
        )
    recorded = EtlJob.objects.get(key="airflow-prod.crm_to_dw.hash_emails")
    assert recorded.versions.count() == 1
    edge = LineageEdge.objects.select_related(
        "source__dataset__system", "target__dataset__system"
    ).get(job=recorded)
    assert (edge.source.ref, edge.target.ref, edge.masking) == (
        "crm:public.contacts.email",
        "dw:dw.customer.email_hash",
        True,
    )
