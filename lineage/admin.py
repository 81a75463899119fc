from django.contrib import admin
from guardian.admin import GuardedModelAdminMixin

from core.admin import AuditedModelAdmin, ReadOnlyAdmin
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge
from lineage.services import JobService


@admin.register(EtlJob)
class EtlJobAdmin(GuardedModelAdminMixin, AuditedModelAdmin):
    service = JobService
    list_display = ["key", "name", "system", "search_path", "dialect", "owner", "current_version"]
    list_filter = ["dialect", "system"]
    search_fields = ["key", "name", "description"]
    list_select_related = ["system", "owner", "current_version"]
    raw_id_fields = ["owner"]

    def get_readonly_fields(self, request, obj=None):
        # The key is the job's natural identifier (see services.update_job).
        return ["key"] if obj is not None else []


@admin.register(EtlJobVersion)
class EtlJobVersionAdmin(ReadOnlyAdmin):
    list_display = ["job", "number", "origin", "status", "edge_count", "submitted_by_name"]
    list_filter = ["status", "origin"]
    search_fields = ["job__key", "sql"]
    list_select_related = ["job"]


@admin.register(LineageEdge)
class LineageEdgeAdmin(ReadOnlyAdmin):
    list_display = ["source", "target", "type", "subtype", "masking", "job"]
    list_filter = ["type", "subtype", "masking"]
    search_fields = ["job__key", "source__name", "target__name"]
    list_select_related = ["source__dataset__system", "target__dataset__system", "job"]


@admin.register(DatasetEdge)
class DatasetEdgeAdmin(ReadOnlyAdmin):
    list_display = ["source", "target", "job"]
    search_fields = ["job__key", "source__name", "target__name"]
    list_select_related = ["source__system", "target__system", "job"]
