"""/api/v1/catalog/datasets/: access rules, `system:dataset` lookups, protected delete, filters."""

from __future__ import annotations

import datetime

from django.utils import timezone

from catalog.models import Dataset, Field
from tests.catalog.helpers import (
    DATASETS_URL,
    CatalogTestCase,
    add_dataset,
    add_field,
    dataset_url,
    system_url,
)
from tests.personas import EndpointRulesMixin


class DatasetEndpointTests(EndpointRulesMixin, CatalogTestCase):
    list_url = DATASETS_URL
    model = Dataset
    patch_payload = {"description": "Every receipt line", "status": "deprecated"}
    bad_patch = ({"name": "sales..transactions"}, "name")
    parent_key = ("system", "key")

    def owned(self):
        return self.transactions

    def url_of(self, obj):
        return dataset_url(obj.ref)

    def create_payload(self):
        return {"system": "pos", "name": "sales.refunds", "kind": "table"}

    def deletable(self):
        return add_dataset(self.engineer, self.pos, "scratch.rows")

    def test_dataset_is_found_by_id_and_by_reference_in_any_case(self):
        client = self.as_(self.consumer)
        for key in (self.transactions.pk, "pos:sales.transactions", "POS:Sales.Transactions"):
            with self.subTest(key=key):
                response = client.get(dataset_url(key))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["ref"], "pos:sales.transactions")

    def test_unknown_or_malformed_references_are_404(self):
        for key in (
            "crm:sales.transactions",
            "pos:nothing",
            "pos:",
            "no-colon",
            "BAD KEY:x",
            99999,
        ):
            with self.subTest(key=key):
                self.assert_error(self.as_(self.engineer).get(dataset_url(key)), 404)

    def test_outsider_cannot_find_it_by_reference_either(self):
        self.assert_error(self.as_(self.outsider).get(dataset_url("pos:sales.transactions")), 404)

    def test_response_nests_a_brief_system(self):
        body = self.as_(self.engineer).get(dataset_url("pos:sales.transactions")).json()
        self.assertEqual(
            body["system"],
            {
                "id": self.pos.pk,
                "url": "http://testserver/api/v1/catalog/systems/pos/",
                "key": "pos",
                "name": "Point of sale",
                "kind": "pos",
            },
        )
        self.assertEqual(body["field_count"], 1)
        self.assertFalse(body["discovered"])

    def test_name_is_stored_lower_case(self):
        response = self.as_(self.engineer).post(
            DATASETS_URL, {"system": "POS", "name": "Sales.Refunds"}
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["ref"], "pos:sales.refunds")
        self.assertTrue(Dataset.objects.filter(system=self.pos, name="sales.refunds").exists())

    def test_same_name_in_another_case_is_409(self):
        response = self.as_(self.engineer).post(
            DATASETS_URL, {"system": "pos", "name": "SALES.TRANSACTIONS"}
        )
        body = self.assert_error(response, 409, code="conflict")
        self.assertIn("already has a dataset", body["message"])
        self.assertEqual(Dataset.objects.filter(system=self.pos).count(), 1)

    def test_same_name_in_another_system_is_fine(self):
        response = self.as_(self.other_engineer).post(
            DATASETS_URL, {"system": "crm", "name": "sales.transactions"}
        )
        self.assertEqual(response.status_code, 201, response.content)

    def test_other_engineer_cannot_add_a_dataset_to_the_engineers_system(self):
        response = self.as_(self.other_engineer).post(DATASETS_URL, self.create_payload())
        body = self.assert_error(response, 403, code="permission_denied")
        self.assertIn("pos", body["message"])
        self.assertFalse(Dataset.objects.filter(name="sales.refunds").exists())

    def test_outsider_cannot_name_a_system_it_cannot_see(self):
        response = self.as_(self.outsider).post(DATASETS_URL, self.create_payload())
        body = self.assert_error(response, 400, path="system")
        self.assertIn("No system", body["message"])

    def test_unknown_system_and_bad_kind_are_both_reported(self):
        response = self.as_(self.engineer).post(
            DATASETS_URL, {"system": "nope", "name": "x", "kind": "spreadsheet"}
        )
        body = self.assert_error(response, 400, path="system")
        self.assertIn("kind", [e["path"] for e in body["errors"]])

    def test_name_with_stray_dots_is_400(self):
        for name in ("x.", ".x", "a..b"):
            with self.subTest(name=name):
                response = self.as_(self.engineer).post(
                    DATASETS_URL, {"system": "pos", "name": name}
                )
                self.assert_error(response, 400, path="name")

    def test_a_dataset_cannot_move_to_another_system(self):
        response = self.as_(self.engineer).patch(
            dataset_url("pos:sales.transactions"), {"system": "crm"}
        )
        body = self.assert_error(response, 400, path="system")
        self.assertIn("cannot move", body["message"])
        self.transactions.refresh_from_db()
        self.assertEqual(self.transactions.system_id, self.pos.pk)

    def test_a_number_in_tags_owners_or_namespaces_is_400(self):
        """Found by Schemathesis on PostgreSQL: [0] was stored as ["0"] where the schema says an
        array of strings."""
        response = self.as_(self.engineer).patch(
            dataset_url("pos:sales.transactions"), {"tags": [0]}
        )
        self.assert_error(response, 400, path="tags[0]")
        response = self.as_(self.engineer).patch(
            dataset_url("pos:sales.transactions"), {"owners": [0]}
        )
        self.assert_error(response, 400, path="owners[0]")
        response = self.as_(self.admin).patch(system_url("pos"), {"openlineage_namespaces": [0]})
        self.assert_error(response, 400, path="openlineage_namespaces[0]")

    def test_discovered_flag_is_read_only(self):
        response = self.as_(self.engineer).patch(
            dataset_url("pos:sales.transactions"), {"discovered": True}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.json()["discovered"])

    def test_a_description_written_through_the_api_is_marked_written_not_a_comment(self):
        Dataset.objects.filter(pk=self.transactions.pk).update(
            description="From the database", description_source="comment"
        )
        url = dataset_url("pos:sales.transactions")
        self.assertEqual(self.as_(self.engineer).get(url).json()["description_source"], "comment")
        response = self.as_(self.engineer).patch(
            url, {"description": "Till receipts", "description_source": "comment"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["description"], response.json()["description_source"]),
            ("Till receipts", "written"),
        )

    def test_deleting_a_dataset_with_fields_is_409_listing_them_and_deletes_nothing(self):
        response = self.as_(self.engineer).delete(dataset_url("pos:sales.transactions"))
        body = self.assert_error(response, 409, code="protected")
        self.assertEqual(
            body["dependants"],
            [
                {
                    "type": "catalog.field",
                    "id": self.amount.pk,
                    "name": "pos:sales.transactions.amount",
                }
            ],
        )
        self.assertTrue(Dataset.objects.filter(pk=self.transactions.pk).exists())
        self.assertTrue(Field.objects.filter(pk=self.amount.pk).exists())


