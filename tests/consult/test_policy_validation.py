"""Policy bodies: purposes are a list of strings on POST and PATCH; a policy and a what-if name
only consumers."""

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
