"""Nothing governed changes without someone deciding it and seeing what they decided: a mapping
that replaces another says so, every review renders its subject for a reader, the decision rule
is one model shown as progress, and duplicates are flagged where people decide."""

from __future__ import annotations

from core.audit import Actor
from governance import reports, services
from governance.models import DecisionRule, FieldDefinition, FieldMapping, Review
from governance.workflow import cast_vote, transition
from tests.governance.helpers import (
    DEFINITIONS_URL,
    NET,
    GovernanceTestCase,
    open_review,
    review_url,
)


class MappingReplacementTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.approve(cls.net)
        cls.old = services.create_mapping(
            Actor(cls.engineer), {"field": cls.amount, "definition": cls.net}
        )
        transition(Actor(cls.engineer), cls.old, "submit")
        cast_vote(Actor(cls.steward), open_review(cls.old), "approve")  # the steward decides

    def propose_gross(self) -> FieldMapping:
        new = services.create_mapping(
            Actor(self.engineer), {"field": self.amount, "definition": self.gross}
        )
        transition(Actor(self.engineer), new, "submit")
        return new

    def test_the_review_of_a_mapping_that_replaces_another_says_so_before_anyone_votes(self):
        new = self.propose_gross()
        body = self.ok(self.as_(self.committee).get(review_url(open_review(new))))
        (replaces,) = body["subject"]["replaces"]
        self.assertIn(f"#{self.old.pk} of pos:sales.transactions.amount", replaces)
        self.assertIn("order_amount_net", replaces)
        self.assertIn("loses this source", replaces)
        in_force = {r["label"]: r["value"] for r in body["subject"]["in_force"]}
        self.assertEqual(in_force["Definition"], "order_amount_net")

    def test_the_agenda_lists_what_an_approval_would_replace(self):
        new = self.propose_gross()
        item = next(
            i
            for i in reports.agenda(self.board)["awaiting_decision"]
            if i["id"] == open_review(new).pk
        )
        self.assertEqual(len(item["replaces"]), 1)
        markdown = reports.agenda_markdown(reports.agenda(self.board))
        self.assertIn("Approving it replaces the approved mapping", markdown)

    def test_approving_retires_the_announced_mapping_with_a_reason_that_says_so(self):
        new = self.propose_gross()
        cast_vote(Actor(self.steward), open_review(new), "approve")
        self.old.refresh_from_db()
        self.assertEqual(self.old.status, "retired")
        url = f"/api/v1/governance/mappings/{self.old.pk}/history/"
        history = self.ok(self.as_(self.committee).get(url))
        self.assertIn("as its review announced", history[-1]["reason"])


class ReadableReviewTests(GovernanceTestCase):
    def test_a_new_definitions_review_shows_its_name_description_and_attributes(self):
        review = self.submit(self.net)
        body = self.ok(self.as_(self.committee).get(review_url(review)))
        proposed = {r["label"]: r["value"] for r in body["subject"]["proposed"]}
        self.assertEqual(proposed["Name (English)"], NET["name"])
        self.assertEqual(proposed["Description (English)"], NET["description"])
        self.assertEqual(proposed["Tax treatment"], "Tax excluded")
        self.assertEqual(proposed["Discount treatment"], "After discount")
        self.assertEqual(proposed["Steward"], "steward")
        self.assertIsNone(body["subject"]["in_force"])

    def test_a_review_is_a_markdown_document_too(self):
        review = self.submit(self.net)
        response = self.as_(self.committee).get(review_url(review) + "?as=markdown")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/markdown"))
        text = response.content.decode()
        self.assertIn("# Review #", text)
        self.assertIn("| Tax treatment | Tax excluded |", text)
        self.assertIn("Progress: 0 of 2 approvals; awaiting committee, member2, member3", text)

    def test_a_review_in_markdown_gives_its_dates_as_people_read_them(self):
        review = self.submit(self.net)
        text = self.as_(self.committee).get(review_url(review) + "?as=markdown").content.decode()
        opened = review.opened_at.strftime("%Y-%m-%d %H:%M UTC")
        due = review.due_at.strftime("%Y-%m-%d %H:%M UTC")
        self.assertIn(f"- Opened: {opened}, due {due}", text)

    def test_a_mapping_to_a_definition_not_yet_approved_names_it_and_says_so(self):
        mapping = services.create_mapping(
            Actor(self.engineer), {"field": self.amount, "definition": self.net}
        )
        transition(Actor(self.engineer), mapping, "submit")
        body = self.ok(self.as_(self.committee).get(review_url(open_review(mapping))))
        proposed = {r["label"]: r["value"] for r in body["subject"]["proposed"]}
        self.assertEqual(
            proposed["Definition"], "order_amount_net: Order amount, net (no approved version yet)"
        )

    def test_a_decided_definition_review_shows_what_was_in_force_when_it_was_proposed(self):
        first = Review.objects.get(object_id=self.gross.effective_version.pk)
        services.update_definition(Actor(self.steward), self.gross, {"tax": "excluded"})
        self.approve(self.gross)
        second = Review.objects.filter(status="approved").latest("id")
        body = self.ok(self.as_(self.committee).get(review_url(first)))
        self.assertEqual((body["subject"]["replaces"], body["subject"]["in_force"]), ([], None))
        body = self.ok(self.as_(self.committee).get(review_url(second)))
        self.assertEqual(
            body["subject"]["replaces"],
            ["order_amount_gross v1, the version in force when it was proposed"],
        )
        self.assertEqual(
            body["subject"]["changes"],
            [{"label": "Tax treatment", "from": "Tax included", "to": "Tax excluded"}],
        )


class DecisionRuleTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Two members who must both approve: the committee the users met.
        cls.pair = services.save_committee(
            Actor.system("tests"),
            None,
            {"name": "Pair", "domains": ["payment"], "min_approvals": 2},
            [(cls.committee, "chair"), (cls.member2, "member")],
        )
        cls.payment = cls.define({**NET, "key": "payment_amount", "domain": "payment"})

    def test_one_request_for_changes_does_not_close_a_review_before_the_chair_votes(self):
        review = self.submit(self.payment)
        cast_vote(Actor(self.member2), review, "request_changes", "Say which fee is in it.")
        review.refresh_from_db()
        self.assertEqual(review.status, "open")
        body = self.ok(self.as_(self.committee).get(review_url(review)))
        self.assertEqual(body["awaiting"], ["committee"])
        self.assertTrue(body["progress"].startswith("0 of 2 approvals, 1 request(s) for changes;"
                                                    " awaiting committee."))  # fmt: skip
        cast_vote(Actor(self.committee), review, "approve")
        review.refresh_from_db()
        self.assertEqual(review.status, "changes_requested")

    def test_a_rule_per_kind_is_shown_in_the_review_and_followed(self):
        services.save_committee(
            Actor.system("tests"),
            self.pair,
            {},
            rules=[{"subject_kind": "definition", "min_approvals": 1, "rejection": "closes",
                    "changes": "counts", "owner_decides": False}],
        )  # fmt: skip
        review = self.submit(self.payment)
        body = self.ok(self.as_(self.committee).get(review_url(review)))
        self.assertEqual(body["rule"], {"min_approvals": 1, "rejection": "closes",
                                        "changes": "counts", "owner_decides": False})  # fmt: skip
        self.assertIn("a single rejection closes it", body["progress"])
        cast_vote(Actor(self.member2), review, "reject", "No.")
        review.refresh_from_db()
        self.assertEqual(review.status, "rejected")

    def test_owners_who_may_decide_alone_are_named_in_the_progress(self):
        mapping = services.create_mapping(
            Actor(self.engineer), {"field": self.amount, "definition": self.gross}
        )
        transition(Actor(self.engineer), mapping, "submit")
        body = self.ok(self.as_(self.committee).get(review_url(open_review(mapping))))
        self.assertEqual(body["may_decide_alone"], ["steward"])
        self.assertIn("steward may also decide alone", body["progress"])
        self.assertTrue(body["rule"]["owner_decides"])

    def test_a_committee_that_cannot_meet_its_rule_is_refused_when_a_review_would_open(self):
        DecisionRule.objects.create(committee=self.pair, subject_kind="definition", min_approvals=3)
        response = self.as_(self.steward).post(DEFINITIONS_URL + "payment_amount/submit/", {})
        body = self.assert_error(response, 400)
        self.assertIn("2 member(s) who may vote, and 3 approval(s) are needed", body["message"])


class DuplicateDefinitionTests(GovernanceTestCase):
    def create_net_sales(self):
        return self.as_(self.steward).post(
            DEFINITIONS_URL,
            {**NET, "key": "net_sales_amount", "domain": "finance", "name": "Net sales amount",
             "data_type": "decimal(14,2)", "synonyms": ["net sales"]},
            format="json",
        )  # fmt: skip

    def test_an_equivalent_definition_is_flagged_at_creation_in_review_and_in_conflicts(self):
        self.approve(self.net)
        created = self.ok(self.create_net_sales(), 201)
        (conflict,) = [c for c in created["conflicts"] if c["kind"] == "equivalent_definitions"]
        self.assertEqual(conflict["definitions"], ["net_sales_amount", "order_amount_net"])
        review = self.submit(services_definition("net_sales_amount"), self.steward)
        body = self.ok(self.as_(self.finance_member).get(review_url(review)))
        kinds = [c["kind"] for c in body["subject"]["conflicts"]]
        self.assertIn("equivalent_definitions", kinds)
        listed = self.ok(self.as_(self.committee).get("/api/v1/governance/conflicts/"))
        self.assertIn(
            ["net_sales_amount", "order_amount_net"],
            [c["definitions"] for c in listed if c["kind"] == "equivalent_definitions"],
        )

    def test_a_field_whose_grain_contradicts_its_definition_is_flagged(self):
        services.create_mapping(
            Actor(self.engineer),
            {"field": self.amount, "definition": self.gross, "semantics": {"grain": "customer"},
             "conversion_note": "year-to-date per customer"},
        )  # fmt: skip
        listed = self.ok(self.as_(self.committee).get("/api/v1/governance/conflicts/"))
        (mismatch,) = [c for c in listed if c["kind"] == "grain_mismatch"]
        self.assertEqual(mismatch["fields"], ["pos:sales.transactions.amount"])
        self.assertIn("one value per order", mismatch["summary"])


def services_definition(key):
    return FieldDefinition.objects.get(key=key)
