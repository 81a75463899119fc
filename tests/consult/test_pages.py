"""The consult pages through Django's test client (the browser journeys are in tests/web): who
may open what (the API's rules: what one may not read is a 404, what one may read but not do a
403), proposing and revoking a policy, a what-if that logs nothing, the decision log's filters
and its CSV, and the reason words in both languages."""

from __future__ import annotations

import csv
import io

from django.test import Client
from django.utils import translation

from consult import services
from consult.choices import ReasonCode
from consult.models import AccessPolicy, DecisionLog
from consult.words import REASONS, reason_text
from core.audit import Actor
from governance.services import save_committee
from governance.workflow import cast_vote, reviews_of
from tests.consult.helpers import ConsultTestCase, allow

EMAIL = "crm:public.contacts.email"
PHONE = "crm:public.contacts.phone"


class PageTestCase(ConsultTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        save_committee(
            Actor.system("tests"),
            None,
            {"name": "Privacy board", "domains": ["customer"], "min_approvals": 1},
            [(cls.committee, "chair")],
        )
        cls.approved = AccessPolicy.objects.get(resource_key="crm", consumer=cls.consumer)
        cls.draft = allow(cls.consumer, "system", "pos", ("analytics",), status="draft",
                          author=cls.steward)  # fmt: skip
        services.consult(cls.consumer, "profile_unification", [EMAIL, PHONE], request_id="t")
        services.consult(cls.consumer, "analytics", [EMAIL], request_id="t")

    def page(self, user, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user)
        return client


class AccessTests(PageTestCase):
    def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_consult_page(self):
        for url in (
            "/consult/policies/",
            "/consult/policies/new/",
            f"/consult/policies/{self.approved.pk}/",
            "/consult/what-if/",
            "/consult/decisions/",
            "/consult/decisions/export.csv",
        ):
            with self.subTest(url):
                response = self.page(None).get(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith("/accounts/login/?next="))

    def test_a_vendor_finds_no_consult_page(self):
        client = self.page(self.vendor)
        for url in (
            "/consult/policies/",
            "/consult/policies/new/",
            f"/consult/policies/{self.approved.pk}/",
            "/consult/what-if/",
            "/consult/decisions/",
            "/consult/decisions/export.csv",
        ):
            with self.subTest(url):
                self.assertEqual(client.get(url).status_code, 404)

    def test_a_consumer_reads_its_own_policies_and_decisions_and_not_anothers(self):
        other = allow(self.other_engineer, "system", "crm")
        client = self.page(self.consumer)
        self.assertEqual(client.get(f"/consult/policies/{self.approved.pk}/").status_code, 200)
        self.assertEqual(client.get(f"/consult/policies/{other.pk}/").status_code, 404)
        listed = client.get("/consult/policies/")
        self.assertContains(listed, self.approved.name)
        self.assertNotContains(listed, f"#{other.pk} {other.name}")
        self.assertEqual(client.get("/consult/decisions/").status_code, 200)
        # Reads, but may neither propose nor simulate: 403.
        self.assertEqual(client.get("/consult/policies/new/").status_code, 403)
        self.assertEqual(client.get("/consult/what-if/").status_code, 403)

    def test_an_engineer_reads_policies_but_may_not_propose_nor_revoke(self):
        client = self.page(self.engineer)
        self.assertEqual(client.get("/consult/policies/").status_code, 200)
        self.assertEqual(client.get("/consult/policies/new/").status_code, 403)
        response = client.post(f"/consult/policies/{self.approved.pk}/do/revoke/")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(AccessPolicy.objects.get(pk=self.approved.pk).status, "approved")
        # The decision log is the committee's and the stewards'.
        self.assertEqual(client.get("/consult/decisions/").status_code, 404)

    def test_an_unknown_action_or_policy_is_a_404(self):
        client = self.page(self.committee)
        self.assertEqual(client.post(f"/consult/policies/{self.draft.pk}/do/delete/").status_code,
                         404)  # fmt: skip
        self.assertEqual(client.get("/consult/policies/999999/").status_code, 404)

    def test_the_nav_offers_consult_to_the_roles_that_read_it(self):
        self.assertContains(self.page(self.steward).get("/"), 'href="/consult/policies/"')
        self.assertNotContains(self.page(self.vendor).get("/"), 'href="/consult/policies/"')


class PolicyTests(PageTestCase):
    def form(self, **changes) -> dict:
        return {
            "name": "CDP may hash e-mail addresses",
            "consumer": str(self.consumer.pk),
            "purposes": ["profile_unification"],
            "resource_kind": "field",
            "resource_key": EMAIL,
            "effect": "allow",
            "mask": "sha256",
            "upstream_mode": "deny",
            "valid_until": "2027-06-30",
            "justification": "Matching needs a stable hash, never the address.",
            **changes,
        }

    def test_a_steward_proposes_a_policy_and_it_reads_as_a_sentence(self):
        response = self.page(self.steward).post(
            "/consult/policies/new/", {**self.form(), "submit": "1"}, follow=True
        )
        policy = AccessPolicy.objects.get(name="CDP may hash e-mail addresses")
        self.assertRedirects(response, f"/consult/policies/{policy.pk}/")
        self.assertEqual((policy.status, policy.author), ("in_review", self.steward))
        self.assertEqual(policy.obligations, [{"type": "mask", "method": "sha256"}])
        self.assertContains(
            response,
            "consumer may use field crm:public.contacts.email for profile_unification, masked "
            "with SHA-256, until 2027-06-30.",
        )
        self.assertTrue(reviews_of(policy).filter(status="open").exists())

    def test_a_refused_policy_shows_why_next_to_the_field(self):
        response = self.page(self.steward).post(
            "/consult/policies/new/", self.form(resource_key="crm:public.contacts.nothing")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "id_resource_key-error")
        self.assertFalse(AccessPolicy.objects.filter(name="CDP may hash e-mail addresses").exists())

    def test_a_deny_with_a_mask_is_refused_on_the_mask(self):
        response = self.page(self.steward).post("/consult/policies/new/", self.form(effect="deny"))
        self.assertContains(response, "id_mask-error")

    def test_a_draft_is_submitted_from_its_page_and_the_committee_revokes_once_approved(self):
        self.page(self.steward).post(f"/consult/policies/{self.draft.pk}/do/submit/")
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, "in_review")
        review = reviews_of(self.draft).get(status="open")
        cast_vote(Actor(self.committee), review, "approve")
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, "approved")
        page = self.page(self.committee).get(f"/consult/policies/{self.draft.pk}/")
        self.assertContains(page, ">Revoke</button>")
        self.page(self.committee).post(
            f"/consult/policies/{self.draft.pk}/do/revoke/", {"reason": "no longer needed"}
        )
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, "revoked")

    def test_a_policy_under_review_links_its_review(self):
        self.page(self.steward).post(f"/consult/policies/{self.draft.pk}/do/submit/")
        review = reviews_of(self.draft).get(status="open")
        page = self.page(self.committee).get(f"/consult/policies/{self.draft.pk}/")
        self.assertContains(page, f'href="/reviews/{review.pk}/"')


