"""`manage.py governance_recertify`: mark approved definitions past their review interval as
needing review and e-mail their owners and stewards. Run it daily (cron)."""

from django.core.management.base import BaseCommand

from core.audit import Actor
from governance.queries import overdue_versions
from governance.services import flag_overdue


class Command(BaseCommand):
    help = "Flag definitions whose recertification is overdue and notify their owners."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, dry_run=False, **options):
        if dry_run:
            versions = [v for v in overdue_versions() if v.status == "approved"]
        else:
            actor = Actor.system("manage.py governance_recertify", reason="recertification due")
            versions = flag_overdue(actor)
        for version in versions:
            due = version.definition.recertification_due
            self.stdout.write(
                f"{version.definition.key} v{version.number}: due {due:%Y-%m-%d}"
                if due
                else f"{version.definition.key}: never certified"
            )
        verb = "would be flagged" if dry_run else "flagged as needs review"
        self.stderr.write(f"{len(versions)} definition(s) {verb}.")
