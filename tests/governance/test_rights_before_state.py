"""A workflow step is refused for want of the right before anything is said about the body or
the state: a caller who may not act learns a 403, not why the step would fail anyway."""

from __future__ import annotations

from tests.governance.helpers import (
    GovernanceTestCase,
    definition_url,
    review_url,
)


class RightsBeforeStateTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.review = cls.submit(cls.net)

    def test_withdrawing_an_approved_definition_without_the_right_is_403_not_a_state_error(self):
        response = self.as_(self.engineer).post(definition_url("order_amount_gross", "withdraw/"))
        self.assert_error(response, 403, code="permission_denied")

    def test_deprecating_without_the_right_is_403_before_the_body_is_read(self):
        response = self.as_(self.engineer).post(
            definition_url("order_amount_gross", "deprecate/"), {"replaced_by": "nothing"}
        )
        self.assert_error(response, 403, code="permission_denied")

    def test_the_author_voting_with_a_bad_body_is_told_it_may_not_vote(self):
        response = self.as_(self.steward).post(review_url(self.review, "vote/"), {"choice": "?"})
        self.assert_error(response, 403, code="permission_denied")

    def test_a_non_member_voting_on_a_closed_review_is_403_not_review_closed(self):
        self.as_(self.steward).post(definition_url("order_amount_net", "withdraw/"))
        response = self.as_(self.finance_member).post(
            review_url(self.review, "vote/"), {"choice": "approve"}
        )
        self.assert_error(response, 403, code="permission_denied")

    def test_an_override_by_a_non_administrator_is_403_whatever_the_body(self):
        response = self.as_(self.committee).post(review_url(self.review, "override/"), {})
        self.assert_error(response, 403, code="permission_denied")

    def test_the_administrator_still_gets_400_for_a_bad_override(self):
        response = self.as_(self.admin).post(review_url(self.review, "override/"), {})
        self.assert_error(response, 400, code="invalid", path="decision")

    def test_an_editor_still_gets_the_state_error(self):
        response = self.as_(self.steward).post(definition_url("order_amount_gross", "withdraw/"))
        body = self.assert_error(response, 400, code="illegal_transition")
        self.assertIn("Cannot withdraw", body["message"])
