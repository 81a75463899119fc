"""Who may do what with every catalog endpoint (the permission kit, tests/personas.py).

pos (with sales.transactions.amount) is maintained by the engineer, crm by the other engineer;
every role but vendors reads the whole catalog."""

from __future__ import annotations

from tests.catalog.helpers import (
    DATASETS_URL,
    FIELDS_URL,
    SYSTEMS_URL,
    CatalogTestCase,
    add_dataset,
    add_field,
    add_system,
    dataset_url,
    field_url,
    system_url,
)
from tests.personas import READS_CATALOG, EndpointPermissionKit, Op, personas, read

CATALOG_READERS = READS_CATALOG
POS_MAINTAINERS = personas("engineer", "admin")
REGISTRARS = personas("steward", "engineer", "other_engineer", "admin")

SYSTEM = "/api/v1/catalog/systems/{key}/"
DATASET = "/api/v1/catalog/datasets/{id}/"
FIELD = "/api/v1/catalog/fields/{id}/"


def changes(path, url, body=None, success=200, **extra) -> list[Op]:
    """PUT (with `body`), PATCH and DELETE of one of the engineer's objects."""
    ops = [
        Op("patch", path, url, POS_MAINTAINERS, CATALOG_READERS, body={"description": "x"}),
        Op("delete", path, extra.pop("deletable"), POS_MAINTAINERS, CATALOG_READERS, success=204),
    ]
    if body is not None:
        ops.append(Op("put", path, url, POS_MAINTAINERS, CATALOG_READERS, body=body))
    return ops


class CatalogPermissionTests(EndpointPermissionKit, CatalogTestCase):
    OPS = [
        read(SYSTEMS_URL, SYSTEMS_URL, CATALOG_READERS, shows=lambda t: ("key", "pos")),
        Op("post", SYSTEMS_URL, SYSTEMS_URL, REGISTRARS, success=201, collection=True,
           body={"key": "tills", "name": "Tills"}),
        read(SYSTEM, system_url("pos"), CATALOG_READERS),
        *changes(SYSTEM, system_url("pos"), {"key": "pos", "name": "Tills", "kind": "pos"},
                 deletable=system_url("empty")),
        Op("post", SYSTEM + "bulk/", system_url("pos", "bulk/"), POS_MAINTAINERS, CATALOG_READERS,
           body={"datasets": [{"name": "sales.stores", "fields": [{"name": "store_id"}]}]}),
        read(DATASETS_URL, DATASETS_URL, CATALOG_READERS,
             shows=lambda t: ("ref", "pos:sales.transactions")),
        Op("post", DATASETS_URL, DATASETS_URL, POS_MAINTAINERS, success=201, collection=True,
           parent_readers=CATALOG_READERS, body={"system": "pos", "name": "sales.refunds"}),
        read(DATASET, dataset_url("pos:sales.transactions"), CATALOG_READERS),
        *changes(DATASET, dataset_url("pos:sales.transactions"),
                 {"system": "pos", "name": "sales.transactions", "description": "x"},
                 deletable=dataset_url("pos:sales.empty")),
        read(FIELDS_URL, FIELDS_URL, CATALOG_READERS,
             shows=lambda t: ("ref", "pos:sales.transactions.amount")),
        Op("post", FIELDS_URL, FIELDS_URL, POS_MAINTAINERS, success=201, collection=True,
           parent_readers=CATALOG_READERS,
           body={"dataset": "pos:sales.transactions", "name": "tax"}),
        read(FIELD, field_url("pos:sales.transactions.amount"), CATALOG_READERS),
        *changes(FIELD, field_url("pos:sales.transactions.amount"),
                 {"dataset": "pos:sales.transactions", "name": "amount", "ordinal": 2},
                 deletable=field_url("pos:sales.transactions.spare")),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        add_system(cls.engineer, "empty")
        add_dataset(cls.engineer, cls.pos, "sales.empty")
        add_field(cls.engineer, cls.transactions, "spare", ordinal=9)
