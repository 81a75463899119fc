"""Catalog endpoints: thin viewsets over catalog.services."""

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
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
from catalog.refs import RefError, parse_dataset_ref, parse_field_ref
from catalog.services import (
    BulkValidationError,
    DatasetService,
    FieldService,
    SystemService,
    bulk_upsert,
)
from core.api.errors import RequestError
from core.api.views import GovernedViewSet
from core.permissions import user_can


class SourceSystemViewSet(GovernedViewSet):
    queryset = SourceSystem.objects.annotate(dataset_count=Count("datasets")).order_by("key")
    serializer_class = SourceSystemSerializer
    filterset_class = SourceSystemFilterSet
    service = SystemService
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["key", "name", "kind", "created_at", "updated_at"]

    def get_object(self):
        self.kwargs["key"] = self.kwargs["key"].lower()
        return super().get_object()

    @extend_schema(request=BulkUpsertSerializer, responses={200: BulkResultSerializer})
    @action(detail=True, methods=["post"], url_path="bulk")
    def bulk(self, request, key=None):
        """Create or update this system's datasets and fields in one all-or-nothing request."""
        system = self.get_object()
        if not user_can(request.user, "change", system):
            raise exceptions.PermissionDenied(f"You may not change system {system.key!r}.")
        body = request.data
        if not isinstance(body, dict):
            raise RequestError("The body must be a JSON object with a 'datasets' list.")
        unknown = sorted(set(body) - {"datasets", "remove_missing"})
        if unknown:
            raise RequestError(
                f"Unknown key(s): {', '.join(unknown)}.",
                [{"path": k, "message": "Unknown key."} for k in unknown],
            )
        if "datasets" not in body:
            raise RequestError(
                "'datasets' is required.", [{"path": "datasets", "message": "Required."}]
            )
        remove_missing = body.get("remove_missing", False)
        if not isinstance(remove_missing, bool):
            raise RequestError(
                "'remove_missing' must be true or false.",
                [{"path": "remove_missing", "message": "Must be true or false."}],
            )
        try:
            result = bulk_upsert(
                self.actor(), system, body["datasets"], remove_missing=remove_missing
            )
        except BulkValidationError as exc:
            raise RequestError(
                f"{len(exc.errors)} problem(s) in the payload; nothing was written.",
                exc.errors,
            ) from exc
        return Response(result.as_dict(), status=status.HTTP_200_OK)


class NaturalKeyMixin:
    """Detail routes take either a numeric id or a natural key (`system:dataset[.column]`)."""

    lookup_value_regex = "[^/]+"

    def get_object(self):
        value = self.kwargs[self.lookup_field]
        if not value.isdigit():
            try:
                self.kwargs[self.lookup_field] = str(self.lookup_by_ref(value))
            except (RefError, LookupError):
                raise exceptions.NotFound() from None
        return super().get_object()


class DatasetViewSet(NaturalKeyMixin, GovernedViewSet):
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

    def lookup_by_ref(self, value):
        ref = parse_dataset_ref(value)
        found = (
            self.get_queryset()
            .filter(system__key=ref.system, name=ref.dataset)
            .values("pk")
            .first()
        )
        if found is None:
            raise LookupError(value)
        return found["pk"]


@extend_schema(
    parameters=[
        OpenApiParameter("id", str, OpenApiParameter.PATH, description="id or field reference")
    ]
)
class FieldViewSet(NaturalKeyMixin, GovernedViewSet):
    queryset = Field.objects.select_related("dataset__system").order_by(
        "dataset__system__key", "dataset__name", "ordinal", "name"
    )
    serializer_class = FieldSerializer
    filterset_class = FieldFilterSet
    service = FieldService
    parent_paths = ("dataset", "dataset__system")
    create_permission_checked_in_view = True
    ordering_fields = ["name", "ordinal", "status", "created_at", "updated_at"]

    def lookup_by_ref(self, value):
        ref = parse_field_ref(value)
        found = (
            self.get_queryset()
            .filter(dataset__system__key=ref.system, dataset__name=ref.dataset, name=ref.column)
            .values("pk")
            .first()
        )
        if found is None:
            raise LookupError(value)
        return found["pk"]
