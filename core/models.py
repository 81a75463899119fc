"""The shared kernel: abstract bases, the append-only audit trail, API tokens, catalog version."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.choices import ChangeAction
from core.errors import Conflict


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class KeyedQuerySet(models.QuerySet):
    """Rows named by a slug key (systems, jobs, definitions, vendors, ...): `by_ref("pos")`.
    Keys are stored lower-case, so the lookup is too. Catalog datasets and fields have their own
    reference syntax (catalog.models)."""

    key_field = "key"

    def by_ref(self, value: str) -> models.QuerySet:
        return self.filter(**{self.key_field: str(value).strip().lower()})

    def get_by_ref(self, value: str):
        return self.by_ref(value).get()


class AppendOnlyError(Conflict):
    """Raised on any attempt to change (or remove) a row that is written once."""

    code = "append_only"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are written once and never changed.")

    def delete(self):
        if not self.model.removable_with_parent:
            raise AppendOnlyError(f"{self.model.__name__} rows are never removed.")
        return super().delete()

    def _raw_delete(self, using):
        if not self.model.removable_with_parent:
            raise AppendOnlyError(f"{self.model.__name__} rows are never removed.")
        return super()._raw_delete(using)


class AppendOnlyModel(models.Model):
    """A row that is written once: the ORM refuses updates. Audit and decision-log rows are never
    removed either (on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE, see the
    migrations); a row that belongs to a parent (a job's SQL versions) sets
    `removable_with_parent` and goes when its parent is deleted."""

    removable_with_parent = False

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are written once and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self.removable_with_parent:
            raise AppendOnlyError(f"{type(self).__name__} rows are never removed.")
        return super().delete(*args, **kwargs)


class ChangeRecord(AppendOnlyModel):
    """One create, update, delete or transition of governed data, with who, why and what."""

    at = models.DateTimeField(default=timezone.now, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # DO_NOTHING, not SET_NULL: the row is never updated; actor_name keeps who it was.
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    # Frozen copy of the actor's username: the record stays readable after the user is gone.
    actor_name = models.CharField(max_length=150)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=ChangeAction.choices)
    object_type = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=500)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    catalog_version = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # "history of this object", the audit endpoint's object filter
            models.Index(fields=["object_type", "object_id", "-id"], name="change_object_idx"),
            # "what did this person change", the actor filter
            models.Index(fields=["actor_name", "-id"], name="change_actor_idx"),
            # "what did this one request change" (a bulk upsert writes thousands of rows)
            models.Index(fields=["request_id"], name="change_request_idx"),
            # time-range filter
            models.Index(fields=["at"], name="change_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class ChangeLink(AppendOnlyModel):
    """One more object a ChangeRecord is about. A bulk request writes one record per dataset,
    naming the fields it created or changed inside it (core.audit.record_groups), and one link
    per field, so "what happened to field X" finds the record by (object_type, object_id) as it
    finds a field's own records. The primary key is the lookup: no id column, no second index."""

    pk = models.CompositePrimaryKey("object_type", "object_id", "record")
    object_type = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    record = models.ForeignKey(
        ChangeRecord,
        # Both are written once, together, in one transaction, and never removed.
        on_delete=models.DO_NOTHING,
        related_name="links",
        db_constraint=False,
        db_index=False,
    )

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} in record {self.record_id}"


class CatalogVersion(models.Model):
    """A single counter bumped in the same transaction as every governed change. In-process
    caches (lineage graph, consult snapshot) compare it per request to know they are stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="catalogversion_single_row"),
        ]

    def __str__(self) -> str:
        return str(self.value)


TOKEN_PREFIX_LENGTH = 8


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored: the raw token is shown once, at creation."""

    audit_name = "token"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=TOKEN_PREFIX_LENGTH, help_text="First characters, to tell tokens apart"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @staticmethod
    def generate() -> str:
        return secrets.token_urlsafe(30)
