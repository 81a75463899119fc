"""Lineage models: ETL jobs, their immutable SQL versions and the stored lineage graph.

Two edge tables rather than one with nullable ends: `LineageEdge` links catalog fields (the
column-level graph the queries walk), `DatasetEdge` links datasets (table-level lineage, known
even for statements whose columns could not be traced). Both belong to a job and record the
job version that produced them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from catalog.models import Dataset, Field, SourceSystem
from core.models import AppendOnlyModel, KeyedQuerySet, TimeStampedModel
from lineage.choices import (
    Dialect,
    EdgeType,
    NamespaceStatus,
    ParseStatus,
    SubmissionAction,
    SubmissionPhase,
    SubmissionStatus,
    VersionOrigin,
    WaitingStatus,
)

job_key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]*\Z",
    "A job key is a slug: lower-case letters, digits, '-', '_' and '.', "
    "starting with a letter or digit.",
)


class EtlJob(TimeStampedModel):
    audit_name = "job"

    key = models.CharField(max_length=100, validators=[job_key_validator])
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="etl_jobs",
    )
    system = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="etl_jobs",
        help_text="Where the job runs and its default system: table names resolve to its "
        "datasets first, and a table found nowhere is registered here as discovered.",
    )
    search_path = models.JSONField(
        default=list,
        blank=True,
        help_text="System keys searched in order after the job's own system, for table names "
        "that are not in it (a name found in several systems outside it is an error).",
    )
    dialect = models.CharField(max_length=20, choices=Dialect.choices, default=Dialect.ANSI)
    schedule = models.CharField(max_length=100, blank=True, help_text="e.g. 'daily 02:00'")
    description = models.TextField(blank=True)
    current_version = models.ForeignKey(
        "EtlJobVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The version whose lineage is in force (the last one that parsed).",
    )

    objects = KeyedQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                Lower("key"),
                name="etljob_key_ci_unique",
                violation_error_code="unique",
                violation_error_message="A job with this key already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def clean_fields(self, exclude=None) -> None:
        if self.key:
            self.key = self.key.strip().lower()
        super().clean_fields(exclude)

    def clean(self) -> None:
        path = self.search_path
        if path is None:
            path = self.search_path = []
        if not isinstance(path, list) or not all(isinstance(k, str) for k in path):
            raise ValidationError({"search_path": "A list of system keys, in search order."})
        keys = [k.strip().lower() for k in path]
        problems = []
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f"{key!r} is listed twice.")
        if self.system_id is not None and self.system.key in keys:
            problems.append(
                f"{self.system.key!r} is the job's own system, which is always searched first."
            )
        known = set(SourceSystem.objects.filter(key__in=keys).values_list("key", flat=True))
        unknown = [k for k in keys if k not in known]
        if unknown:
            problems.append(f"No system {', '.join(repr(k) for k in unknown)}.")
        if problems:
            raise ValidationError({"search_path": problems})
        self.search_path = keys


class EtlJobVersion(AppendOnlyModel):
    """One submission of a job's SQL (or one OpenLineage event) with what the parser made of it.
    Written once; removed only with its job (the audit trail keeps a copy of every row)."""

    audit_name = "job_version"

    removable_with_parent = True

    job = models.ForeignKey(EtlJob, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    origin = models.CharField(max_length=20, choices=VersionOrigin.choices)
    sql = models.TextField(blank=True)
    dialect = models.CharField(max_length=20, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_by_name = models.CharField(max_length=150)
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ParseStatus.choices)
    errors = models.JSONField(default=list, help_text="[{statement, line, column, message}]")
    warnings = models.JSONField(default=list, help_text="[{statement, message}]")
    result = models.JSONField(default=dict, help_text="The parser's output for this SQL")
    payload = models.JSONField(null=True, blank=True, help_text="The OpenLineage event, if any")
    edge_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["job_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="etljobversion_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job.key} v{self.number}"

    def permission_parents(self):
        return [self.job]


class SqlSubmission(models.Model):
    """A script submitted for asynchronous parsing (a new version or a pre-change check), run by
    a task (lineage.tasks) and polled by its submitter. Its progress is written as it parses."""

    job = models.ForeignKey(EtlJob, on_delete=models.CASCADE, related_name="submissions")
    action = models.CharField(max_length=10, choices=SubmissionAction.choices)
    sql = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED
    )
    phase = models.CharField(max_length=10, choices=SubmissionPhase.choices, blank=True)
    statements_done = models.PositiveIntegerField(default=0)
    statements_total = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text="The check's report, if any")
    version = models.ForeignKey(
        EtlJobVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.JSONField(null=True, blank=True, help_text="{status, code, message, errors}")
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(
        max_length=300, blank=True, help_text="host:pid of the process running it"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of its worker (start, progress)"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # a caller's own submissions, newest first (GET /lineage/submissions/)
            models.Index(
                fields=["submitted_by", "-submitted_at"], name="sqlsubmission_by_user_idx"
            ),
            # the sweep of running submissions whose worker died, and the pruning of old ones
            models.Index(fields=["status", "heartbeat_at"], name="sqlsubmission_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.job.key} #{self.pk}"


class LineageEdge(models.Model):
    audit_name = "edge"

    source = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="downstream_edges")
    target = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="upstream_edges")
    type = models.CharField(max_length=10, choices=EdgeType.choices)
    subtype = models.CharField(max_length=30, blank=True)
    expression = models.TextField(blank=True)
    masking = models.BooleanField(default=False)
    job = models.ForeignKey(EtlJob, on_delete=models.CASCADE, related_name="edges")
    job_version = models.ForeignKey(EtlJobVersion, on_delete=models.CASCADE, related_name="edges")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "source", "target", "type", "subtype"],
                name="lineageedge_unique_per_job",
            ),
        ]
        indexes = [
            # upstream of a field (edge list filter `target`, pre-change check)
            models.Index(fields=["target", "source"], name="lineageedge_target_idx"),
            # downstream of a field (edge list filter `source`)
            models.Index(fields=["source", "target"], name="lineageedge_source_idx"),
        ]

    def __str__(self) -> str:
        # By reference, not id: audit records outlive the fields' ids. Load the ends with
        # select_related("source__dataset__system", "target__dataset__system").
        return f"{self.source.ref} -> {self.target.ref} ({self.type})"

    def permission_parents(self):
        return [self.job]


class DatasetEdge(models.Model):
    audit_name = "dataset_edge"

    source = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="downstream_edges")
    target = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="upstream_edges")
    job = models.ForeignKey(EtlJob, on_delete=models.CASCADE, related_name="dataset_edges")
    job_version = models.ForeignKey(
        EtlJobVersion, on_delete=models.CASCADE, related_name="dataset_edges"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "source", "target"], name="datasetedge_unique_per_job"
            ),
        ]
        indexes = [
            # upstream of a dataset (a walk's level upstream)
            models.Index(fields=["target", "source"], name="datasetedge_target_idx"),
            # downstream of a dataset (a walk's level downstream)
            models.Index(fields=["source", "target"], name="datasetedge_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source.ref} -> {self.target.ref}"

    def permission_parents(self):
        return [self.job]


class UnmappedNamespace(TimeStampedModel):
    """An OpenLineage dataset namespace no system lists: kept until a steward says which system
    it names, never guessed and never a new system. Resolving it adds it to that system's
    `openlineage_namespaces` and records the events waiting on it."""

    namespace = models.CharField(max_length=500, unique=True)
    status = models.CharField(
        max_length=10, choices=NamespaceStatus.choices, default=NamespaceStatus.PENDING
    )
    system = models.ForeignKey(
        SourceSystem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The system it was resolved to",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["namespace"]

    def __str__(self) -> str:
        return self.namespace


class WaitingEvent(TimeStampedModel):
    """An OpenLineage RunEvent that names a namespace no system lists, kept as received."""

    payload = models.JSONField()
    namespaces = models.ManyToManyField(UnmappedNamespace, related_name="events")
    status = models.CharField(
        max_length=10, choices=WaitingStatus.choices, default=WaitingStatus.WAITING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=150)
    version = models.ForeignKey(
        EtlJobVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # the events a resolved namespace releases, oldest first
            models.Index(fields=["status", "id"], name="waitingevent_status_idx"),
        ]

    def __str__(self) -> str:
        job = self.payload.get("job") or {}
        return f"{job.get('namespace')}/{job.get('name')} ({self.status})"
