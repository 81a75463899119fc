"""The audit trail: a ChangeRecord for every write, none for a failed one; append-only in the
ORM and, on PostgreSQL, in the database; readable (never writable) through /api/v1/audit/."""

from __future__ import annotations

import datetime
import json
import unittest

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalog.models import Dataset, Field, SourceSystem
from core.audit import Actor, current_catalog_version
from core.models import AppendOnlyError, ChangeRecord
from core.services import issue_token
from tests.catalog.helpers import (
    DATASETS_URL,
    FIELDS_URL,
    SYSTEMS_URL,
    CatalogTestCase,
    dataset_url,
    field_url,
    system_url,
)

AUDIT_URL = "/api/v1/audit/"
AUDIT_FIELDS = {
    "id",
    "at",
    "actor_name",
    "request_id",
    "action",
    "object_type",
    "object_kind",
    "object_id",
    "object_repr",
    "before",
    "after",
    "reason",
    "catalog_version",
}


class AuditedWriteTestCase(CatalogTestCase):
    def write(self, method: str, url: str, data=None, *, request_id: str, user=None, **headers):
        """Send one write with a request id and a reason; return the response and the records
        it left."""
        response = getattr(self.as_(user or self.engineer), method)(
            url,
            data,
            format="json",
            HTTP_X_REQUEST_ID=request_id,
            HTTP_X_CHANGE_REASON=f"ticket {request_id}",
            **headers,
        )
        self.assertEqual(response.headers["X-Request-ID"], request_id)
        return response, list(ChangeRecord.objects.filter(request_id=request_id).order_by("id"))

    def assert_one_record(self, records, action: str, obj_type: str, request_id: str, actor=None):
        self.assertEqual(len(records), 1, records)
        record = records[0]
        actor = actor or self.engineer
        self.assertEqual(record.action, action)
        self.assertEqual(record.object_type, obj_type)
        self.assertEqual(record.actor_id, actor.pk)
        self.assertEqual(record.actor_name, actor.username)
        self.assertEqual(record.reason, f"ticket {request_id}")
        return record


