"""Dates in vendor contracts: no change notice in the past, no activation before the start
date, a superseded version ends where the new one starts."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.audit import Actor
from tests.vendors.helpers import VendorTestCase, document
from vendors import services


class DateRuleTests(VendorTestCase):
    def notice(self, days):
        body = {
            "contract": "pos-sales-nightly",
            "effective_date": self.in_days(days),
            "summary": "Amount becomes net",
            "changes": [{"change": "removed", "field": "pos:sales.transactions.amount"}],
        }
        return self.as_(self.vendor).post(self.url("notices"), body, format="json")

    def test_a_change_notice_in_the_past_is_a_400(self):
        body = self.assert_error(self.notice(-1), 400, path="effective_date")
        self.assertIn(self.in_days(-1), body["message"])
        self.assertEqual(self.notice(0).status_code, 201)

    def new_version(self, **overrides):
        version = services.create_version(
            Actor(self.vendor), self.pos_contract,
            document(self.pos_contact, datasets=[self.transactions], **overrides),
        )  # fmt: skip
        services.version_transition(Actor(self.vendor), version, "submit")
        return services.decide(Actor(self.engineer), version, "approve", "ok")

    def test_activating_before_the_start_date_is_a_400_naming_it(self):
        starts = timezone.localdate() + datetime.timedelta(days=10)
        version = self.new_version(effective_from=starts)
        self.assertEqual(version.status, "approved")
        response = self.as_(self.engineer).post(self.url("versions", version.pk, "activate"))
        body = self.assert_error(response, 400, path="effective_from")
        self.assertIn(starts.isoformat(), body["message"])
        version.refresh_from_db()
        self.pos_v1.refresh_from_db()
        self.assertEqual((version.status, self.pos_v1.status), ("approved", "active"))
        self.assertIsNone(self.pos_v1.effective_until)

    def test_the_superseded_version_ends_where_the_new_one_starts(self):
        version = self.new_version()
        self.assertEqual(version.status, "active")
        self.pos_v1.refresh_from_db()
        self.assertEqual(self.pos_v1.status, "superseded")
        self.assertEqual(self.pos_v1.effective_until, timezone.localdate())
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        third = self.new_version(effective_from=yesterday)
        self.assertEqual(third.status, "active")
        version.refresh_from_db()
        self.assertEqual((version.status, version.effective_until), ("superseded", yesterday))
