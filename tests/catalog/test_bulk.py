"""POST /api/v1/catalog/systems/<key>/bulk/: idempotent, all-or-nothing upsert of one system's
datasets and fields."""

from __future__ import annotations

import copy

from catalog.models import Dataset, Field
from core.audit import current_catalog_version
from core.models import ChangeRecord
from tests.catalog.helpers import CatalogTestCase, add_dataset, add_field, system_url

URL = system_url("pos", "bulk/")

PAYLOAD = {
    "datasets": [
        {
            "name": "sales.transactions",
            "description": "Till receipts",
            "fields": [
                {"name": "id", "data_type": "bigint", "nullable": False},
                {"name": "amount", "data_type": "numeric(12,2)"},
                {"name": "tax", "data_type": "numeric(12,2)", "description": "VAT"},
            ],
        },
        {
            "name": "sales.stores",
            "kind": "view",
            "fields": [{"name": "store_id"}, {"name": "region", "data_type": "text"}],
        },
    ]
}


def payload(**changes) -> dict:
    body = copy.deepcopy(PAYLOAD)
    body.update(changes)
    return body


class BulkTestCase(CatalogTestCase):
    def bulk(self, body, user=None, status_code=200):
        response = self.as_(user or self.engineer).post(URL, body, format="json")
        self.assertEqual(response.status_code, status_code, response.content[:3000])
        return response.json()

    def state(self) -> tuple:
        """What an all-or-nothing failure must leave untouched."""
        return (
            Dataset.objects.count(),
            Field.objects.count(),
            ChangeRecord.objects.count(),
            current_catalog_version(),
            sorted(Field.objects.values_list("name", "description", "data_type", "status")),
        )

    def field(self, dataset: str, name: str) -> Field:
        return Field.objects.get(dataset__system=self.pos, dataset__name=dataset, name=name)


