"""`manage.py catalog_import`: manifests in JSON, YAML and CSV, idempotence, and bad files."""

from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase

from catalog.choices import Status
from catalog.models import Dataset, Field, SourceSystem
from core.models import ChangeRecord

MANIFESTS = Path(__file__).parent / "manifests"


def run_import(name: str, *args: str) -> str:
    out = StringIO()
    call_command("catalog_import", str(MANIFESTS / name), "--no-progress", *args, stdout=out)
    return out.getvalue()


class CatalogImportTests(TestCase):
    def test_yaml_manifest_registers_systems_datasets_and_fields(self):
        output = run_import("good.yaml")
        self.assertIn("pos: created 1 datasets / 2 fields", output)
        self.assertIn("crm: created 1 datasets / 1 fields", output)
        pos = SourceSystem.objects.get(key="pos")
        self.assertEqual(pos.owning_team, "Store Operations IT")
        amount = Field.objects.get(
            dataset__system=pos, dataset__name="sales.transactions", name="amount"
        )
        self.assertEqual(amount.data_type, "numeric(12,2)")
        self.assertEqual(amount.ordinal, 2)
        self.assertFalse(Field.objects.get(name="txn_id").nullable)

    def test_json_and_csv_manifests_are_read_too(self):
        run_import("good.json")
        run_import("good.csv")
        self.assertTrue(Field.objects.filter(dataset__name="shop.orders", name="amount").exists())
        ledger = Dataset.objects.get(system__key="membership", name="loyalty.point_ledger")
        self.assertEqual([f.name for f in ledger.fields.all()], ["points"])
        self.assertFalse(Field.objects.get(name="member_id").nullable)
        self.assertEqual(Field.objects.get(name="member_id").description, "Card number")

    def test_reimport_changes_nothing_and_writes_no_audit(self):
        run_import("good.yaml")
        records = ChangeRecord.objects.count()
        output = run_import("good.yaml")
        self.assertIn("pos: created 0 datasets / 0 fields", output)
        self.assertIn("unchanged 1 datasets / 2 fields", output)
        self.assertEqual(ChangeRecord.objects.count(), records)

    def test_reimport_marks_what_disappeared_as_removed_without_deleting(self):
        run_import("good.yaml")
        extra = Dataset.objects.create(system=SourceSystem.objects.get(key="pos"), name="sales.old")
        output = run_import("good.yaml")
        extra.refresh_from_db()
        self.assertEqual(extra.status, Status.REMOVED)
        self.assertIn("removed 1 datasets / 0 fields", output)

    def test_every_import_write_is_audited_with_the_command_as_actor(self):
        run_import("good.yaml", "--reason", "initial load")
        record = ChangeRecord.objects.filter(object_type="catalog.dataset").first()
        self.assertTrue(record.after["fields"])
        self.assertEqual(record.actor_name, "manage.py catalog_import")
        self.assertEqual(record.reason, "initial load")


class BrokenManifestTests(TestCase):
    def assert_nothing_written(self):
        self.assertEqual(SourceSystem.objects.count(), 0)
        self.assertEqual(Dataset.objects.count(), 0)
        self.assertEqual(Field.objects.count(), 0)
        self.assertEqual(ChangeRecord.objects.count(), 0)

    def test_bad_rows_are_all_reported_with_file_and_line_and_nothing_is_written(self):
        with self.assertRaises(CommandError) as caught:
            run_import("bad_rows.yaml")
        message = str(caught.exception)
        path = str(MANIFESTS / "bad_rows.yaml")
        self.assertIn(
            f'{path}:7: systems[0].datasets[0].kind: "spreadsheet" is not a valid choice; '
            "choose one of: table, view, file, api, stream.",
            message,
        )
        self.assertIn(f"{path}:10: systems[0].datasets[0].fields[1].name", message)
        self.assertIn("appears twice", message)
        self.assertIn(f"{path}:11: systems[1].key", message)
        self.assert_nothing_written()

    def test_broken_csv_rows_name_their_lines(self):
        with self.assertRaises(CommandError) as caught:
            run_import("bad_row.csv")
        message = str(caught.exception)
        self.assertIn("bad_row.csv:3: ordinal 'first' is not a whole number", message)
        self.assertIn("bad_row.csv:4: 'field' is empty", message)
        self.assert_nothing_written()

    def test_malformed_json_is_a_command_error_with_its_line(self):
        with self.assertRaises(CommandError) as caught:
            run_import("broken.json")
        self.assertIn("broken.json:3: invalid JSON", str(caught.exception))
        self.assert_nothing_written()

    def test_missing_file_and_unknown_type_are_command_errors(self):
        with self.assertRaisesMessage(CommandError, "file not found"):
            run_import("nope.yaml")
        with self.assertRaisesMessage(CommandError, "unknown file type"):
            call_command("catalog_import", __file__, "--no-progress")


class DocumentedManifestTests(TestCase):
    """docs/manifest.md is what users copy: its examples import as it says."""

    DOC = Path(__file__).resolve().parents[2] / "docs" / "manifest.md"

    @classmethod
    def setUpTestData(cls):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        cls.eric = get_user_model().objects.create_user("eric")
        cls.eric.groups.add(Group.objects.get(name="engineer"))

    def example(self, language: str, tmp_name: str) -> str:
        import re
        import tempfile

        text = self.DOC.read_text()
        block = re.search(rf"```{language}\n(.*?)```", text, re.S).group(1)
        path = Path(tempfile.mkdtemp()) / tmp_name
        path.write_text(block)
        return str(path)

    def test_the_yaml_example_imports_and_its_actor_maintains_the_system(self):
        from core.permissions import user_can

        out = StringIO()
        call_command(
            "catalog_import", self.example("yaml", "shop.yaml"), "--no-progress",
            "--actor", "eric", stdout=out,
        )  # fmt: skip
        self.assertIn("shop: created 2 datasets / 4 fields", out.getvalue())
        shop = SourceSystem.objects.get(key="shop")
        self.assertEqual((shop.kind, shop.environment), ("ecommerce", "production"))
        self.assertTrue(user_can(self.eric, "change", shop))
        amount = Field.objects.get(dataset__name="shop.orders", name="amount")
        self.assertEqual((amount.ordinal, amount.data_type), (2, "numeric(12,2)"))

    def test_without_an_actor_nobody_but_an_administrator_may_edit_the_imported_system(self):
        from core.permissions import user_can

        call_command(
            "catalog_import", self.example("yaml", "shop.yaml"), "--no-progress", stdout=StringIO()
        )
        self.assertFalse(user_can(self.eric, "change", SourceSystem.objects.get(key="shop")))

    def test_the_csv_example_imports(self):
        out = StringIO()
        call_command("catalog_import", self.example("csv", "shop.csv"), "--no-progress", stdout=out)
        self.assertIn("shop: created 1 datasets / 2 fields", out.getvalue())
        self.assertFalse(Field.objects.get(name="order_id").nullable)
