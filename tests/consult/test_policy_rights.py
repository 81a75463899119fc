"""A policy step is refused for want of the right before its state or its body is judged."""

from __future__ import annotations

from core.audit import Actor
from governance.services import save_committee
from governance.workflow import transition
from tests.consult.helpers import POLICIES_URL, ConsultTestCase, allow


class PolicyRightsTests(ConsultTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        save_committee(
            Actor.system("tests"),
            None,
            {"name": "Privacy board", "domains": ["customer"], "min_approvals": 1},
            [(cls.committee, "chair")],
        )
        cls.in_review = allow(cls.consumer, "system", "dw", ("analytics",), status="draft",
                              author=cls.steward)  # fmt: skip
        transition(Actor(cls.steward), cls.in_review, "submit")

    def url(self, suffix: str) -> str:
        return f"{POLICIES_URL}{self.in_review.pk}/{suffix}"

    def test_a_consumer_revoking_its_policy_in_review_is_403_not_a_state_error(self):
        response = self.as_(self.consumer).post(self.url("revoke/"))
        body = self.assert_error(response, 403, code="permission_denied")
        self.assertNotIn("in_review", body["message"])

    def test_a_consumer_voting_with_a_bad_body_is_403(self):
        response = self.as_(self.consumer).post(self.url("vote/"), {"choice": "maybe"})
        self.assert_error(response, 403, code="permission_denied")

    def test_a_consumer_voting_on_a_draft_is_403_not_review_closed(self):
        draft = allow(self.consumer, "system", "pos", ("analytics",), status="draft")
        response = self.as_(self.consumer).post(
            f"{POLICIES_URL}{draft.pk}/vote/", {"choice": "approve"}
        )
        self.assert_error(response, 403, code="permission_denied")

    def test_the_committee_still_gets_the_state_error(self):
        response = self.as_(self.committee).post(self.url("revoke/"))
        self.assert_error(response, 400, code="illegal_transition")
