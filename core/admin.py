"""Admin bases: writes go through the same audited services as the API."""

from django.contrib import admin, messages

from core.audit import Actor
from core.models import ApiToken, ChangeRecord
from core.services import create_object, delete_object, revoke_token, update_object


class AuditedModelAdmin(admin.ModelAdmin):
    """Saves and deletes through the app's service (or the generic audited writes), so the admin
    leaves the same audit records and enforces the same rules as the API."""

    service = None

    def _actor(self, request) -> Actor:
        return Actor.from_request(request, reason="via admin")

    def save_model(self, request, obj, form, change):
        actor = self._actor(request)
        names = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
        if change:
            data = {name: getattr(obj, name) for name in form.changed_data if name in names}
            current = type(obj).objects.get(pk=obj.pk)
            update = (
                self.service.update if self.service else (lambda a, o, d: update_object(a, o, d))
            )
            saved = update(actor, current, data)
        else:
            data = {
                f.name: getattr(obj, f.name)
                for f in obj._meta.concrete_fields
                if not f.primary_key and f.editable
            }
            create = (
                self.service.create
                if self.service
                else (lambda a, d: create_object(a, type(obj), d))
            )
            saved = create(actor, data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        delete = self.service.delete if self.service else delete_object
        delete(self._actor(request), obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only services write (audit records, versions, edges): the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id", "request_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = [
        "user",
        "prefix",
        "created_at",
        "revoked_at",
        "last_used_at",
        "name",
        "expires_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Tokens are issued with `manage.py issue_token` or POST /api/v1/tokens/, which show
        # the raw token once.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        actor = Actor.from_request(request, reason="via admin")
        for token in queryset:
            revoke_token(actor, token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)
