"""/api/v1/governance/reviews/: finding what awaits a member, voting, decisions, overrides."""

from __future__ import annotations

from core.audit import Actor
from core.models import ChangeRecord
from governance import services
from governance.models import StatusChange, Vote
from governance.workflow import cast_vote
from tests.governance.helpers import REVIEWS_URL, GovernanceTestCase, review_url


class ReviewTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        services.update_definition(Actor(cls.steward), cls.gross, {"tax": "excluded"})
        cls.review = cls.submit(cls.gross)

    def vote(self, user, choice="approve", comment=""):
        return self.as_(user).post(
            review_url(self.review, "vote/"), {"choice": choice, "comment": comment}
        )

    # Finding and reading -------------------------------------------------------------------
    def test_a_member_finds_what_awaits_their_vote(self):
        body = self.ok(self.as_(self.committee).get(REVIEWS_URL, {"awaiting_me": "true"}))
        self.assertEqual([r["id"] for r in body["results"]], [self.review.pk])
        self.vote(self.committee)
        body = self.ok(self.as_(self.committee).get(REVIEWS_URL, {"awaiting_me": "true"}))
        self.assertEqual(body["count"], 0)
        self.assertEqual(
            self.ok(self.as_(self.finance_member).get(REVIEWS_URL, {"awaiting_me": "true"}))[
                "count"
            ],
            0,
        )

    def test_the_review_shows_the_diff_against_the_version_in_force(self):
        body = self.ok(self.as_(self.committee).get(review_url(self.review)))
        self.assertEqual(body["subject_type"], "governance.definitionversion")
        subject = body["subject"]
        self.assertEqual(subject["kind"], "definition")
        self.assertTrue(subject["title"].startswith("Definition order_amount_gross v2"))
        self.assertEqual(
            subject["changes"],
            [{"label": "Tax treatment", "from": "Tax included", "to": "Tax excluded"}],
        )
        proposed = {row["label"]: row["value"] for row in subject["proposed"]}
        self.assertEqual(proposed["Key"], "order_amount_gross")
        self.assertEqual(proposed["Tax treatment"], "Tax excluded")
        self.assertEqual(subject["replaces"], ["order_amount_gross v1, the version in force"])
        self.assertEqual(body["awaiting"], ["committee", "member2", "member3"])
        self.assertTrue(body["may_vote"])
        self.assertEqual((body["min_approvals"], body["committee"]), (2, "Board"))

    def test_who_sees_reviews(self):
        self.assert_error(self.as_(None).get(REVIEWS_URL), 401)
        self.assertEqual(self.ok(self.as_(self.outsider).get(REVIEWS_URL))["count"], 0)
        self.assertEqual(self.ok(self.as_(self.consumer).get(REVIEWS_URL))["count"], 0)
        self.assert_error(self.as_(self.consumer).get(review_url(self.review)), 404)
        self.assertEqual(self.ok(self.as_(self.steward).get(REVIEWS_URL))["count"], 2)
        self.assertFalse(self.ok(self.as_(self.steward).get(review_url(self.review)))["may_vote"])

    # Voting ------------------------------------------------------------------------------------
    def test_the_decision_is_taken_when_the_rule_is_met(self):
        body = self.ok(self.vote(self.committee))
        self.assertEqual((body["status"], body["tally"]["approve"]), ("open", 1))
        body = self.ok(self.vote(self.member2, comment="fine"))
        self.assertEqual(body["status"], "approved")
        self.assertEqual(self.refreshed(self.gross).effective_version.tax, "excluded")
        self.assertEqual([v["voter"] for v in body["votes"]], ["committee", "member2"])
        third = self.vote(self.member3)
        self.assert_error(third, 409, code="review_closed")
        self.assertEqual(Vote.objects.filter(review=self.review).count(), 2)

    def test_the_author_cannot_vote_on_their_own_proposal(self):
        author = self.committee
        definition = self.define(
            {
                "key": "customer_tier",
                "domain": "customer",
                "name": "Tier",
                "description": "Loyalty tier.",
            },
            author=author,
        )
        review = self.submit(definition, user=author)
        response = self.as_(author).post(review_url(review, "vote/"), {"choice": "approve"})
        body = self.assert_error(response, 403)
        self.assertIn("author", body["message"])
        self.assertFalse(Vote.objects.filter(review=review).exists())
        self.assertEqual(
            sorted(self.ok(self.as_(self.member2).get(review_url(review)))["awaiting"]),
            ["member2", "member3"],
        )

    def test_a_member_of_another_committee_cannot_vote_here(self):
        self.assert_error(self.vote(self.finance_member), 403)

    def test_non_members_cannot_vote(self):
        self.assert_error(self.vote(self.steward), 403)
        self.assert_error(self.vote(self.admin), 403)  # admins do not bypass the vote
        self.assert_error(self.vote(self.consumer), 404)
        self.assert_error(self.vote(None), 401)

    def test_voting_twice_is_409(self):
        self.ok(self.vote(self.committee))
        self.assert_error(
            self.vote(self.committee, "reject", "changed my mind"), 409, code="already_voted"
        )

    def test_bad_votes_are_400(self):
        self.assert_error(self.vote(self.committee, "maybe"), 400, path="choice")
        self.assert_error(self.vote(self.committee, "reject"), 400, path="comment")
        self.assert_error(self.vote(self.committee, "request_changes", "  "), 400, path="comment")
        self.assertFalse(Vote.objects.filter(review=self.review).exists())

    def test_a_rejected_proposal_leaves_the_version_in_force(self):
        self.vote(self.committee, "reject", "Tax must stay included.")
        self.vote(self.member2, "reject", "Agreed.")
        self.review.refresh_from_db()
        self.assertEqual(self.review.status, "rejected")
        definition = self.refreshed(self.gross)
        self.assertEqual(
            (definition.effective_version.number, definition.effective_version.tax), (1, "included")
        )
        self.assertEqual(
            dict(definition.versions.values_list("number", "status")),
            {1: "approved", 2: "rejected"},
        )

    def test_no_rejection_rule_rejects_on_one_reject(self):
        services.save_committee(Actor.system(), self.board, {"no_rejection": True})
        # The rule is fixed when a review opens: this one still needs two rejects.
        self.vote(self.committee, "reject", "no")
        self.review.refresh_from_db()
        self.assertEqual(self.review.status, "open")
        services.update_definition(Actor(self.steward), self.net, {"unit": "TWD"})
        review = self.submit(self.net)
        cast_vote(Actor(self.member3), review, "approve")
        cast_vote(Actor(self.member2), review, "reject", "no")
        review.refresh_from_db()
        self.assertEqual(review.status, "rejected")

    def test_every_vote_and_decision_is_audited_and_in_the_history(self):
        self.vote(self.committee)
        self.vote(self.member2)
        votes = [
            str(pk) for pk in Vote.objects.filter(review=self.review).values_list("pk", flat=True)
        ]
        records = ChangeRecord.objects.filter(object_type="governance.vote", object_id__in=votes)
        self.assertEqual(
            sorted(records.values_list("actor_name", flat=True)), ["committee", "member2"]
        )
        change = StatusChange.objects.get(transition="approve", object_id=self.review.object_id)
        self.assertEqual(
            (change.via, change.review_id, change.actor_name), ("review", self.review.pk, "member2")
        )
        decided = ChangeRecord.objects.filter(
            object_type="governance.review", action="update"
        ).latest("id")
        self.assertEqual(decided.after["status"], "approved")

    # Emergency override ------------------------------------------------------------------------
    def test_an_admin_overrides_with_a_reason_audited(self):
        url = review_url(self.review, "override/")
        body = self.ok(
            self.as_(self.admin).post(url, {"decision": "approve", "reason": "Regulator deadline"})
        )
        self.assertEqual((body["status"], body["overridden"]), ("approved", True))
        change = StatusChange.objects.get(transition="approve", object_id=self.review.object_id)
        self.assertEqual(change.via, "override")
        self.assertIn("Regulator deadline", change.reason)
        record = ChangeRecord.objects.filter(action="transition", actor_name="admin").latest("id")
        self.assertIn("Emergency override: Regulator deadline", record.reason)

    def test_an_override_decides_in_the_words_of_a_vote(self):
        url = review_url(self.review, "override/")
        refused = self.as_(self.admin).post(url, {"decision": "approved", "reason": "x"})
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(
            refused.json()["errors"],
            [
                {
                    "path": "decision",
                    "message": '"approved" is not a valid choice; choose one of: approve, '
                    "reject, request_changes.",
                }
            ],
        )
        body = self.ok(
            self.as_(self.admin).post(url, {"decision": "request_changes", "reason": "Typo"})
        )
        self.assertEqual((body["status"], body["overridden"]), ("changes_requested", True))

    def test_override_needs_an_admin_a_reason_and_an_open_review(self):
        url = review_url(self.review, "override/")
        self.assert_error(
            self.as_(self.committee).post(url, {"decision": "approve", "reason": "x"}), 403
        )
        self.assert_error(
            self.as_(self.admin).post(url, {"decision": "approve"}), 400, path="reason"
        )
        self.assert_error(
            self.as_(self.admin).post(url, {"decision": "maybe", "reason": "x"}),
            400,
            path="decision",
        )
        self.vote(self.committee)
        self.vote(self.member2)
        self.assert_error(
            self.as_(self.admin).post(url, {"decision": "reject", "reason": "x"}),
            409,
            code="review_closed",
        )


class DirectServiceTests(GovernanceTestCase):
    def test_open_review_fails_when_no_committee_governs_the_domain(self):
        definition = self.define(
            {"key": "sku", "domain": "product", "name": "SKU", "description": "Stock keeping unit."}
        )
        response = self.as_(self.steward).post("/api/v1/governance/definitions/sku/submit/")
        body = self.assert_error(response, 400)
        self.assertIn("no committee", body["message"])
        self.assertEqual(self.status_of(definition), "draft")
