"""What exists: source systems, their datasets and the datasets' fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from catalog.choices import (
    DatasetKind,
    DescriptionSource,
    Environment,
    Lifecycle,
    Status,
    SystemKind,
)
from catalog.refs import format_field_ref, parse_dataset_ref, parse_field_ref
from core.models import KeyedQuerySet, TimeStampedModel

system_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    "A system key is a slug: lower-case letters, digits, '-' and '_', "
    "starting with a letter or digit.",
)


def _check_name(value: str, what: str) -> None:
    # Keyed by field so the API reports the error at `name`, not at the whole object.
    if value != value.strip():
        raise ValidationError({"name": f"A {what} name must not start or end with spaces."})
    if any(ch in value for ch in "\n\r\t\x00"):
        raise ValidationError({"name": f"A {what} name must not contain control characters."})


def _strings(value, what: str) -> list[str]:
    value = value if value not in (None, "") else []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError({what: "A list of non-empty strings."})
    return list(dict.fromkeys(v.strip() for v in value))


class DatasetQuerySet(models.QuerySet):
    def by_ref(self, value: str) -> models.QuerySet:
        """The dataset named `system:dataset`; RefError (a ValueError) when malformed."""
        ref = parse_dataset_ref(value)
        return self.filter(system__key=ref.system, name=ref.dataset)

    def get_by_ref(self, value: str) -> Dataset:
        return self.by_ref(value).get()


class FieldQuerySet(models.QuerySet):
    def by_ref(self, value: str) -> models.QuerySet:
        """The field named `system:dataset.column` (a column holding a dot is double-quoted);
        RefError (a ValueError) when malformed."""
        ref = parse_field_ref(value)
        return self.filter(
            dataset__system__key=ref.system, dataset__name=ref.dataset, name=ref.column
        )

    def get_by_ref(self, value: str) -> Field:
        return self.by_ref(value).get()

    def in_refs(self, refs) -> dict[str, Field]:
        """{reference as written: field} for the well-formed references of `refs` that name a
        field in this queryset, in one query per hundred or so; malformed ones are left out."""
        parsed = {}
        for text in refs:
            try:
                parsed[text] = parse_field_ref(text)
            except ValueError:
                continue
        by_parts = {}
        rows = self.select_related("dataset__system").filter(
            name__in={r.column for r in parsed.values()},
            dataset__name__in={r.dataset for r in parsed.values()},
            dataset__system__key__in={r.system for r in parsed.values()},
        )
        for field in rows:
            by_parts[(field.dataset.system.key, field.dataset.name, field.name)] = field
        return {
            text: by_parts[(r.system, r.dataset, r.column)]
            for text, r in parsed.items()
            if (r.system, r.dataset, r.column) in by_parts
        }


class SourceSystem(TimeStampedModel):
    audit_name = "system"

    key = models.CharField(max_length=50, validators=[system_key_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SystemKind.choices, default=SystemKind.OTHER)
    description = models.TextField(blank=True)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    owning_team = models.CharField(max_length=200, blank=True)
    technical_contact = models.CharField(max_length=200, blank=True)
    openlineage_namespaces = models.JSONField(
        default=list,
        blank=True,
        help_text="OpenLineage dataset namespaces producers use for this system, e.g. "
        '["postgres://warehouse:5432"]; each names one system only.',
    )
    openlineage_database = models.CharField(
        max_length=200,
        blank=True,
        help_text="The database part of OpenLineage dataset names to drop, e.g. 'analytics' "
        "for 'analytics.dw.sales_fact' -> 'dw.sales_fact'.",
    )

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                Lower("key"),
                name="sourcesystem_key_ci_unique",
                violation_error_code="unique",
                violation_error_message="A system with this key already exists "
                "(keys are compared case-insensitively).",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def clean_fields(self, exclude=None) -> None:
        # Normalise before the slug validator runs, so "POS" is read as "pos", not rejected.
        if self.key:
            self.key = self.key.strip().lower()
        super().clean_fields(exclude)

    def clean(self) -> None:
        self.openlineage_database = (self.openlineage_database or "").strip().lower()
        given = self.openlineage_namespaces
        if given in (None, ""):
            given = []
        if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
            raise ValidationError(
                {"openlineage_namespaces": "A list of OpenLineage namespaces (strings)."}
            )
        names = [normalize_namespace(n) for n in given]
        problems = []
        if "" in names:
            problems.append("A namespace cannot be empty.")
        for name in sorted({n for n in names if n and names.count(n) > 1}):
            problems.append(f"{name!r} is listed twice.")
        # Every system is read only when there is something to compare (this runs on each save).
        taken = namespace_owners(exclude=self.pk) if names else {}
        for name in dict.fromkeys(n for n in names if n in taken):
            problems.append(f"{name!r} already names system {taken[name]!r}.")
        if problems:
            raise ValidationError({"openlineage_namespaces": problems})
        self.openlineage_namespaces = list(dict.fromkeys(names))

    def openlineage_name(self, name: str) -> str:
        """An OpenLineage dataset name as this system's dataset name: lower-cased, without the
        system's database prefix."""
        name = name.strip().lower()
        prefix = f"{self.openlineage_database}." if self.openlineage_database else ""
        if prefix and name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
        return name