class WhatIfTests(PageTestCase):
    def test_a_what_if_decides_with_reasons_in_words_and_logs_nothing(self):
        before = DecisionLog.objects.count()
        response = self.page(self.committee).get(
            "/consult/what-if/",
            {"consumer": self.consumer.pk, "purpose": "profile_unification",
             "fields_text": f"{EMAIL}\n{PHONE}\ncrm:public.contacts.nothing"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, str(REASONS[ReasonCode.MASKING_REQUIRED]))
        self.assertContains(response, str(REASONS[ReasonCode.UNREGISTERED_FIELD]))
        self.assertContains(response, f'href="/consult/policies/{self.approved.pk}/"')
        self.assertEqual(DecisionLog.objects.count(), before)

    def test_a_what_if_by_query_decides_its_columns_and_logs_nothing(self):
        before = DecisionLog.objects.count()
        response = self.page(self.committee).get(
            "/consult/what-if/",
            {"consumer": self.consumer.pk, "purpose": "profile_unification",
             "sql": "SELECT email, phone FROM crm.public.contacts"},
        )  # fmt: skip
        self.assertContains(response, "Its output columns")
        self.assertContains(response, f"<code>{PHONE}</code>")
        self.assertEqual(DecisionLog.objects.count(), before)

    def test_a_query_that_does_not_parse_is_refused_next_to_the_query(self):
        response = self.page(self.committee).get(
            "/consult/what-if/",
            {"consumer": self.consumer.pk, "purpose": "profile_unification", "sql": "SELEC x"},
        )
        self.assertContains(response, "id_sql-error")

    def test_fields_and_a_query_at_once_are_refused(self):
        response = self.page(self.committee).get(
            "/consult/what-if/",
            {"consumer": self.consumer.pk, "purpose": "profile_unification",
             "fields_text": EMAIL, "sql": "SELECT email FROM crm.public.contacts"},
        )  # fmt: skip
        self.assertContains(response, "not both at once")

    def test_the_service_logs_unless_told_not_to(self):
        before = DecisionLog.objects.count()
        services.consult(self.consumer, "profile_unification", [EMAIL], log=False)
        self.assertEqual(DecisionLog.objects.count(), before)
        services.consult(self.consumer, "profile_unification", [EMAIL])
        self.assertEqual(DecisionLog.objects.count(), before + 1)


class DecisionLogTests(PageTestCase):
    def csv_rows(self, response) -> list[dict]:
        text = b"".join(response.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(text)))

    def test_the_log_filters_by_field_and_the_csv_has_the_same_rows(self):
        client = self.page(self.steward)
        page = client.get("/consult/decisions/", {"field": EMAIL})
        shown = [row.pk for row in page.context["page"]]
        self.assertEqual(len(shown), 2)
        export = client.get("/consult/decisions/export.csv", {"field": EMAIL})
        self.assertEqual(export["Content-Type"], "text/csv; charset=utf-8")
        rows = self.csv_rows(export)
        self.assertEqual([r["field"] for r in rows], [EMAIL, EMAIL])
        expected = DecisionLog.objects.filter(pk__in=shown).order_by("-id")
        self.assertEqual([r["purpose"] for r in rows], [d.purpose for d in expected])
        self.assertEqual(rows[0]["reasons"], " ".join(r["code"] for r in expected[0].reasons))

    def test_the_log_filters_by_consumer_purpose_and_decision(self):
        client = self.page(self.committee)
        page = client.get(
            "/consult/decisions/",
            {"consumer": "consumer", "purpose": "analytics", "decision": "deny"},
        )
        self.assertEqual([r.field_ref for r in page.context["page"]], [EMAIL])
        page = client.get("/consult/decisions/", {"consumer": "someone", "decision": "deny"})
        self.assertEqual(page.context["page"].paginator.count, 0)

    def test_a_bad_date_is_shown_on_its_field(self):
        page = self.page(self.committee).get("/consult/decisions/", {"since": "yesterday"})
        self.assertContains(page, "id_since-error")
        self.assertEqual(page.context["page"].paginator.count, 0)

    def test_an_export_with_a_bad_filter_is_refused_naming_it(self):
        response = self.page(self.committee).get(
            "/consult/decisions/export.csv", {"decision": "maybe"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("decision", response.content.decode())

    def test_a_consumer_exports_only_its_own_decisions(self):
        DecisionLog.objects.create(
            consumer=self.other_engineer, consumer_name="other_engineer", purpose="analytics",
            field_ref=EMAIL, decision="deny", catalog_version=0,
        )  # fmt: skip
        rows = self.csv_rows(self.page(self.consumer).get("/consult/decisions/export.csv"))
        self.assertEqual({r["consumer"] for r in rows}, {"consumer"})


class WordsTests(PageTestCase):
    def test_every_reason_code_has_words_in_both_languages(self):
        for code in ReasonCode.values:
            with self.subTest(code):
                with translation.override("en"):
                    english = reason_text(code)
                with translation.override("zh-hant"):
                    chinese = reason_text(code)
                self.assertNotEqual(english, code)
                self.assertNotEqual(chinese, english)

    def test_the_home_chart_words_its_reasons(self):
        page = self.page(self.committee, "zh-Hant").get("/")
        with translation.override("zh-hant"):
            words = reason_text(ReasonCode.NO_POLICY)
        self.assertContains(page, words)
        self.assertNotContains(page, "<code>no_policy</code>")
