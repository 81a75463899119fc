"""Who may do what with every lineage endpoint (the permission kit, tests/personas.py).

Job load_customer is the engineer's, load_sales the other engineer's; every role but vendors
reads lineage. A third job closes a loop (dw.sales.tier feeds dw.customer.tier back), and
dw.customer.segment comes from nowhere. OpenLineage's job etl/nightly is the engineer's."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.models import Dataset
from lineage.models import DatasetEdge, LineageEdge, SqlSubmission, UnmappedNamespace
from tests.catalog.helpers import add_field
from tests.lineage.helpers import API, CUSTOMER_SQL, LineageTestCase
from tests.personas import READS_CATALOG, EndpointPermissionKit, Op, personas, read

READERS = READS_CATALOG
DBT_MANIFEST = json.loads(
    (Path(__file__).parent / "fixtures" / "dbt" / "manifest.json").read_text()
)
MAINTAINERS = personas("engineer", "admin")
# Who may change system dw (where a resolved namespace or a dbt project writes).
DW_MAINTAINERS = personas("engineer", "other_engineer", "steward", "admin")
JOB = API + "jobs/{key}/"
JOB_URL = API + "jobs/load_customer/"
LOOP_SQL = "INSERT INTO dw.customer (tier) SELECT s.tier FROM dw.sales s;"


def version(test) -> int:
    return test.customer_job.current_version_id


def edge(test) -> LineageEdge:
    return LineageEdge.objects.filter(job=test.customer_job).order_by("id").first()


def dataset_edge(test) -> DatasetEdge:
    return DatasetEdge.objects.filter(job=test.customer_job).order_by("id").first()


def in_a_cycle(body) -> bool:
    return any("dw:dw.customer.tier" in cycle for cycle in body["cycles"])


def event(job: str) -> dict:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-25T02:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0192f1f8-3f40-7cc4-8d52-5c1f0b8a3b10"},
        "job": {"namespace": "etl", "name": job},
        "inputs": [{"namespace": "crm", "name": "public.contacts"}],
        "outputs": [{"namespace": "dw", "name": "dw.customer"}],
    }


class LineagePermissionTests(EndpointPermissionKit, LineageTestCase):
    OPS = [
        read(API + "jobs/", API + "jobs/", READERS, shows=lambda t: ("key", "load_customer")),
        Op("post", API + "jobs/", API + "jobs/", personas("steward", "engineer", "other_engineer",
           "admin"), success=201, collection=True,
           body={"key": "load_more", "name": "More", "system": "dw"}),
        read(JOB, JOB_URL, READERS),
        Op("put", JOB, JOB_URL, MAINTAINERS, READERS,
           body={"key": "load_customer", "name": "Customers", "system": "dw"}),
        Op("patch", JOB, JOB_URL, MAINTAINERS, READERS, body={"description": "x"}),
        Op("delete", JOB, API + "jobs/spare/", MAINTAINERS, READERS, success=204),
        Op("post", JOB + "submit/", JOB_URL + "submit/", MAINTAINERS, READERS, success=201,
           body={"sql": CUSTOMER_SQL}),
        read(API + "versions/", API + "versions/", READERS,
             shows=lambda t: ("id", t.customer_job.current_version_id)),
        read(API + "versions/{id}/", lambda t: f"{API}versions/{version(t)}/", READERS),
        read(API + "edges/", API + "edges/", READERS, shows=lambda t: ("id", edge(t).pk)),
        read(API + "edges/{id}/", lambda t: f"{API}edges/{edge(t).pk}/", READERS),
        read(API + "dataset-edges/", API + "dataset-edges/", READERS,
             shows=lambda t: ("id", dataset_edge(t).pk)),
        read(API + "dataset-edges/{id}/", lambda t: f"{API}dataset-edges/{dataset_edge(t).pk}/",
             READERS),
        read(API + "graph/", API + "graph/", READERS,
             body={"field": "dw:dw.customer.email_hash", "direction": "upstream"}),
        read(API + "graph/paths/", API + "graph/paths/", READERS,
             body={"source": "crm:public.contacts.email", "target": "dw:dw.customer.email_hash"}),
        read(API + "graph/cycles/", API + "graph/cycles/", READERS, shows=lambda t: in_a_cycle),
        read(API + "graph/orphans/", API + "graph/orphans/", READERS,
             body={"system": "dw"}, shows=lambda t: lambda body: (
                 "dw:dw.customer.segment" in body["orphans"])),
        # A check changes nothing: whoever reads the job may run it.
        Op("post", API + "check/", API + "check/", READERS,
           body={"job": "load_customer", "sql": CUSTOMER_SQL}),
        Op("post", API + "openlineage/", API + "openlineage/", MAINTAINERS, READERS, success=201,
           body=event("nightly")),
        read(JOB + "openlineage/", JOB_URL + "openlineage/", READERS),
        read(API + "openlineage/namespaces/", API + "openlineage/namespaces/", READERS,
             shows=lambda t: ("id", t.pending.pk)),
        read(API + "openlineage/namespaces/{id}/",
             lambda t: f"{API}openlineage/namespaces/{t.pending.pk}/", READERS),
        Op("post", API + "openlineage/namespaces/{id}/resolve/",
           lambda t: f"{API}openlineage/namespaces/{t.pending.pk}/resolve/", DW_MAINTAINERS,
           READERS, body={"system": "dw"}),
        Op("post", API + "dbt/", API + "dbt/", DW_MAINTAINERS, READERS, collection=True,
           parent_readers=READERS,
           body=lambda t: {"system": "dw", "manifest": DBT_MANIFEST}),
        # Asynchronous submissions: a check, like the synchronous one, for whoever reads the job;
        # each caller lists and reads only its own submissions.
        Op("post", API + "submissions/", API + "submissions/", READERS, success=202,
           body={"job": "load_customer", "action": "check", "sql": CUSTOMER_SQL}),
        read(API + "submissions/", API + "submissions/", MAINTAINERS,
             shows=lambda t: ("id", t.submission.pk)),
        read(API + "submissions/{id}/", lambda t: f"{API}submissions/{t.submission.pk}/",
             MAINTAINERS),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.add_job(cls.engineer, "spare")
        cls.add_job(cls.engineer, "etl.nightly")  # what OpenLineage job etl/nightly names
        cls.add_job(cls.other_engineer, "loop", LOOP_SQL)
        add_field(cls.engineer, Dataset.objects.get(name="dw.customer"), "segment", ordinal=9)
        cls.pending = UnmappedNamespace.objects.create(namespace="postgres://nowhere:5432")
        cls.submission = SqlSubmission.objects.create(
            job=cls.customer_job, action="check", sql=CUSTOMER_SQL, submitted_by=cls.engineer
        )
