"""API building blocks shared by every app: the governed viewset (visibility, audited writes
through services, ETag/If-Match, 409 on protected delete), health, audit trail and tokens."""

from __future__ import annotations

import hashlib
import json

import django_filters
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import PreconditionFailed
from core.api.permissions import ModelPermission, ObjectPermissions
from core.api.serializers import (
    ApiTokenSerializer,
    ChangeRecordSerializer,
    NewApiTokenSerializer,
)
from core.audit import Actor, snapshot
from core.models import ApiToken, ChangeRecord
from core.permissions import visible
from core.services import issue_token, revoke_token


def etag_for(obj) -> str:
    digest = hashlib.md5(
        json.dumps(snapshot(obj), sort_keys=True, default=str).encode(), usedforsecurity=False
    ).hexdigest()
    return f'"{digest}"'


class GovernedViewSet(viewsets.ModelViewSet):
    """A model viewset whose writes go through a service object and whose reads are filtered to
    what the caller may view.

    Subclasses set `queryset`, `serializer_class`, `filterset_class`, `parent_paths` (lookups to
    the parents whose grants cover a row) and `service` (with create/update/delete functions taking
    an Actor first)."""

    permission_classes = [ObjectPermissions]
    parent_paths: tuple[str, ...] = ()
    service = None

    def get_queryset(self):
        return visible(self.request.user, super().get_queryset(), self.parent_paths)

    def actor(self) -> Actor:
        return Actor.from_request(
            self.request, reason=self.request.headers.get("X-Change-Reason", "")
        )

    # ETag / If-Match -----------------------------------------------------------------------
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag_for(instance)
        return response

    def _check_if_match(self, instance) -> None:
        expected = self.request.headers.get("If-Match")
        if expected is None or expected.strip() == "*":
            return
        candidates = {tag.strip().removeprefix("W/") for tag in expected.split(",")}
        if etag_for(instance) not in candidates:
            raise PreconditionFailed()

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_for(self._updated)
        return response

    # Writes through services -----------------------------------------------------------------
    def perform_create(self, serializer):
        serializer.instance = self.service.create(self.actor(), serializer.validated_data)

    def perform_update(self, serializer):
        self._check_if_match(serializer.instance)
        serializer.instance = self.service.update(
            self.actor(), serializer.instance, serializer.validated_data
        )
        self._updated = serializer.instance

    def perform_destroy(self, instance):
        # A ProtectedError becomes a 409 listing the dependants in core.api.errors, for every view.
        self._check_if_match(instance)
        self.service.delete(self.actor(), instance)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Health",
            {"status": serializers.CharField(), "database": serializers.CharField()},
        )
    )
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok", "database": connection.vendor})


class ChangeRecordFilter(django_filters.FilterSet):
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_name")
    action = django_filters.CharFilter()
    request_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = ChangeRecord
        fields = ["object_type", "object_id", "actor", "action", "request_id", "since", "until"]


class ChangeRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail: read-only, newest first."""

    queryset = ChangeRecord.objects.order_by("-id")
    serializer_class = ChangeRecordSerializer
    filterset_class = ChangeRecordFilter
    permission_classes = [ModelPermission]
    ordering_fields = ["id", "at"]


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens. The raw token is returned once, on creation."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        return (
            ApiToken.objects.filter(user=self.request.user).select_related("user").order_by("-id")
        )

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = issue_token(
            Actor.from_request(request),
            request.user,
            name=serializer.validated_data.get("name", ""),
            expires_at=serializer.validated_data.get("expires_at"),
        )
        data = NewApiTokenSerializer(token).data
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = revoke_token(Actor.from_request(request), self.get_object())
        return Response(ApiTokenSerializer(token).data)
