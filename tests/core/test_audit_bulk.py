"""The audit trail of a bulk request (issue 12): one record per dataset naming the fields it
created or changed (only the attributes that changed), each field findable through the audit
API's object filter and on its page, under the same read rules as every record; append-only and
written in the request's transaction like the rest."""

from __future__ import annotations

import unittest

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.test import Client
from guardian.shortcuts import assign_perm

from catalog.models import Field
from catalog.services import bulk_upsert
from consult.models import DecisionChange
from core.audit import Actor, current_catalog_version
from core.models import AppendOnlyError, ChangeLink, ChangeRecord
from tests.catalog.helpers import CatalogTestCase, system_url
from tests.personas import make_user

AUDIT_URL = "/api/v1/audit/"

BODY = {
    "datasets": [
        {
            "name": "sales.transactions",
            "fields": [
                # amount exists (numeric(12,2), described): its type changes, nothing else
                {"name": "amount", "ordinal": 2, "data_type": "numeric(14,2)"},
                {"name": "tax", "ordinal": 3, "data_type": "numeric(12,2)", "description": "VAT"},
            ],
        },
        {
            "name": "sales.stores",
            "kind": "view",
            "fields": [{"name": "store_id", "nullable": False}, {"name": "region"}],
        },
    ]
}


def field_page(field: Field) -> str:
    return f"/catalog/fields/{field.ref}/"


