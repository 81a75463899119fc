"""The message catalogues: every string of the zh-Hant catalogue translated, and compiled
catalogues that say so (tests/web renders every page in both languages)."""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.test import SimpleTestCase
from django.utils import translation

CATALOGUES = Path(settings.LOCALE_PATHS[0])


class CatalogueTests(SimpleTestCase):
    def test_every_entry_of_the_traditional_chinese_catalogue_is_translated(self):
        catalogue = polib.pofile(str(CATALOGUES / "zh_Hant" / "LC_MESSAGES" / "django.po"))
        self.assertFalse(catalogue.metadata_is_fuzzy)
        self.assertEqual([e.msgid for e in catalogue.untranslated_entries()], [])
        self.assertEqual([e.msgid for e in catalogue.fuzzy_entries()], [])

    def test_every_placeholder_of_a_message_is_kept_in_its_translation(self):
        catalogue = polib.pofile(str(CATALOGUES / "zh_Hant" / "LC_MESSAGES" / "django.po"))
        for entry in catalogue.translated_entries():
            wanted = sorted(polib.re.findall(r"%\(\w+\)[sd]", entry.msgid))
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                if text:
                    self.assertEqual(
                        sorted(polib.re.findall(r"%\(\w+\)[sd]", text)), wanted, entry.msgid
                    )

    def test_a_browser_asking_for_taiwanese_chinese_gets_traditional_chinese(self):
        with translation.override("zh-hant"):
            self.assertEqual(translation.gettext("Log in"), "登入")
        self.assertEqual(translation.get_supported_language_variant("zh-tw"), "zh-hant")
