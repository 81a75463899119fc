"""A small catalog shared by the catalog and audit tests.

System `pos` is registered (and so maintained) by the engineer, `crm` by the other engineer.
"""

from __future__ import annotations

from urllib.parse import quote

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import create_dataset, create_field, create_system
from core.audit import Actor
from tests.personas import PersonaTestCase

API = "/api/v1/catalog/"
SYSTEMS_URL = API + "systems/"
DATASETS_URL = API + "datasets/"
FIELDS_URL = API + "fields/"


def system_url(key: str, suffix: str = "") -> str:
    return f"{SYSTEMS_URL}{quote(key, safe='')}/{suffix}"


def dataset_url(ref) -> str:
    return f"{DATASETS_URL}{quote(str(ref), safe=':.')}/"


def field_url(ref) -> str:
    return f"{FIELDS_URL}{quote(str(ref), safe=':.')}/"


def add_system(user, key: str, **extra) -> SourceSystem:
    return create_system(Actor(user), {"key": key, "name": extra.pop("name", key.upper()), **extra})


def add_dataset(user, system: SourceSystem, name: str, **extra) -> Dataset:
    return create_dataset(Actor(user), {"system": system, "name": name, **extra})


def add_field(user, dataset: Dataset, name: str, ordinal: int = 1, **extra) -> Field:
    return create_field(
        Actor(user), {"dataset": dataset, "name": name, "ordinal": ordinal, **extra}
    )


class CatalogTestCase(PersonaTestCase):
    """The personas plus two systems owned by different engineers, each with a dataset and
    fields."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.pos = add_system(
            cls.engineer,
            "pos",
            name="Point of sale",
            kind="pos",
            owning_team="Store systems",
            technical_contact="ops@pos.example",
        )
        cls.transactions = add_dataset(
            cls.engineer, cls.pos, "sales.transactions", description="Till receipts"
        )
        cls.amount = add_field(
            cls.engineer,
            cls.transactions,
            "amount",
            ordinal=2,
            data_type="numeric(12,2)",
            description="Gross amount, tax included",
        )
        cls.crm = add_system(
            cls.other_engineer,
            "crm",
            name="Customer relations",
            kind="crm",
            environment="staging",
            owning_team="Customer team",
        )
        cls.contacts = add_dataset(cls.other_engineer, cls.crm, "public.contacts", kind="view")
        cls.email = add_field(
            cls.other_engineer, cls.contacts, "email", data_type="varchar(200)", nullable=False
        )

    def assert_listed(self, response, expected) -> None:
        """The page holds exactly the objects named in `expected` (by their `ref` or `key`)."""
        self.assertEqual(response.status_code, 200, response.content[:2000])
        names = [row.get("ref", row.get("key")) for row in response.json()["results"]]
        self.assertEqual(sorted(names), sorted(expected))
