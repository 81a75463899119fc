"""Project-level checks: production settings, the committed OpenAPI schema, the retail demo."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

from catalog.models import Field, SourceSystem
from core.models import ApiToken

ROOT = Path(__file__).resolve().parent.parent


class ProductionSettingsTests(TestCase):
    def test_check_deploy_reports_nothing_with_the_documented_production_variables(self):
        env = {
            **os.environ,
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
            "DEBUG": "0",
            "SECURE": "1",
            "ALLOWED_HOSTS": "catalog.example.com",
        }
        env.pop("TESTING", None)
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)


class OpenApiSchemaTests(TestCase):
    def test_committed_schema_matches_the_generated_one(self):
        """Run `make schema` after changing the API; the diff is then part of the commit."""
        if connection.vendor != "sqlite":
            # Integer bounds in the schema come from the database backend; the committed file
            # is generated on the default (SQLite), which is what this compares against.
            self.skipTest("the committed schema is generated on SQLite")
        generated = OpenApiYamlRenderer().render(SchemaGenerator().get_schema(public=True))
        committed = (ROOT / "docs" / "openapi.yaml").read_bytes()
        self.assertEqual(
            yaml.safe_load(generated), yaml.safe_load(committed), "docs/openapi.yaml is stale"
        )


class RetailDemoTests(TestCase):
    def test_demo_loads_every_system_and_prints_users_with_working_tokens(self):
        out = StringIO()
        call_command("load_demo", stdout=out)
        text = out.getvalue()
        self.assertEqual(
            set(SourceSystem.objects.values_list("key", flat=True)),
            {"crm", "pos", "orders", "membership", "epay", "dw", "cdp", "analytics"},
        )
        amounts = Field.objects.filter(name="amount").select_related("dataset__system")
        self.assertGreaterEqual(len({f.description for f in amounts}), 3)
        token_line = next(line for line in text.splitlines() if line.startswith("eric "))
        token = token_line.split()[-1]
        response = self.client.get("/api/v1/catalog/systems/", HTTP_AUTHORIZATION=f"Token {token}")
        self.assertEqual(response.status_code, 200)
        self.assertGreaterEqual(response.json()["count"], 7)

    def test_demo_is_idempotent(self):
        call_command("load_demo", "--no-tokens", stdout=StringIO())
        fields = Field.objects.count()
        call_command("load_demo", "--no-tokens", stdout=StringIO())
        self.assertEqual(Field.objects.count(), fields)
        self.assertFalse(ApiToken.objects.exists())
