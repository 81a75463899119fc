from django.apps import AppConfig


class LineageConfig(AppConfig):
    name = "lineage"
    verbose_name = "Lineage"

    def ready(self):
        from core import roles
        from core.permissions import readable_by_grants, register_audit_readers
        from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge
        from lineage.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(
            {
                EtlJob: readable_by_grants(EtlJob),
                EtlJobVersion: readable_by_grants(EtlJobVersion, ("job",)),
                LineageEdge: readable_by_grants(LineageEdge, ("job",)),
                DatasetEdge: readable_by_grants(DatasetEdge, ("job",)),
            }
        )