class BulkUpsertTests(BulkTestCase):
    def test_first_run_creates_what_is_new(self):
        result = self.bulk(PAYLOAD)
        self.assertEqual(
            result,
            {
                "system": "pos",
                "created": {"datasets": 1, "fields": 4},
                "updated": {"datasets": 0, "fields": 0},
                "unchanged": {"datasets": 1, "fields": 1},  # amount, already registered
                "removed": {"datasets": 0, "fields": 0},
            },
        )
        self.assertEqual(
            list(
                Field.objects.filter(dataset__name="sales.transactions").values_list(
                    "name", "ordinal"
                )
            ),
            [("id", 1), ("amount", 2), ("tax", 3)],
        )
        self.assertEqual(Dataset.objects.get(system=self.pos, name="sales.stores").kind, "view")
        self.assertFalse(self.field("sales.transactions", "id").nullable)

    def test_second_identical_run_changes_nothing_and_writes_no_audit(self):
        self.bulk(PAYLOAD)
        before = self.state()
        stamps = list(Field.objects.values_list("updated_at", flat=True))
        result = self.bulk(PAYLOAD)
        self.assertEqual(result["created"], {"datasets": 0, "fields": 0})
        self.assertEqual(result["updated"], {"datasets": 0, "fields": 0})
        self.assertEqual(result["unchanged"], {"datasets": 2, "fields": 5})
        self.assertEqual(self.state(), before)
        self.assertEqual(list(Field.objects.values_list("updated_at", flat=True)), stamps)

    def test_only_changed_attributes_are_updated(self):
        self.bulk(PAYLOAD)
        audit_before = ChangeRecord.objects.count()
        body = payload()
        body["datasets"][0]["fields"][2]["description"] = "Value-added tax, 5%"
        result = self.bulk(body)
        self.assertEqual(result["updated"], {"datasets": 0, "fields": 1})
        self.assertEqual(result["unchanged"], {"datasets": 2, "fields": 4})
        self.assertEqual(self.field("sales.transactions", "tax").description, "Value-added tax, 5%")
        record = ChangeRecord.objects.get(
            id__gt=ChangeRecord.objects.order_by("id")[audit_before - 1].id
        )
        # One record for the dataset, naming the field and only what changed in it.
        self.assertEqual(record.action, "update")
        self.assertEqual(record.object_repr, "pos:sales.transactions")
        tax = self.field("sales.transactions", "tax").pk
        self.assertEqual(record.before, {"fields": {"tax": {"id": tax, "description": "VAT"}}})
        self.assertEqual(
            record.after,
            {
                "fields": {"tax": {"id": tax, "description": "Value-added tax, 5%"}},
                "field_counts": {"created": 0, "updated": 1, "removed": 0},
            },
        )

    def test_attributes_left_out_keep_their_values(self):
        self.bulk(PAYLOAD)
        body = {"datasets": [{"name": "sales.transactions", "fields": [{"name": "id"}]}]}
        result = self.bulk(body)
        self.assertEqual(result["updated"], {"datasets": 0, "fields": 0})
        self.assertEqual(self.field("sales.transactions", "id").data_type, "bigint")
        self.assertFalse(self.field("sales.transactions", "id").nullable)
        self.assertEqual(
            Dataset.objects.get(system=self.pos, name="sales.transactions").description,
            "Till receipts",
        )
        self.assertEqual(self.field("sales.transactions", "tax").description, "VAT")

    def test_names_in_another_case_update_the_existing_entries(self):
        body = {
            "datasets": [
                {"name": "SALES.Transactions", "fields": [{"name": "Amount", "ordinal": 2}]}
            ]
        }
        result = self.bulk(body)
        self.assertEqual(result["created"], {"datasets": 0, "fields": 0})
        self.assertEqual(Field.objects.filter(dataset=self.transactions).count(), 1)

    def test_without_remove_missing_absent_entries_are_left_alone(self):
        self.bulk(PAYLOAD)
        result = self.bulk(
            {"datasets": [{"name": "sales.stores", "fields": [{"name": "store_id"}]}]}
        )
        self.assertEqual(result["removed"], {"datasets": 0, "fields": 0})
        self.assertEqual(set(Field.objects.values_list("status", flat=True)), {"active"})

    def test_remove_missing_marks_absent_entries_removed_and_deletes_nothing(self):
        self.bulk(PAYLOAD)
        fields_before = Field.objects.count()
        body = {
            "datasets": [{"name": "sales.stores", "fields": [{"name": "store_id"}]}],
            "remove_missing": True,
        }
        transactions = Dataset.objects.get(system=self.pos, name="sales.transactions")
        with_it = transactions.fields.filter(discovered=False).count()
        result = self.bulk(body)
        # region, plus every registered field of the removed dataset
        self.assertEqual(result["removed"], {"datasets": 1, "fields": 1 + with_it})
        self.assertEqual(Field.objects.count(), fields_before)
        transactions.refresh_from_db()
        self.assertEqual(transactions.status, "removed")
        self.assertEqual(set(transactions.fields.values_list("status", flat=True)), {"removed"})
        self.assertEqual(self.field("sales.stores", "region").status, "removed")
        self.assertEqual(self.field("sales.stores", "store_id").status, "active")
        self.assertEqual(self.crm.datasets.get().status, "active")

    def test_remove_missing_keeps_entries_discovered_from_lineage(self):
        discovered = add_dataset(self.engineer, self.pos, "staging.events", discovered=True)
        discovered_field = add_field(self.engineer, self.transactions, "legacy", discovered=True)
        body = {"datasets": [{"name": "sales.transactions", "fields": [{"name": "amount"}]}]}
        result = self.bulk({**body, "remove_missing": True})
        self.assertEqual(result["removed"], {"datasets": 0, "fields": 0})
        discovered.refresh_from_db()
        discovered_field.refresh_from_db()
        self.assertEqual((discovered.status, discovered_field.status), ("active", "active"))

    def test_registering_a_discovered_field_clears_the_flag(self):
        add_field(self.engineer, self.transactions, "legacy", ordinal=2, discovered=True)
        body = {
            "datasets": [
                {"name": "sales.transactions", "fields": [{"name": "legacy", "ordinal": 2}]}
            ]
        }
        result = self.bulk(body)
        self.assertEqual(result["updated"]["fields"], 1)
        self.assertFalse(self.field("sales.transactions", "legacy").discovered)

    def test_a_removed_entry_that_reappears_is_active_again(self):
        self.bulk(PAYLOAD)
        self.bulk({"datasets": [{"name": "sales.stores", "fields": []}], "remove_missing": True})
        self.assertEqual(self.field("sales.stores", "region").status, "removed")
        result = self.bulk(PAYLOAD)
        self.assertEqual(result["updated"]["datasets"], 1)
        self.assertEqual(self.field("sales.stores", "region").status, "active")
        self.assertEqual(self.field("sales.transactions", "tax").status, "active")
        self.assertEqual(
            Dataset.objects.get(system=self.pos, name="sales.transactions").status, "active"
        )

    def test_removal_moves_updated_at_so_sync_clients_see_it(self):
        self.bulk(PAYLOAD)
        stamp = self.field("sales.stores", "region").updated_at
        self.bulk(
            {
                "datasets": [{"name": "sales.stores", "fields": [{"name": "store_id"}]}],
                "remove_missing": True,
            }
        )
        self.assertGreater(self.field("sales.stores", "region").updated_at, stamp)

    def test_every_write_is_audited_with_one_catalog_version(self):
        version = current_catalog_version()
        audit_before = ChangeRecord.objects.count()
        self.bulk(PAYLOAD)
        records = ChangeRecord.objects.order_by("id")[audit_before:]
        # One record per dataset: sales.stores created with its 2 fields, and 2 fields created
        # in sales.transactions.
        self.assertEqual(len(records), 2)
        self.assertEqual(
            [(r.action, r.object_repr, r.after["field_counts"]["created"]) for r in records],
            [("create", "pos:sales.stores", 2), ("update", "pos:sales.transactions", 2)],
        )
        self.assertEqual({r.catalog_version for r in records}, {version + 1})
        self.assertEqual({r.actor_name for r in records}, {"engineer"})
        self.assertEqual(current_catalog_version(), version + 1)


