"""The sources of a definition show only what the caller may read: nothing to an outsider,
what a vendor may view to a vendor."""

from __future__ import annotations

from tests.consult.helpers import ConsultTestCase

MEMBER_ID = "pos:sales.transactions.member_id"
EMAIL = "crm:public.contacts.email"


class VisibilityTests(ConsultTestCase):
    def test_an_outsider_learns_nothing_about_definitions(self):
        client = self.as_(self.outsider)
        url = "/api/v1/consult/definitions/customer_email/sources/"
        self.assertEqual(client.get("/api/v1/governance/definitions/customer_email/").status_code,
                         404)  # fmt: skip
        response = client.get(url)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["status"], 404)
        response = client.get("/api/v1/consult/definition-classifications/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 0)

    def test_a_steward_still_reads_them(self):
        client = self.as_(self.steward)
        response = client.get("/api/v1/consult/definitions/customer_email/sources/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual([s["field"] for s in response.json()["sources"]], [EMAIL])
        response = client.get("/api/v1/consult/definition-classifications/")
        self.assertEqual(response.json()["count"], 3)

    def test_a_vendor_sees_only_the_sources_it_may_view(self):
        response = self.as_(self.vendor).get("/api/v1/consult/definitions/customer_email/sources/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["sources"], [])
