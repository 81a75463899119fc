"""QA findings on consult: malformed purposes are 400s, policies and what-ifs name only
consumers, duplicates are decided and logged once, and what a caller may not read stays hidden."""

from __future__ import annotations

from consult.models import AccessPolicy, DecisionLog
from tests.consult.helpers import POLICIES_URL, WHAT_IF_URL, ConsultTestCase

MEMBER_ID = "pos:sales.transactions.member_id"
EMAIL = "crm:public.contacts.email"


class PolicyValidationTests(ConsultTestCase):
    body = {
        "name": "Emails for unification",
        "consumer": "consumer",
        "purposes": ["profile_unification"],
        "resource_kind": "field",
        "resource_key": MEMBER_ID,
        "effect": "allow",
        "justification": "tests",
    }

    def assert_400(self, response, path):
        self.assertEqual(response.status_code, 400, response.content)
        body = response.json()
        self.assertEqual(set(body) >= {"status", "code", "message", "errors"}, True)
        self.assertEqual(body["status"], 400)
        self.assertIn(path, [e["path"] for e in body["errors"]])
        return body

    def test_purposes_must_be_a_list_of_strings_on_post_and_patch(self):
        client = self.as_(self.steward)
        created = client.post(POLICIES_URL, self.body, format="json")
        self.assertEqual(created.status_code, 201, created.content)
        url = f"{POLICIES_URL}{created.json()['id']}/"
        for purposes in ([{"a": 1}], [["analytics"]], [1], "analytics", [""]):
            with self.subTest(purposes=purposes):
                body = {**self.body, "purposes": purposes}
                self.assert_400(client.post(POLICIES_URL, body, format="json"), "purposes")
                self.assert_400(
                    client.patch(url, {"purposes": purposes}, format="json"), "purposes"
                )
        self.assertEqual(AccessPolicy.objects.get(pk=created.json()["id"]).purposes,
                         ["profile_unification"])  # fmt: skip

    def test_a_policy_names_only_a_consumer(self):
        for username in ("vendor", "steward", "outsider"):
            with self.subTest(username=username):
                body = {**self.body, "consumer": username}
                response = self.as_(self.steward).post(POLICIES_URL, body, format="json")
                result = self.assert_400(response, "consumer")
                self.assertIn(f"'{username}' is not a consumer", result["message"])

    def test_what_if_refuses_a_user_outside_the_consumer_group(self):
        body = {"purpose": "profile_unification", "fields": [MEMBER_ID], "consumer": "steward"}
        response = self.as_(self.committee).post(WHAT_IF_URL, body, format="json")
        self.assertIn(
            "'steward' is not a consumer", self.assert_400(response, "consumer")["message"]
        )
        self.assertFalse(DecisionLog.objects.exists())


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


class VisibilityTests(ConsultTestCase):
    def test_an_outsider_learns_nothing_about_definitions(self):
        client = self.as_(self.outsider)
        url = "/api/v1/consult/definitions/customer_email/sources/"
        self.assertEqual(client.get("/api/v1/governance/definitions/customer_email/").status_code,
                         404)  # fmt: skip
        response = client.get(url)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["status"], 404)
        response = client.get("/api/v1/consult/definition-classifications/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 0)

    def test_a_steward_still_reads_them(self):
        client = self.as_(self.steward)
        response = client.get("/api/v1/consult/definitions/customer_email/sources/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([s["field"] for s in response.json()["sources"]], [EMAIL])
        response = client.get("/api/v1/consult/definition-classifications/")
        self.assertEqual(response.json()["count"], 3)

    def test_a_vendor_sees_only_the_sources_it_may_view(self):
        response = self.as_(self.vendor).get("/api/v1/consult/definitions/customer_email/sources/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["sources"], [])
