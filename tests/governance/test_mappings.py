"""/api/v1/governance/mappings/ and the read API other apps use."""

from __future__ import annotations

from core.audit import Actor
from governance import queries, services
from governance.models import FieldMapping
from governance.workflow import cast_vote, transition
from tests.governance.helpers import MAPPINGS_URL, GovernanceTestCase, open_review

NOTE = "POS amount includes 5% VAT; net = amount / 1.05"


class MappingTests(GovernanceTestCase):
    def propose(
        self, user, field="pos:sales.transactions.amount", key="order_amount_gross", **extra
    ):
        return self.as_(user).post(MAPPINGS_URL, {"field": field, "definition": key, **extra})

    def test_engineer_maps_a_field_of_its_system(self):
        body = self.ok(
            self.propose(self.engineer, conversion_note=NOTE, semantics={"tax": "included"}), 201
        )
        self.assertEqual((body["status"], body["author"]), ("draft", "engineer"))
        self.assertEqual(body["field"]["ref"], "pos:sales.transactions.amount")
        self.assertEqual(body["allowed_actions"], ["submit"])

    def test_engineer_cannot_map_another_engineers_field(self):
        self.assert_error(self.propose(self.engineer, field="crm:public.contacts.email"), 403)

    def test_steward_of_the_definition_may_map_any_visible_field(self):
        self.ok(self.propose(self.steward, field="crm:public.contacts.email"), 201)

    def test_roles_without_add_permission_cannot_propose(self):
        for user in (self.consumer, self.vendor, self.outsider):
            with self.subTest(user=user.username):
                self.assert_error(self.propose(user), 403)
        self.assert_error(self.propose(None), 401)

    def test_bad_input_is_400(self):
        self.assert_error(self.propose(self.engineer, field="pos:nope.x"), 400, path="field")
        self.assert_error(self.propose(self.engineer, field="no ref"), 400, path="field")
        self.assert_error(self.propose(self.engineer, key="unknown"), 400, path="definition")
        self.assert_error(
            self.propose(self.engineer, key="order_amount_net"), 400, path="definition"
        )  # a draft the engineer cannot see
        self.assert_error(
            self.propose(self.engineer, semantics={"tax": "maybe"}), 400, path="semantics"
        )
        self.assert_error(
            self.propose(self.engineer, semantics={"colour": "red"}), 400, path="semantics"
        )

    def test_the_same_field_cannot_be_mapped_twice_to_one_definition(self):
        self.ok(self.propose(self.engineer), 201)
        self.assert_error(self.propose(self.engineer), 409, code="conflict")

    def test_the_steward_of_the_definition_approves_alone(self):
        mapping_id = self.ok(self.propose(self.engineer, conversion_note=NOTE), 201)["id"]
        self.ok(self.as_(self.engineer).post(f"{MAPPINGS_URL}{mapping_id}/submit/"))
        review = open_review(FieldMapping.objects.get(pk=mapping_id))
        self.assertEqual(list(review.approvers.all()), [self.steward])
        body = self.ok(
            self.as_(self.steward).post(
                f"/api/v1/governance/reviews/{review.pk}/vote/", {"choice": "approve"}
            )
        )
        self.assertEqual(body["status"], "approved")
        self.assertEqual(FieldMapping.objects.get(pk=mapping_id).status, "approved")

    def test_the_committee_may_approve_a_mapping_the_steward_proposed(self):
        mapping = services.create_mapping(
            Actor(self.steward), {"field": self.amount, "definition": self.gross}
        )
        transition(Actor(self.steward), mapping, "submit")
        review = open_review(mapping)
        self.assertEqual(list(review.approvers.all()), [])  # the author never decides
        cast_vote(Actor(self.committee), review, "approve")
        cast_vote(Actor(self.member3), review, "approve")
        mapping.refresh_from_db()
        self.assertEqual(mapping.status, "approved")

    def test_drafts_are_hidden_from_others_and_approved_mappings_are_public(self):
        mapping_id = self.ok(self.propose(self.engineer), 201)["id"]
        url = f"{MAPPINGS_URL}{mapping_id}/"
        self.assert_error(self.as_(self.consumer).get(url), 404)
        self.ok(self.as_(self.steward).get(url))
        self.ok(self.as_(self.committee).get(url))
        mapping = FieldMapping.objects.get(pk=mapping_id)
        transition(Actor(self.engineer), mapping, "submit")
        cast_vote(Actor(self.steward), open_review(mapping), "approve")
        self.ok(self.as_(self.consumer).get(url))
        self.assertEqual(self.ok(self.as_(self.outsider).get(MAPPINGS_URL))["count"], 0)

    def test_only_drafts_are_edited_and_others_may_not(self):
        mapping_id = self.ok(self.propose(self.engineer), 201)["id"]
        url = f"{MAPPINGS_URL}{mapping_id}/"
        self.ok(self.as_(self.engineer).patch(url, {"conversion_note": NOTE}))
        self.assert_error(self.as_(self.other_engineer).patch(url, {"conversion_note": "x"}), 404)
        self.ok(self.as_(self.engineer).post(url + "submit/"))
        self.assert_error(self.as_(self.engineer).patch(url, {"conversion_note": "x"}), 409)
        # Retiring is for the definition's editors and its committee: the right comes first.
        self.assert_error(
            self.as_(self.engineer).post(url + "retire/"), 403, code="permission_denied"
        )
        self.assert_error(
            self.as_(self.steward).post(url + "retire/"), 400, code="illegal_transition"
        )

    def test_approving_a_new_mapping_retires_the_fields_old_one(self):
        first = self.approved_mapping(self.gross)
        self.approve(self.net)
        second = self.approved_mapping(self.refreshed(self.net))
        first.refresh_from_db()
        self.assertEqual((first.status, second.status), ("retired", "approved"))
        history = self.ok(self.as_(self.steward).get(f"{MAPPINGS_URL}{first.pk}/history/"))
        self.assertEqual(history[-1]["via"], "system")

    def approved_mapping(self, definition, note=""):
        mapping = services.create_mapping(
            Actor(self.engineer),
            {"field": self.amount, "definition": definition, "conversion_note": note},
        )
        transition(Actor(self.engineer), mapping, "submit")
        cast_vote(Actor(self.steward), open_review(mapping), "approve")
        mapping.refresh_from_db()
        return mapping

    # Read API ----------------------------------------------------------------------------------
    def test_read_api_gives_the_effective_definition_of_a_field(self):
        self.assertIsNone(queries.effective_definition_for_field(self.amount.pk))
        self.approved_mapping(self.gross, NOTE)
        found = queries.effective_definition_for_field(self.amount.pk)
        self.assertEqual(
            (found["key"], found["version"], found["status"]), ("order_amount_gross", 1, "approved")
        )
        self.assertEqual(found["attributes"]["tax"], "included")
        self.assertNotIn("unit", found["attributes"])  # empty attributes are left out
        self.assertEqual(found["conversion_note"], NOTE)
        self.assertEqual(found["owners"], [{"role": "steward", "name": "steward"}])

    def test_read_api_ignores_unapproved_mappings_and_follows_new_versions(self):
        mapping = services.create_mapping(
            Actor(self.engineer), {"field": self.amount, "definition": self.gross}
        )
        self.assertIsNone(queries.effective_definition_for_field(self.amount.pk))
        transition(Actor(self.engineer), mapping, "submit")
        cast_vote(Actor(self.steward), open_review(mapping), "approve")
        services.update_definition(Actor(self.steward), self.gross, {"unit": "TWD"})
        self.assertEqual(queries.effective_definition_for_field(self.amount.pk)["version"], 1)
        self.approve(self.refreshed(self.gross))
        self.assertEqual(queries.effective_definition_for_field(self.amount.pk)["version"], 2)

    def test_read_api_lists_the_approved_fields_of_a_definition(self):
        self.assertEqual(queries.approved_fields_for_definition("order_amount_gross"), [])
        self.approved_mapping(self.gross, NOTE)
        rows = queries.approved_fields_for_definition("order_amount_gross")
        self.assertEqual(
            [(r["field"], r["conversion_note"]) for r in rows],
            [("pos:sales.transactions.amount", NOTE)],
        )
        self.assertEqual(queries.approved_fields_for_definition("nope"), [])
