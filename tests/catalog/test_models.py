"""Catalog models: named constraints at the database and through full_clean(), normalisation,
and PROTECT between systems, datasets and fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import TestCase

from catalog.models import Dataset, Field, SourceSystem


class CatalogModelTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.pos = SourceSystem.objects.create(key="pos", name="Point of sale")
        cls.crm = SourceSystem.objects.create(key="crm", name="CRM")
        cls.transactions = Dataset.objects.create(system=cls.pos, name="sales.transactions")
        cls.amount = Field.objects.create(dataset=cls.transactions, name="amount", ordinal=1)

    def assert_integrity_error(self, model, constraint: str, **values) -> None:
        with self.assertRaises(IntegrityError) as caught, transaction.atomic():
            model.objects.create(**values)
        # SQLite names the columns, PostgreSQL the constraint (or its index).
        message = str(caught.exception).lower()
        self.assertTrue("unique" in message or constraint in message, message)

    def assert_invalid(self, obj, fragment: str, field: str = "__all__") -> None:
        with self.assertRaises(ValidationError) as caught:
            obj.full_clean()
        messages = " ".join(caught.exception.message_dict.get(field, []))
        self.assertIn(fragment, messages, caught.exception.message_dict)


class SystemKeyTests(CatalogModelTestCase):
    def test_a_key_differing_only_in_case_is_refused_by_the_database(self):
        self.assert_integrity_error(SourceSystem, "sourcesystem_key_ci_unique", key="POS", name="x")

    def test_a_key_differing_only_in_case_is_refused_by_full_clean(self):
        self.assert_invalid(SourceSystem(key="Pos", name="x"), "already exists")

    def test_full_clean_lower_cases_and_trims_the_key(self):
        system = SourceSystem(key="  ORDERS ", name="Orders")
        system.full_clean()
        self.assertEqual(system.key, "orders")

    def test_a_key_must_be_a_slug(self):
        for key in ("point of sale", "_pos", "pos!", "pos.main"):
            with self.subTest(key=key):
                self.assert_invalid(SourceSystem(key=key, name="x"), "slug", field="key")

    def test_renaming_a_system_to_its_own_key_in_another_case_is_fine(self):
        self.pos.key = "POS"
        self.pos.full_clean()
        self.assertEqual(self.pos.key, "pos")

    def test_the_constraint_is_named(self):
        names = [c.name for c in SourceSystem._meta.constraints]
        self.assertEqual(names, ["sourcesystem_key_ci_unique"])


class DatasetNameTests(CatalogModelTestCase):
    def test_a_name_differing_only_in_case_in_the_same_system_is_refused_by_the_database(self):
        self.assert_integrity_error(
            Dataset, "dataset_name_ci_unique", system=self.pos, name="Sales.Transactions"
        )

    def test_a_name_differing_only_in_case_is_refused_by_full_clean(self):
        self.assert_invalid(
            Dataset(system=self.pos, name="SALES.TRANSACTIONS"), "already has a dataset"
        )

    def test_the_same_name_in_another_system_is_allowed(self):
        dataset = Dataset(system=self.crm, name="sales.transactions")
        dataset.full_clean()
        dataset.save()
        self.assertEqual(Dataset.objects.filter(name="sales.transactions").count(), 2)

    def test_full_clean_lower_cases_the_name(self):
        dataset = Dataset(system=self.pos, name="Sales.Refunds")
        dataset.full_clean()
        self.assertEqual(dataset.name, "sales.refunds")

    def test_malformed_names_are_refused_on_the_name(self):
        cases = {
            ".sales": "dot",
            "sales.": "dot",
            "sales..refunds": "dot",
            " sales": "spaces",
            "sales\trefunds": "control characters",
        }
        for name, fragment in cases.items():
            with self.subTest(name=name):
                self.assert_invalid(Dataset(system=self.pos, name=name), fragment, field="name")

    def test_ref_and_str_name_the_system(self):
        self.assertEqual(self.transactions.ref, "pos:sales.transactions")
        self.assertEqual(str(self.transactions), "pos:sales.transactions")


class FieldNameTests(CatalogModelTestCase):
    def test_a_name_differing_only_in_case_in_the_same_dataset_is_refused_by_the_database(self):
        self.assert_integrity_error(
            Field, "field_name_ci_unique", dataset=self.transactions, name="AMOUNT"
        )

    def test_a_name_differing_only_in_case_is_refused_by_full_clean(self):
        self.assert_invalid(Field(dataset=self.transactions, name="Amount"), "already has a field")

    def test_the_same_name_in_another_dataset_is_allowed(self):
        other = Dataset.objects.create(system=self.pos, name="sales.refunds")
        field = Field(dataset=other, name="amount")
        field.full_clean()
        field.save()
        self.assertEqual(Field.objects.filter(name="amount").count(), 2)

    def test_full_clean_lower_cases_the_name(self):
        field = Field(dataset=self.transactions, name="Payload.ID")
        field.full_clean()
        self.assertEqual(field.name, "payload.id")

    def test_names_with_outer_spaces_are_refused_on_the_name(self):
        self.assert_invalid(Field(dataset=self.transactions, name="tax "), "spaces", field="name")

    def test_a_dotted_name_is_referenced_in_quotes(self):
        field = Field.objects.create(dataset=self.transactions, name="payload.id")
        self.assertEqual(field.ref, 'pos:sales.transactions."payload.id"')
        self.assertEqual(str(self.amount), "pos:sales.transactions.amount")

    def test_a_field_is_covered_by_its_dataset_and_system(self):
        self.assertEqual(self.amount.permission_parents(), [self.transactions, self.pos])
        self.assertEqual(self.transactions.permission_parents(), [self.pos])


class ProtectTests(CatalogModelTestCase):
    def test_a_system_with_datasets_cannot_be_deleted(self):
        with self.assertRaises(ProtectedError) as caught:
            self.pos.delete()
        self.assertEqual(set(caught.exception.protected_objects), {self.transactions})
        self.assertTrue(SourceSystem.objects.filter(pk=self.pos.pk).exists())

    def test_a_dataset_with_fields_cannot_be_deleted(self):
        with self.assertRaises(ProtectedError) as caught:
            self.transactions.delete()
        self.assertEqual(set(caught.exception.protected_objects), {self.amount})
        self.assertTrue(Dataset.objects.filter(pk=self.transactions.pk).exists())

    def test_emptied_parents_can_be_deleted_from_the_bottom_up(self):
        self.amount.delete()
        self.transactions.delete()
        self.pos.delete()
        self.assertFalse(SourceSystem.objects.filter(key="pos").exists())
