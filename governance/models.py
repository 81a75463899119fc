"""Governance models: committees, field definitions and their immutable versions, mappings of
catalog fields to definitions, and the generic review machinery (reviews, votes, status history)
that every governed object goes through (see governance/workflow.py)."""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel, KeyedQuerySet, TimeStampedModel
from core.text import show_phrase
from governance.choices import (
    CommitteeRole,
    Consequence,
    DiscountTreatment,
    Domain,
    Grain,
    MappingStatus,
    OwnerRole,
    ReviewStatus,
    Sensitivity,
    SubjectKind,
    TaxTreatment,
    VersionStatus,
    Via,
    VoteChoice,
)

USER = settings.AUTH_USER_MODEL

definition_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*\Z",
    _("A definition key is a slug: lower-case letters, digits and '_', starting with a letter."),
)
currency_validator = RegexValidator(r"^[A-Z]{3}\Z", _("A currency is an ISO 4217 code, e.g. TWD."))

# The version that is in force: exactly one per definition at most (a database constraint).
EFFECTIVE_STATUSES = (
    VersionStatus.APPROVED,
    VersionStatus.NEEDS_REVIEW,
    VersionStatus.DEPRECATED,
)
# Work in progress: at most one per definition.
PENDING_STATUSES = (
    VersionStatus.DRAFT,
    VersionStatus.IN_REVIEW,
    VersionStatus.CHANGES_REQUESTED,
)
# A version whose content may still change; anything submitted or decided is frozen.
EDITABLE_STATUSES = (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED)
# Versions every authenticated user with a role may read: the ones approved at some point.
PUBLISHED_STATUSES = (*EFFECTIVE_STATUSES, VersionStatus.RETIRED, VersionStatus.SUPERSEDED)

