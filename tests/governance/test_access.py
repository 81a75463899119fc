"""Grants that follow a definition's owner and steward. Who may call each governance endpoint
at all is in the permission table, tests/governance/test_permissions.py."""

from __future__ import annotations

from core.audit import Actor
from core.permissions import user_can
from governance import queries, services
from governance.workflow import cast_vote, transition
from tests.governance.helpers import GovernanceTestCase, definition_url, open_review
from tests.personas import make_user


class EditorGrantTests(GovernanceTestCase):
    def test_a_new_steward_gains_and_the_old_one_loses_edit_rights(self):
        new = make_user("new_steward", "steward")
        definition = self.define(
            {"key": "order_tax", "domain": "order", "name": "Tax", "description": "VAT."},
            author=self.committee,
        )
        self.assertTrue(user_can(self.steward, "change", definition))
        services.update_definition(Actor(self.admin), definition, {"steward": new})
        self.assertTrue(user_can(new, "change", definition))
        self.assertFalse(user_can(self.steward, "change", definition))
        self.assertTrue(user_can(self.committee, "change", definition))  # its author keeps them
        # A draft: the former steward no longer even sees it.
        response = self.as_(self.steward).patch(definition_url("order_tax"), {"unit": "TWD"})
        self.assert_error(response, 404)

    def test_bulk_read_api_matches_the_single_one(self):
        mapping = services.create_mapping(
            Actor(self.engineer), {"field": self.amount, "definition": self.gross}
        )
        transition(Actor(self.engineer), mapping, "submit")
        cast_vote(Actor(self.steward), open_review(mapping), "approve")
        bulk = queries.effective_definitions_by_field()
        self.assertEqual(
            bulk, {self.amount.pk: queries.effective_definition_for_field(self.amount.pk)}
        )
        self.assertEqual(bulk[self.amount.pk]["key"], "order_amount_gross")
