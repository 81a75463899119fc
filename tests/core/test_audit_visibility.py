"""The audit trail shows a caller only rows about objects it may read: a draft or rejected
definition's text stays hidden from who gets a 404 for the definition, and token metadata from
everyone but its owner and administrators. The filter is one query, whatever the page holds."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import Actor
from core.models import ChangeRecord
from core.services import issue_token
from governance.workflow import cast_vote
from tests.governance.helpers import GROSS, GovernanceTestCase, definition_url

AUDIT_URL = "/api/v1/audit/"


class AuditVisibilityTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        rejected = cls.define({**GROSS, "key": "order_amount_rejected", "synonyms": []})
        review = cls.submit(rejected)
        cast_vote(Actor(cls.committee), review, "reject", "not needed")
        cls.rejected = rejected
        cls.steward_token, _ = issue_token(Actor(cls.steward), cls.steward, name="steward-ci")
        cls.engineer_token, _ = issue_token(Actor(cls.engineer), cls.engineer, name="eng-ci")

    def rows(self, user, **params) -> list[dict]:
        response = self.as_(user).get(AUDIT_URL, {"limit": 1000, **params})
        self.assertEqual(response.status_code, 200, response.content[:500])
        return response.json()["results"]

    def about(self, rows, text: str) -> list[dict]:
        return [r for r in rows if text in r["object_repr"] or text in str(r["after"])]

    def test_an_engineer_reads_no_draft_or_rejected_definition_through_the_audit_trail(self):
        for key in ("order_amount_net", "order_amount_rejected"):
            with self.subTest(key=key):
                self.assertEqual(self.as_(self.engineer).get(definition_url(key)).status_code, 404)
                self.assertEqual(self.about(self.rows(self.engineer), key), [])
                self.assertTrue(self.about(self.rows(self.steward), key))
                self.assertTrue(self.about(self.rows(self.committee), key))
        self.assertTrue(self.about(self.rows(self.engineer), "order_amount_gross"))

    def test_a_hidden_row_is_a_404_by_id(self):
        hidden = ChangeRecord.objects.filter(
            object_type="governance.definitionversion", object_repr__contains="order_amount_net"
        ).first()
        url = f"{AUDIT_URL}{hidden.pk}/"
        self.assert_error(self.as_(self.engineer).get(url), 404, code="not_found")
        self.assertEqual(self.as_(self.steward).get(url).status_code, 200)

    def test_token_metadata_is_read_by_its_owner_and_administrators_only(self):
        tokens = {"object_type": "core.apitoken"}
        seen = {
            user.username: {r["object_id"] for r in self.rows(user, **tokens)}
            for user in (self.engineer, self.steward, self.committee, self.admin)
        }
        mine, theirs = str(self.engineer_token.pk), str(self.steward_token.pk)
        self.assertIn(mine, seen["engineer"])
        self.assertNotIn(theirs, seen["engineer"])
        self.assertEqual(seen["steward"] & {mine, theirs}, {theirs})
        self.assertEqual(seen["committee"] & {mine, theirs}, set())
        self.assertLessEqual({mine, theirs}, seen["admin"])

    def test_callers_without_the_audit_role_read_nothing(self):
        record = ChangeRecord.objects.filter(object_type="catalog.sourcesystem").first()
        for user in (self.vendor, self.consumer, self.outsider):
            with self.subTest(user=user.username):
                self.assertEqual(self.rows(user), [])
                self.assert_error(self.as_(user).get(f"{AUDIT_URL}{record.pk}/"), 404)

    def test_the_filter_costs_the_same_queries_for_ten_rows_as_for_a_hundred(self):
        kinds = [
            ("catalog.sourcesystem", self.pos.pk),
            ("catalog.field", self.amount.pk),
            ("governance.fielddefinition", self.gross.pk),
            ("governance.definitionversion", self.gross.latest_version.pk),
            ("core.apitoken", self.engineer_token.pk),
        ]
        ChangeRecord.objects.bulk_create(
            ChangeRecord(actor_name="x", action="update", object_type=kind, object_id=str(pk),
                         object_repr="bulk")
            for i in range(120)
            for kind, pk in [kinds[i % len(kinds)]]
        )  # fmt: skip

        def queries(size: int) -> int:
            with CaptureQueriesContext(connection) as captured:
                rows = self.rows(self.engineer, limit=size)
            self.assertEqual(len(rows), size)
            return len(captured)

        queries(10)  # the first request fills the caches of permissions and content types
        self.assertEqual(queries(10), queries(100))
