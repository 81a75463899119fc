"""Catalog endpoints: thin viewsets over catalog.services."""

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.api.serializers import (
    BulkResultSerializer,
    BulkUpsertSerializer,
    DatasetSerializer,
    FieldSerializer,
    SourceSystemSerializer,
)
from catalog.filtersets import DatasetFilterSet, FieldFilterSet, SourceSystemFilterSet
from catalog.models import Dataset, Field, SourceSystem
from catalog.services import (
    DatasetService,
    FieldService,
    SystemService,
    bulk_upsert,
    validate_bulk,
)
from core.api.errors import flatten
from core.api.views import GovernedViewSet
from core.errors import BulkRejected, PermissionDenied
from core.permissions import user_can


@extend_schema(
    parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH, description="key or id")]
)
class SourceSystemViewSet(GovernedViewSet):
    queryset = SourceSystem.objects.annotate(dataset_count=Count("datasets")).order_by("key")
    serializer_class = SourceSystemSerializer
    filterset_class = SourceSystemFilterSet
    service = SystemService
    lookup_field = "key"
    ordering_fields = ["key", "name", "kind", "created_at", "updated_at"]

    @extend_schema(request=BulkUpsertSerializer, responses={200: BulkResultSerializer})
    @action(detail=True, methods=["post"], url_path="bulk")
    def bulk(self, request, key=None):
        """Create or update this system's datasets and fields in one all-or-nothing request."""
        system = self.get_object()
        if not user_can(request.user, "change", system):
            raise PermissionDenied(f"You may not change system {system.key!r}.")
        body = BulkUpsertSerializer(data=request.data)
        if not body.is_valid():
            raise BulkRejected(every_problem(system, request.data, flatten(body.errors)))
        result = bulk_upsert(
            self.actor(),
            system,
            body.validated_data["datasets"],
            remove_missing=body.validated_data["remove_missing"],
        )
        return Response(result.as_dict(), status=status.HTTP_200_OK)


def every_problem(system, data, shape_errors: list[dict]) -> list[dict]:
    """The payload's shape errors and, for the rows whose shape is fine, the models' own rules
    (names, duplicates): every problem in one answer, each path once."""
    rows = data.get("datasets") if isinstance(data, dict) else None
    _, rule_errors = validate_bulk(system, rows if isinstance(rows, list) else [])
    flagged = {e["path"] for e in shape_errors}

    def covered(path: str) -> bool:
        return any(
            f == path or f.startswith(f"{path}.") or f.startswith(f"{path}[") for f in flagged
        )

    return shape_errors + [e for e in rule_errors if not covered(e["path"])]


@extend_schema(
    parameters=[
        OpenApiParameter("id", str, OpenApiParameter.PATH, description="id or system:dataset")
    ]
)
class DatasetViewSet(GovernedViewSet):
    queryset = (
        Dataset.objects.select_related("system")
        .annotate(field_count=Count("fields"))
        .order_by("system__key", "name")
    )
    serializer_class = DatasetSerializer
    filterset_class = DatasetFilterSet
    service = DatasetService
    parent_paths = ("system",)
    create_permission_checked_in_view = True  # change on the parent system, in the serializer
    ordering_fields = ["name", "kind", "status", "created_at", "updated_at"]


@extend_schema(
    parameters=[
        OpenApiParameter("id", str, OpenApiParameter.PATH, description="id or field reference")
    ]
)
class FieldViewSet(GovernedViewSet):
    queryset = Field.objects.select_related("dataset__system").order_by(
        "dataset__system__key", "dataset__name", "ordinal", "name"
    )
    serializer_class = FieldSerializer
    filterset_class = FieldFilterSet
    service = FieldService
    parent_paths = ("dataset", "dataset__system")
    create_permission_checked_in_view = True
    ordering_fields = ["name", "ordinal", "status", "created_at", "updated_at"]
