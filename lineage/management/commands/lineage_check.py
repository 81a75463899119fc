"""`manage.py lineage_check --job KEY FILE.sql`: the pre-change check, for CI gates.

Exit status, for CI gates (the README lists them too):
0 nothing downstream loses lineage;
1 something would lose its lineage (whatever else is wrong);
2 some of the SQL does not parse: the change is unverified (all of it, or those statements);
3 a usage error: an unknown job, a file that cannot be read, a missing or bad argument."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lineage.choices import ParseStatus
from lineage.models import EtlJob
from lineage.queries import check_change, verdict

BREAKING, UNPARSED, USAGE = 1, 2, 3


class Command(BaseCommand):
    help = (
        "Report what new SQL for a job would change in the lineage, without saving anything. "
        "Exit status: 0 nothing loses lineage, 1 something would, 2 some SQL does not parse, "
        "3 usage error (unknown job, unreadable file, bad argument)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def usage_error(message):
            # argparse exits 2, the status that means "does not parse" here.
            if parser.called_from_command_line:
                parser.print_usage(sys.stderr)
                parser.exit(USAGE, f"{parser.prog}: error: {message}\n")
            raise CommandError(f"Error: {message}", returncode=USAGE)

        parser.error = usage_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="the proposed SQL ('-' for stdin)")
        parser.add_argument("--job", required=True, help="the job's key")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, file, job, as_json=False, **options):
        found = EtlJob.objects.select_related("system").filter(key=job.lower()).first()
        if found is None:
            raise CommandError(f"No job {job!r}.", returncode=USAGE)
        try:
            sql = self.stdin.read() if file == "-" else Path(file).read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}", returncode=USAGE) from None
        report = check_change(found, sql)
        if as_json:
            self.stdout.write(_dumps(report))
        else:
            self._summary(report)
        outcome = verdict(report)
        if outcome == "breaking":
            raise CommandError(
                f"{len(report['lineage_lost'])} field(s) would lose their lineage.",
                returncode=BREAKING,
            )
        if outcome == "unparsed" and report["status"] == ParseStatus.FAILED:
            raise CommandError("The SQL does not parse; nothing was checked.", returncode=UNPARSED)
        if outcome == "unparsed":
            raise CommandError(
                f"{len(report['errors'])} statement(s) do not parse; only the others were checked.",
                returncode=UNPARSED,
            )

    def _summary(self, report: dict) -> None:
        write = self.stdout.write
        write(f"job {report['job']}: parse {report['status']}")
        for error in report["errors"]:
            write(f"  error line {error['line']}: {error['message']}")
        for name in ("edges_added", "edges_removed"):
            write(f"{name.replace('_', ' ')}: {len(report[name])}")
            for edge in report[name]:
                write(f"  {edge['source']} -> {edge['target']} ({edge['type']})")
        for ref in report["lineage_lost"]:
            write(f"LOSES LINEAGE: {ref}")
        affected = report["affected"]
        write(f"affected fields: {len(affected['fields'])}")
        for item in affected["datasets"]:
            write(f"  dataset {item['ref']} (owner: {item['owning_team'] or '-'})")
        for item in affected["jobs"]:
            write(f"  job {item['key']} (owner: {item['owner'] or '-'})")


def _dumps(data) -> str:
    return json.dumps(data, indent=2, default=str)
