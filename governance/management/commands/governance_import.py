"""`manage.py governance_import FILE`: bring existing definitions (JSON or YAML, a list of
objects shaped like POST /api/v1/governance/definitions/) into the workflow as drafts, and with
`--submit` send them to their committees. All or nothing."""

import json
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.audit import Actor
from core.errors import BulkRejected
from governance.services import import_definitions


class Command(BaseCommand):
    help = "Import definitions as drafts (or new draft versions) and optionally submit them."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .json, .yaml or .yml file")
        parser.add_argument("--submit", action="store_true", help="submit every draft")
        parser.add_argument("--as", dest="username", help="author of the drafts (a user)")

    def handle(self, path, submit=False, username=None, **options):
        text = Path(path).read_text(encoding="utf-8")
        rows = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        if isinstance(rows, dict):
            rows = rows.get("definitions")
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
        actor = Actor(user, reason=f"governance_import {Path(path).name}")
        try:
            counts = import_definitions(actor, rows, submit=submit)
        except BulkRejected as exc:
            lines = "\n".join(f"  {e['path']}: {e['message']}" for e in exc.errors)
            raise CommandError(f"{exc}\n{lines}") from exc
        self.stdout.write(", ".join(f"{n} {name}" for name, n in counts.items()))
