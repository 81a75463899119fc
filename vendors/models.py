"""Vendors, their contacts and their integration contracts: one contract per interface, its
content kept as numbered versions (RACI, SLAs, error handling, escalation), and the schema change
notices vendors file against it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from catalog.models import Dataset, Field, SourceSystem
from core.models import KeyedQuerySet, TimeStampedModel
from vendors.choices import (
    Activity,
    Direction,
    Mechanism,
    NoticeStatus,
    PartyKind,
    RaciRole,
    ResponseUnit,
    SlaMetric,
    Unit,
    VersionStatus,
)

key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    "A key is a slug: lower-case letters, digits, '-' and '_', starting with a letter or digit.",
)


class Vendor(TimeStampedModel):
    """An organisation that runs part of the pipeline. Its users act through the group
    `vendor:<key>`, which holds guardian grants on the vendor (and so on its contracts)."""

    audit_name = "vendor"

    key = models.CharField(max_length=50, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    contract_reference = models.CharField(
        max_length=100, blank=True, help_text="Reference of the commercial agreement"
    )
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def group_name(self) -> str:
        return f"vendor:{self.key}"

    def clean(self) -> None:
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValidationError({"active_until": "The active period ends before it starts."})


class VendorUser(models.Model):
    """Membership of a user in the one vendor it works for (the one-to-one makes it one)."""

    audit_name = "vendor_user"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_membership"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor}"

    def permission_parents(self):
        return [self.vendor]


class VendorContact(TimeStampedModel):
    audit_name = "vendor_contact"

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 is the first line"
    )

    class Meta:
        ordering = ["vendor__key", "escalation_level", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor.key})" if self.vendor_id else self.name

    def clean(self) -> None:
        if not (self.email or self.phone):
            raise ValidationError({"email": f"Contact {self.name!r} needs an e-mail or a phone."})

    def permission_parents(self):
        return [self.vendor]


class IntegrationContract(TimeStampedModel):
    """One interface a vendor runs. What it says lives in its versions; the active one is in
    force until a newer version is activated."""

    audit_name = "contract"

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    key = models.CharField(max_length=80, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def permission_parents(self):
        return [self.vendor]

    @property
    def effective_version(self) -> ContractVersion | None:
        return self.versions.filter(status=VersionStatus.ACTIVE).first()


class ContractVersionQuerySet(models.QuerySet):
    def by_ref(self, value: str) -> models.QuerySet:
        """The version named `contract-key@number`; a ValueError when malformed."""
        key, at, number = str(value).strip().lower().rpartition("@")
        if not at or not key or not number.isdigit():
            raise ValueError(f"{value!r} is not a contract version: expected 'contract@number'.")
        return self.filter(contract__key=key, number=int(number))


class ContractVersion(TimeStampedModel):
    audit_name = "contract_version"

    contract = models.ForeignKey(
        IntegrationContract, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The interface
    source_system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="+")
    target_system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(
        max_length=20, choices=Direction.choices, default=Direction.INBOUND
    )
    mechanism = models.CharField(max_length=20, choices=Mechanism.choices)
    endpoint = models.CharField(max_length=500, blank=True, help_text="URL, path or location")
    data_format = models.CharField(max_length=100, blank=True)
    schedule = models.CharField(max_length=200, blank=True)
    expected_volume = models.CharField(max_length=200, blank=True)
    datasets = models.ManyToManyField(Dataset, blank=True, related_name="+")
    fields = models.ManyToManyField(Field, blank=True, related_name="+")
    lineage_jobs = models.JSONField(
        default=list, blank=True, help_text="Keys of the ETL jobs that implement the interface"
    )
    # Error handling
    error_detection = models.TextField(blank=True)
    retry_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_backoff = models.CharField(max_length=200, blank=True)
    quarantine = models.TextField(blank=True, help_text="What happens to bad records")
    replay_procedure = models.TextField(blank=True)
    notify_party = models.CharField(max_length=200, blank=True)
    notify_within_minutes = models.PositiveIntegerField(null=True, blank=True)
    schema_change_notice_days = models.PositiveIntegerField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)

    objects = ContractVersionQuerySet.as_manager()

    class Meta:
        ordering = ["contract__key", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="contractversion_number_unique"
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(status="active"),
                name="contractversion_one_active",
                violation_error_code="unique",
                violation_error_message="A contract has at most one active version.",
            ),
        ]
        indexes = [
            # the responsibility overview and lineage lookups: versions in force per system
            models.Index(fields=["status", "target_system"], name="contractversion_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.key}@{self.number}" if self.contract_id else f"@{self.number}"

    @property
    def ref(self) -> str:
        return str(self)

    def permission_parents(self):
        return [self.contract, self.contract.vendor]

    def clean(self) -> None:
        if self.effective_from and self.effective_until:  # noqa: SIM102
            if self.effective_until < self.effective_from:
                raise ValidationError({"effective_until": "The version ends before it starts."})
        if self.notify_within_minutes is not None and not self.notify_party:
            raise ValidationError(
                {"notify_party": "Error handling says 'notify within' but not whom to notify."}
            )


class RaciAssignment(models.Model):
    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="raci")
    activity = models.CharField(max_length=30, choices=Activity.choices)
    role = models.CharField(max_length=1, choices=RaciRole.choices)
    party_kind = models.CharField(max_length=10, choices=PartyKind.choices)
    party = models.CharField(
        max_length=200, blank=True, help_text="Team name; empty means the vendor itself"
    )

    class Meta:
        ordering = ["version", "activity", "role", "id"]

    def __str__(self) -> str:
        return f"{self.activity} {self.role} {self.party_label}"

    @property
    def party_label(self) -> str:
        if self.party_kind == PartyKind.VENDOR:
            return self.party or self.version.contract.vendor.name
        return self.party

    def clean(self) -> None:
        if self.party_kind == PartyKind.TEAM and not self.party.strip():
            raise ValidationError(
                {"party": f"{Activity(self.activity).label}: name the internal team."}
            )


class ServiceLevel(models.Model):
    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="slas")
    metric = models.CharField(max_length=30, choices=SlaMetric.choices)
    target = models.DecimalField(max_digits=12, decimal_places=3)
    # Blank allowed so that clean() can say which SLA lacks its unit.
    unit = models.CharField(max_length=20, choices=Unit.choices, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "metric", "id"]

    def __str__(self) -> str:
        return f"{self.metric} {self.target} {self.unit}"

    @property
    def target_text(self) -> str:
        """The target without trailing zeros: 99.5, not 99.500."""
        return format(Decimal(str(self.target)).normalize(), "f")

    def clean(self) -> None:
        if not self.unit:
            metric = str(SlaMetric(self.metric).label)
            raise ValidationError({"unit": f"SLA {metric!r} ({self.target_text}) has no unit."})


class EscalationLevel(models.Model):
    version = models.ForeignKey(
        ContractVersion, on_delete=models.CASCADE, related_name="escalation"
    )
    level = models.PositiveSmallIntegerField()
    contact = models.ForeignKey(
        VendorContact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal_contact = models.CharField(
        max_length=200, blank=True, help_text="An internal person or team, if not a vendor contact"
    )
    response_time = models.PositiveIntegerField()
    # Blank allowed so that clean() can say which level lacks its unit.
    response_unit = models.CharField(max_length=20, choices=ResponseUnit.choices, blank=True)

    class Meta:
        ordering = ["version", "level"]

    def __str__(self) -> str:
        return f"level {self.level}"

    @property
    def contact_label(self) -> str:
        return str(self.contact.name) if self.contact_id else self.internal_contact

    def clean(self) -> None:
        errors = {}
        if not self.contact_id and not self.internal_contact.strip():
            errors["contact"] = f"Escalation level {self.level} has no contact."
        if not self.response_unit:
            errors["response_unit"] = (
                f"Escalation level {self.level}: the response time needs a unit "
                "(minutes, hours or days)."
            )
        if errors:
            raise ValidationError(errors)


class ChangeNotice(TimeStampedModel):
    """A vendor's announcement of a schema change on an interface, with the impact computed
    from lineage when it was filed."""

    audit_name = "notice"

    contract = models.ForeignKey(
        IntegrationContract, on_delete=models.PROTECT, related_name="notices"
    )
    version = models.ForeignKey(
        ContractVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField()
    effective_date = models.DateField()
    changes = models.JSONField(default=list)
    impact = models.JSONField(default=dict, blank=True)
    inside_notice_period = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the committee agenda: open notices
            models.Index(fields=["status", "effective_date"], name="changenotice_status_idx"),
        ]

    def __str__(self) -> str:
        return f"notice {self.pk} on {self.contract.key}" if self.contract_id else "notice"

    def permission_parents(self):
        return [self.contract, self.contract.vendor]
