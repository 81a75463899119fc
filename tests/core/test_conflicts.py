"""A duplicate key is a 409 `conflict`, wherever it is found: by the serializer's validation, by
the model's `full_clean()`, or by the database when two creates race (tests/core/test_races.py).
The request is well formed; what exists refuses it (RFC 9110, 409 Conflict). A duplicate among
other problems stays in the 400 that lists them all."""

from __future__ import annotations

from io import StringIO

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError, models
from django.test import SimpleTestCase
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from consult import snapshot
from core.api.errors import UNIQUE_CODES, as_domain_error
from tests.personas import PersonaTestCase

PROJECT_APPS = {"core", "catalog", "lineage", "governance", "consult", "vendors", "workspace"}

GROSS_LIKE = {
    "domain": "order",
    "name": "Order amount, duplicate",
    "description": "Charged amount, VAT included, before discounts.",
    "data_type": "decimal(12,2)",
    "currency": "TWD",
    "tax": "included",
    "discount": "before",
    "grain": "order",
}

# Every create endpoint whose object has a unique key, with a body the demo accepts once.
CREATES = [
    ("/api/v1/catalog/systems/", {"key": "dup", "name": "Dup"}),
    ("/api/v1/catalog/datasets/", {"system": "pos", "name": "dup.table"}),
    ("/api/v1/catalog/fields/", {"dataset": "pos:sales.transactions", "name": "dup_column"}),
    ("/api/v1/governance/definitions/", {**GROSS_LIKE, "key": "order_amount_dup"}),
    ("/api/v1/governance/committees/", {"name": "Dup board", "min_approvals": 1}),
    ("/api/v1/governance/ownerships/", {"system": "epay", "user": "eric", "role": "steward"}),
    ("/api/v1/governance/mappings/",
     {"field": "pos:sales.transactions.store_id", "definition": "order_amount_net"}),
    ("/api/v1/lineage/jobs/", {"key": "dup_job", "name": "Dup", "system": "dw"}),
    ("/api/v1/consult/purposes/", {"key": "dup_purpose", "name": "Dup"}),
    ("/api/v1/consult/classifications/", {"key": "dup.label", "name": "Dup"}),
    ("/api/v1/consult/definition-classifications/",
     {"definition_key": "customer_email", "classification": "pii.quasi"}),
    ("/api/v1/vendors/vendors/", {"key": "dupco", "name": "Dup Co"}),
    ("/api/v1/vendors/contracts/", {"vendor": "storetech", "key": "dup-contract", "name": "Dup"}),
]  # fmt: skip


class UniqueConstraintCodeTests(SimpleTestCase):
    def test_every_unique_constraint_refuses_with_the_unique_code(self):
        """A UniqueConstraint with its own message, an expression or a condition raises with its
        `violation_error_code`, None unless declared: without "unique" its duplicate would be a
        400 while the others are 409s."""
        missing = []
        for model in apps.get_models():
            if model._meta.app_label not in PROJECT_APPS:
                continue
            for constraint in model._meta.constraints:
                if not isinstance(constraint, models.UniqueConstraint):
                    continue
                plain = (
                    constraint.fields
                    and not constraint.condition
                    and constraint.violation_error_message
                    == constraint.default_violation_error_message
                )
                if not plain and constraint.violation_error_code not in UNIQUE_CODES:
                    missing.append(f"{model._meta.label}.{constraint.name}")
        self.assertEqual(missing, [], 'declare violation_error_code="unique" on these')


class MappingTests(SimpleTestCase):
    def test_a_drf_uniqueness_refusal_is_409(self):
        exc = exceptions.ValidationError({"key": [ErrorDetail("exists", code="unique")]})
        error = as_domain_error(exc)
        self.assertEqual((error.status, error.code), (409, "conflict"))
        self.assertEqual(error.errors, [{"path": "key", "message": "exists"}])

    def test_a_duplicate_among_other_problems_stays_a_400(self):
        exc = exceptions.ValidationError(
            {
                "key": [ErrorDetail("exists", code="unique")],
                "name": [ErrorDetail("required", code="required")],
            }
        )
        error = as_domain_error(exc)
        self.assertEqual((error.status, error.code), (400, "invalid"))
        self.assertEqual(len(error.errors), 2)

    def test_a_model_uniqueness_refusal_is_409(self):
        exc = DjangoValidationError(
            {"__all__": [DjangoValidationError("taken", code="unique_together")]}
        )
        error = as_domain_error(exc)
        self.assertEqual((error.status, error.code, error.message), (409, "conflict", "taken"))

    def test_a_refusal_without_codes_stays_a_400(self):
        self.assertEqual(as_domain_error(DjangoValidationError("bad")).status, 400)
        self.assertEqual(as_domain_error(exceptions.ValidationError("bad")).status, 400)

    def test_a_unique_violation_of_a_constraint_of_ours_is_told_with_its_message(self):
        class Diag:
            constraint_name = "sourcesystem_key_ci_unique"
            message_detail = "Key (lower(key::text))=(pos) already exists."

        cause = Exception("duplicate key value")
        cause.sqlstate, cause.diag = "23505", Diag()
        exc = IntegrityError("duplicate key value")
        exc.__cause__ = cause
        error = as_domain_error(exc)
        self.assertEqual((error.status, error.code), (409, "conflict"))
        self.assertIn("A system with this key already exists", error.message)

    def test_a_unique_violation_of_a_unique_column_names_the_column(self):
        class Diag:
            constraint_name = "consult_purpose_key_key"
            message_detail = "Key (key)=(fraud) already exists."

        cause = Exception("duplicate key value")
        cause.sqlstate, cause.diag = "23505", Diag()
        exc = IntegrityError("duplicate key value")
        exc.__cause__ = cause
        error = as_domain_error(exc)
        self.assertEqual((error.status, error.code), (409, "conflict"))
        self.assertEqual(error.errors[0]["path"], "key")

    def test_another_integrity_error_is_still_a_409(self):
        error = as_domain_error(IntegrityError("FOREIGN KEY constraint failed"))
        self.assertEqual((error.status, error.code), (409, "conflict"))
        self.assertNotIn("Already exists", error.message)


class DuplicateCreateTests(PersonaTestCase):
    """Each create endpoint with a unique key, called twice in sequence with one body: 201, then
    409 in the error shape, and still one row."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        snapshot.clear()
        call_command("load_demo", "--no-tokens", stdout=StringIO())

    def tearDown(self):
        snapshot.clear()

    def test_a_second_create_of_one_key_is_409(self):
        client = self.as_(self.admin)
        for url, body in CREATES:
            with self.subTest(url=url):
                first = client.post(url, body, format="json")
                self.assertEqual(first.status_code, 201, first.content[:500])
                second = client.post(url, body, format="json")
                self.assertEqual(second.status_code, 409, second.content[:500])
                error = second.json()
                self.assertEqual((error["status"], error["code"]), (409, "conflict"))
                self.assertTrue(error["message"])
                self.assertTrue(error["errors"], error)

    def test_a_duplicate_key_with_another_problem_is_a_400_listing_both(self):
        client = self.as_(self.admin)
        response = client.post(
            "/api/v1/consult/purposes/", {"key": "profile_unification", "name": ""}, format="json"
        )
        self.assertEqual(response.status_code, 400, response.content)
        paths = {e["path"] for e in response.json()["errors"]}
        self.assertEqual(paths, {"key", "name"})
