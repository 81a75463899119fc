"""`manage.py consult_retention`: move old decisions out of the decision log into a compressed
archive file (with an audit record), and drop old rows of the consult change feed. Run it from
cron, e.g. monthly: `manage.py consult_retention --keep-days 400 --prune-changes`."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from consult.retention import archive_decisions, prune_changes
from core.commands import DomainCommand, command_actor


class Command(DomainCommand):
    help = "Archive old consult decisions to a file and prune the consult change feed."

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--before", help="archive decisions logged before this day (YYYY-MM-DD)")
        when.add_argument("--keep-days", type=int, help="archive decisions older than N days")
        parser.add_argument(
            "--to",
            help="the archive file to write (default var/archive/decisions-before-DAY.jsonl.gz)",
        )
        parser.add_argument(
            "--prune-changes",
            action="store_true",
            help="also drop change-feed rows older than --keep-versions catalog versions",
        )
        parser.add_argument("--keep-versions", type=int, default=100_000)
        parser.add_argument("--actor", help="the user recorded as doing it")

    def handle(self, *args, before=None, keep_days=None, to=None, **options):
        if before is None and keep_days is None and not options["prune_changes"]:
            raise CommandError("Say what to do: --before DAY or --keep-days N, --prune-changes.")
        report = {}
        if before is not None or keep_days is not None:
            cut = self._cut(before, keep_days)
            path = Path(to) if to else self._default_path(cut)
            path.parent.mkdir(parents=True, exist_ok=True)
            actor = command_actor(options["actor"], "consult_retention")
            report["archive"] = archive_decisions(actor, cut, path).as_dict()
        if options["prune_changes"]:
            report["changes_pruned"] = prune_changes(options["keep_versions"])
        self.stdout.write(json.dumps(report, indent=2))

    @staticmethod
    def _cut(before: str | None, keep_days: int | None) -> datetime.datetime:
        if keep_days is not None:
            if keep_days < 1:
                raise CommandError("--keep-days must be 1 or more.")
            return timezone.now() - datetime.timedelta(days=keep_days)
        try:
            day = datetime.date.fromisoformat(before)
        except ValueError:
            raise CommandError(f"--before: {before!r} is not a day (YYYY-MM-DD).") from None
        return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)

    @staticmethod
    def _default_path(cut: datetime.datetime) -> Path:
        return (
            Path(settings.BASE_DIR)
            / "var"
            / "archive"
            / f"decisions-before-{cut:%Y%m%d%H%M}.jsonl.gz"
        )
