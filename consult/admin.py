"""Consult in the admin: the same audited services as the API. Policy status moves only through
the governance workflow (API actions), so it is read-only here; the decision log is read-only."""

from django.contrib import admin

from consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    FieldClassification,
    Purpose,
)
from consult.services import PolicyService
from core.admin import AuditedModelAdmin, ReadOnlyAdmin


@admin.register(Classification)
class ClassificationAdmin(AuditedModelAdmin):
    list_display = ["key", "name", "propagates"]
    search_fields = ["key", "name"]


@admin.register(Purpose)
class PurposeAdmin(AuditedModelAdmin):
    list_display = ["key", "name", "active"]
    search_fields = ["key", "name"]


@admin.register(AccessPolicy)
class AccessPolicyAdmin(AuditedModelAdmin):
    service = PolicyService
    list_display = [
        "id",
        "name",
        "consumer",
        "group",
        "resource_kind",
        "resource_key",
        "effect",
        "status",
    ]
    list_filter = ["status", "effect", "resource_kind"]
    search_fields = ["name", "resource_key", "justification"]
    readonly_fields = ["status", "author", "decided_by", "decided_at"]


@admin.register(FieldClassification)
class FieldClassificationAdmin(admin.ModelAdmin):
    list_display = ["field", "classification", "state", "decided_by"]
    list_filter = ["state", "classification"]

    def has_add_permission(self, request):
        return False  # through the API, which checks what propagated

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DefinitionClassification)
class DefinitionClassificationAdmin(AuditedModelAdmin):
    list_display = ["definition_key", "classification"]


@admin.register(DecisionLog)
class DecisionLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "consumer_name", "purpose", "field_ref", "decision", "simulated_by"]
    list_filter = ["decision", "purpose"]
    search_fields = ["field_ref", "consumer_name"]
