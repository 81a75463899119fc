"""QA findings: a PATCH validates nested rows like a POST; catalog references a vendor may not
view read as unknown; notices and activation respect dates; superseding closes the old one."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.audit import Actor
from tests.vendors.helpers import VendorTestCase, document, payload
from vendors import services


class VersionPatchValidationTests(VendorTestCase):
    def test_malformed_nested_rows_are_400s_on_patch(self):
        url = self.url("versions", self.crm_v1.pk)
        client = self.as_(self.other_vendor)
        cases = [
            ({"raci": [{"activity": "extraction"}]}, "raci[0].role"),
            ({"slas": [{"a": 1}]}, "slas[0].metric"),
            ({"slas": [{"metric": "availability"}]}, "slas[0].target"),
            ({"escalation": [{"contact": self.crm_contact.pk}]}, "escalation[0].level"),
        ]
        for body, path in cases:
            with self.subTest(body=body):
                self.assert_error(client.patch(url, body, format="json"), 400, path=path)
                response = client.post(
                    self.url("versions"),
                    {"contract": "crm-contacts-sync", "source_system": "crm",
                     "target_system": "dw", **body},
                    format="json",
                )  # fmt: skip
                self.assert_error(response, 400, path=path)

    def test_a_well_formed_patch_still_replaces_the_rows(self):
        url = self.url("versions", self.crm_v1.pk)
        body = {"slas": [{"metric": "availability", "target": "99.9", "unit": "percent"}]}
        response = self.as_(self.other_vendor).patch(url, body, format="json")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["slas"][0]["target"], "99.900")


class CatalogProbeTests(VendorTestCase):
    """A vendor cannot tell a catalog entry it may not view from one that does not exist."""

    def post(self, user, **overrides):
        contract, contact = {
            self.vendor: ("pos-sales-nightly", self.pos_contact.pk),
            self.other_vendor: ("crm-contacts-sync", self.crm_contact.pk),
        }[user]
        body = payload(contract, contact, **overrides)
        return self.as_(user).post(self.url("versions"), body, format="json")

    def messages(self, body, path):
        return [e["message"] for e in body["errors"] if e["path"] == path]

    def test_hidden_and_missing_datasets_and_fields_read_the_same(self):
        for kind, hidden, missing in (
            ("datasets", "dw:staging.pos_transactions", "dw:staging.nope"),
            ("fields", "crm:public.contacts.email", "crm:public.contacts.nope"),
        ):
            with self.subTest(kind=kind):
                noun = kind[:-1]
                body = self.assert_error(
                    self.post(self.vendor, **{kind: [hidden, missing]}), 400, path=f"{kind}[0]"
                )
                self.assertEqual(self.messages(body, f"{kind}[0]"), [f"No {noun} {hidden!r}."])
                self.assertEqual(self.messages(body, f"{kind}[1]"), [f"No {noun} {missing!r}."])

    def test_hidden_and_missing_systems_read_the_same(self):
        hidden = self.assert_error(self.post(self.vendor, source_system="crm"), 400)
        missing = self.assert_error(self.post(self.vendor, source_system="nope"), 400)
        self.assertEqual(self.messages(hidden, "source_system"),
                         ["Object with key=crm does not exist."])  # fmt: skip
        self.assertEqual(self.messages(missing, "source_system"),
                         ["Object with key=nope does not exist."])  # fmt: skip

    def test_what_the_vendor_reads_or_its_contract_names_is_accepted(self):
        response = self.post(self.vendor)  # pos, dw and pos:sales.transactions
        self.assertEqual(response.status_code, 201, response.content)
        response = self.post(self.other_vendor, source_system="crm", datasets=[],
                             fields=["crm:public.contacts.email"])  # fmt: skip
        self.assertEqual(response.status_code, 201, response.content)

    def test_an_engineer_names_any_catalog_entry(self):
        body = payload("crm-contacts-sync", self.crm_contact.pk, source_system="crm",
                       datasets=["dw:staging.pos_transactions"])  # fmt: skip
        response = self.as_(self.engineer).post(self.url("versions"), body, format="json")
        self.assertNotIn("datasets[0]", [e["path"] for e in response.json().get("errors", [])])

    def test_unknown_lineage_jobs_are_a_400(self):
        body = self.assert_error(
            self.post(self.vendor, lineage_jobs=["load_pos", "nope"]), 400, path="lineage_jobs[1]"
        )
        self.assertEqual(self.messages(body, "lineage_jobs[1]"), ["No ETL job 'nope'."])
        response = self.post(self.vendor, lineage_jobs=["load_pos"])
        self.assertEqual(response.status_code, 201, response.content)


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
