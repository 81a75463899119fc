"""A PATCH of a contract version validates its nested rows like a POST, and replaces them."""

from __future__ import annotations

from tests.vendors.helpers import VendorTestCase


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
