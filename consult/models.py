"""Consult models: the classification taxonomy and purposes, classifications on fields and
definitions, access policies, and the append-only decision log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from catalog.models import Dataset, Field, SourceSystem
from catalog.refs import RefError
from consult import adapters
from consult.choices import (
    ClassificationState,
    Decision,
    Effect,
    PolicyStatus,
    ResourceKind,
    UpstreamMode,
)
from core.models import AppendOnlyModel, KeyedQuerySet, TimeStampedModel

key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]*\Z", "A key is lower-case letters, digits, '.', '-' and '_'."
)

ALL_PURPOSES = "*"
MASK_METHODS = ("sha256", "sha512", "tokenise", "redact")
OBLIGATION_TYPES = ("mask", "aggregate_only")


def validate_obligations(value) -> None:
    """Obligations are `{"type": "mask", "method": "sha256"}` or `{"type": "aggregate_only"}`
    (optionally with `min_group_size`)."""
    if not isinstance(value, list):
        raise ValidationError("Obligations must be a list of objects.")
    for index, item in enumerate(value):
        where = f"obligation {index}"
        if not isinstance(item, dict) or item.get("type") not in OBLIGATION_TYPES:
            raise ValidationError(f"{where}: 'type' must be one of {', '.join(OBLIGATION_TYPES)}.")
        if item["type"] == "mask" and item.get("method") not in MASK_METHODS:
            raise ValidationError(f"{where}: 'method' must be one of {', '.join(MASK_METHODS)}.")
        extra = set(item) - {"type", "method", "min_group_size"}
        if extra:
            raise ValidationError(f"{where}: unknown key(s) {', '.join(sorted(extra))}.")


class Classification(TimeStampedModel):
    """A label from the taxonomy (pii.direct, financial, ...) and the obligations it imposes on
    any allowed use. Extensible: the committee adds rows."""

    audit_name = "classification"

    key = models.CharField(max_length=60, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    obligations = models.JSONField(default=list, blank=True, validators=[validate_obligations])
    propagates = models.BooleanField(
        default=True, help_text="Follows DIRECT lineage to downstream fields"
    )

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Purpose(TimeStampedModel):
    """A managed purpose of use (`profile_unification`, `analytics`, ...)."""

    audit_name = "purpose"

    key = models.CharField(max_length=60, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class FieldClassification(TimeStampedModel):
    """A steward's word on one field's classification: a manual label, or a decision on one
    that propagated along lineage. Propagated labels themselves are derived (snapshot.py), so
    rebuilding lineage never loses these rows."""

    audit_name = "field_classification"

    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="classifications")
    classification = models.ForeignKey(Classification, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12, choices=ClassificationState.choices)
    path = models.JSONField(default=list, blank=True, help_text="Lineage path, when propagated")
    reason = models.TextField(blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["field_id", "classification__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["field", "classification"], name="fieldclassification_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field_id}:{self.classification_id} ({self.state})"

    def permission_parents(self):
        return [self.field, self.field.dataset, self.field.dataset.system]

    def clean(self) -> None:
        if self.state == ClassificationState.OVERRIDDEN and not self.reason.strip():
            raise ValidationError({"reason": "Overriding a classification needs a reason."})


class DefinitionClassification(TimeStampedModel):
    """A classification on a definition, inherited by every field mapped to it. Keyed by the
    definition key so it does not depend on the definitions' own tables."""

    audit_name = "definition_classification"

    definition_key = models.CharField(max_length=100)
    classification = models.ForeignKey(Classification, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["definition_key", "classification__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition_key", "classification"], name="definitionclass_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition_key}:{self.classification_id}"


# What a policy's `resource_key` names, per kind: checked and normalised when a policy is
# saved, and resolved to the catalog object whose owners may approve it.


def resolve_resource(kind: str, key: str) -> str:
    """The normalised key; a ValidationError when it names nothing."""
    key = (key or "").strip()
    if kind == ResourceKind.DEFINITION:
        if not adapters.definition_exists(key):
            raise ValidationError(f"No definition with key {key!r}.")
        return key
    if kind == ResourceKind.CLASSIFICATION:
        if not Classification.objects.filter(key=key).exists():
            raise ValidationError(f"No classification {key!r}.")
        return key
    obj = catalog_object(kind, key)
    if obj is None:
        raise ValidationError(f"No {kind} {key!r} in the catalog.")
    return obj.ref if kind != ResourceKind.SYSTEM else obj.key


def catalog_object(kind: str, key: str):
    """The system, dataset or field a key names, or None (also for other kinds)."""
    try:
        if kind == ResourceKind.SYSTEM:
            return SourceSystem.objects.by_ref(key).first()
        if kind == ResourceKind.DATASET:
            return Dataset.objects.select_related("system").by_ref(key).first()
        if kind == ResourceKind.FIELD:
            return Field.objects.select_related("dataset__system").by_ref(key).first()
    except RefError as exc:
        raise ValidationError(str(exc)) from exc
    return None


# The kinds as `sentence` names them (English, as the API and the audit trail speak; the pages
# word a policy in the reader's language with consult.words.policy_sentence).
RESOURCE_NOUNS = {
    ResourceKind.FIELD: "field",
    ResourceKind.DEFINITION: "definition",
    ResourceKind.CLASSIFICATION: "classification",
    ResourceKind.DATASET: "dataset",
    ResourceKind.SYSTEM: "source system",
}


class AccessPolicy(TimeStampedModel):
    """Who may use what, for which purposes, under which obligations. Takes effect only once
    approved (status), between valid_from and valid_until."""

    audit_name = "policy"

    name = models.CharField(max_length=200)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_policies",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="access_policies"
    )
    purposes = models.JSONField(default=list, help_text='Purpose keys, or ["*"] for all')
    resource_kind = models.CharField(max_length=20, choices=ResourceKind.choices)
    resource_key = models.CharField(max_length=600)
    effect = models.CharField(max_length=5, choices=Effect.choices)
    obligations = models.JSONField(default=list, blank=True, validators=[validate_obligations])
    upstream_mode = models.CharField(
        max_length=4, choices=UpstreamMode.choices, default=UpstreamMode.DENY
    )
    aggregation_deidentifies = models.BooleanField(
        default=False,
        help_text="Classifications that reached a field only through aggregations do not apply",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    justification = models.TextField()
    status = models.CharField(
        max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "access policies"
        permissions = [
            ("consult_fields", "May consult fields for its own use"),
            ("simulate_consult", "May run what-if consults for any consumer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consumer__isnull=True) ^ models.Q(group__isnull=True),
                name="accesspolicy_one_subject",
                violation_error_message="A policy names either a consumer or a group.",
            ),
        ]
        indexes = [
            # snapshot compilation loads approved policies only
            models.Index(fields=["status"], name="accesspolicy_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}" if self.pk else self.name

    @property
    def subject_name(self) -> str:
        return self.consumer.get_username() if self.consumer_id else f"group {self.group.name}"

    @property
    def sentence(self) -> str:
        """The policy in words: "cdp-unification may use field crm:public.contacts.email for
        profile_unification, masked with sha256, until 2027-06-30."."""
        verb = "may use" if self.effect == Effect.ALLOW else "may not use"
        kind = RESOURCE_NOUNS.get(self.resource_kind, self.resource_kind)
        purposes = (
            "any purpose" if self.purposes == [ALL_PURPOSES] else " or ".join(self.purposes or [])
        )
        text = f"{self.subject_name} {verb} {kind} {self.resource_key} for {purposes}"
        for item in self.obligations or []:
            if item.get("type") == "mask":
                text += f", masked with {item.get('method')}"
            elif item.get("type") == "aggregate_only":
                size = item.get("min_group_size")
                text += ", in aggregates only" + (f" (groups of {size} or more)" if size else "")
        if self.valid_from:
            text += f", from {timezone.localdate(self.valid_from):%Y-%m-%d}"
        if self.valid_until:
            text += f", until {timezone.localdate(self.valid_until):%Y-%m-%d}"
        return text + "."

    def clean(self) -> None:
        errors = {}
        if (
            not isinstance(self.purposes, list)
            or not self.purposes
            or not all(isinstance(p, str) and p for p in self.purposes)
        ):
            errors["purposes"] = (
                'List one or more purpose keys (strings), or ["*"] for all purposes.'
            )
        elif self.purposes != [ALL_PURPOSES]:
            known = set(Purpose.objects.filter(active=True).values_list("key", flat=True))
            unknown = [p for p in self.purposes if p not in known]
            if unknown:
                errors["purposes"] = (
                    f"Unknown or inactive purpose(s): {', '.join(map(str, unknown))}; "
                    "use the managed purpose list or ['*']."
                )
        if self.resource_kind and self.resource_key:
            try:
                self.resource_key = resolve_resource(self.resource_kind, self.resource_key)
            except ValidationError as exc:
                errors["resource_key"] = exc.messages
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = "valid_until must be after valid_from."
        if self.effect == Effect.DENY and self.obligations:
            errors["obligations"] = "A deny policy carries no obligations."
        if not (self.justification or "").strip():
            errors["justification"] = "Say why this policy is needed."
        if errors:
            raise ValidationError(errors)


class DecisionLog(AppendOnlyModel):
    """One consult decision: who asked, for what purpose, about which field, and the answer.
    Written in bulk per request (services.log_decisions); never updated."""

    at = models.DateTimeField(default=timezone.now)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    consumer_name = models.CharField(max_length=150)
    simulated_by = models.CharField(
        max_length=150, blank=True, help_text="Committee member who ran a what-if"
    )
    purpose = models.CharField(max_length=60)
    field_ref = models.CharField(max_length=600)
    field_id = models.BigIntegerField(null=True)
    decision = models.CharField(max_length=24, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    policy_ids = models.JSONField(default=list)
    catalog_version = models.BigIntegerField()
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # "who used this field, when, for what?"
            models.Index(fields=["field_ref", "-id"], name="decisionlog_field_idx"),
            # "what did this consumer use?"
            models.Index(fields=["consumer_name", "-id"], name="decisionlog_consumer_idx"),
            # time-range filter
            models.Index(fields=["at"], name="decisionlog_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer_name} {self.purpose} {self.field_ref}: {self.decision}"


class DecisionChange(models.Model):
    """What a committed change may alter in consult decisions, written by the audit listener
    (consult/changes.py) in the change's own transaction, at its catalog version. A process
    answering consults reads the rows between the version it has applied and the current one
    and refreshes only what they name; a change that can alter no decision writes no row."""

    catalog_version = models.BigIntegerField()
    # field (a field id), definition (a definition id), definition_key, policy (an id),
    # job (an id: its edges' trust), purpose, new (fields were added), all
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["catalog_version"], name="decisionchange_version_idx")]

    def __str__(self) -> str:
        return f"{self.catalog_version} {self.kind} {self.key}"
