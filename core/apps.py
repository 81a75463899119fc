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
        # Runs once after all apps are migrated (sender=self limits it to one call per migrate).
        post_migrate.connect(roles.sync_role_permissions, sender=self, dispatch_uid="core-roles")
