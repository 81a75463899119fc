"""Every permission boundary of the vendor endpoints, per persona: anonymous 401, no permission
404 (or an empty list), another vendor's objects 404 by id, natural key and filter, read-only
internal roles 403 on writes, bad input 400 in the one error shape."""

from tests.personas import make_user
from tests.vendors.helpers import VendorTestCase, payload


class AnonymousTests(VendorTestCase):
    def test_anonymous_caller_is_refused_everywhere(self):
        client = self.as_(None)
        urls = [
            self.url("vendors"),
            self.url("vendors", "posco"),
            self.url("contacts"),
            self.url("contacts", self.pos_contact.pk),
            self.url("contracts"),
            self.url("contracts", "pos-sales-nightly"),
            self.url("contracts", "pos-sales-nightly", "document"),
            self.url("contracts", "pos-sales-nightly", "printable"),
            self.url("versions"),
            self.url("versions", self.pos_v1.pk),
            self.url("versions", self.pos_v1.pk, "history"),
            self.url("notices"),
            self.url("responsibilities"),
            self.url("lineage", "pos:sales.transactions.amount"),
            self.url("agenda"),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assert_error(client.get(url), 401, code="not_authenticated")
        for url in (self.url("versions"), self.url("versions", self.pos_v1.pk, "approve")):
            with self.subTest(url=url):
                self.assert_error(client.post(url, {}), 401)


class NoPermissionTests(VendorTestCase):
    def test_outsider_and_consumer_see_empty_lists(self):
        for user in (self.outsider, self.consumer):
            for name in ("vendors", "contacts", "contracts", "versions", "notices"):
                with self.subTest(user=user.username, endpoint=name):
                    response = self.as_(user).get(self.url(name))
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.json()["count"], 0)
            self.assertEqual(self.as_(user).get(self.url("responsibilities")).json()["count"], 0)

    def test_outsider_gets_404_for_every_object(self):
        client = self.as_(self.outsider)
        for url in [
            self.url("vendors", "posco"),
            self.url("contacts", self.pos_contact.pk),
            self.url("contracts", "pos-sales-nightly"),
            self.url("versions", self.pos_v1.pk),
            self.url("versions", "pos-sales-nightly@1"),
        ]:
            with self.subTest(url=url):
                self.assert_error(client.get(url), 404, code="not_found")
                self.assert_error(client.patch(url, {"name": "x"}), 404)
        url = self.url("contracts", "pos-sales-nightly", "document")
        self.assert_error(client.get(url), 404, code="not_found")

    def test_outsider_cannot_approve_or_create(self):
        client = self.as_(self.outsider)
        self.assert_error(client.post(self.url("versions", self.pos_v1.pk, "expire")), 404)
        self.assert_error(client.post(self.url("vendors"), {"key": "x", "name": "X"}), 403)
        response = client.post(self.url("contracts"), {"vendor": "posco", "key": "x", "name": "X"})
        self.assert_error(response, 400, path="vendor")

    def test_vendor_and_outsider_cannot_ask_about_lineage_or_the_agenda(self):
        for user in (self.vendor, self.outsider, self.consumer):
            with self.subTest(user=user.username):
                url = self.url("lineage", "pos:sales.transactions.amount")
                self.assert_error(self.as_(user).get(url), 403)
                self.assert_error(self.as_(user).get(self.url("agenda")), 403)


