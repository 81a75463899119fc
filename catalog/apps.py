from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from catalog.models import Dataset, Field, SourceSystem
        from catalog.roles import ROLE_PERMISSIONS
        from core import roles
        from core.permissions import readable_by_grants, register_audit_readers

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(
            {
                SourceSystem: readable_by_grants(SourceSystem),
                Dataset: readable_by_grants(Dataset, ("system",)),
                Field: readable_by_grants(Field, ("dataset", "dataset__system")),
            }
        )
