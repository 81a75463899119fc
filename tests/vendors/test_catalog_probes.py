"""Catalog references a vendor may not view read as unknown, exactly like missing ones; an
engineer names any catalog entry; unknown lineage jobs are a 400."""

from __future__ import annotations

from tests.vendors.helpers import VendorTestCase, payload


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