class BulkValidationTests(BulkTestCase):
    def test_every_bad_row_is_reported_and_nothing_is_written(self):
        body = payload()
        rows = body["datasets"]
        rows[0]["fields"].append({"name": "AMOUNT"})  # duplicate of fields[1] once lower-cased
        rows[1]["kind"] = "spreadsheet"
        rows[1]["fields"][1]["ordinal"] = -4
        rows.append({"name": "sales..bad", "fields": [{"name": "ok"}, {"nme": "typo"}]})
        rows.append(
            {"name": "sales.ok", "fields": [{"name": "x", "nullable": "yes"}, "not an object"]}
        )
        rows.append({"name": "sales.also_ok", "status": "gone"})
        before = self.state()
        body = self.assert_error(
            self.as_(self.engineer).post(URL, body, format="json"), 400, code="invalid"
        )
        self.assertIn("nothing was written", body["message"])
        found = {e["path"] for e in body["errors"]}
        expected = {
            "datasets[0].fields[3].name",
            "datasets[1].kind",
            "datasets[1].fields[1].ordinal",
            "datasets[2].name",
            "datasets[2].fields[1].nme",
            "datasets[2].fields[1].name",
            "datasets[3].fields[0].nullable",
            "datasets[3].fields[1]",
            "datasets[4].status",
        }
        self.assertEqual(found, expected)
        self.assertEqual(len(body["errors"]), len(expected), "each problem once")
        messages = {e["path"]: e["message"] for e in body["errors"]}
        self.assertIn("appears twice", messages["datasets[0].fields[3].name"])
        self.assertIn("Unknown key", messages["datasets[2].fields[1].nme"])
        self.assertEqual(self.state(), before)

    def test_one_bad_row_among_many_blocks_them_all(self):
        body = {
            "datasets": [
                {"name": f"sales.t{i}", "fields": [{"name": f"c{j}"} for j in range(20)]}
                for i in range(30)
            ]
        }
        body["datasets"][17]["fields"][11]["name"] = ""
        before = self.state()
        response = self.as_(self.engineer).post(URL, body, format="json")
        errors = self.assert_error(response, 400)["errors"]
        self.assertEqual(
            [e["path"] for e in errors],
            ["datasets[17].fields[11].name"],
        )
        self.assertEqual(self.state(), before)

    def test_malformed_json_is_400(self):
        before = self.state()
        response = self.as_(self.engineer).post(
            URL, data='{"datasets": [', content_type="application/json"
        )
        self.assert_error(response, 400, code="malformed_request")
        self.assertEqual(self.state(), before)

    def test_malformed_envelopes_are_400_naming_the_problem(self):
        cases = [
            ({"datasets": [], "extra": 1, "more": 2}, "extra"),
            ({"remove_missing": True}, "datasets"),
            ({"datasets": [], "remove_missing": "yes"}, "remove_missing"),
            ({"datasets": {"name": "x"}}, "datasets"),
            ({"datasets": [["x"]]}, "datasets[0]"),
            ({"datasets": [{"name": "x", "fields": "id,amount"}]}, "datasets[0].fields"),
            ({"datasets": [{"name": "x", "owner": "me"}]}, "datasets[0].owner"),
            ({"datasets": [{"name": 7}]}, "datasets[0].name"),
        ]
        before = self.state()
        for body, path in cases:
            with self.subTest(body=body):
                response = self.as_(self.engineer).post(URL, body, format="json")
                self.assert_error(response, 400, path=path)
        response = self.as_(self.engineer).post(URL, ["datasets"], format="json")
        self.assert_error(response, 400, code="invalid")
        self.assertEqual(self.state(), before)


class BulkPermissionTests(BulkTestCase):
    def test_who_may_bulk_load_a_system(self):
        cases = [
            (None, 401),
            (self.outsider, 404),
            (self.vendor, 404),
            (self.other_engineer, 403),
            (self.committee, 403),
            (self.consumer, 403),
        ]
        before = self.state()
        for user, status_code in cases:
            with self.subTest(user=user and user.username):
                response = self.as_(user).post(URL, PAYLOAD, format="json")
                self.assert_error(response, status_code)
        self.assertEqual(self.state(), before)
        self.bulk(PAYLOAD, user=self.engineer)

    def test_unknown_system_is_404(self):
        response = self.as_(self.engineer).post(system_url("nope", "bulk/"), PAYLOAD, format="json")
        self.assert_error(response, 404)

    def test_the_other_engineer_bulk_loads_its_own_system(self):
        response = self.as_(self.other_engineer).post(
            system_url("CRM", "bulk/"), PAYLOAD, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["system"], "crm")
        self.assertEqual(Dataset.objects.filter(system=self.crm).count(), 3)
