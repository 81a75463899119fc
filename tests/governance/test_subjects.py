"""How a review's subject shows values to a reader: ranges in the reader's language."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.utils import translation

from governance.subjects import show


class RangeInWordsTests(SimpleTestCase):
    def test_a_range_reads_in_english(self):
        with translation.override("en"):
            self.assertEqual(show({"min": 0, "max": 100}), "0 to 100")
            self.assertEqual(show({"min": 0}), "at least 0")
            self.assertEqual(show({"max": 5}), "at most 5")

    def test_a_range_reads_in_traditional_chinese(self):
        with translation.override("zh-hant"):
            self.assertEqual(show({"min": 0, "max": 100}), "0 至 100")
            self.assertEqual(show({"min": 0}), "至少 0")
            self.assertEqual(show({"max": 5}), "至多 5")
