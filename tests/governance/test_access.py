"""Access rules across every governance endpoint: anonymous callers, callers without a role,
and grants that follow a definition's owner and steward."""

from __future__ import annotations

from core.audit import Actor
from core.permissions import user_can
from governance import queries, services
from governance.workflow import cast_vote, transition
from tests.governance.helpers import API, GovernanceTestCase, definition_url, open_review
from tests.personas import make_user


class EveryEndpointTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.mapping = services.create_mapping(
            Actor(cls.engineer), {"field": cls.amount, "definition": cls.gross}
        )

    def endpoints(self):
        review = self.submit(self.net)
        ownership = services.assign_ownership(Actor.system(), self.pos, self.engineer, "owner")
        return [
            ("get", API + "definitions/"),
            ("post", API + "definitions/"),
            ("post", API + "definitions/bulk-submit/"),
            ("get", definition_url("order_amount_gross")),
            ("patch", definition_url("order_amount_gross")),
            ("get", definition_url("order_amount_gross", "versions/")),
            ("get", definition_url("order_amount_gross", "versions/1/")),
            ("get", definition_url("order_amount_gross", "diff/")),
            ("get", definition_url("order_amount_gross", "history/")),
            *[
                ("post", definition_url("order_amount_gross", f"{a}/"))
                for a in ("submit", "withdraw", "recertify", "deprecate", "retire")
            ],
            ("get", API + "mappings/"),
            ("post", API + "mappings/"),
            ("get", f"{API}mappings/{self.mapping.pk}/"),
            ("patch", f"{API}mappings/{self.mapping.pk}/"),
            ("get", f"{API}mappings/{self.mapping.pk}/history/"),
            *[
                ("post", f"{API}mappings/{self.mapping.pk}/{a}/")
                for a in ("submit", "withdraw", "retire")
            ],
            ("get", API + "reviews/"),
            ("get", f"{API}reviews/{review.pk}/"),
            ("post", f"{API}reviews/{review.pk}/vote/"),
            ("post", f"{API}reviews/{review.pk}/override/"),
            ("get", API + "committees/"),
            ("post", API + "committees/"),
            ("get", f"{API}committees/{self.board.pk}/"),
            ("patch", f"{API}committees/{self.board.pk}/"),
            ("get", f"{API}committees/{self.board.pk}/agenda/"),
            ("get", API + "conflicts/"),
            ("post", API + "conflicts/resolve/"),
            ("get", API + "kpis/"),
            ("get", API + "ownerships/"),
            ("post", API + "ownerships/"),
            ("delete", f"{API}ownerships/{ownership.pk}/"),
        ]

    def test_anonymous_callers_get_401_everywhere(self):
        client = self.as_(None)
        for method, url in self.endpoints():
            with self.subTest(method=method, url=url):
                self.assert_error(getattr(client, method)(url, {}), 401, code="not_authenticated")

    def test_callers_without_a_role_see_nothing_and_change_nothing(self):
        client = self.as_(self.outsider)
        for method, url in self.endpoints():
            with self.subTest(method=method, url=url):
                response = getattr(client, method)(url, {})
                if method == "get" and response.status_code == 200:
                    body = response.json()
                    self.assertEqual(body.get("count", 0), 0, url)
                else:
                    self.assertIn(response.status_code, (403, 404), (url, response.content))
        self.assertEqual(self.status_of(self.net), "in_review")


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
