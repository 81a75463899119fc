from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import roles

        roles.register(roles.ROLE_PERMISSIONS)
        # Runs once after all apps are migrated (sender=self limits it to one call per migrate).
        post_migrate.connect(roles.sync_role_permissions, sender=self, dispatch_uid="core-roles")
