"""Every link a person is shown leads to a page that person may open: walks the pages of the demo
world from the home page as each demo persona, following the links between pages, and fails on
any link that answers 404, 403 or 500 (a link to a review, draft or object the reader may not
open), or on a page that links to an API URL where the workspace has a page."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

from django.core.management import call_command
from django.test import TestCase

HREF = re.compile(r'href="([^"#]*)"')
# Not pages: downloads, exports, the API and its documentation, the admin site.
NOT_PAGES = re.compile(
    r"^/(api/|admin/|static/|i18n/|accounts/)|\.md\b|\.csv\b|/odcs/|/printable/|format=csv"
)
# Links to the API that are downloads a page offers on purpose (a review as Markdown).
DOWNLOADS = re.compile(r"^/api/(docs/|v1/governance/reviews/\d+/\?as=markdown$)")


def links(html: str, here: str) -> list[str]:
    found = []
    for raw in HREF.findall(html):
        raw = raw.replace("&amp;", "&")
        url = urljoin(here, raw)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


class LinksBetweenPagesTests(TestCase):
    PERSONAS = ("chair", "member", "stella", "eric", "victor", "carla", "cdp-unification")
    LIMIT = 90  # pages per persona: the nav, every kind of page and the links between them

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())

    def walk(self, username: str) -> list[str]:
        client = self.client_class()
        self.assertTrue(client.login(username=username, password=f"demo-{username}"))
        seen: dict[str, str] = {}
        queue = [("/", "")]
        broken = []
        while queue and len(seen) < self.LIMIT:
            url, source = queue.pop(0)
            if url in seen:
                continue
            seen[url] = source
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-TW")
            if response.status_code != 200:
                broken.append(f"{source} -> {url}: {response.status_code}")
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            for link in links(response.content.decode(), url):
                if link.startswith("/api/") and not DOWNLOADS.match(link):
                    broken.append(f"{url} -> {link}: links to the API")
                elif not NOT_PAGES.search(link) and link not in seen:
                    queue.append((link, url))
        return broken

    def test_no_persona_is_shown_a_link_it_cannot_open(self):
        for username in self.PERSONAS:
            with self.subTest(username):
                self.assertEqual(self.walk(username), [])


class WordsAndHeadingsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())

    def setUp(self):
        self.client.login(username="eric", password="demo-eric")

    def test_the_field_page_gives_the_consult_reasons_in_the_readers_language(self):
        response = self.client.get(
            "/catalog/fields/cdp:cdp.customer_profile.lifetime_value/",
            HTTP_ACCEPT_LANGUAGE="zh-TW",
        )
        html = response.content.decode()
        self.assertContains(response, "此欄位沒有核准的定義")
        # The service's own English message stays beside it, marked as English.
        self.assertIn('<span class="has-text-grey-dark" lang="en">cdp:cdp.customer_profile', html)

    def test_a_review_page_has_no_heading_level_skipped(self):
        response = self.client.get("/reviews/19/")
        levels = [int(n) for n in re.findall(r"<h([1-6])\b", response.content.decode())]
        self.assertEqual(levels[0], 1)
        steps = zip(levels, levels[1:], strict=False)
        self.assertTrue(all(b <= a + 1 for a, b in steps), levels)

    def test_search_words_name_a_field_by_its_system_and_name(self):
        response = self.client.get("/search/", {"q": "POS amount"})
        hits = re.findall(r'href="(/catalog/fields/[^"]+)"', response.content.decode())
        self.assertEqual(hits[0], "/catalog/fields/pos:sales.transactions.amount/")
        response = self.client.get("/search/", {"q": "pos"})
        self.assertContains(response, 'href="/catalog/datasets/pos:sales.transactions/"')

    def test_a_definition_links_the_fields_mapped_to_it_to_their_pages(self):
        response = self.client.get("/definitions/order_amount_net/")
        self.assertContains(
            response, 'href="/catalog/fields/orders:shop.orders.amount/"', html=False
        )

    def test_a_contract_page_says_its_period_and_notice_in_the_readers_language(self):
        self.client.login(username="victor", password="demo-victor")
        response = self.client.get(
            "/vendors/contracts/pos-sales-nightly/?version=1", HTTP_ACCEPT_LANGUAGE="zh-TW"
        )
        self.assertContains(response, "2024-01-01 至 —")
        self.assertContains(response, "30 天")
        self.assertContains(response, "30 分鐘內")
