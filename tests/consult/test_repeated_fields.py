"""A consult naming a field twice, or too many fields: answered in order, decided and logged
once; too many is a 400 before anything is logged."""

from __future__ import annotations

from consult.models import DecisionLog
from tests.consult.helpers import ConsultTestCase

MEMBER_ID = "pos:sales.transactions.member_id"
EMAIL = "crm:public.contacts.email"


class DuplicateRefTests(ConsultTestCase):
    def test_duplicates_are_answered_in_order_but_decided_and_logged_once(self):
        fields = [MEMBER_ID, EMAIL, MEMBER_ID, MEMBER_ID, "pos:nope.nope"]
        response = self.consult(fields)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([d["field"] for d in response.json()["decisions"]], fields)
        logged = list(DecisionLog.objects.order_by("id").values_list("field_ref", flat=True))
        self.assertEqual(logged, [MEMBER_ID, EMAIL, "pos:nope.nope"])

    def test_too_many_fields_is_a_400_before_anything_is_logged(self):
        response = self.consult([MEMBER_ID] * 5001)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["path"], "fields")
        self.assertFalse(DecisionLog.objects.exists())
