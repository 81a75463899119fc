"""The governance pages through Django's test client (the browser journeys are in tests/web):
who may open what, the vote from a page and from the queue, the proposal form and its field
search, and the page words for conflicts and statuses in both languages."""

from __future__ import annotations

from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import translation

from governance import reports
from governance import urls as governance_urls
from governance.models import Vote
from governance.templatetags.governance_text import conflict_text, status_label
from tests.governance.helpers import GovernanceTestCase, open_review
from workspace import urls as workspace_urls


class PageTestCase(GovernanceTestCase):
    def page_client(self, user, language: str = "en") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_login(user)
        return client


class AccessTests(PageTestCase):
    def test_an_anonymous_visitor_is_sent_to_the_login_page_from_every_page(self):
        review = self.submit(self.net)
        for url in (
            "/",
            "/search/?q=amount",
            "/definitions/",
            "/definitions/new/",
            f"/definitions/{self.gross.key}/",
            "/reviews/",
            f"/reviews/{review.pk}/",
            f"/committees/{self.board.pk}/agenda/",
            "/conflicts/",
        ):
            with self.subTest(url):
                response = self.page_client(None).get(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith("/accounts/login/?next="))

    def test_a_vendor_gets_a_404_for_a_review_it_may_not_read(self):
        review = self.submit(self.net)
        response = self.page_client(self.vendor).get(f"/reviews/{review.pk}/")
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, self.net.key, status_code=404)

    def test_a_steward_outside_the_committee_may_not_open_its_agenda(self):
        response = self.page_client(self.steward).get(f"/committees/{self.board.pk}/agenda/")
        self.assertEqual(response.status_code, 403)

    def test_an_engineer_may_not_open_the_proposal_form(self):
        self.assertEqual(self.page_client(self.engineer).get("/definitions/new/").status_code, 403)

    def test_the_pages_url_names_are_not_names_of_the_api(self):
        # A page's form posted to the API when the two shared a name (the API's reverse won).
        def names(patterns):
            for pattern in patterns:
                if hasattr(pattern, "url_patterns"):
                    yield from names(pattern.url_patterns)
                elif pattern.name:
                    yield pattern.name

        root = get_resolver().url_patterns
        api = set(names(p for p in root if str(p.pattern) == "api/v1/"))
        pages = set(names(governance_urls.urlpatterns)) | set(names(workspace_urls.urlpatterns))
        self.assertTrue(api and pages)
        self.assertEqual(pages & api, set())
        self.assertEqual(reverse("review-vote-page", args=[1]), "/reviews/1/vote/")


class VoteTests(PageTestCase):
    def test_a_member_votes_from_the_review_page_and_sees_the_progress(self):
        review = self.submit(self.net)
        client = self.page_client(self.committee)
        response = client.post(f"/reviews/{review.pk}/vote/", {"choice": "approve"}, follow=True)
        self.assertContains(response, "Your vote is recorded. The review stays open.")
        self.assertContains(response, "1 of 2 approvals")
        self.assertTrue(Vote.objects.filter(review=review, voter=self.committee).exists())

    def test_a_vote_from_the_queue_returns_the_row_in_its_new_state(self):
        review = self.submit(self.net)
        response = self.page_client(self.member2).post(
            f"/reviews/{review.pk}/vote/", {"choice": "approve"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(response, f'id="review-{review.pk}"')
        self.assertContains(response, "Your vote is recorded.")
        self.assertNotContains(response, 'value="approve"')

    def test_a_rejection_without_a_comment_is_refused_with_the_reason(self):
        review = self.submit(self.net)
        response = self.page_client(self.committee).post(
            f"/reviews/{review.pk}/vote/", {"choice": "reject"}, follow=True
        )
        self.assertContains(response, "rejecting or requesting changes needs a comment")
        self.assertFalse(Vote.objects.filter(review=review).exists())

    def test_the_refusal_is_in_traditional_chinese_for_a_chinese_reader(self):
        review = self.submit(self.net)
        response = self.page_client(self.committee, "zh-TW").post(
            f"/reviews/{review.pk}/vote/", {"choice": "reject"}, follow=True
        )
        self.assertContains(response, "駁回或要求修改時必須填寫意見")

    def test_the_author_sees_why_there_is_no_vote_button(self):
        review = self.submit(self.net)
        response = self.page_client(self.steward).get(f"/reviews/{review.pk}/")
        self.assertContains(response, "the author of a proposal cannot vote on it")
        self.assertNotContains(response, 'value="approve"')


class ProposalTests(PageTestCase):
    def test_the_form_renders_its_mapping_rows_with_the_field_search(self):
        response = self.page_client(self.steward).get("/definitions/new/")
        self.assertContains(response, 'hx-get="/definitions/field-search/"', count=3)
        self.assertContains(response, 'list="field-options"', count=3)

    def test_the_field_search_reads_the_box_that_asks_and_offers_readable_fields(self):
        client = self.page_client(self.steward)
        response = client.get("/definitions/field-search/", {"mappings-1-field": "amou"})
        self.assertContains(response, '<option value="pos:sales.transactions.amount">')
        vendor = self.page_client(self.vendor)
        self.assertNotContains(vendor.get("/definitions/field-search/", {"q": "amou"}), "<option")

    def test_a_version_in_review_offers_no_edit_button_until_it_is_decided(self):
        review = self.submit(self.net)
        response = self.page_client(self.steward).get(f"/definitions/{self.net.key}/")
        self.assertNotContains(response, "Edit the draft")
        self.assertNotContains(response, f"/definitions/{self.net.key}/edit/")
        self.assertTrue(open_review(self.net.pending_version).pk == review.pk)


class WordingTests(PageTestCase):
    def test_a_conflict_is_worded_in_the_readers_language(self):
        conflict = next(c for c in reports.open_conflicts() if c.kind == "possible_duplicate")
        with translation.override("en"):
            english = conflict_text(conflict)
        with translation.override("zh-hant"):
            chinese = conflict_text(conflict)
        self.assertIn("may be duplicates", english)
        self.assertIn("tax treatment", english)
        self.assertIn("可能重複", chinese)
        self.assertIn("稅額處理", chinese)

    def test_a_status_code_is_shown_in_words(self):
        with translation.override("zh-hant"):
            self.assertEqual(status_label("in_review"), "審查中")
        self.assertEqual(status_label("changes_requested"), "Changes requested")
