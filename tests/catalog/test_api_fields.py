"""/api/v1/catalog/fields/: access rules, field-reference lookups, filters, ordering, paging."""

from __future__ import annotations

import datetime

from django.utils import timezone

from catalog.models import Field
from tests.catalog.helpers import (
    FIELDS_URL,
    CatalogTestCase,
    add_dataset,
    add_field,
    field_url,
)
from tests.personas import EndpointRulesMixin


class FieldEndpointTests(EndpointRulesMixin, CatalogTestCase):
    list_url = FIELDS_URL
    model = Field
    patch_payload = {"description": "Net of discounts", "data_type": "numeric(14,2)"}
    bad_patch = ({"ordinal": -1}, "ordinal")
    parent_key = ("dataset", "ref")

    def owned(self):
        return self.amount

    def url_of(self, obj):
        return field_url(obj.ref)

    def create_payload(self):
        return {"dataset": "pos:sales.transactions", "name": "tax", "ordinal": 3}

    def deletable(self):
        return add_field(self.engineer, self.transactions, "scratch", ordinal=9)

    def test_field_is_found_by_id_and_by_reference_in_any_case(self):
        client = self.as_(self.consumer)
        for key in (
            self.amount.pk,
            "pos:sales.transactions.amount",
            "POS:Sales.Transactions.AMOUNT",
        ):
            with self.subTest(key=key):
                response = client.get(field_url(key))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["ref"], "pos:sales.transactions.amount")

    def test_a_column_with_a_dot_is_looked_up_by_its_quoted_reference(self):
        add_field(self.engineer, self.transactions, "payload.id", ordinal=5)
        response = self.as_(self.engineer).get(field_url('pos:sales.transactions."payload.id"'))
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["name"], "payload.id")
        self.assertEqual(response.json()["ref"], 'pos:sales.transactions."payload.id"')

    def test_unknown_or_malformed_references_are_404(self):
        for key in (
            "pos:sales.transactions.nothing",
            "crm:sales.transactions.amount",
            "pos:sales.transactions",
            'pos:sales.transactions."amount',
            "pos:sales.transactions.",
        ):
            with self.subTest(key=key):
                self.assert_error(self.as_(self.engineer).get(field_url(key)), 404)

    def test_response_nests_a_brief_dataset_with_its_brief_system(self):
        body = self.as_(self.engineer).get(field_url("pos:sales.transactions.amount")).json()
        self.assertEqual(
            body["dataset"],
            {
                "id": self.transactions.pk,
                "url": f"http://testserver/api/v1/catalog/datasets/{self.transactions.pk}/",
                "ref": "pos:sales.transactions",
                "name": "sales.transactions",
                "kind": "table",
                "system": {
                    "id": self.pos.pk,
                    "url": "http://testserver/api/v1/catalog/systems/pos/",
                    "key": "pos",
                    "name": "Point of sale",
                    "kind": "pos",
                },
            },
        )
        self.assertEqual(body["ordinal"], 2)
        self.assertEqual(body["data_type"], "numeric(12,2)")

    def test_dataset_may_be_given_by_id_and_the_name_is_stored_lower_case(self):
        response = self.as_(self.engineer).post(
            FIELDS_URL, {"dataset": self.transactions.pk, "name": "Store_ID", "nullable": False}
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["ref"], "pos:sales.transactions.store_id")
        self.assertFalse(Field.objects.get(pk=response.json()["id"]).nullable)

    def test_same_name_in_another_case_is_409(self):
        response = self.as_(self.engineer).post(
            FIELDS_URL, {"dataset": "pos:sales.transactions", "name": "AMOUNT"}
        )
        body = self.assert_error(response, 409, code="conflict")
        self.assertIn("already has a field", body["message"])
        self.assertEqual(Field.objects.filter(dataset=self.transactions).count(), 1)

    def test_other_engineer_cannot_add_a_field_to_the_engineers_dataset(self):
        response = self.as_(self.other_engineer).post(FIELDS_URL, self.create_payload())
        self.assert_error(response, 403, code="permission_denied")
        self.assertFalse(Field.objects.filter(name="tax").exists())

    def test_outsider_cannot_name_a_dataset_it_cannot_see(self):
        response = self.as_(self.outsider).post(FIELDS_URL, self.create_payload())
        body = self.assert_error(response, 400, path="dataset")
        self.assertIn("No dataset", body["message"])

    def test_bad_dataset_references_are_400_naming_the_dataset(self):
        for dataset in ("pos:", "pos:nothing", 99999, True, ["pos:sales.transactions"]):
            with self.subTest(dataset=dataset):
                response = self.as_(self.engineer).post(
                    FIELDS_URL, {"dataset": dataset, "name": "x"}
                )
                self.assert_error(response, 400, path="dataset")

    def test_bad_status_and_ordinal_are_both_reported(self):
        response = self.as_(self.engineer).post(
            FIELDS_URL,
            {"dataset": "pos:sales.transactions", "name": "x", "status": "gone", "ordinal": "one"},
        )
        body = self.assert_error(response, 400, path="status")
        self.assertIn("ordinal", [e["path"] for e in body["errors"]])

    def test_a_field_cannot_move_to_another_dataset(self):
        other = add_dataset(self.engineer, self.pos, "sales.stores")
        response = self.as_(self.engineer).patch(
            field_url("pos:sales.transactions.amount"), {"dataset": other.ref}
        )
        body = self.assert_error(response, 400, path="dataset")
        self.assertIn("cannot move", body["message"])
        self.amount.refresh_from_db()
        self.assertEqual(self.amount.dataset_id, self.transactions.pk)