class BulkAuditTests(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # An auditor who reads pos (a grant on the system) and nothing of crm.
        cls.auditor = make_user("auditor")
        cls.auditor.user_permissions.add(Permission.objects.get(codename="view_changerecord"))
        assign_perm("catalog.view_sourcesystem", cls.auditor, cls.pos)

    def bulk(self, user, key: str, body, request_id: str) -> list[ChangeRecord]:
        response = self.as_(user).post(
            system_url(key, "bulk/"), body, format="json", HTTP_X_REQUEST_ID=request_id
        )
        self.assertEqual(response.status_code, 200, response.content[:2000])
        return list(ChangeRecord.objects.filter(request_id=request_id).order_by("id"))

    def audit(self, user, **params) -> list[dict]:
        response = self.as_(user).get(AUDIT_URL, {"limit": 1000, **params})
        self.assertEqual(response.status_code, 200, response.content[:2000])
        return response.json()["results"]

    def field(self, dataset: str, name: str) -> Field:
        return Field.objects.get(dataset__system=self.pos, dataset__name=dataset, name=name)

    def test_one_record_per_dataset_names_new_fields_and_only_what_changed(self):
        version = current_catalog_version()
        records = self.bulk(self.engineer, "pos", BODY, "bulk-a")
        self.assertEqual(
            [(r.action, r.object_type, r.object_repr) for r in records],
            [
                ("create", "catalog.dataset", "pos:sales.stores"),
                ("update", "catalog.dataset", "pos:sales.transactions"),
            ],
        )
        self.assertEqual({r.catalog_version for r in records}, {version + 1})
        stores, transactions = records
        store_id = self.field("sales.stores", "store_id")
        region = self.field("sales.stores", "region")
        self.assertIsNone(stores.before)
        self.assertEqual(stores.after["kind"], "view")
        self.assertEqual(
            stores.after["fields"],
            {
                "store_id": {"id": store_id.pk, "ordinal": 1, "nullable": False,
                             "status": "active"},
                "region": {"id": region.pk, "ordinal": 2, "nullable": True, "status": "active"},
            },
        )  # fmt: skip
        self.assertEqual(stores.after["field_counts"], {"created": 2, "updated": 0, "removed": 0})
        tax = self.field("sales.transactions", "tax")
        # The dataset itself did not change: only its fields are named.
        self.assertEqual(
            transactions.before, {"fields": {"amount": {"id": self.amount.pk,
                                                        "data_type": "numeric(12,2)"}}}
        )  # fmt: skip
        self.assertEqual(
            transactions.after["fields"],
            {
                "amount": {"id": self.amount.pk, "data_type": "numeric(14,2)"},
                "tax": {"id": tax.pk, "ordinal": 3, "data_type": "numeric(12,2)",
                        "nullable": True, "description": "VAT", "description_source": "written",
                        "status": "active"},
            },
        )  # fmt: skip
        # Each field is linked to its dataset's record, nothing else is.
        links = set(
            ChangeLink.objects.filter(record__in=records).values_list(
                "object_type", "object_id", "record_id"
            )
        )
        self.assertEqual(
            links,
            {
                ("catalog.field", str(store_id.pk), stores.pk),
                ("catalog.field", str(region.pk), stores.pk),
                ("catalog.field", str(self.amount.pk), transactions.pk),
                ("catalog.field", str(tax.pk), transactions.pk),
            },
        )

    def test_removal_is_counted_and_recorded_as_the_status_it_changed(self):
        records = self.bulk(
            self.engineer, "pos", {"datasets": [{"name": "sales.transactions", "fields": []}],
                                   "remove_missing": True}, "bulk-r",
        )  # fmt: skip
        (record,) = records
        self.assertEqual(record.before["fields"]["amount"], {"id": self.amount.pk,
                                                             "status": "active"})  # fmt: skip
        self.assertEqual(record.after["fields"]["amount"], {"id": self.amount.pk,
                                                            "status": "removed"})  # fmt: skip
        self.assertEqual(record.after["field_counts"], {"created": 0, "updated": 0, "removed": 1})

    def test_the_consult_hook_still_sees_every_field_a_bulk_request_changes(self):
        before = DecisionChange.objects.count()
        fields = [{"name": "amount", "ordinal": 7}, {"name": "new_one"}]
        body = {"datasets": [{"name": "sales.transactions", "fields": fields}]}
        self.bulk(self.engineer, "pos", body, "bulk-c")
        found = set(DecisionChange.objects.order_by("id")[before:].values_list("kind", "key"))
        self.assertEqual(found, {("field", str(self.amount.pk)), ("new", "")})

    def test_the_audit_api_finds_a_field_in_the_bulk_records_that_name_it(self):
        records = self.bulk(self.engineer, "pos", BODY, "bulk-f")
        region = self.field("sales.stores", "region")
        for params in (
            {"object_type": "field", "object_id": region.pk},
            {"object_type": "catalog.field", "object_id": region.pk},
            {"object_id": region.pk},
        ):
            with self.subTest(params=params):
                ids = [r["id"] for r in self.audit(self.engineer, **params)]
                self.assertIn(records[0].pk, ids)
                self.assertNotIn(records[1].pk, ids)
        # amount: its own create record (setUpTestData) and the bulk record of its change.
        rows = self.audit(self.engineer, object_type="field", object_id=self.amount.pk)
        self.assertEqual(
            [(r["action"], r["object_kind"]) for r in rows],
            [("update", "dataset"), ("create", "field")],
        )
        self.assertEqual(rows[0]["after"]["fields"]["amount"]["data_type"], "numeric(14,2)")
        # The record is still found as the dataset's, and the field filter keeps the others.
        dataset_rows = self.audit(self.engineer, object_type="dataset",
                                  object_id=self.transactions.pk)  # fmt: skip
        self.assertIn(records[1].pk, [r["id"] for r in dataset_rows])
        email_rows = self.audit(self.engineer, object_type="field", object_id=self.email.pk)
        self.assertFalse({r["id"] for r in email_rows} & {r.pk for r in records})
        # object_type alone also lists the records naming objects of that kind.
        kinds = self.audit(self.engineer, object_type="field", request_id="bulk-f")
        self.assertEqual(sorted(r["id"] for r in kinds), [r.pk for r in records])

    def test_a_caller_reads_a_bulk_record_only_about_datasets_it_may_read(self):
        pos_records = self.bulk(self.engineer, "pos", BODY, "bulk-p")
        crm_records = self.bulk(self.other_engineer, "crm", BODY, "bulk-q")
        crm_region = Field.objects.get(dataset__system=self.crm, name="region")
        pos_region = self.field("sales.stores", "region")
        mine = self.audit(self.auditor, object_type="field", object_id=pos_region.pk)
        self.assertEqual([r["id"] for r in mine], [pos_records[0].pk])
        self.assertEqual(self.audit(self.auditor, object_type="field", object_id=crm_region.pk), [])
        self.assertEqual(self.audit(self.auditor, request_id="bulk-q"), [])
        for record in crm_records:
            response = self.as_(self.auditor).get(f"{AUDIT_URL}{record.pk}/")
            self.assert_error(response, 404, code="not_found")
        # A catalog-wide reader reads both; a vendor (no audit role) neither.
        theirs = self.audit(self.committee, object_type="field", object_id=crm_region.pk)
        stores = next(r for r in crm_records if r.object_repr == "crm:sales.stores")
        self.assertEqual([r["id"] for r in theirs], [stores.pk])
        self.assertEqual(self.audit(self.vendor, object_id=crm_region.pk), [])

    def test_a_rolled_back_bulk_request_leaves_no_record_and_no_link(self):
        counts = (ChangeRecord.objects.count(), ChangeLink.objects.count())
        version = current_catalog_version()
        with self.assertRaises(RuntimeError), transaction.atomic():
            bulk_upsert(Actor(self.engineer), self.pos, BODY["datasets"])
            self.assertGreater(ChangeLink.objects.count(), counts[1])
            raise RuntimeError("the caller's transaction fails after the upsert")
        self.assertEqual((ChangeRecord.objects.count(), ChangeLink.objects.count()), counts)
        self.assertEqual(current_catalog_version(), version)
        self.assertFalse(Field.objects.filter(name="region").exists())

    def test_the_field_page_shows_what_each_bulk_request_did_to_the_field(self):
        self.bulk(self.engineer, "pos", BODY, "bulk-w")
        client = Client()
        client.force_login(self.auditor)
        response = client.get(field_page(self.amount))
        self.assertEqual(response.status_code, 200)
        history = response.context["history"]
        self.assertEqual([h["action"] for h in history], ["update", "create"])
        self.assertEqual(history[0]["changes"], [("data_type", "numeric(12,2)", "numeric(14,2)")])
        self.assertEqual(history[0]["bulk"], 2)  # amount and tax in sales.transactions
        self.assertIn(("data_type", None, "numeric(12,2)"), history[1]["changes"])
        # Attributes and values in words (the code in data-attribute, for scripts).
        self.assertContains(
            response,
            '<span data-attribute="data_type">Data type</span>: numeric(12,2) → numeric(14,2)',
        )
        region = self.field("sales.stores", "region")
        response = client.get(field_page(region))
        history = response.context["history"]
        self.assertEqual([h["action"] for h in history], ["create"])
        self.assertIn(("nullable", None, True), history[0]["changes"])
        self.assertContains(response, '<span data-attribute="nullable">Nullable</span>: yes')
        self.assertContains(response, '<span data-attribute="status">Status</span>: Active')
        chinese = client.get(field_page(region), HTTP_ACCEPT_LANGUAGE="zh-TW")
        self.assertContains(chinese, '<span data-attribute="nullable">可為空值</span>: 是')
        # Without the audit role there is no history to show.
        client.force_login(self.vendor)
        response = client.get(field_page(self.amount))
        if response.status_code == 200:
            self.assertIsNone(response.context["history"])


class BulkAuditAppendOnlyTests(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        bulk_upsert(Actor(cls.engineer), cls.pos, BODY["datasets"])
        cls.link = ChangeLink.objects.first()

    def test_links_are_never_changed_or_removed_through_the_orm(self):
        rows = ChangeLink.objects.filter(record=self.link.record_id)
        for attempt in (
            lambda: rows.update(object_id="0"),
            rows.delete,
            self.link.delete,
            lambda: self.link.save(),
        ):
            with (
                self.subTest(attempt=attempt),
                self.assertRaises(AppendOnlyError),
                transaction.atomic(),
            ):
                attempt()
        self.assertTrue(rows.exists())

    @pytest.mark.postgres
    @unittest.skipUnless(connection.vendor == "postgresql", "the trigger exists on PostgreSQL only")
    def test_the_database_rejects_update_delete_and_truncate_of_links(self):
        for sql in (
            "UPDATE core_changelink SET object_id = '0' WHERE record_id = %s",
            "DELETE FROM core_changelink WHERE record_id = %s",
            "SET LOCAL core.allow_truncate = off; TRUNCATE core_changelink",
        ):
            with self.subTest(sql=sql):
                with (
                    self.assertRaises(DatabaseError) as caught,
                    transaction.atomic(),
                    connection.cursor() as cursor,
                ):
                    cursor.execute(sql, [self.link.record_id] if "%s" in sql else None)
                self.assertIn("append-only", str(caught.exception))
        self.assertTrue(ChangeLink.objects.filter(record=self.link.record_id).exists())
