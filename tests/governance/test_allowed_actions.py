"""The allowed actions a representation lists are the caller's own."""

from __future__ import annotations

from tests.governance.helpers import (
    API,
    DEFINITIONS_URL,
    GovernanceTestCase,
    definition_url,
)

OWNERSHIPS_URL = API + "ownerships/"
CONFLICTS_URL = API + "conflicts/"
KPIS_URL = API + "kpis/"


class AllowedActionsTests(GovernanceTestCase):
    def test_allowed_actions_are_the_callers(self):
        url = definition_url("order_amount_gross")
        self.assertEqual(self.ok(self.as_(self.steward).get(url))["allowed_actions"],
                         ["deprecate", "recertify"])  # fmt: skip
        self.assertEqual(self.ok(self.as_(self.committee).get(url))["allowed_actions"],
                         ["deprecate", "recertify"])  # fmt: skip
        for user in (self.vendor, self.consumer, self.engineer):
            with self.subTest(user=user.username):
                self.assertEqual(self.ok(self.as_(user).get(url))["allowed_actions"], [])
                rows = self.ok(self.as_(user).get(DEFINITIONS_URL))["results"]
                self.assertEqual({tuple(r["allowed_actions"]) for r in rows}, {()})
