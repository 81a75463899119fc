"""`manage.py prune_submissions`: fail the asynchronous SQL submissions whose worker died, then
forget the finished ones older than the retention (their SQL can be megabytes each)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from lineage.tasks import fail_stale, prune_finished


class Command(BaseCommand):
    help = (
        "Mark failed (worker_lost) the running SQL submissions whose worker is gone, then delete "
        "the submissions that finished more than --days ago (LINEAGE_SUBMISSION_RETENTION_DAYS, "
        "30 by default). The versions they recorded stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=float,
            default=None,
            help="keep finished submissions this many days (default "
            "LINEAGE_SUBMISSION_RETENTION_DAYS)",
        )

    def handle(self, days=None, **options):
        days = settings.LINEAGE_SUBMISSION_RETENTION_DAYS if days is None else days
        failed = fail_stale()
        deleted = prune_finished(days)
        self.stdout.write(
            f"failed_stale={failed} deleted={deleted} (finished over {days:g} days ago)"
        )