# The structured attributes that make two definitions comparable by machine.
ATTRIBUTES = (
    "data_type",
    "unit",
    "currency",
    "tax",
    "discount",
    "grain",
    "calculation_rule",
    "allowed_values",
    "example_values",
    "sensitivity",
    "synonyms",
)
# The name and description in English and in Traditional Chinese (the committee reads both).
TEXT_FIELDS = ("name", "name_zh", "description", "description_zh")
CONTENT_FIELDS = (*TEXT_FIELDS, *ATTRIBUTES)
# What a mapping may state about the physical field it maps (compared for conflicts).
SEMANTIC_KEYS = ("data_type", "unit", "currency", "tax", "discount", "grain")
_SEMANTIC_CHOICES = {
    "tax": TaxTreatment.values,
    "discount": DiscountTreatment.values,
    "grain": Grain.values,
}


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class Committee(TimeStampedModel):
    """Reviews the definitions of the domains it governs, under a quorum rule."""

    audit_name = "committee"

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    domains = models.JSONField(
        default=list, blank=True, help_text="Domains whose definitions this committee reviews"
    )
    min_approvals = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Approvals needed for a decision",
    )
    no_rejection = models.BooleanField(
        default=False, help_text="A single reject vote rejects the proposal"
    )
    review_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days a review may stay open before it is overdue",
    )
    members = models.ManyToManyField(
        USER, through="CommitteeMembership", related_name="committees", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="committee_name_ci_unique",
                violation_error_code="unique",
                violation_error_message=_("A committee with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(min_approvals__gte=1), name="committee_min_approvals_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.domains, list) or not all(isinstance(d, str) for d in self.domains):
            raise ValidationError({"domains": "Expected a list of domain names."})
        unknown = sorted(set(self.domains) - set(Domain.values))
        if unknown:
            raise ValidationError(
                {
                    "domains": f"Unknown domain(s): {', '.join(unknown)}; "
                    f"choose from {', '.join(Domain.values)}."
                }
            )
        for other in Committee.objects.exclude(pk=self.pk):
            taken = sorted(set(self.domains) & set(other.domains))
            if taken:
                raise ValidationError(
                    {"domains": f"Domain(s) {', '.join(taken)} already governed by {other}."}
                )

    @classmethod
    def for_domain(cls, domain: str) -> Committee | None:
        return next((c for c in cls.objects.all() if domain in c.domains), None)

    def is_member(self, user) -> bool:
        # .all() so a prefetched membership list (review listings) answers without a query.
        return user is not None and any(m.user_id == user.pk for m in self.memberships.all())


class DecisionRule(models.Model):
    """How a committee decides one kind of subject, when it differs from the committee's
    default rule (its `min_approvals` and `no_rejection`): how many approvals decide, what one
    rejection or one request for changes does, and whether the subject's owners (a definition's
    owner and steward, a system's owners) may decide alone. A review keeps the rule it opened
    under, so changing a rule never moves the goalposts of an open review."""

    audit_name = "decision_rule"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="rules")
    subject_kind = models.CharField(max_length=20, choices=SubjectKind.choices)
    min_approvals = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    rejection = models.CharField(
        max_length=10, choices=Consequence.choices, default=Consequence.COUNTS
    )
    changes = models.CharField(
        max_length=10, choices=Consequence.choices, default=Consequence.COUNTS
    )
    owner_decides = models.BooleanField(
        default=False, help_text="The subject's owners may approve, reject or send back alone"
    )

    class Meta:
        ordering = ["committee", "subject_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "subject_kind"],
                name="decisionrule_once_per_kind",
                violation_error_code="unique",
                violation_error_message=_("This committee already has a rule for this kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee}: {self.subject_kind}"


class CommitteeMembership(models.Model):
    audit_name = "committee_membership"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="committee_memberships")
    role = models.CharField(
        max_length=10, choices=CommitteeRole.choices, default=CommitteeRole.MEMBER
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["committee", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], name="committeemembership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.committee}"


class FieldDefinition(TimeStampedModel):
    """A canonical field. Its meaning lives in its versions; this row holds who answers for it,
    how often it is recertified, and (once deprecated) what replaces it."""

    audit_name = "definition"

    key = models.CharField(max_length=100, unique=True, validators=[definition_key_validator])
    domain = models.CharField(max_length=20, choices=Domain.choices)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_definitions"
    )
    steward = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_definitions",
    )
    owning_team = models.CharField(max_length=200, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    last_certified_at = models.DateTimeField(null=True, blank=True)
    last_certified_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    sunset_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        indexes = [
            # the agenda's and the KPIs' "overdue recertification" scan
            models.Index(fields=["last_certified_at"], name="definition_certified_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if self.replaced_by_id and self.replaced_by_id == self.pk:
            raise ValidationError({"replaced_by": "A definition cannot replace itself."})

    # Picked from versions.all() so that a list view's prefetch_related("versions") serves them.
    def _version_in(self, statuses) -> DefinitionVersion | None:
        return next((v for v in self.versions.all() if v.status in statuses), None)

    @property
    def effective_version(self) -> DefinitionVersion | None:
        return self._version_in(EFFECTIVE_STATUSES)

    @property
    def pending_version(self) -> DefinitionVersion | None:
        return self._version_in(PENDING_STATUSES)

    @property
    def latest_version(self) -> DefinitionVersion | None:
        return max(self.versions.all(), key=lambda v: v.number, default=None)

    @property
    def recertification_due(self) -> datetime.datetime | None:
        if self.last_certified_at is None:
            return None
        return add_months(self.last_certified_at, self.review_interval_months)

    def permission_parents(self):
        return []


class DefinitionVersion(models.Model):
    """One immutable state of a definition's meaning. Content may change only while the version
    is a draft or changes were requested on it; from submission on it is frozen, and a change to
    an approved definition is a new version."""

    audit_name = "definition_version"

    definition = models.ForeignKey(
        FieldDefinition, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    name = models.CharField(max_length=200, help_text="The name in English")
    name_zh = models.CharField(
        "name (Traditional Chinese)", max_length=200, blank=True, help_text="名稱（繁體中文）"
    )
    description = models.TextField(help_text="The definition in plain language (English)")
    description_zh = models.TextField(
        "description (Traditional Chinese)", blank=True, help_text="定義說明（繁體中文）"
    )
    data_type = models.CharField(max_length=50, blank=True, help_text="e.g. decimal(12,2)")
    unit = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3, blank=True, validators=[currency_validator])
    tax = models.CharField("tax treatment", max_length=20, choices=TaxTreatment.choices, blank=True)
    discount = models.CharField(
        "discount treatment", max_length=20, choices=DiscountTreatment.choices, blank=True
    )
    grain = models.CharField(max_length=20, choices=Grain.choices, blank=True)
    calculation_rule = models.TextField(
        blank=True, help_text="An SQL expression over other definitions or fields"
    )
    allowed_values = models.JSONField(
        default=list, blank=True, help_text='A list of values, or a range {"min": .., "max": ..}'
    )
    example_values = models.JSONField(default=list, blank=True)
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    synonyms = models.JSONField(default=list, blank=True)
    change_note = models.TextField(blank=True, help_text="What this version changes, and why")
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="definitionversion_number_unique"
            ),
            models.UniqueConstraint(
                fields=["definition"],
                condition=Q(status__in=EFFECTIVE_STATUSES),
                name="definitionversion_one_effective",
                violation_error_code="unique",
            ),
            models.UniqueConstraint(
                fields=["definition"],
                condition=Q(status__in=PENDING_STATUSES),
                name="definitionversion_one_pending",
                violation_error_code="unique",
            ),
        ]
        indexes = [
            # consult and KPIs: the effective version of many definitions at once
            models.Index(fields=["status", "definition"], name="version_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number}"

    def save(self, *args, **kwargs):
        # The workflow saves status and timestamps only; content changes once frozen are a bug.
        update_fields = kwargs.get("update_fields")
        frozen = not self._state.adding and (
            update_fields is None or set(update_fields) & set(CONTENT_FIELDS)
        )
        if frozen:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored not in EDITABLE_STATUSES:
                raise ValidationError(f"Version {self} is {stored}: its content is immutable.")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        for name in ("synonyms", "example_values"):
            value = getattr(self, name)
            if not isinstance(value, list):
                errors[name] = "Expected a list."
        if isinstance(self.synonyms, list) and not all(
            isinstance(s, str) and s.strip() for s in self.synonyms
        ):
            errors["synonyms"] = "Synonyms are non-empty strings."
        allowed = self.allowed_values
        if isinstance(allowed, dict):
            if not set(allowed) <= {"min", "max"} or not allowed:
                errors["allowed_values"] = 'A range is {"min": .., "max": ..}.'
            elif {"min", "max"} <= set(allowed) and _gt(allowed["min"], allowed["max"]):
                errors["allowed_values"] = "The range's min is above its max."
        elif not isinstance(allowed, list):
            errors["allowed_values"] = 'Expected a list of values or {"min": .., "max": ..}.'
        if errors:
            raise ValidationError(errors)

    @property
    def attributes(self) -> dict:
        return {name: getattr(self, name) for name in ATTRIBUTES}

    @property
    def content(self) -> dict:
        """Everything a version says: its names and descriptions and its attributes."""
        return {name: getattr(self, name) for name in CONTENT_FIELDS}


def _gt(a, b) -> bool:
    try:
        return a > b
    except TypeError:
        return False


class FieldMapping(TimeStampedModel):
    """A catalog field implements a definition, with a note on any conversion. Approved through
    the same workflow as definitions (the definition's steward or owner may decide alone)."""

    audit_name = "mapping"

    field = models.ForeignKey(
        "catalog.Field", on_delete=models.PROTECT, related_name="definition_mappings"
    )
    definition = models.ForeignKey(
        FieldDefinition, on_delete=models.PROTECT, related_name="mappings"
    )
    status = models.CharField(
        max_length=20, choices=MappingStatus.choices, default=MappingStatus.DRAFT
    )
    conversion_note = models.TextField(
        blank=True, help_text="e.g. 'POS amount includes 5% VAT; net = amount / 1.05'"
    )
    semantics = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the physical field itself means, in the definitions' attribute terms "
        f"({', '.join(SEMANTIC_KEYS)})",
    )
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["definition__key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["field"],
                condition=Q(status=MappingStatus.APPROVED),
                name="fieldmapping_one_approved_per_field",
                violation_error_code="unique",
                violation_error_message=_("This field already has an approved mapping."),
            ),
            models.UniqueConstraint(
                fields=["field", "definition"],
                condition=~Q(status__in=[MappingStatus.REJECTED, MappingStatus.RETIRED]),
                name="fieldmapping_one_live_per_pair",
                violation_error_code="unique",
                violation_error_message=_("This field is already mapped to this definition."),
            ),
        ]
        indexes = [
            # read API: the approved mapping of a field, the approved fields of a definition
            models.Index(fields=["status", "field"], name="mapping_status_field_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field_id} -> {self.definition.key}"

    def clean(self) -> None:
        if not isinstance(self.semantics, dict):
            raise ValidationError({"semantics": "Expected an object."})
        unknown = sorted(set(self.semantics) - set(SEMANTIC_KEYS))
        if unknown:
            raise ValidationError(
                {
                    "semantics": f"Unknown key(s): {', '.join(unknown)}; "
                    f"allowed: {', '.join(SEMANTIC_KEYS)}."
                }
            )
        for key, allowed in _SEMANTIC_CHOICES.items():
            value = self.semantics.get(key)
            if value is not None and value not in allowed:
                raise ValidationError(
                    {"semantics": f"{key}: {value!r} is not one of {', '.join(allowed)}."}
                )

    def permission_parents(self):
        return [self.definition]


class Review(models.Model):
    """One round of review of a governed object (any model with a registered workflow): who
    decides (a committee under its quorum rule, and/or named approvers who may decide alone),
    the votes, and the decision."""

    audit_name = "review"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    summary = models.CharField(max_length=300, help_text="What is under review, at opening")
    # The same, as a phrase (core.text.Phrase) pages show in the reader's language.
    summary_phrase = models.JSONField(default=dict, blank=True)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    approvers = models.ManyToManyField(
        USER, blank=True, related_name="+", help_text="People who may decide alone"
    )
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    # The decision rule when the review opened (governance.rules): a later change of the rule
    # does not move the goalposts.
    subject_kind = models.CharField(max_length=20, choices=SubjectKind.choices, blank=True)
    min_approvals = models.PositiveSmallIntegerField(default=1)
    rejection = models.CharField(
        max_length=10, choices=Consequence.choices, default=Consequence.COUNTS
    )
    changes = models.CharField(
        max_length=10, choices=Consequence.choices, default=Consequence.COUNTS
    )
    owner_decides = models.BooleanField(default=False)
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the decision is due (the committee's review days)"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    overridden = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status=ReviewStatus.OPEN),
                name="review_one_open_per_subject",
                violation_error_code="unique",
            ),
        ]
        indexes = [
            # a subject's reviews (definition detail, history)
            models.Index(fields=["content_type", "object_id"], name="review_subject_idx"),
            # the agenda: a committee's open reviews
            models.Index(fields=["committee", "status"], name="review_committee_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Review #{self.pk}: {self.summary}"

    @property
    def title(self) -> str:
        """What is under review, in the reader's language (the API's language is English)."""
        return show_phrase(self.summary_phrase, self.summary)

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN

    @property
    def no_rejection(self) -> bool:
        """The committee's former rule flag: any rejection or request for changes closes it."""
        return self.rejection == Consequence.CLOSES and self.changes == Consequence.CLOSES


class Vote(models.Model):
    audit_name = "vote"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=20, choices=VoteChoice.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "voter"], name="vote_once_per_review"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.choice} on #{self.review_id}"


class StatusChange(AppendOnlyModel):
    """One transition of a governed object (healthchecks' Flip): from, to, who, when and why.
    Append-only; on PostgreSQL a trigger refuses updates and deletes."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    via = models.CharField(max_length=10, choices=Via.choices)
    actor = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    review = models.ForeignKey(
        Review,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # an object's history, oldest first
            models.Index(
                fields=["content_type", "object_id", "at"], name="statuschange_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        change = f"{self.transition} {self.from_status}->{self.to_status}"
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {change}"


class Ownership(models.Model):
    """An owner or steward of a catalog system or dataset; granted as guardian object perms."""

    audit_name = "ownership"

    system = models.ForeignKey(
        "catalog.SourceSystem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ownerships",
    )
    dataset = models.ForeignKey(
        "catalog.Dataset",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ownerships",
    )
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="ownerships")
    role = models.CharField(max_length=10, choices=OwnerRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(system__isnull=False, dataset__isnull=True)
                | Q(system__isnull=True, dataset__isnull=False),
                name="ownership_one_target",
                violation_error_message=_("An ownership names either a system or a dataset."),
            ),
            models.UniqueConstraint(
                fields=["system", "user", "role"], name="ownership_system_once"
            ),
            models.UniqueConstraint(
                fields=["dataset", "user", "role"], name="ownership_dataset_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.target}"

    @property
    def target(self):
        return self.system or self.dataset


class Meeting(models.Model):
    """A meeting of a committee. Its minutes are the record of the decisions taken since the
    meeting before it (the reviews decided in between, with their votes)."""

    audit_name = "meeting"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["committee", "-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "held_on"],
                name="meeting_once_a_day",
                violation_error_code="unique",
                violation_error_message=_("This committee already has a meeting on that day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee} {self.held_on:%Y-%m-%d}"


class ConflictResolution(models.Model):
    """A detected conflict the committee has looked at and settled (it leaves the open list)."""

    audit_name = "conflict_resolution"

    fingerprint = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=30)
    summary = models.CharField(max_length=300)
    note = models.TextField()
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-resolved_at", "-id"]

    def __str__(self) -> str:
        return self.summary
