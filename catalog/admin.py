from django.contrib import admin
from guardian.admin import GuardedModelAdminMixin

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import DatasetService, FieldService, SystemService
from core.admin import AuditedModelAdmin


@admin.register(SourceSystem)
class SourceSystemAdmin(GuardedModelAdminMixin, AuditedModelAdmin):
    service = SystemService
    list_display = ["key", "name", "kind", "environment", "lifecycle", "owning_team"]
    list_filter = ["kind", "environment", "lifecycle"]
    search_fields = ["key", "name", "description", "openlineage_namespaces"]


@admin.register(Dataset)
class DatasetAdmin(AuditedModelAdmin):
    service = DatasetService
    list_display = ["name", "system", "kind", "status", "discovered"]
    list_filter = ["kind", "status", "discovered", "system"]
    search_fields = ["name", "description"]
    list_select_related = ["system"]


@admin.register(Field)
class FieldAdmin(AuditedModelAdmin):
    service = FieldService
    list_display = ["name", "dataset", "ordinal", "data_type", "nullable", "status", "discovered"]
    list_filter = ["status", "discovered", "dataset__system"]
    search_fields = ["name", "description", "dataset__name"]
    list_select_related = ["dataset__system"]
    raw_id_fields = ["dataset"]
