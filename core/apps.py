from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.contrib.auth import get_user_model

        from core import roles
        from core.models import ApiToken
        from core.permissions import register_audit_readers

        roles.register(roles.ROLE_PERMISSIONS)
        # A token's or an account's audit rows are their owner's (and administrators').
        User = get_user_model()
        register_audit_readers(
            {
                ApiToken: lambda user: ApiToken.objects.filter(user=user),
                User: lambda user: User.objects.filter(pk=user.pk),
            }
        )
        _list_choices_in_model_errors()
        # Runs once after all apps are migrated (sender=self limits it to one call per migrate).
        post_migrate.connect(roles.sync_role_permissions, sender=self, dispatch_uid="core-roles")


def _list_choices_in_model_errors() -> None:
    """A model's own refusal of a value outside its choices (full_clean, as the imports and the
    admin run it) lists the values it takes, in the words the API uses. Only the message
    changes: `error_messages` set after a field is built is not part of its migration state."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            choices = getattr(field, "choices", None)
            if not choices or not hasattr(field, "error_messages"):
                continue
            values = ", ".join(str(value) for value, _ in field.flatchoices)
            field.error_messages = {
                **field.error_messages,
                "invalid_choice": '"%(value)s" is not a valid choice; choose one of: '
                + values.replace("%", "%%")
                + ".",
            }
