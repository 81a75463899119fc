"""The vendor workspace through Django's test client (the browser journeys are in tests/web):
who may open and change what, the editor's refusals next to their sections (the one-Accountable
rule applied on the server too), the catalog search limited to what the vendor may name, the
notice period in words, and ODCS uploads refused whole."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from core.audit import Actor
from tests.vendors.helpers import VendorTestCase
from vendors import odcs, services
from vendors.choices import VersionStatus
from vendors.models import ChangeNotice, ContractVersion, IntegrationContract
from vendors.views import notice_period_words


class PageTestCase(VendorTestCase):
    def setUp(self):
        super().setUp()
        # What these tests compare with a page (days of notice, dates) is counted in the pages'
        # time zone, as the pages count it: after 16:00 UTC it is already tomorrow in Taipei.
        timezone.activate(settings.PAGE_TIME_ZONE)

    def page_client(self, user, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user)
        return client

    def pos_pages(self) -> list[str]:
        notice = services.file_notice(
            Actor(self.vendor),
            self.pos_contract,
            {"summary": "drop txn_id", "effective_date": timezone.localdate()
             + datetime.timedelta(days=40),
             "changes": [{"change": "removed", "field": "pos:sales.transactions.txn_id"}]},
        )  # fmt: skip
        base = "/vendors/contracts/pos-sales-nightly/"
        return [
            base,
            f"{base}edit/",
            f"{base}document.md",
            f"{base}printable/",
            f"{base}odcs/",
            f"{base}notices/new/",
            f"{base}catalog-search/?dataset=sales",
            f"/vendors/notices/{notice.pk}/",
        ]


class AccessTests(PageTestCase):
    def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_page(self):
        for url in ["/vendors/", "/vendors/contracts/new/", *self.pos_pages()]:
            with self.subTest(url):
                response = self.page_client(None).get(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith("/accounts/login/?next="))

    def test_a_vendor_gets_a_404_on_every_page_of_another_vendor(self):
        client = self.page_client(self.other_vendor)
        for url in self.pos_pages():
            with self.subTest(url):
                response = client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotContains(response, "POS sales, nightly", status_code=404)
        for url in ("/vendors/contracts/pos-sales-nightly/do/submit/",
                    "/vendors/contracts/pos-sales-nightly/odcs/"):  # fmt: skip
            with self.subTest(url):
                self.assertEqual(client.post(url).status_code, 404)

    def test_a_vendor_opens_every_page_of_its_own_contract(self):
        client = self.page_client(self.vendor)
        for url in ["/vendors/", "/vendors/contracts/new/", *self.pos_pages()]:
            with self.subTest(url):
                self.assertEqual(client.get(url).status_code, 200)

    def test_an_owner_reads_the_contract_but_may_not_change_it(self):
        client = self.page_client(self.engineer)
        pages = self.pos_pages()
        self.assertEqual(client.get(pages[0]).status_code, 200)
        self.assertEqual(client.get(pages[-1]).status_code, 200)
        for url in (f"{pages[0]}edit/", f"{pages[0]}notices/new/", "/vendors/contracts/new/"):
            with self.subTest(url):
                self.assertEqual(client.get(url).status_code, 403)
        self.assertEqual(client.post(f"{pages[0]}do/submit/").status_code, 403)
        self.assertEqual(client.post(f"{pages[0]}odcs/").status_code, 403)

    def test_someone_with_no_vendor_and_no_governance_role_may_not_open_the_vendor_home(self):
        self.assertEqual(self.page_client(self.consumer).get("/vendors/").status_code, 403)

    def test_the_vendor_home_lists_only_the_callers_vendor(self):
        response = self.page_client(self.other_vendor).get("/vendors/")
        self.assertContains(response, "CRM contacts")
        self.assertNotContains(response, "POS sales, nightly")


class EditorTests(PageTestCase):
    def form(self, **overrides) -> dict:
        data = {
            "source_system": "pos", "target_system": "dw", "direction": "inbound",
            "mechanism": "file_drop", "endpoint": "sftp://x/",
            "dataset": ["pos:sales.transactions"],
            "team-count": "1", "team-0": "Data Platform",
            "raci-extraction-0": ["R", "A"],
            "sla-0-metric": "availability", "sla-0-target": "99.5", "sla-0-unit": "percent",
            "esc-0-level": "1", "esc-0-contact": str(self.pos_contact.pk),
            "esc-0-internal_contact": "", "esc-0-response_time": "2",
            "esc-0-response_unit": "hours",
            "schema_change_notice_days": "30",
        }  # fmt: skip
        data.update(overrides)
        return data

    def test_saving_makes_a_draft_and_the_page_lists_its_gaps_by_section(self):
        client = self.page_client(self.vendor)
        response = client.post("/vendors/contracts/pos-sales-nightly/edit/", self.form())
        self.assertEqual(response.status_code, 302)
        draft = ContractVersion.objects.get(contract=self.pos_contract, status="draft")
        self.assertEqual(draft.number, 2)
        self.assertEqual(
            set(draft.raci.values_list("role", "party_kind")), {("R", "vendor"), ("A", "vendor")}
        )
        page = client.get("/vendors/contracts/pos-sales-nightly/edit/")
        self.assertContains(page, "Transformation has no Accountable party")
        self.assertContains(page, "No maximum error rate SLA.")
        self.assertContains(page, 'form="submit-form" disabled')

    def test_a_second_accountable_is_refused_on_the_server_and_nothing_is_saved(self):
        form = self.form(**{"raci-extraction-1": ["A"]})
        response = self.page_client(self.vendor).post(
            "/vendors/contracts/pos-sales-nightly/edit/", form
        )
        self.assertContains(
            response, "Extraction has 2 Accountable parties; exactly one is allowed.",
            status_code=400,
        )  # fmt: skip
        self.assertFalse(ContractVersion.objects.filter(status="draft", contract=self.pos_contract))

    def test_a_bad_row_is_refused_next_to_its_section(self):
        form = self.form(**{"sla-0-unit": "", "team-0": ""}, **{"raci-loading-1": ["R"]})
        response = self.page_client(self.vendor).post(
            "/vendors/contracts/pos-sales-nightly/edit/", form
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Nothing was saved", status_code=400)

    def test_the_catalog_search_offers_only_what_the_vendor_may_name(self):
        client = self.page_client(self.vendor)
        found = client.get("/vendors/contracts/pos-sales-nightly/catalog-search/?field=email")
        self.assertNotContains(found, "crm:public.contacts.email")
        found = client.get("/vendors/contracts/pos-sales-nightly/catalog-search/?dataset=sales")
        self.assertContains(found, "pos:sales.transactions")

    def test_submit_from_the_page_sends_a_complete_draft_for_review(self):
        doc = services.document_of(self.pos_v1)
        self.assertTrue(doc)
        draft = services.create_version(
            Actor(self.vendor), self.pos_contract,
            {**{k: getattr(self.pos_v1, k) for k in ("source_system", "target_system",
                                                       "mechanism")},
             "datasets": [self.transactions]},
        )  # fmt: skip
        client = self.page_client(self.vendor)
        response = client.post("/vendors/contracts/pos-sales-nightly/do/submit/", follow=True)
        self.assertContains(response, "has no Accountable party")
        draft.refresh_from_db()
        self.assertEqual(draft.status, VersionStatus.DRAFT)


class NoticeTests(PageTestCase):
    def test_the_notice_period_is_said_in_words(self):
        notice = services.file_notice(
            Actor(self.vendor),
            self.pos_contract,
            {"summary": "rename", "effective_date": timezone.localdate()
             + datetime.timedelta(days=12),
             "changes": [{"change": "removed", "field": "pos:sales.transactions.txn_id"}]},
        )  # fmt: skip
        self.assertEqual(
            notice_period_words(notice), "Short notice: 12 days' notice, the contract asks for 30."
        )
        response = self.page_client(self.vendor, "zh-hant").get(f"/vendors/notices/{notice.pk}/")
        self.assertNotContains(response, "Short notice: 12 days")

    def test_a_vendor_files_a_notice_from_the_page_and_sees_its_impact(self):
        response = self.page_client(self.vendor).post(
            "/vendors/contracts/pos-sales-nightly/notices/new/",
            {"summary": "amount renamed", "effective_date": (timezone.localdate()
             + datetime.timedelta(days=60)).isoformat(),
             "changes-TOTAL_FORMS": "3", "changes-INITIAL_FORMS": "0",
             "changes-0-change": "renamed", "changes-0-field": "pos:sales.transactions.amount",
             "changes-0-new_name": "gross"},
            follow=True,
        )  # fmt: skip
        self.assertContains(response, "60 days&#x27; notice, the contract asks for 30: enough.")
        self.assertContains(response, "dw:staging.pos_transactions.gross_amount")

    def test_a_notice_on_a_field_not_carried_is_refused_next_to_the_field(self):
        response = self.page_client(self.vendor).post(
            "/vendors/contracts/pos-sales-nightly/notices/new/",
            {"summary": "x", "effective_date": (timezone.localdate()
             + datetime.timedelta(days=60)).isoformat(),
             "changes-TOTAL_FORMS": "3", "changes-INITIAL_FORMS": "0",
             "changes-0-change": "removed", "changes-0-field": "crm:public.contacts.email"},
        )  # fmt: skip
        self.assertContains(response, "is not a field this contract carries", status_code=400)
        self.assertFalse(ChangeNotice.objects.exists())

    def test_only_an_owner_answers_a_notice(self):
        notice = services.file_notice(
            Actor(self.vendor),
            self.pos_contract,
            {"summary": "x", "effective_date": timezone.localdate() + datetime.timedelta(days=5),
             "changes": [{"change": "removed", "field": "pos:sales.transactions.txn_id"}]},
        )  # fmt: skip
        url = f"/vendors/notices/{notice.pk}/answer/"
        self.assertEqual(
            self.page_client(self.vendor).post(url, {"answer": "acknowledged"}).status_code, 403
        )
        self.page_client(self.engineer).post(url, {"answer": "objected", "reason": "too soon"})
        notice.refresh_from_db()
        self.assertEqual((notice.status, notice.response), ("objected", "too soon"))


class OdcsTests(PageTestCase):
    def upload(self, text: str):
        return self.page_client(self.vendor).post(
            "/vendors/contracts/pos-sales-nightly/odcs/",
            {"document": SimpleUploadedFile("c.yaml", text.encode(), "application/yaml")},
        )

    def test_a_download_uploaded_back_is_a_new_draft_with_the_same_export(self):
        exported = self.page_client(self.vendor).get("/vendors/contracts/pos-sales-nightly/odcs/")
        self.assertIn("attachment", exported["Content-Disposition"])
        response = self.upload(exported.content.decode())
        self.assertEqual(response.status_code, 302)
        created = self.pos_contract.versions.order_by("-number").first()
        self.assertEqual((created.number, created.status), (2, "draft"))
        again = odcs.export(created)
        first = odcs.parse(exported.content.decode())
        for doc in (again, first):
            doc.pop("version"), doc.pop("status")
        self.assertEqual(again, first)

    def test_a_bad_document_lists_every_problem_and_writes_nothing(self):
        doc = odcs.export(ContractVersion.objects.get(pk=self.pos_v1.pk))
        doc["slaProperties"][0]["unit"] = "fortnights"
        response = self.upload(odcs.dump(doc))
        self.assertContains(response, "slaProperties[0].unit", status_code=400)
        self.assertEqual(self.pos_contract.versions.count(), 1)
        self.assertContains(self.upload("not: [yaml"), "nothing", status_code=400)
        self.assertEqual(IntegrationContract.objects.count(), 2)


class ReviewRowsInTheReadersLanguageTests(PageTestCase):
    """The rows a contract's review shows are sentences in the reader's language (the API's
    are English)."""

    def rows(self, language: str) -> dict[str, str]:
        with translation.override(language):
            subject = services.ContractWorkflow().describe(self.pos_v1)
        return {row["label"]: row["value"] for row in subject["proposed"]}

    def test_english_rows_say_one_hour_not_one_hours(self):
        rows = self.rows("en")
        self.assertEqual(rows["Escalation level 1"], "Pat Desk, responds within 1 hour")
        self.assertEqual(rows["Escalation level 2"], "Store IT manager, responds within 4 hours")
        self.assertEqual(rows["Retries"], "3 attempts, 15 minutes, doubling")
        self.assertEqual(rows["Who is told"], "Data Platform on-call within 30 minutes")
        self.assertEqual(rows["Schema-change notice"], "30 days")

    def test_traditional_chinese_rows_are_written_in_chinese(self):
        rows = self.rows("zh-hant")
        self.assertEqual(rows["第 1 層升級"], "Pat Desk，1 小時內回應")
        self.assertEqual(rows["Retries"], "重試 3 次, 15 minutes, doubling")
        self.assertEqual(rows["Schema-change notice"], "30 天")