class AuditOfCatalogWritesTests(AuditedWriteTestCase):
    RESOURCES = [
        ("catalog.sourcesystem", SYSTEMS_URL, {"key": "orders", "name": "Orders"}, system_url),
        ("catalog.dataset", DATASETS_URL, {"system": "pos", "name": "sales.refunds"}, dataset_url),
        (
            "catalog.field",
            FIELDS_URL,
            {"dataset": "pos:sales.transactions", "name": "tax"},
            field_url,
        ),
    ]

    def test_create_update_and_delete_each_leave_one_full_record(self):
        for obj_type, list_url, payload, url_for in self.RESOURCES:
            with self.subTest(obj_type=obj_type):
                response, records = self.write(
                    "post", list_url, payload, request_id=f"c-{obj_type}"
                )
                self.assertEqual(response.status_code, 201, response.content)
                created = response.json()
                record = self.assert_one_record(records, "create", obj_type, f"c-{obj_type}")
                self.assertEqual(record.object_id, str(created["id"]))
                self.assertIsNone(record.before)
                self.assertEqual(record.after["id"], created["id"])

                url = url_for(created.get("ref") or created["key"])
                response, records = self.write(
                    "patch", url, {"description": "Audited"}, request_id=f"u-{obj_type}"
                )
                self.assertEqual(response.status_code, 200, response.content)
                record = self.assert_one_record(records, "update", obj_type, f"u-{obj_type}")
                self.assertEqual(record.before["description"], "")
                self.assertEqual(record.after["description"], "Audited")

                response, records = self.write("delete", url, request_id=f"d-{obj_type}")
                self.assertEqual(response.status_code, 204, response.content)
                record = self.assert_one_record(records, "delete", obj_type, f"d-{obj_type}")
                self.assertEqual(record.before["description"], "Audited")
                self.assertIsNone(record.after)

    def test_each_write_bumps_the_catalog_version_it_records(self):
        version = current_catalog_version()
        _, records = self.write("patch", system_url("pos"), {"name": "Tills"}, request_id="v-1")
        self.assertEqual(records[0].catalog_version, version + 1)
        self.assertEqual(current_catalog_version(), version + 1)

    def test_a_bulk_load_records_every_row_under_its_request(self):
        body = {"datasets": [{"name": "sales.stores", "fields": [{"name": "a"}, {"name": "b"}]}]}
        response, records = self.write(
            "post", system_url("pos", "bulk/"), body, request_id="bulk-1"
        )
        self.assertEqual(response.status_code, 200, response.content)
        # One record for the dataset, naming its new fields (tests/core/test_audit_bulk.py).
        self.assertEqual(
            [(r.action, r.object_repr) for r in records], [("create", "pos:sales.stores")]
        )
        self.assertEqual(sorted(records[0].after["fields"]), ["a", "b"])
        self.assertEqual(
            {(r.actor_name, r.reason) for r in records}, {("engineer", "ticket bulk-1")}
        )

    def test_an_update_that_changes_nothing_records_nothing(self):
        response, records = self.write(
            "patch", system_url("pos"), {"name": "Point of sale"}, request_id="noop-1"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(records, [])

    def test_a_request_id_that_is_not_safe_is_replaced_and_the_new_one_recorded(self):
        response = self.as_(self.engineer).patch(
            system_url("pos"), {"name": "Tills"}, HTTP_X_REQUEST_ID="bad id; drop table"
        )
        generated = response.headers["X-Request-ID"]
        self.assertRegex(generated, r"^[0-9a-f]{32}$")
        self.assertEqual(ChangeRecord.objects.get(request_id=generated).object_repr, "pos")

    def test_failed_writes_leave_no_record(self):
        etag = self.as_(self.engineer).get(system_url("pos")).headers["ETag"]
        self.as_(self.engineer).patch(system_url("pos"), {"name": "Tills"})
        version = current_catalog_version()
        cases = [
            ("post", SYSTEMS_URL, {"key": "not a slug", "name": "x"}, {}, 400),
            ("post", system_url("pos", "bulk/"), {"datasets": [{"name": ""}]}, {}, 400),
            ("delete", system_url("pos"), None, {}, 409),
            ("delete", dataset_url("pos:sales.transactions"), None, {}, 409),
            ("patch", system_url("pos"), {"name": "Stale"}, {"HTTP_IF_MATCH": etag}, 412),
            (
                "delete",
                field_url("pos:sales.transactions.amount"),
                None,
                {"HTTP_IF_MATCH": etag},
                412,
            ),
        ]
        for index, (method, url, data, headers, status_code) in enumerate(cases):
            with self.subTest(method=method, url=url):
                response, records = self.write(
                    method, url, data, request_id=f"f-{index}", **headers
                )
                self.assertEqual(response.status_code, status_code, response.content)
                self.assertEqual(records, [])
        self.assertEqual(current_catalog_version(), version)
        self.assertEqual(SourceSystem.objects.get(key="pos").name, "Tills")
        self.assertTrue(Field.objects.filter(pk=self.amount.pk).exists())
        self.assertTrue(Dataset.objects.filter(pk=self.transactions.pk).exists())


class AuditOfTokenWritesTests(AuditedWriteTestCase):
    def test_issuing_and_revoking_a_token_are_recorded_without_secrets(self):
        response, records = self.write(
            "post", "/api/v1/tokens/", {"name": "laptop"}, request_id="tok-1"
        )
        self.assertEqual(response.status_code, 201, response.content)
        raw = response.json()["token"]
        record = self.assert_one_record(records, "create", "core.apitoken", "tok-1")
        self.assertEqual(record.object_id, str(response.json()["id"]))
        self.assertEqual(record.after["name"], "laptop")
        self.assertEqual(record.after["prefix"], raw[:8])

        url = f"/api/v1/tokens/{response.json()['id']}/revoke/"
        response, records = self.write("post", url, request_id="tok-2")
        self.assertEqual(response.status_code, 200, response.content)
        record = self.assert_one_record(records, "revoke", "core.apitoken", "tok-2")
        self.assertIsNone(record.before["revoked_at"])
        self.assertIsNotNone(record.after["revoked_at"])

        dumped = json.dumps(list(ChangeRecord.objects.values("before", "after")))
        self.assertNotIn(raw, dumped)
        self.assertNotIn("key_hash", dumped)

    def test_a_service_call_outside_a_request_is_recorded_under_the_systems_name(self):
        token, _ = issue_token(
            Actor.system("manage.py issue_token", reason="rotation"), self.steward
        )
        record = ChangeRecord.objects.get(object_type="core.apitoken", object_id=str(token.pk))
        self.assertIsNone(record.actor_id)
        self.assertEqual((record.actor_name, record.reason), ("manage.py issue_token", "rotation"))
        self.assertEqual(len(record.request_id), 32)


class AppendOnlyTests(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.record = ChangeRecord.objects.filter(object_type="catalog.sourcesystem").first()

    def test_an_existing_record_cannot_be_saved_again(self):
        self.record.reason = "rewritten"
        with self.assertRaises(AppendOnlyError):
            self.record.save()

    def test_a_record_cannot_be_deleted(self):
        with self.assertRaises(AppendOnlyError):
            self.record.delete()

    def test_querysets_cannot_update_or_delete(self):
        rows = ChangeRecord.objects.filter(pk=self.record.pk)
        for attempt in (
            lambda: rows.update(reason="rewritten"),
            rows.delete,
            lambda: ChangeRecord.objects.all().delete(),
            lambda: ChangeRecord.objects.update(reason="x"),
            lambda: ChangeRecord.objects.bulk_update([self.record], ["reason"]),
        ):
            with (
                self.subTest(attempt=attempt),
                self.assertRaises(AppendOnlyError),
                transaction.atomic(),
            ):
                attempt()
        self.assertEqual(ChangeRecord.objects.get(pk=self.record.pk).reason, self.record.reason)

    def test_new_records_can_still_be_added(self):
        count = ChangeRecord.objects.count()
        added = ChangeRecord.objects.create(
            actor_name="x", action="create", object_type="t.t", object_id="1", object_repr="x"
        )
        self.assertEqual(ChangeRecord.objects.count(), count + 1)
        stored = ChangeRecord.objects.get(pk=added.pk)
        self.assertEqual(
            (stored.actor_name, stored.action, stored.object_type, stored.object_id),
            ("x", "create", "t.t", "1"),
        )

    @pytest.mark.postgres
    @unittest.skipUnless(connection.vendor == "postgresql", "the trigger exists on PostgreSQL only")
    def test_the_database_rejects_raw_update_and_delete(self):
        for sql in (
            "UPDATE core_changerecord SET reason = 'rewritten' WHERE id = %s",
            "DELETE FROM core_changerecord WHERE id = %s",
        ):
            with self.subTest(sql=sql):
                with (
                    self.assertRaises(DatabaseError) as caught,
                    transaction.atomic(),
                    connection.cursor() as cursor,
                ):
                    cursor.execute(sql, [self.record.pk])
                self.assertIn("append-only", str(caught.exception))
        self.assertEqual(ChangeRecord.objects.get(pk=self.record.pk).reason, self.record.reason)

    @pytest.mark.postgres
    @unittest.skipUnless(connection.vendor == "postgresql", "the trigger exists on PostgreSQL only")
    def test_the_database_rejects_truncate(self):
        with (
            self.assertRaises(DatabaseError) as caught,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # The test runner's sessions may truncate (its flush does); this one says it may not,
            # as every application session is.
            cursor.execute("SET LOCAL core.allow_truncate = off")
            cursor.execute("TRUNCATE core_changerecord")
        self.assertIn("append-only", str(caught.exception))
        self.assertIn("TRUNCATE", str(caught.exception))
        self.assertTrue(ChangeRecord.objects.filter(pk=self.record.pk).exists())


class AuditApiTests(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        old = timezone.now() - datetime.timedelta(days=10)
        cls.old = ChangeRecord.objects.create(
            at=old,
            actor_name="legacy-import",
            action="update",
            object_type="catalog.sourcesystem",
            object_id=str(cls.pos.pk),
            object_repr="pos",
            request_id="old-1",
        )

    def get(self, user=None, **params):
        response = self.as_(user or self.steward).get(AUDIT_URL, params)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_history_of_one_object_newest_first(self):
        rows = self.get(object_type="catalog.sourcesystem", object_id=self.pos.pk)["results"]
        # Newest written first (by id: `at` of an imported record may be backdated).
        self.assertEqual([r["action"] for r in rows], ["update", "create"])
        self.assertEqual([r["actor_name"] for r in rows], ["legacy-import", "engineer"])
        self.assertEqual(set(rows[0]), AUDIT_FIELDS)

    def test_filter_by_actor_action_request_and_time(self):
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        until = (timezone.now() - datetime.timedelta(days=5)).isoformat()
        cases = [
            ({"actor": "legacy-import"}, ["old-1"]),
            ({"action": "update"}, ["old-1"]),
            ({"request_id": "old-1"}, ["old-1"]),
            ({"until": until}, ["old-1"]),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assertEqual([r["request_id"] for r in self.get(**params)["results"]], expected)
        recent = self.get(since=since)["results"]
        self.assertTrue(recent)
        self.assertNotIn("old-1", [r["request_id"] for r in recent])
        mine = self.get(actor="other_engineer", object_type="catalog.field")["results"]
        self.assertEqual([r["object_repr"] for r in mine], ["crm:public.contacts.email"])

    def test_the_object_type_filter_takes_the_names_a_user_sees(self):
        rows = self.get(object_type="system", object_id=self.pos.pk)["results"]
        self.assertEqual([r["request_id"] for r in rows][0], "old-1")
        self.assertEqual({r["object_kind"] for r in rows}, {"system"})
        self.assertEqual(len(rows), 2)
        fields = self.get(object_type="Field", actor="other_engineer")["results"]
        self.assertEqual([r["object_repr"] for r in fields], ["crm:public.contacts.email"])

    def test_an_unknown_object_type_is_a_400_listing_the_names_it_takes(self):
        response = self.as_(self.steward).get(AUDIT_URL, {"object_type": "systems"})
        self.assertEqual(response.status_code, 400)
        [error] = response.json()["errors"]
        self.assertEqual(error["path"], "object_type")
        self.assertTrue(
            error["message"].startswith("Unknown object type 'systems'; choose one of:")
        )
        for name in ("system", "dataset", "field", "job", "definition", "mapping", "policy"):
            self.assertIn(f" {name},", error["message"])
        self.assertIn("contract", error["message"])

    def test_an_unknown_action_is_a_400_listing_the_actions(self):
        response = self.as_(self.steward).get(AUDIT_URL, {"action": "edit"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("choose one of: create, update, delete", response.json()["message"])

    def test_a_malformed_time_is_400(self):
        response = self.as_(self.steward).get(AUDIT_URL, {"since": "last week"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["path"], "since")

    def test_committee_stewards_and_engineers_may_read_it(self):
        for user in (self.committee, self.steward, self.engineer, self.other_engineer):
            with self.subTest(user=user.username):
                self.assertGreater(self.get(user=user)["count"], 0)
                detail = self.as_(user).get(f"{AUDIT_URL}{self.old.pk}/")
                self.assertEqual(detail.json()["request_id"], "old-1")

    def test_vendors_consumers_and_outsiders_read_none_of_it(self):
        for user in (self.vendor, self.consumer, self.outsider):
            with self.subTest(user=user.username):
                self.assertEqual(self.get(user=user)["results"], [])
                self.assertEqual(self.as_(user).get(f"{AUDIT_URL}{self.old.pk}/").status_code, 404)

    def test_anonymous_callers_are_asked_to_authenticate(self):
        response = self.as_(None).get(AUDIT_URL)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["code"], "not_authenticated")

    def test_the_audit_api_has_no_write_methods(self):
        client = self.as_(self.committee)
        detail = f"{AUDIT_URL}{self.old.pk}/"
        for method, url in [
            ("post", AUDIT_URL),
            ("put", detail),
            ("patch", detail),
            ("delete", detail),
        ]:
            with self.subTest(method=method):
                response = getattr(client, method)(url, {"reason": "rewritten"}, format="json")
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response.json()["code"], "method_not_allowed")
        self.assertEqual(ChangeRecord.objects.get(pk=self.old.pk).reason, "")
