"""`manage.py governance_agenda`: a committee's agenda as Markdown, to circulate before a
meeting (the same content as GET /api/v1/governance/committees/{id}/agenda/)."""

from django.core.management.base import BaseCommand, CommandError

from governance.models import Committee
from governance.reports import agenda, agenda_markdown


class Command(BaseCommand):
    help = "Print the agenda of one committee (or of every committee) as Markdown."

    def add_arguments(self, parser):
        parser.add_argument("--committee", help="committee name (default: all committees)")
        parser.add_argument("--output", help="write to this file instead of stdout")

    def handle(self, committee=None, output=None, **options):
        committees = Committee.objects.order_by("name")
        if committee:
            committees = committees.filter(name__iexact=committee)
            if not committees:
                raise CommandError(f"No committee named {committee!r}.")
        text = "\n".join(agenda_markdown(agenda(c)) for c in committees)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Agenda written to {output}.")
        else:
            self.stdout.write(text, ending="")