class OtherVendorTests(VendorTestCase):
    """The CRM integrator must not learn anything about the POS vendor."""

    def test_lists_hold_only_its_own_objects(self):
        client = self.as_(self.other_vendor)
        expected = {
            "vendors": ["crmco"],
            "contracts": ["crm-contacts-sync"],
            "versions": ["crm-contacts-sync@1"],
        }
        for name, keys in expected.items():
            with self.subTest(endpoint=name):
                rows = client.get(self.url(name)).json()["results"]
                self.assertEqual([r.get("ref", r.get("key")) for r in rows], keys)
        contacts = client.get(self.url("contacts")).json()["results"]
        self.assertEqual([c["name"] for c in contacts], ["Cris Ops"])

    def test_another_vendors_objects_are_404_by_id_and_natural_key(self):
        client = self.as_(self.other_vendor)
        for url in [
            self.url("vendors", "posco"),
            self.url("contacts", self.pos_contact.pk),
            self.url("contracts", "pos-sales-nightly"),
            self.url("contracts", "pos-sales-nightly", "document"),
            self.url("contracts", "pos-sales-nightly", "printable"),
            self.url("versions", self.pos_v1.pk),
            self.url("versions", "pos-sales-nightly@1"),
            self.url("versions", self.pos_v1.pk, "history"),
        ]:
            with self.subTest(url=url):
                self.assert_error(client.get(url), 404, code="not_found")
        for method in ("patch", "put", "delete"):
            with self.subTest(method=method):
                url = self.url("contacts", self.pos_contact.pk)
                self.assert_error(getattr(client, method)(url, {"name": "x"}), 404)
        self.assert_error(client.post(self.url("versions", self.pos_v1.pk, "expire")), 404)

    def test_filtering_by_another_vendor_finds_nothing(self):
        client = self.as_(self.other_vendor)
        for name, query in [
            ("vendors", "key=posco"),
            ("contacts", "vendor=posco"),
            ("contracts", "vendor=posco"),
            ("contracts", "source_system=pos"),
            ("versions", "contract=pos-sales-nightly"),
            ("versions", "vendor=posco"),
            ("notices", "vendor=posco"),
        ]:
            with self.subTest(endpoint=name, query=query):
                response = client.get(f"{self.url(name)}?{query}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["count"], 0)
        response = client.get(self.url("responsibilities") + "?vendor=posco")
        self.assertEqual(response.json()["count"], 0)

    def test_cannot_write_into_another_vendor(self):
        client = self.as_(self.other_vendor)
        response = client.post(
            self.url("contacts"), {"vendor": "posco", "name": "Spy", "email": "a@b.example"}
        )
        body = self.assert_error(response, 400, path="vendor")
        self.assertEqual(body["errors"][0]["message"], "No vendor 'posco'.")
        response = client.post(
            self.url("contracts"), {"vendor": "posco", "key": "spy", "name": "Spy"}
        )
        self.assert_error(response, 400, path="vendor")
        response = client.post(
            self.url("versions"), payload("pos-sales-nightly", self.crm_contact.pk)
        )
        self.assert_error(response, 400, path="contract")
        body = {
            "contract": "pos-sales-nightly",
            "effective_date": self.in_days(60),
            "summary": "x",
            "changes": [{"change": "removed", "field": "pos:sales.transactions.amount"}],
        }
        self.assert_error(client.post(self.url("notices"), body), 400, path="contract")

    def test_cannot_reference_another_vendors_contact_as_escalation(self):
        body = payload("crm-contacts-sync", self.pos_contact.pk, source_system="crm")
        response = self.as_(self.other_vendor).post(self.url("versions"), body)
        self.assert_error(response, 400, path="escalation[0].contact")

    def test_cannot_read_catalog_entries_of_another_vendors_contract(self):
        client = self.as_(self.other_vendor)
        url = "/api/v1/catalog/datasets/pos:sales.transactions/"
        self.assert_error(client.get(url), 404)
        self.assertEqual(self.as_(self.vendor).get(url).status_code, 200)


class OwnVendorTests(VendorTestCase):
    def test_vendor_reads_and_edits_its_own_contacts(self):
        client = self.as_(self.vendor)
        url = self.url("contacts", self.pos_contact.pk)
        self.assertEqual(client.get(url).json()["email"], "desk@posco.example")
        response = client.patch(url, {"phone": "+886 2 5555 0199"})
        self.assertEqual(response.status_code, 200, response.content)
        created = client.post(
            self.url("contacts"),
            {"vendor": "posco", "name": "Night Ops", "email": "night@posco.example",
             "escalation_level": 2},
        )  # fmt: skip
        self.assertEqual(created.status_code, 201, created.content)
        self.assertEqual(client.delete(created.json()["url"]).status_code, 204)

    def test_a_contact_needs_a_way_to_reach_them(self):
        response = self.as_(self.vendor).post(
            self.url("contacts"), {"vendor": "posco", "name": "Ghost"}
        )
        body = self.assert_error(response, 400, code="invalid", path="email")
        self.assertIn("'Ghost' needs an e-mail or a phone", body["message"])

    def test_vendor_edits_its_description_but_not_the_commercial_terms(self):
        client = self.as_(self.vendor)
        url = self.url("vendors", "posco")
        self.assertEqual(client.patch(url, {"description": "Tills"}).status_code, 200)
        self.assert_error(client.patch(url, {"contract_reference": "MSA-99"}), 403)
        self.assert_error(client.delete(url), 403)
        self.assert_error(client.post(self.url("vendors"), {"key": "new", "name": "New"}), 403)

    def test_vendor_reads_the_catalog_entries_its_contract_carries_and_nothing_else(self):
        client = self.as_(self.vendor)
        rows = client.get("/api/v1/catalog/datasets/").json()["results"]
        self.assertEqual([r["ref"] for r in rows], ["pos:sales.transactions"])
        self.assert_error(client.get("/api/v1/catalog/datasets/crm:public.contacts/"), 404)
        self.assert_error(client.get("/api/v1/catalog/datasets/dw:staging.pos_transactions/"), 404)

    def test_vendor_cannot_answer_its_own_change_notice_or_approve(self):
        client = self.as_(self.vendor)
        self.assert_error(client.post(self.url("versions", self.pos_v1.pk, "expire")), 403)


class InternalRoleTests(VendorTestCase):
    def test_engineers_stewards_and_committee_read_everything(self):
        for user in (self.engineer, self.other_engineer, self.steward, self.committee):
            client = self.as_(user)
            with self.subTest(user=user.username):
                self.assertEqual(client.get(self.url("contracts")).json()["count"], 2)
                self.assertEqual(client.get(self.url("vendors")).json()["count"], 2)
                self.assertEqual(
                    client.get(self.url("versions", "crm-contacts-sync@1")).status_code, 200
                )

    def test_engineer_and_committee_cannot_edit_vendor_records(self):
        for user in (self.engineer, self.committee):
            client = self.as_(user)
            with self.subTest(user=user.username):
                self.assert_error(client.patch(self.url("vendors", "posco"), {"name": "x"}), 403)
                url = self.url("contacts", self.pos_contact.pk)
                self.assert_error(client.patch(url, {"name": "x"}), 403)
                url = self.url("versions", self.crm_v1.pk)
                self.assert_error(client.patch(url, {"schedule": "x"}), 403)

    def test_steward_keeps_the_vendor_register(self):
        client = self.as_(self.steward)
        response = client.post(self.url("vendors"), {"key": "payco", "name": "Payments Inc"})
        self.assertEqual(response.status_code, 201, response.content)
        response = client.patch(self.url("vendors", "posco"), {"contract_reference": "MSA-18"})
        self.assertEqual(response.status_code, 200, response.content)

    def test_bad_vendor_input_is_400_naming_the_field(self):
        client = self.as_(self.steward)
        response = client.post(self.url("vendors"), {"key": "Not A Slug", "name": "x"})
        self.assert_error(response, 400, code="invalid", path="key")
        response = client.patch(
            self.url("vendors", "posco"),
            {"active_from": "2026-01-01", "active_until": "2025-01-01"},
        )
        body = self.assert_error(response, 400, path="active_until")
        self.assertIn("ends before it starts", body["message"])

    def test_other_engineer_owns_crm_but_cannot_approve_pos(self):
        self.assert_error(
            self.as_(self.other_engineer).post(self.url("versions", self.pos_v1.pk, "expire")), 403
        )

    def test_contracts_cannot_be_deleted_through_the_api(self):
        url = self.url("contracts", "pos-sales-nightly")
        self.assert_error(self.as_(self.admin).delete(url), 405)

    def test_etag_and_stale_if_match(self):
        client = self.as_(self.vendor)
        url = self.url("contacts", self.pos_contact.pk)
        etag = client.get(url).headers["ETag"]
        self.assertEqual(client.patch(url, {"role": "desk"}, HTTP_IF_MATCH=etag).status_code, 200)
        self.assert_error(client.patch(url, {"role": "x"}, HTTP_IF_MATCH=etag), 412)


class VendorUserTests(VendorTestCase):
    def test_steward_adds_a_user_to_a_vendor_who_then_sees_only_that_vendor(self):
        newcomer = make_user("newcomer")
        url = self.url("vendors", "crmco", "users")
        response = self.as_(self.steward).post(url, {"user": "newcomer"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), [{"user": "newcomer"}, {"user": "other_vendor"}])
        rows = self.as_(newcomer).get(self.url("contracts")).json()["results"]
        self.assertEqual([r["key"] for r in rows], ["crm-contacts-sync"])

    def test_a_user_of_one_vendor_cannot_join_another(self):
        response = self.as_(self.steward).post(
            self.url("vendors", "crmco", "users"), {"user": "vendor"}
        )
        body = self.assert_error(response, 400, path="user")
        self.assertIn("already belongs to vendor 'posco'", body["message"])

    def test_vendor_users_list_their_colleagues_but_cannot_add_any(self):
        url = self.url("vendors", "posco", "users")
        self.assertEqual(self.as_(self.vendor).get(url).json(), [{"user": "vendor"}])
        self.assert_error(self.as_(self.vendor).post(url, {"user": "outsider"}), 403)
        self.assert_error(self.as_(self.other_vendor).get(url), 404)
        self.assert_error(self.as_(None).get(url), 401)
        self.assert_error(self.as_(self.steward).post(url, {"user": "nobody"}), 400, path="user")
