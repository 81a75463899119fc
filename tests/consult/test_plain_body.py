"""The consult body's fast validation (consult.api.serializers.plain_consult_body) accepts only
what ConsultRequestSerializer accepts, to the same values; everything else goes to the
serializer, so the errors, their words and their shape are the serializer's."""

from __future__ import annotations

from consult.api.serializers import MAX_FIELDS, ConsultRequestSerializer, plain_consult_body
from consult.snapshot import get_snapshot
from tests.consult.helpers import CONSULT_URL, ConsultTestCase

KNOWN = "pos:sales.transactions.member_id"
OTHER = "crm:public.contacts.email"
PURPOSE = "profile_unification"


class PlainBodyTests(ConsultTestCase):
    def snapshot_holding_the_refs(self):
        self.assertEqual(self.consult([KNOWN, OTHER]).status_code, 200)
        snap = get_snapshot()
        self.assertIn(KNOWN, snap.by_ref)
        return snap

    def test_the_usual_body_takes_the_fast_path_to_the_serializers_values(self):
        snap = self.snapshot_holding_the_refs()
        for body in (
            {"purpose": PURPOSE, "fields": [KNOWN]},
            {"fields": [KNOWN, OTHER, KNOWN], "purpose": PURPOSE},
        ):
            with self.subTest(body=body):
                plain = plain_consult_body(body, snap)
                self.assertIsNotNone(plain)
                serializer = ConsultRequestSerializer(data=body, context={"snapshot": snap})
                self.assertTrue(serializer.is_valid(), serializer.errors)
                self.assertEqual(plain, dict(serializer.validated_data))

    def test_everything_else_is_left_to_the_serializer(self):
        snap = self.snapshot_holding_the_refs()
        bodies = [
            None,
            [],
            "text",
            {},
            {"purpose": PURPOSE},
            {"fields": [KNOWN]},
            {"purpose": PURPOSE, "fields": [KNOWN], "extra": 1},
            {"purpose": PURPOSE, "feilds": [KNOWN]},
            {"purpose": f" {PURPOSE}", "fields": [KNOWN]},
            {"purpose": f"{PURPOSE}\n", "fields": [KNOWN]},
            {"purpose": "no_such_purpose", "fields": [KNOWN]},
            {"purpose": 1, "fields": [KNOWN]},
            {"purpose": None, "fields": [KNOWN]},
            {"purpose": [PURPOSE], "fields": [KNOWN]},
            {"purpose": PURPOSE, "fields": []},
            {"purpose": PURPOSE, "fields": KNOWN},
            {"purpose": PURPOSE, "fields": {KNOWN: 1}},
            {"purpose": PURPOSE, "fields": None},
            {"purpose": PURPOSE, "fields": [KNOWN, 1]},
            {"purpose": PURPOSE, "fields": [KNOWN, None]},
            {"purpose": PURPOSE, "fields": [f" {KNOWN}"]},
            {"purpose": PURPOSE, "fields": ["crm:public.contacts.nope"]},
            {"purpose": PURPOSE, "fields": ["not a reference"]},
            {"purpose": PURPOSE, "fields": [KNOWN] * (MAX_FIELDS + 1)},
        ]
        for body in bodies:
            with self.subTest(body=repr(body)[:80]):
                self.assertIsNone(plain_consult_body(body, snap))

    def test_a_body_with_unknown_references_is_answered_as_before(self):
        self.snapshot_holding_the_refs()
        response = self.consult([KNOWN, "crm:public.contacts.nope"])
        self.assertEqual(response.status_code, 200, response.content)
        decisions = response.json()["decisions"]
        self.assertEqual([d["field"] for d in decisions], [KNOWN, "crm:public.contacts.nope"])
        self.assertEqual(decisions[1]["decision"], "deny")

    def test_errors_are_the_serializers_once_the_snapshot_holds_the_refs(self):
        self.snapshot_holding_the_refs()
        cases = {
            "extra": {"purpose": PURPOSE, "fields": [KNOWN], "extra": 1},
            "purpose": {"purpose": "no_such_purpose", "fields": [KNOWN]},
            "fields": {"purpose": PURPOSE, "fields": []},
        }
        for key, body in cases.items():
            with self.subTest(key=key):
                response = self.as_(self.consumer).post(CONSULT_URL, body, format="json")
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(key, response.content.decode())