def normalize_namespace(value: str) -> str:
    """Namespaces are compared as written, less surrounding spaces and a trailing slash."""
    return value.strip().rstrip("/")


def namespace_owners(exclude: int | None = None) -> dict[str, str]:
    """{OpenLineage namespace: system key} over every system (but `exclude`, an id)."""
    owners = {}
    rows = SourceSystem.objects.exclude(pk=exclude).values_list("key", "openlineage_namespaces")
    for key, namespaces in rows:
        for name in namespaces or []:
            owners[normalize_namespace(name)] = key
    return owners


class Dataset(TimeStampedModel):
    audit_name = "dataset"

    system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=255, help_text="As it appears in SQL, lower-cased")
    kind = models.CharField(max_length=20, choices=DatasetKind.choices, default=DatasetKind.TABLE)
    description = models.TextField(blank=True)
    description_source = models.CharField(
        max_length=10,
        choices=DescriptionSource.choices,
        default=DescriptionSource.WRITTEN,
        editable=False,
        help_text="Whether the description is the database comment (kept in step by "
        "introspection) or was written in the catalog (never overwritten by a comment)",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    discovered = models.BooleanField(
        default=False, help_text="First seen in lineage rather than registered"
    )
    owners = models.JSONField(
        default=list,
        blank=True,
        help_text="Owners as the tool that describes the dataset names them (e.g. dbt meta.owner)",
    )
    tags = models.JSONField(default=list, blank=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["system__key", "name"]
        constraints = [
            models.UniqueConstraint(
                "system",
                Lower("name"),
                name="dataset_name_ci_unique",
                violation_error_code="unique",
                violation_error_message="This system already has a dataset with this name "
                "(names are compared case-insensitively).",
            ),
        ]
        indexes = [
            # resolving table names from parsed SQL: (system, name)
            models.Index(fields=["system", "name"], name="dataset_system_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.system.key}:{self.name}" if self.system_id else self.name

    @property
    def ref(self) -> str:
        return f"{self.system.key}:{self.name}"

    def clean(self) -> None:
        if self.name:
            _check_name(self.name, "dataset")
            self.name = self.name.lower()
            if self.name.startswith(".") or self.name.endswith(".") or ".." in self.name:
                raise ValidationError(
                    {"name": "A dataset name cannot start or end with a dot or hold '..'."}
                )
        self.owners = _strings(self.owners, "owners")
        self.tags = _strings(self.tags, "tags")

    def permission_parents(self):
        return [self.system]


class Field(TimeStampedModel):
    audit_name = "field"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="fields")
    name = models.CharField(max_length=255)
    ordinal = models.PositiveIntegerField(default=0, help_text="Position in the dataset, from 1")
    data_type = models.CharField(max_length=100, blank=True)
    nullable = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    description_source = models.CharField(
        max_length=10,
        choices=DescriptionSource.choices,
        default=DescriptionSource.WRITTEN,
        editable=False,
        help_text="Whether the description is the database comment (kept in step by "
        "introspection) or was written in the catalog (never overwritten by a comment)",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    discovered = models.BooleanField(
        default=False, help_text="First seen in lineage rather than registered"
    )
    tags = models.JSONField(default=list, blank=True)
    tests = models.JSONField(
        default=list,
        blank=True,
        help_text="Data tests that check this field, e.g. dbt's: "
        '[{"name": "not_null", "tool": "dbt", "status": "pass"}]',
    )

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["dataset_id", "ordinal", "name"]
        constraints = [
            models.UniqueConstraint(
                "dataset",
                Lower("name"),
                name="field_name_ci_unique",
                violation_error_code="unique",
                violation_error_message="This dataset already has a field with this name "
                "(names are compared case-insensitively).",
            ),
        ]
        indexes = [
            # the catalog's schema for the parser: a dataset's columns in order
            models.Index(fields=["dataset", "ordinal"], name="field_dataset_ordinal_idx"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return format_field_ref(self.dataset.system.key, self.dataset.name, self.name)

    def clean(self) -> None:
        if self.name:
            _check_name(self.name, "field")
            self.name = self.name.lower()
        self.tags = _strings(self.tags, "tags")
        tests = self.tests if self.tests not in (None, "") else []
        if not isinstance(tests, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str) and t["name"] for t in tests
        ):
            raise ValidationError({"tests": 'A list of tests, each {"name": ..., ...}.'})
        self.tests = tests

    def permission_parents(self):
        return [self.dataset, self.dataset.system]
