"""`manage.py rebuild_lineage`: re-parse every job's latest SQL (after a parser upgrade)."""

from django.core.management.base import BaseCommand

from core.audit import Actor
from lineage.models import EtlJob
from lineage.services import rebuild


class Command(BaseCommand):
    help = (
        "Re-parse each job's latest SQL version; a changed result becomes a new version "
        "(origin 'rebuild') and replaces the job's edges."
    )

    def add_arguments(self, parser):
        parser.add_argument("--job", action="append", help="only this job key (repeatable)")

    def handle(self, job=None, **options):
        actor = Actor.system("manage.py rebuild_lineage", reason="re-parse after parser upgrade")
        jobs = EtlJob.objects.select_related("system").order_by("key")
        if job:
            jobs = jobs.filter(key__in=[k.lower() for k in job])
        counts = rebuild(actor, jobs)
        self.stdout.write(
            "jobs={jobs} reparsed={reparsed} unchanged={unchanged} skipped={skipped}".format(
                **counts
            )
        )
