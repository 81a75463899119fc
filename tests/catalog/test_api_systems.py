"""/api/v1/catalog/systems/: access rules, natural keys, protected delete, filters, paging."""

from __future__ import annotations

import datetime

from django.utils import timezone

from catalog.models import Dataset, SourceSystem
from core.models import ChangeRecord
from tests.catalog.helpers import (
    SYSTEMS_URL,
    CatalogTestCase,
    add_dataset,
    add_system,
    system_url,
)
from tests.personas import EndpointRulesMixin


class SystemEndpointTests(EndpointRulesMixin, CatalogTestCase):
    list_url = SYSTEMS_URL
    model = SourceSystem
    patch_payload = {"description": "Tills in every store", "lifecycle": "deprecated"}
    bad_patch = ({"kind": "mainframe"}, "kind")

    def owned(self):
        return self.pos

    def url_of(self, obj):
        return system_url(obj.key)

    def create_payload(self):
        return {"key": "orders", "name": "Online orders", "kind": "orders"}

    def deletable(self):
        return add_system(self.engineer, "scratch")

    def test_system_is_found_by_its_key_in_any_case(self):
        for key in ("pos", "POS", "Pos"):
            with self.subTest(key=key):
                response = self.as_(self.consumer).get(system_url(key))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["key"], "pos")

    def test_unknown_key_is_404(self):
        self.assert_error(self.as_(self.engineer).get(system_url("nope")), 404, code="not_found")

    def test_detail_shows_its_dataset_count_and_url(self):
        body = self.as_(self.engineer).get(system_url("pos")).json()
        self.assertEqual(body["dataset_count"], 1)
        self.assertEqual(body["url"], "http://testserver/api/v1/catalog/systems/pos/")
        self.assertEqual(body["owning_team"], "Store systems")

    def test_upper_case_key_is_stored_lower_case(self):
        response = self.as_(self.steward).post(SYSTEMS_URL, {"key": "ORDERS", "name": "Orders"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["key"], "orders")
        self.assertTrue(SourceSystem.objects.filter(key="orders").exists())

    def test_duplicate_key_in_another_case_is_409(self):
        response = self.as_(self.steward).post(SYSTEMS_URL, {"key": "PoS", "name": "Again"})
        body = self.assert_error(response, 409, code="conflict")
        self.assertIn("already exists", body["message"])
        self.assertEqual(SourceSystem.objects.filter(key__iexact="pos").count(), 1)

    def test_key_that_is_not_a_slug_is_400(self):
        response = self.as_(self.engineer).post(SYSTEMS_URL, {"key": "point of sale", "name": "x"})
        body = self.assert_error(response, 400, path="key")
        self.assertIn("slug", body["message"])

    def test_bad_choices_are_each_reported(self):
        response = self.as_(self.engineer).post(
            SYSTEMS_URL, {"key": "x", "name": "x", "kind": "mainframe", "environment": "moon"}
        )
        body = self.assert_error(response, 400, path="kind")
        self.assertIn("environment", [e["path"] for e in body["errors"]])

    def test_creator_maintains_the_new_system_and_nobody_else_does(self):
        created = self.as_(self.engineer).post(SYSTEMS_URL, self.create_payload()).json()
        self.assertEqual(
            self.as_(self.engineer).patch(created["url"], {"name": "Web orders"}).status_code, 200
        )
        self.assert_error(self.as_(self.other_engineer).patch(created["url"], {"name": "x"}), 403)
        self.assert_error(self.as_(self.steward).delete(created["url"]), 403)

    def test_roles_without_add_permission_cannot_create_systems(self):
        for user in (self.committee, self.consumer, self.vendor, self.outsider):
            with self.subTest(user=user.username):
                response = self.as_(user).post(SYSTEMS_URL, self.create_payload())
                self.assert_error(response, 403, code="permission_denied")
        self.assertFalse(SourceSystem.objects.filter(key="orders").exists())

    def test_steward_may_register_a_system(self):
        response = self.as_(self.steward).post(SYSTEMS_URL, self.create_payload())
        self.assertEqual(response.status_code, 201, response.content)

    def test_renaming_the_key_moves_the_url(self):
        response = self.as_(self.engineer).patch(system_url("pos"), {"key": "till"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["url"], "http://testserver/api/v1/catalog/systems/till/")
        self.assert_error(self.as_(self.engineer).get(system_url("pos")), 404)

    def test_renaming_to_an_existing_key_is_409(self):
        response = self.as_(self.engineer).patch(system_url("pos"), {"key": "CRM"})
        self.assert_error(response, 409, code="conflict")
        self.assertTrue(SourceSystem.objects.filter(key="pos").exists())

    def test_deleting_a_system_with_datasets_is_409_listing_them_and_deletes_nothing(self):
        add_dataset(self.engineer, self.pos, "sales.stores")
        audit_rows = ChangeRecord.objects.count()
        response = self.as_(self.engineer).delete(system_url("pos"))
        body = self.assert_error(response, 409, code="protected")
        self.assertEqual(
            sorted(d["name"] for d in body["dependants"]),
            ["pos:sales.stores", "pos:sales.transactions"],
        )
        self.assertEqual({d["type"] for d in body["dependants"]}, {"catalog.dataset"})
        self.assertEqual(body["dependants_count"], 2)
        self.assertTrue(SourceSystem.objects.filter(key="pos").exists())
        self.assertEqual(Dataset.objects.filter(system=self.pos).count(), 2)
        self.assertEqual(ChangeRecord.objects.count(), audit_rows)


class SystemListTests(CatalogTestCase):
    """Filters, search, ordering and paging over pos, crm and dw."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.dw = add_system(
            cls.steward,
            "dw",
            name="Warehouse",
            kind="warehouse",
            lifecycle="deprecated",
            description="Nightly loads from every store",
            technical_contact="dw-team@corp.example",
        )
        SourceSystem.objects.filter(pk=cls.dw.pk).update(
            updated_at=timezone.now() - datetime.timedelta(days=30)
        )

    def get(self, **params):
        return self.as_(self.consumer).get(SYSTEMS_URL, params)

    def test_every_filter_selects_the_matching_systems(self):
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        cases = [
            ({}, ["crm", "dw", "pos"]),
            ({"key": "POS"}, ["pos"]),
            ({"kind": "crm"}, ["crm"]),
            ({"kind": ["crm", "warehouse"]}, ["crm", "dw"]),
            ({"environment": "staging"}, ["crm"]),
            ({"lifecycle": "deprecated"}, ["dw"]),
            ({"owning_team": "customer"}, ["crm"]),
            ({"technical_contact": "dw-team"}, ["dw"]),
            ({"updated_since": since}, ["crm", "pos"]),
            ({"q": "store"}, ["dw", "pos"]),  # description of dw, owning team of pos
            ({"q": "RELATIONS"}, ["crm"]),
            ({"q": "nothing like it"}, []),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assert_listed(self.get(**params), expected)

    def test_a_filter_value_outside_the_choices_is_400(self):
        self.assert_error(self.get(kind="mainframe"), 400, path="kind")

    def test_a_malformed_date_is_400(self):
        self.assert_error(self.get(updated_since="yesterday"), 400, path="updated_since")

    def test_list_is_ordered_by_key_unless_asked_otherwise(self):
        keys = [row["key"] for row in self.get().json()["results"]]
        self.assertEqual(keys, ["crm", "dw", "pos"])
        keys = [row["key"] for row in self.get(ordering="-key").json()["results"]]
        self.assertEqual(keys, ["pos", "dw", "crm"])
        names = [row["name"] for row in self.get(ordering="name").json()["results"]]
        self.assertEqual(names, ["Customer relations", "Point of sale", "Warehouse"])

    def test_limit_and_offset_page_through_with_a_count(self):
        page = self.get(limit=2).json()
        self.assertEqual(page["count"], 3)
        self.assertEqual([row["key"] for row in page["results"]], ["crm", "dw"])
        self.assertIsNone(page["previous"])
        self.assertIn("offset=2", page["next"])
        page = self.get(limit=2, offset=2).json()
        self.assertEqual([row["key"] for row in page["results"]], ["pos"])
        self.assertIsNone(page["next"])

    def test_list_rows_carry_their_dataset_count(self):
        counts = {row["key"]: row["dataset_count"] for row in self.get().json()["results"]}
        self.assertEqual(counts, {"crm": 1, "dw": 0, "pos": 1})
