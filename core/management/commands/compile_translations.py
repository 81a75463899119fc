"""`manage.py compile_translations`: compile the zh-Hant and en message catalogues (locale/)
into the .mo files Django reads. GNU gettext's msgfmt (Django's `compilemessages`) when it is
installed, else polib, so `make demo` needs nothing beyond the pinned requirements."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the message catalogues under LOCALE_PATHS (msgfmt if present, else polib)."

    def handle(self, **options):
        catalogues = sorted(p for path in settings.LOCALE_PATHS for p in Path(path).rglob("*.po"))
        if shutil.which("msgfmt"):
            # compilemessages also walks the working tree: keep it out of the venv's packages.
            call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "var"])
        else:
            import polib

            for po_path in catalogues:
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
        self.stdout.write(f"compiled {len(catalogues)} catalogue(s)")
