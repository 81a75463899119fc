"""The decision log is complete the moment a consult is answered: no row waits in a worker's
memory (where kill -9 would lose it, or where another worker's read would not see it), and no
input can make a row impossible to write."""

from __future__ import annotations

import unittest

import pytest
from django.db import connection, connections
from django.test import TransactionTestCase, override_settings
from rest_framework.test import APIClient

from consult import services
from consult.models import DecisionLog
from tests.personas import make_user

CONSULT_URL = "/api/v1/consult/"


def rows_seen_by_another_connection() -> int:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM consult_decisionlog")
            return cursor.fetchone()[0]
    finally:
        other.close()


# The batching knobs of the old per-process buffer: even asked for, no row may wait.
@override_settings(CONSULT_LOG_BATCH_ROWS=200, CONSULT_LOG_BATCH_SECONDS=60)
class DecisionLogCompletenessTests(TransactionTestCase):
    serialized_rollback = True  # the role groups, permissions and purposes come back

    def setUp(self):
        self.consumer = make_user("cdp", "consumer")
        self.client = APIClient()
        self.client.force_authenticate(self.consumer)

    def consult(self, fields):
        response = self.client.post(
            CONSULT_URL, {"purpose": "profile_unification", "fields": fields}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        return response

    def test_a_returned_decision_is_already_committed_for_every_other_reader(self):
        self.consult(["crm:public.contacts.email"])
        self.assertEqual(rows_seen_by_another_connection(), 1)
        self.consult([f"crm:public.contacts.c{i}" for i in range(150)])
        self.assertEqual(rows_seen_by_another_connection(), 151)

    def test_a_row_with_characters_the_database_cannot_store_is_still_written(self):
        # The API refuses such input (400); the writer itself must not be poisoned by it either.
        snap = services.get_snapshot()
        bad = snap.decide(("u:0",), "profile_unifica\x00tion", "crm:public.\ud800x.\x00y", 0.0)
        services.log_decisions(self.consumer, "purpose\x00", [bad], snap.version, "req")
        row = DecisionLog.objects.get()
        self.assertEqual(row.purpose, "purpose\ufffd")
        self.assertNotIn("\x00", row.field_ref)
        self.consult(["crm:public.contacts.email"])
        self.assertEqual(rows_seen_by_another_connection(), 2)


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "PostgreSQL cannot store NUL in text")
class DecisionLogOnPostgresTests(DecisionLogCompletenessTests):
    @override_settings(CONSULT_LOG_SYNCHRONOUS_COMMIT=False)
    def test_with_asynchronous_commit_the_rows_are_still_committed_before_the_response(self):
        self.consult(["crm:public.contacts.email", "crm:public.contacts.phone"])
        self.assertEqual(rows_seen_by_another_connection(), 2)
