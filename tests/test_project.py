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
from core.audit import audit_name_of
from core.models import ApiToken, ChangeRecord
from tests.catalog import test_permissions as catalog_table
from tests.consult import test_permissions as consult_table
from tests.core import test_permissions as core_table
from tests.governance import test_permissions as governance_table
from tests.lineage import test_permissions as lineage_table
from tests.vendors import test_permissions as vendors_table

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
        # Set by the browser journeys' kit (tests/web) in this test process; never in production.
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
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

    def test_each_create_links_to_the_operations_on_what_it_created(self):
        """core/api/schema.py link_created_objects: a create's 201 names the operations of the
        object it made and the runtime expression of their path parameter."""
        schema = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
        by_id = {
            op["operationId"]: (method, path)
            for path, item in schema["paths"].items()
            for method, op in item.items()
        }

        def links(path):
            responses = schema["paths"][path]["post"]["responses"]["201"]
            return {
                by_id[link["operationId"]]: link["parameters"]
                for link in responses.get("links", {}).values()
            }

        systems = links("/api/v1/catalog/systems/")
        self.assertEqual(
            systems[("delete", "/api/v1/catalog/systems/{key}/")], {"key": "$response.body#/key"}
        )
        self.assertIn(("post", "/api/v1/catalog/systems/{key}/bulk/"), systems)
        policies = links("/api/v1/consult/policies/")
        self.assertEqual(
            policies[("post", "/api/v1/consult/policies/{id}/submit/")],
            {"id": "$response.body#/id"},
        )
        # A create answered by an object of another collection links to that collection.
        submitted = links("/api/v1/lineage/jobs/{key}/submit/")
        self.assertEqual(
            submitted[("get", "/api/v1/lineage/versions/{id}/")], {"id": "$response.body#/id"}
        )
        self.assertNotIn(("get", "/api/v1/lineage/jobs/{key}/"), submitted)
        # Every link names an operation of the schema, with every parameter it fills in its path.
        for path, item in schema["paths"].items():
            for link in (
                item.get("post", {}).get("responses", {}).get("201", {}).get("links", {}).values()
            ):
                _, target = by_id[link["operationId"]]
                for name in link["parameters"]:
                    self.assertIn(f"{{{name}}}", target, (path, link))


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
        # Every kind of object the demo's writes audit has a name `?object_type=` takes.
        stored = set(ChangeRecord.objects.values_list("object_type", flat=True).distinct())
        self.assertEqual({t for t in stored if audit_name_of(t) is None}, set())
        fields = Field.objects.count()
        call_command("load_demo", "--no-tokens", stdout=StringIO())
        self.assertEqual(Field.objects.count(), fields)
        self.assertFalse(ApiToken.objects.exists())


class PermissionKitCoverageTests(TestCase):
    def test_every_operation_of_the_schema_is_in_a_permission_table(self):
        """Add a new endpoint's row to tests/<app>/test_permissions.py (tests/personas.py)."""
        # Modules, not their classes: a test class imported here would run twice.
        tables = [
            catalog_table.CatalogPermissionTests,
            consult_table.ConsultPermissionTests,
            core_table.CorePermissionTests,
            governance_table.GovernancePermissionTests,
            lineage_table.LineagePermissionTests,
            vendors_table.VendorPermissionTests,
        ]
        listed = [op.key for table in tables for op in table.OPS]
        schema = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
        operations = {
            (method.upper(), path)
            for path, item in schema["paths"].items()
            for method in item
            if method in ("get", "post", "put", "patch", "delete")
        }
        self.assertEqual(sorted(operations - set(listed)), [], "operations in no table")
        self.assertEqual(sorted(set(listed) - operations), [], "rows naming no operation")
        self.assertEqual(len(listed), len(set(listed)), "an operation listed twice")


class ReadmeTests(TestCase):
    """The README works from a clone alone."""

    def test_the_readme_and_docs_point_only_at_files_of_the_repository(self):
        import re

        for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
            text = doc.read_text()
            with self.subTest(doc=doc.name):
                self.assertNotRegex(text, r"(^|[\s(`'\"])\.\./")
                for target in re.findall(r"\]\(([^)#]+)\)", text):
                    if "://" not in target:
                        self.assertTrue((doc.parent / target).exists(), target)

    def test_the_stack_section_names_every_pinned_requirement(self):
        import re

        readme = ROOT / "README.md"
        stack = readme.read_text().split("## Stack", 1)[1].split("\n## ", 1)[0].lower()
        for name in ("requirements.txt", "requirements-dev.txt"):
            for line in (ROOT / name).read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                if not line or line.startswith("-r"):
                    continue
                package = re.split(r"[=<>\[]", line)[0].strip().lower()
                with self.subTest(package=package):
                    self.assertIn(package, stack)
