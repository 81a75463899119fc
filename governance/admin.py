"""The admin shows the same workflow as the API, with no way around it: statuses are read-only,
every transition is an admin action calling the same services, and writes are audited."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from core.admin import AuditedModelAdmin, ReadOnlyAdmin
from core.audit import Actor
from governance import services
from governance.models import (
    Committee,
    CommitteeMembership,
    ConflictResolution,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Ownership,
    Review,
    StatusChange,
    Vote,
)
from governance.workflow import WorkflowError, transition


def run_transition(modeladmin, request, queryset, name: str, fire) -> None:
    """Fire `name` on each selected row through the services; report each failure."""
    actor = Actor.from_request(request, reason="via admin")
    done = 0
    for obj in queryset:
        try:
            fire(actor, obj, name)
            done += 1
        except (WorkflowError, ValidationError) as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{name}: {done} done.", messages.SUCCESS)


def transition_action(name: str, fire, description: str):
    def run(modeladmin, request, queryset):
        run_transition(modeladmin, request, queryset, name, fire)

    run.__name__ = name
    return admin.action(description=description)(run)


def _definition_step(actor, definition, name):
    return services.definition_transition(actor, definition, name)


class VersionInline(admin.TabularInline):
    model = DefinitionVersion
    fields = ["number", "status", "name", "tax", "discount", "currency", "grain", "author"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FieldDefinition)
class FieldDefinitionAdmin(AuditedModelAdmin):
    list_display = ["key", "domain", "owner", "steward", "last_certified_at", "replaced_by"]
    list_filter = ["domain"]
    search_fields = ["key", "versions__name"]
    fields = [
        "key",
        "domain",
        "owner",
        "steward",
        "owning_team",
        "review_interval_months",
        "last_certified_at",
        "last_certified_by",
        "replaced_by",
        "sunset_date",
    ]
    readonly_fields = [
        "key",
        "last_certified_at",
        "last_certified_by",
        "replaced_by",
        "sunset_date",
    ]
    inlines = [VersionInline]
    actions = [
        transition_action(n, _definition_step, f"{n.capitalize()} the selected definitions")
        for n in ("submit", "withdraw", "recertify", "retire")
    ]

    class service:  # noqa: N801  (AuditedModelAdmin's hook: an object with update)
        update = staticmethod(services.update_definition)

    def has_add_permission(self, request):
        # A definition starts with its meaning: POST /api/v1/governance/definitions/.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DefinitionVersion)
class DefinitionVersionAdmin(ReadOnlyAdmin):
    list_display = ["definition", "number", "status", "name", "author", "submitted_at"]
    list_filter = ["status", "definition__domain"]
    search_fields = ["definition__key", "name"]


@admin.register(FieldMapping)
class FieldMappingAdmin(ReadOnlyAdmin):
    list_display = ["field", "definition", "status", "conversion_note", "author"]
    list_filter = ["status"]
    search_fields = ["definition__key", "field__name"]
    actions = [
        transition_action(n, transition, f"{n.capitalize()} the selected mappings")
        for n in ("submit", "withdraw", "retire")
    ]


class VoteInline(admin.TabularInline):
    model = Vote
    fields = ["voter", "choice", "comment", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Votes and overrides go through the API (an override needs its reason)."""

    list_display = ["id", "summary", "committee", "status", "opened_at", "decided_at", "overridden"]
    list_filter = ["status", "committee", "overridden"]
    inlines = [VoteInline]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "content_type",
        "object_id",
        "transition",
        "from_status",
        "to_status",
        "via",
        "actor_name",
    ]
    list_filter = ["via", "transition", "content_type"]


class MembershipInline(admin.TabularInline):
    model = CommitteeMembership
    fields = ["user", "role"]
    extra = 1


@admin.register(Committee)
class CommitteeAdmin(AuditedModelAdmin):
    list_display = ["name", "domains", "min_approvals", "no_rejection"]
    inlines = [MembershipInline]

    class service:  # noqa: N801
        @staticmethod
        def create(actor, data):
            return services.save_committee(actor, None, data)

        @staticmethod
        def update(actor, committee, data):
            return services.save_committee(actor, committee, data)

    def save_formset(self, request, form, formset, change):
        # Members through the service, so the change is audited like any other.
        members = [
            (f.cleaned_data["user"], f.cleaned_data.get("role") or "member")
            for f in formset.forms
            if f.cleaned_data.get("user") and not f.cleaned_data.get("DELETE")
        ]
        committee = Committee.objects.get(pk=form.instance.pk)
        services.save_committee(
            Actor.from_request(request, reason="via admin"), committee, {}, members
        )


@admin.register(Ownership)
class OwnershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "system", "dataset", "created_at"]
    list_filter = ["role"]


@admin.register(ConflictResolution)
class ConflictResolutionAdmin(ReadOnlyAdmin):
    list_display = ["summary", "kind", "resolved_by", "resolved_at"]
