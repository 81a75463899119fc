"""rebuild_lineage, lineage_check (exit codes for CI) and lineage_extract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command

from lineage.models import EtlJobVersion
from tests.lineage.helpers import BROKEN_SQL, CUSTOMER_SQL, LineageTestCase

ROOT = Path(__file__).resolve().parent.parent.parent


def sql_file(text: str) -> str:
    path = Path(tempfile.mkdtemp()) / "change.sql"
    path.write_text(text)
    return str(path)


class CommandTests(LineageTestCase):
    def run_command(self, *args) -> tuple[str, int]:
        out = StringIO()
        try:
            call_command(*args, stdout=out)
        except CommandError as exc:
            return out.getvalue() + str(exc), exc.returncode
        return out.getvalue(), 0

    def test_check_passes_when_nothing_loses_lineage(self):
        out, code = self.run_command(
            "lineage_check", "--job", "load_customer", sql_file(CUSTOMER_SQL)
        )
        self.assertEqual(code, 0, out)
        self.assertIn("edges removed: 0", out)

    def test_check_exits_1_when_a_field_would_lose_its_lineage(self):
        path = sql_file(
            "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts;"
        )
        out, code = self.run_command("lineage_check", "--job", "load_customer", path)
        self.assertEqual(code, 1, out)
        self.assertIn("LOSES LINEAGE: dw:dw.customer.tier", out)
        self.assertIn("job load_sales (owner: other_engineer)", out)
        self.assertEqual(EtlJobVersion.objects.count(), 2)

    def test_check_prints_json_on_request(self):
        path = sql_file(
            "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts;"
        )
        out, code = self.run_command("lineage_check", "--job", "load_customer", path, "--json")
        self.assertEqual(code, 1)
        report = json.loads(out[: out.rindex("}") + 1])
        self.assertEqual(
            sorted(report["lineage_lost"]), ["dw:dw.customer.email_hash", "dw:dw.customer.tier"]
        )

    def test_check_exits_2_for_sql_that_does_not_parse(self):
        path = sql_file(BROKEN_SQL)
        out, code = self.run_command("lineage_check", "--job", "load_customer", path)
        self.assertEqual(code, 2, out)
        self.assertIn("does not parse", out)

    def test_check_exits_2_when_one_statement_of_the_script_does_not_parse(self):
        script = CUSTOMER_SQL + "\n" + BROKEN_SQL
        out, code = self.run_command("lineage_check", "--job", "load_customer", sql_file(script))
        self.assertEqual(code, 2, out)
        self.assertIn("1 statement(s) do not parse", out)

    def test_check_exits_3_for_an_unknown_job_or_an_unreadable_file(self):
        out, code = self.run_command("lineage_check", "--job", "nope", sql_file(CUSTOMER_SQL))
        self.assertEqual((code, out), (3, "No job 'nope'."))
        out, code = self.run_command("lineage_check", "--job", "load_customer", "/no/such.sql")
        self.assertEqual(code, 3, out)
        self.assertIn("Cannot read /no/such.sql", out)

    def test_check_exits_3_for_a_missing_argument(self):
        self.assertEqual(self.run_command("lineage_check", sql_file(CUSTOMER_SQL))[1], 3)
        result = subprocess.run(
            [sys.executable, "manage.py", "lineage_check", "change.sql"],
            cwd=ROOT,
            env={**os.environ, "TESTING": "1"},
            capture_output=True,
            text=True,
        )
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("the following arguments are required: --job", result.stderr)

    def test_extract_prints_the_parsers_json(self):
        out, code = self.run_command(
            "lineage_extract", sql_file(CUSTOMER_SQL), "--dialect", "postgres"
        )
        self.assertEqual(code, 0)
        result = json.loads(out)
        self.assertEqual(result["tables"], {"read": ["public.contacts"], "write": ["dw.customer"]})
        self.assertEqual(result["statements"][0]["kind"], "insert")

    def test_extract_reads_a_schema_file(self):
        schema = Path(tempfile.mkdtemp()) / "schema.json"
        schema.write_text(json.dumps({"ext.feed": ["a", "b"]}))
        out, _ = self.run_command(
            "lineage_extract",
            sql_file("INSERT INTO t SELECT * FROM ext.feed"),
            "--schema",
            str(schema),
        )
        self.assertEqual(
            {c["source"] for c in json.loads(out)["columns"]}, {"ext.feed.a", "ext.feed.b"}
        )

    def test_rebuild_reports_what_it_did(self):
        out, code = self.run_command("rebuild_lineage")
        self.assertEqual(code, 0)
        self.assertIn("jobs=2 reparsed=0 unchanged=2 skipped=0", out)
        out, _ = self.run_command("rebuild_lineage", "--job", "load_sales")
        self.assertIn("jobs=1", out)
