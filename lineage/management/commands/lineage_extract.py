"""`manage.py lineage_extract FILE.sql --dialect D`: print the parser's JSON for a file."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lineage.sql import extract_lineage


class Command(BaseCommand):
    help = "Print the column-level lineage the parser extracts from a SQL file, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="SQL file ('-' for stdin)")
        parser.add_argument("--dialect", default="ansi", help="sqlglot dialect name or alias")
        parser.add_argument(
            "--schema", help="JSON file mapping table names to their columns in order"
        )

    def handle(self, file, dialect, schema=None, **options):
        try:
            sql = self.stdin.read() if file == "-" else Path(file).read_text()
            tables = json.loads(Path(schema).read_text()) if schema else None
        except OSError as exc:
            raise CommandError(f"Cannot read {exc.filename}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"The schema file is not JSON: {exc}") from None
        result = extract_lineage(sql, dialect=dialect, schema=tables)
        self.stdout.write(json.dumps(result.to_dict(), indent=2))
