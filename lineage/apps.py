from django.apps import AppConfig


class LineageConfig(AppConfig):
    name = "lineage"
    verbose_name = "Lineage"

    def ready(self):
        from core import roles
        from lineage.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