class FieldListTests(CatalogTestCase):
    """Filters, search, ordering and paging over five fields in three datasets."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.stores = add_dataset(cls.engineer, cls.pos, "sales.stores")
        add_field(
            cls.engineer, cls.transactions, "id", ordinal=1, data_type="bigint", nullable=False
        )
        add_field(cls.engineer, cls.transactions, "legacy_code", ordinal=3, status="deprecated")
        cls.region = add_field(
            cls.engineer, cls.stores, "region", data_type="varchar(20)", discovered=True
        )
        Field.objects.filter(pk=cls.region.pk).update(
            updated_at=timezone.now() - datetime.timedelta(days=30)
        )

    TRANSACTIONS = [
        "pos:sales.transactions.id",
        "pos:sales.transactions.amount",
        "pos:sales.transactions.legacy_code",
    ]

    def get(self, **params):
        return self.as_(self.consumer).get(FIELDS_URL, params)

    def test_a_malformed_dataset_reference_filter_is_a_400_naming_the_parameter(self):
        response = self.get(dataset="not a reference")
        body = self.assert_error(response, 400, code="invalid")
        self.assertEqual(body["errors"][0]["path"], "dataset")
        self.assertIn("not a dataset reference", body["message"])

    def test_every_filter_selects_the_matching_fields(self):
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        everything = [*self.TRANSACTIONS, "pos:sales.stores.region", "crm:public.contacts.email"]
        cases = [
            ({}, everything),
            ({"system": "CRM"}, ["crm:public.contacts.email"]),
            ({"dataset": "pos:sales.transactions"}, self.TRANSACTIONS),
            ({"dataset": "POS:Sales.Stores"}, ["pos:sales.stores.region"]),
            ({"dataset": str(self.contacts.pk)}, ["crm:public.contacts.email"]),
            ({"dataset_id": self.stores.pk}, ["pos:sales.stores.region"]),
            ({"name": "EMAIL"}, ["crm:public.contacts.email"]),
            ({"name_contains": "co"}, ["pos:sales.transactions.legacy_code"]),
            ({"data_type": "VARCHAR"}, ["pos:sales.stores.region", "crm:public.contacts.email"]),
            ({"nullable": "false"}, ["pos:sales.transactions.id", "crm:public.contacts.email"]),
            ({"status": "deprecated"}, ["pos:sales.transactions.legacy_code"]),
            (
                {"status": ["active", "deprecated"], "system": "pos"},
                [*self.TRANSACTIONS, "pos:sales.stores.region"],
            ),
            ({"discovered": "true"}, ["pos:sales.stores.region"]),
            ({"updated_since": since, "system": "pos"}, self.TRANSACTIONS),
            ({"q": "stores"}, ["pos:sales.stores.region"]),  # the dataset's name
            ({"q": "TAX INCLUDED"}, ["pos:sales.transactions.amount"]),  # the description
            ({"q": "zzz"}, []),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assert_listed(self.get(**params), expected)

    def test_bad_filter_values_are_400(self):
        self.assert_error(self.get(status="gone"), 400, path="status")
        self.assert_error(self.get(dataset_id="x"), 400, path="dataset_id")

    def test_a_dataset_lists_its_fields_by_ordinal_and_ordering_overrides_it(self):
        refs = [row["ref"] for row in self.get(dataset="pos:sales.transactions").json()["results"]]
        self.assertEqual(refs, self.TRANSACTIONS)
        names = [
            row["name"]
            for row in self.get(dataset="pos:sales.transactions", ordering="-ordinal").json()[
                "results"
            ]
        ]
        self.assertEqual(names, ["legacy_code", "amount", "id"])
        names = [row["name"] for row in self.get(system="pos", ordering="name").json()["results"]]
        self.assertEqual(names, ["amount", "id", "legacy_code", "region"])

    def test_limit_and_offset_page_through_with_a_count(self):
        first = self.get(limit=2).json()
        second = self.get(limit=2, offset=2).json()
        third = self.get(limit=2, offset=4).json()
        self.assertEqual(first["count"], 5)
        seen = [row["id"] for page in (first, second, third) for row in page["results"]]
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5)
        self.assertIsNone(third["next"])

    def test_limit_is_capped(self):
        self.assertEqual(len(self.get(limit=100000).json()["results"]), 5)
