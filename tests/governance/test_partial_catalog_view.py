"""A caller without catalog-wide view (a vendor) sees in mappings, ownerships, conflicts and
KPIs only what it may view."""

from __future__ import annotations

from unittest.mock import patch

from guardian.shortcuts import assign_perm

from core.audit import Actor
from governance import services
from governance.conflicts import Conflict
from governance.models import FieldMapping
from tests.governance.helpers import (
    API,
    MAPPINGS_URL,
    GovernanceTestCase,
)

OWNERSHIPS_URL = API + "ownerships/"
CONFLICTS_URL = API + "conflicts/"
KPIS_URL = API + "kpis/"


class CatalogVisibilityTests(GovernanceTestCase):
    """A vendor reads only the catalog entries granted to it (here: pos:sales.transactions)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        assign_perm("catalog.view_dataset", cls.vendor, cls.transactions)
        for field in (cls.amount, cls.email):
            FieldMapping.objects.create(field=field, definition=cls.gross, status="approved")
        system = Actor.system("tests")
        services.assign_ownership(system, cls.crm, cls.engineer, "owner")
        services.assign_ownership(system, cls.pos, cls.engineer, "owner")
        services.assign_ownership(system, cls.transactions, cls.steward, "steward")

    def test_mappings_name_only_fields_the_caller_may_view(self):
        rows = self.ok(self.as_(self.vendor).get(MAPPINGS_URL))["results"]
        self.assertEqual([r["field"]["ref"] for r in rows], ["pos:sales.transactions.amount"])
        for system, expected in (("crm", 0), ("pos", 1)):
            body = self.ok(self.as_(self.vendor).get(MAPPINGS_URL, {"system": system}))
            self.assertEqual(body["count"], expected, system)
        self.assertEqual(self.ok(self.as_(self.consumer).get(MAPPINGS_URL))["count"], 2)

    def test_ownerships_only_of_what_the_caller_may_view(self):
        rows = self.ok(self.as_(self.vendor).get(OWNERSHIPS_URL))["results"]
        self.assertEqual([(r["system"], r["dataset"]["ref"]) for r in rows],
                         [(None, "pos:sales.transactions")])  # fmt: skip
        self.assertEqual(self.ok(self.as_(self.consumer).get(OWNERSHIPS_URL))["count"], 3)

    def test_conflicts_only_over_fields_the_caller_may_view(self):
        conflicts = [
            Conflict("mapping_disagreement", "a", ("order_amount_gross",),
                     ("pos:sales.transactions.amount",)),
            Conflict("mapping_disagreement", "b", ("order_amount_gross",),
                     ("pos:sales.transactions.amount", "crm:public.contacts.email")),
            Conflict("possible_duplicate", "c", ("order_amount_gross", "order_amount_net")),
        ]  # fmt: skip
        with patch("governance.reports.open_conflicts", return_value=conflicts):
            vendor = self.ok(self.as_(self.vendor).get(CONFLICTS_URL))
            steward = self.ok(self.as_(self.steward).get(CONFLICTS_URL))
            committee = self.ok(self.as_(self.committee).get(CONFLICTS_URL))
        # The vendor may not read crm's email, nor the draft order_amount_net.
        self.assertEqual([c["summary"] for c in vendor], ["a"])
        self.assertEqual([c["summary"] for c in steward], ["a", "b", "c"])
        self.assertEqual(len(committee), 3)

    def test_kpis_need_catalog_wide_view(self):
        body = self.assert_error(self.as_(self.vendor).get(KPIS_URL), 403)
        self.assertIn("whole catalog", body["message"])
        self.assertEqual(self.ok(self.as_(self.consumer).get(KPIS_URL))["fields"], 2)
