"""A small retail catalog and two jobs shared by the lineage tests.

Sources: crm (public.contacts) and pos (sales.transactions), maintained by the steward.
Warehouse dw (kind warehouse) with dw.customer and dw.sales. Job `load_customer` (engineer's)
builds dw.customer from crm; job `load_sales` (other engineer's) builds dw.sales from pos and
dw.customer."""

from __future__ import annotations

from django.test import override_settings

from catalog.models import Field
from catalog.services import import_systems
from core.audit import Actor
from lineage.models import EtlJob, LineageEdge
from lineage.services import create_job, submit_sql
from tests.personas import PersonaTestCase

API = "/api/v1/lineage/"


def cols(*names):
    return [{"name": n} for n in names]


CATALOG = [
    {
        "key": "crm",
        "name": "CRM",
        "kind": "crm",
        "owning_team": "Customer team",
        "datasets": [
            {"name": "public.contacts", "fields": cols("contact_id", "email", "phone", "tier")}
        ],
    },
    {
        "key": "pos",
        "name": "POS",
        "kind": "pos",
        "owning_team": "Store IT",
        "datasets": [
            {"name": "sales.transactions", "fields": cols("txn_id", "contact_id", "amount")}
        ],
    },
    {
        "key": "dw",
        "name": "Warehouse",
        "kind": "warehouse",
        "owning_team": "Data Platform",
        "technical_contact": "dp@example.com",
        "datasets": [
            {"name": "dw.customer", "fields": cols("customer_id", "email_hash", "tier")},
            {"name": "dw.sales", "fields": cols("customer_id", "amount", "tier")},
        ],
    },
]

CUSTOMER_SQL = """
INSERT INTO dw.customer (customer_id, email_hash, tier)
SELECT c.contact_id, MD5(LOWER(c.email)), UPPER(c.tier)
FROM public.contacts c;
"""

SALES_SQL = """
INSERT INTO dw.sales (customer_id, amount, tier)
SELECT t.contact_id, t.amount, c.tier
FROM sales.transactions t
JOIN dw.customer c ON c.customer_id = t.contact_id;
"""


def direct_edges(job) -> set[tuple[str, str]]:
    return {
        (e.source.ref, e.target.ref)
        for e in LineageEdge.objects.filter(job=job, type="DIRECT").select_related(
            "source__dataset__system", "target__dataset__system"
        )
    }


def field(ref: str) -> Field:
    system, rest = ref.split(":", 1)
    dataset, _, name = rest.rpartition(".")
    return Field.objects.get(dataset__system__key=system, dataset__name=dataset, name=name)


# The personas' passwords are never checked here: a fast hasher saves seconds per test class.
fast_passwords = override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
)


@fast_passwords
class LineageTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        import_systems(Actor.system("tests"), CATALOG, remove_missing=False)
        # The engineers maintain the warehouse (their jobs write into it); the steward the rest.
        for user, keys in ((cls.engineer, ["dw"]), (cls.other_engineer, ["dw"])):
            cls.grant_systems(user, *keys)
        cls.grant_systems(cls.steward, "crm", "pos", "dw")
        cls.customer_job = cls.add_job(cls.engineer, "load_customer", CUSTOMER_SQL)
        cls.sales_job = cls.add_job(cls.other_engineer, "load_sales", SALES_SQL)

    @staticmethod
    def grant_systems(user, *keys: str) -> None:
        from guardian.shortcuts import assign_perm

        from catalog.models import SourceSystem

        for key in keys:
            assign_perm("catalog.change_sourcesystem", user, SourceSystem.objects.get(key=key))

    @staticmethod
    def add_job(user, key: str, sql: str | None = None, system: str = "dw", **extra) -> EtlJob:
        from catalog.models import SourceSystem

        job = create_job(
            Actor(user),
            {"key": key, "name": key, "system": SourceSystem.objects.get(key=system), **extra},
        )
        if sql:
            submit_sql(Actor(user), job, sql)
            job.refresh_from_db()
        return job


BROKEN_SQL = "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts WHERE ;"
