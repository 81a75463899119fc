"""Admin for vendors: writes go through the audited services; contract versions are read-only
here and move only through the workflow actions (no way around the approval)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from core.admin import AuditedModelAdmin
from core.audit import Actor
from governance.workflow import WorkflowError
from vendors import services
from vendors.models import (
    ChangeNotice,
    ContractVersion,
    EscalationLevel,
    IntegrationContract,
    RaciAssignment,
    ServiceLevel,
    Vendor,
    VendorContact,
    VendorUser,
)


class ContactInline(admin.TabularInline):
    model = VendorContact
    extra = 0
    can_delete = False
    readonly_fields = ["name", "role", "email", "phone", "escalation_level"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vendor)
class VendorAdmin(AuditedModelAdmin):
    service = services.VendorService
    list_display = ["key", "name", "contract_reference", "active_from", "active_until"]
    search_fields = ["key", "name"]
    inlines = [ContactInline]


@admin.register(VendorContact)
class VendorContactAdmin(AuditedModelAdmin):
    service = services.ContactService
    list_display = ["name", "vendor", "role", "email", "phone", "escalation_level"]
    list_filter = ["vendor"]


@admin.register(VendorUser)
class VendorUserAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor"]
    readonly_fields = ["user", "vendor"]

    def has_add_permission(self, request):
        return False  # through services.add_vendor_user, which also sets the group


@admin.register(IntegrationContract)
class IntegrationContractAdmin(AuditedModelAdmin):
    service = services.ContractService
    list_display = ["key", "name", "vendor"]
    list_filter = ["vendor"]
    search_fields = ["key", "name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RaciInline(ReadOnlyInline):
    model = RaciAssignment


class SlaInline(ReadOnlyInline):
    model = ServiceLevel


class EscalationInline(ReadOnlyInline):
    model = EscalationLevel


def _workflow_action(fn, name, label):
    def run(modeladmin, request, queryset):
        actor = Actor.from_request(request, reason="via admin")
        for version in queryset:
            try:
                fn(actor, version, name)
            except (PermissionDenied, ValidationError, WorkflowError) as exc:
                modeladmin.message_user(request, f"{version}: {exc}", messages.ERROR)

    run.short_description = label
    run.__name__ = name
    return run


@admin.register(ContractVersion)
class ContractVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "source_system", "target_system", "mechanism"]
    list_filter = ["status", "mechanism", "contract__vendor"]
    inlines = [RaciInline, SlaInline, EscalationInline]
    actions = [
        _workflow_action(services.version_transition, "submit", "Submit for review"),
        _workflow_action(services.decide, "approve", "Vote to approve"),
        _workflow_action(services.version_transition, "activate", "Activate"),
        _workflow_action(services.version_transition, "expire", "Expire"),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChangeNotice)
class ChangeNoticeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "effective_date", "inside_notice_period", "status"]
    list_filter = ["status", "inside_notice_period"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
