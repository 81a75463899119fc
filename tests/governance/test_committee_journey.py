"""The issue's "done when": a committee member, through the API alone, finds what awaits them,
reads the diff, votes, and sees the decision and the history."""

from __future__ import annotations

from tests.governance.helpers import API, GovernanceTestCase, definition_url


class CommitteeJourneyTests(GovernanceTestCase):
    def test_a_member_finds_reads_votes_and_sees_the_decision_and_history(self):
        steward, chair, member = (
            self.client_for(u) for u in (self.steward, self.committee, self.member2)
        )
        # The steward proposes a change to an approved definition and submits it.
        self.ok(
            steward.patch(
                definition_url("order_amount_gross"),
                {"tax": "excluded", "change_note": "align with finance"},
            )
        )
        self.ok(steward.post(definition_url("order_amount_gross", "submit/"), {"reason": "go"}))

        # What awaits the chair?
        waiting = self.ok(chair.get(API + "reviews/", {"awaiting_me": "true"}))["results"]
        self.assertEqual([r["summary"] for r in waiting], ["definition order_amount_gross v2"])
        review_url = waiting[0]["url"]
        # The diff, from the review and from the definition.
        self.assertEqual(waiting[0]["subject"]["changes"][0]["label"], "Tax treatment")
        diff = self.ok(chair.get(definition_url("order_amount_gross", "diff/")))
        self.assertEqual([c["attribute"] for c in diff["changes"]], ["tax"])
        # Two votes decide.
        self.assertEqual(
            self.ok(chair.post(review_url + "vote/", {"choice": "approve"}))["status"], "open"
        )
        decided = self.ok(member.post(review_url + "vote/", {"choice": "approve"}))
        self.assertEqual(decided["status"], "approved")
        # The decision, the reviews of the definition and the history.
        detail = self.ok(chair.get(definition_url("order_amount_gross")))
        self.assertEqual(
            (detail["effective"]["number"], detail["effective"]["tax"]), (2, "excluded")
        )
        reviews = self.ok(chair.get(API + "reviews/", {"definition": "order_amount_gross"}))
        self.assertEqual([r["status"] for r in reviews["results"]], ["approved", "approved"])
        history = self.ok(chair.get(definition_url("order_amount_gross", "history/")))
        self.assertEqual(
            [(h["subject"], h["transition"]) for h in history][-4:],
            [("v2", "create"), ("v2", "submit"), ("v1", "supersede"), ("v2", "approve")],
        )
        self.assertEqual(self.ok(chair.get(API + "reviews/", {"awaiting_me": "true"}))["count"], 0)