class DatasetListTests(CatalogTestCase):
    """Filters, search, ordering and paging over pos's three datasets and crm's one."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.stores = add_dataset(
            cls.engineer, cls.pos, "sales.stores", kind="view", status="deprecated"
        )
        cls.events = add_dataset(
            cls.engineer,
            cls.pos,
            "staging.raw_events",
            kind="stream",
            discovered=True,
            description="Seen in the nightly ETL",
        )
        add_field(cls.engineer, cls.stores, "store_id")
        add_field(cls.engineer, cls.stores, "region", ordinal=2)
        Dataset.objects.filter(pk=cls.events.pk).update(
            updated_at=timezone.now() - datetime.timedelta(days=30)
        )

    def get(self, **params):
        return self.as_(self.consumer).get(DATASETS_URL, params)

    def test_every_filter_selects_the_matching_datasets(self):
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        pos_all = ["pos:sales.stores", "pos:sales.transactions", "pos:staging.raw_events"]
        cases = [
            ({}, [*pos_all, "crm:public.contacts"]),
            ({"system": "POS"}, pos_all),
            ({"system_id": self.crm.pk}, ["crm:public.contacts"]),
            ({"name": "SALES.STORES"}, ["pos:sales.stores"]),
            ({"name_contains": "sales."}, ["pos:sales.stores", "pos:sales.transactions"]),
            ({"kind": "view"}, ["pos:sales.stores", "crm:public.contacts"]),
            ({"kind": ["stream", "table"]}, ["pos:sales.transactions", "pos:staging.raw_events"]),
            ({"status": "deprecated"}, ["pos:sales.stores"]),
            ({"discovered": "true"}, ["pos:staging.raw_events"]),
            (
                {"discovered": "false", "system": "pos"},
                ["pos:sales.stores", "pos:sales.transactions"],
            ),
            (
                {"updated_since": since, "system": "pos"},
                ["pos:sales.stores", "pos:sales.transactions"],
            ),
            ({"q": "nightly"}, ["pos:staging.raw_events"]),
            ({"q": "CONTACT"}, ["crm:public.contacts"]),
            ({"q": "zzz"}, []),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assert_listed(self.get(**params), expected)

    def test_bad_filter_values_are_400(self):
        self.assert_error(self.get(status="gone"), 400, path="status")
        self.assert_error(self.get(system_id="abc"), 400, path="system_id")

    def test_default_order_is_system_then_name_and_ordering_overrides_it(self):
        refs = [row["ref"] for row in self.get().json()["results"]]
        self.assertEqual(
            refs,
            [
                "crm:public.contacts",
                "pos:sales.stores",
                "pos:sales.transactions",
                "pos:staging.raw_events",
            ],
        )
        names = [row["name"] for row in self.get(ordering="-name", system="pos").json()["results"]]
        self.assertEqual(names, ["staging.raw_events", "sales.transactions", "sales.stores"])

    def test_limit_and_offset_page_through_with_a_count(self):
        page = self.get(limit=3, offset=1).json()
        self.assertEqual(page["count"], 4)
        self.assertEqual(len(page["results"]), 3)
        self.assertIsNone(page["next"])
        self.assertIn("limit=3", page["previous"])

    def test_rows_carry_field_counts_and_brief_systems(self):
        rows = {row["ref"]: row for row in self.get(system="pos").json()["results"]}
        self.assertEqual(rows["pos:sales.stores"]["field_count"], 2)
        self.assertEqual(rows["pos:staging.raw_events"]["field_count"], 0)
        self.assertEqual(rows["pos:sales.stores"]["system"]["key"], "pos")

    def test_outsider_filtering_by_system_still_sees_nothing(self):
        response = self.as_(self.outsider).get(DATASETS_URL, {"system": "pos"})
        self.assertEqual(response.json()["count"], 0)
