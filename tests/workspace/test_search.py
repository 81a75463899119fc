"""The one search of the web workspace, on SQLite and on PostgreSQL (full-text there)."""

from __future__ import annotations

from django.test import Client

from tests.governance.helpers import GovernanceTestCase
from workspace.search import search


class SearchTests(GovernanceTestCase):
    def test_a_word_finds_definitions_by_synonym_and_fields_by_name_best_first(self):
        hits = search(self.steward, "amount")
        kinds = {(h.kind, h.ref) for h in hits}
        self.assertIn(("definition", "order_amount_gross"), kinds)
        self.assertIn(("field", "pos:sales.transactions.amount"), kinds)
        self.assertEqual(hits, sorted(hits, key=lambda h: (-h.rank, h.kind, h.title)))

    def test_the_search_page_lists_the_hits_with_their_kind(self):
        client = Client()
        client.force_login(self.steward)
        response = client.get("/search/", {"q": "amount"})
        self.assertContains(response, "order_amount_gross")
        self.assertContains(response, "pos:sales.transactions.amount")

    def test_what_the_caller_may_not_read_is_not_found(self):
        self.assertEqual([h for h in search(self.vendor, "amount") if h.kind == "field"], [])
