"""Our lineage out as OpenLineage: GET /lineage/jobs/{key}/openlineage/ and
`manage.py openlineage_export`; exporting a job and ingesting the export reproduces its lineage."""

from __future__ import annotations

import copy
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from guardian.shortcuts import assign_perm

from catalog.models import SourceSystem
from catalog.services import import_systems, update_system
from core.audit import Actor
from core.services import issue_token
from lineage.models import DatasetEdge, EtlJob, LineageEdge
from tests.lineage.helpers import API, CATALOG, CUSTOMER_SQL, LineageTestCase

WAREHOUSE = "postgres://warehouse:5432"


def lineage_of(job) -> tuple[set, set]:
    edges = {
        (e.source.ref, e.target.ref, e.type, e.subtype, e.masking, e.expression)
        for e in LineageEdge.objects.filter(job=job).select_related(
            "source__dataset__system", "target__dataset__system"
        )
    }
    pairs = {
        (d.source.ref, d.target.ref)
        for d in DatasetEdge.objects.filter(job=job).select_related(
            "source__system", "target__system"
        )
    }
    return edges, pairs


class ExportTests(LineageTestCase):
    def export(self, key="load_customer", user=None):
        return self.as_(user or self.steward).get(f"{API}jobs/{key}/openlineage/")

    def test_a_job_is_one_complete_event_with_the_column_lineage_facet(self):
        response = self.export()
        self.assertEqual(response.status_code, 200, response.content)
        (event,) = response.json()
        self.assertEqual(event["eventType"], "COMPLETE")
        self.assertEqual(event["job"]["name"], "load_customer")
        self.assertEqual(
            [(d["namespace"], d["name"]) for d in event["inputs"]], [("crm", "public.contacts")]
        )
        (output,) = event["outputs"]
        self.assertEqual((output["namespace"], output["name"]), ("dw", "dw.customer"))
        fields = output["facets"]["columnLineage"]["fields"]
        self.assertEqual(set(fields), {"customer_id", "email_hash", "tier"})
        (email,) = fields["email_hash"]["inputFields"]
        self.assertEqual(
            (email["namespace"], email["name"], email["field"]), ("crm", "public.contacts", "email")
        )
        direct = [t for t in email["transformations"] if t["type"] == "DIRECT"]
        self.assertEqual(len(direct), 1)
        self.assertTrue(direct[0]["masking"])
        self.assertIn("md5", direct[0]["description"].lower())

    def test_exporting_and_reingesting_as_another_job_reproduces_the_lineage(self):
        (event,) = self.export().json()
        event["job"] = {"namespace": "marquez-copy", "name": "load_customer"}
        response = self.as_(self.engineer).post(API + "openlineage/", event, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        copy_job = EtlJob.objects.get(key="marquez-copy.load_customer")
        self.assertEqual(lineage_of(copy_job), lineage_of(self.customer_job))
        self.assertTrue(lineage_of(copy_job)[0])

    def test_datasets_are_named_by_the_systems_namespace_and_database_and_map_back(self):
        update_system(
            Actor.system("tests"),
            SourceSystem.objects.get(key="dw"),
            {"openlineage_namespaces": [WAREHOUSE], "openlineage_database": "analytics"},
        )
        (event,) = self.export("load_sales").json()
        self.assertEqual(
            (event["outputs"][0]["namespace"], event["outputs"][0]["name"]),
            (WAREHOUSE, "analytics.dw.sales"),
        )
        event["job"]["name"] = "load_sales_again"
        self.grant_systems(self.engineer, "dw")
        response = self.as_(self.engineer).post(API + "openlineage/", [event], format="json")
        self.assertEqual(response.status_code, 200, response.content)
        again = EtlJob.objects.get(key="data-governance-catalog.load_sales_again")
        self.assertEqual(lineage_of(again), lineage_of(self.sales_job))

    def test_a_job_without_lineage_exports_no_event(self):
        self.add_job(self.engineer, "empty")
        self.assertEqual(self.export("empty").json(), [])

    def test_who_may_export(self):
        self.assertEqual(
            self.as_(None).get(f"{API}jobs/load_customer/openlineage/").status_code, 401
        )
        self.assert_error(self.export(user=self.vendor), 404)
        self.assert_error(self.export("nope"), 404)
        self.assertEqual(self.export(user=self.other_engineer).status_code, 200)

    def test_the_command_prints_the_events(self):
        out = io.StringIO()
        call_command("openlineage_export", "--job", "load_customer", "--print", stdout=out)
        self.assertIn('"columnLineage"', out.getvalue())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_export_command_posts_to_another_openlineage_endpoint(live_server):
    actor = Actor.system("tests")
    import_systems(actor, copy.deepcopy(CATALOG), remove_missing=False)
    from lineage.services import create_job, submit_sql

    job = create_job(
        actor, {"key": "load_customer", "name": "x", "system": SourceSystem.objects.get(key="dw")}
    )
    submit_sql(actor, job, CUSTOMER_SQL)
    receiver = get_user_model().objects.create_user("marquez")
    receiver.groups.add(Group.objects.get(name="engineer"))
    assign_perm("catalog.change_sourcesystem", receiver, SourceSystem.objects.get(key="dw"))
    _, key = issue_token(actor, receiver, name="export")
    out = io.StringIO()
    call_command(
        "openlineage_export",
        "--job",
        "load_customer",
        "--url",
        live_server.url,
        "--endpoint",
        "api/v1/lineage/openlineage/",
        f"--api-key={key}",  # a token may start with "-"
        stdout=out,
    )
    assert "1 event(s) sent" in out.getvalue()
    received = EtlJob.objects.get(key="data-governance-catalog.load_customer")
    assert lineage_of(received) == lineage_of(job)
