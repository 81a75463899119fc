from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog.roles import ROLE_PERMISSIONS
        from core import roles

        roles.register(ROLE_PERMISSIONS)
