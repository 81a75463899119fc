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

from core.api.permissions import ObjectPermissions
from core.api.serializers import (
    ApiTokenSerializer,
    ChangeRecordSerializer,
    NewApiTokenSerializer,
)
from core.audit import Actor, about, audit_names
from core.choices import ChangeAction
from core.errors import Invalid, NotFound, PreconditionFailed
from core.lookups import find
from core.models import ApiToken, ChangeRecord
from core.permissions import readable_changes, visible
from core.services import issue_token, revoke_token


def etag_of(data) -> str:
    """A strong ETag for a representation: any visible change changes it."""
    digest = hashlib.md5(
        json.dumps(data, sort_keys=True, default=str).encode(), usedforsecurity=False
    ).hexdigest()
    return f'"{digest}"'


class GovernedViewSet(viewsets.ModelViewSet):
    """The one base of every endpoint over governed objects:

    - reads filtered to what the caller may view (`visible`, overridable), and a detail URL
      that takes the object's id or its natural key (`queryset.by_ref()`, see core.models);
    - writes through a service object (`service.create/update/delete`, each one audited
      transaction taking an Actor first), never through `serializer.save()`;
    - an ETag on every representation and `If-Match` honoured on every write (412 when stale);
    - a delete that others depend on is a 409 listing them (core.api.errors).

    Subclasses set `queryset`, `serializer_class` (and `read_serializer_class` when the
    representation differs from the write body), `filterset_class`, `parent_paths` (lookups to
    the parents whose grants cover a row) and `service`."""

    permission_classes = [ObjectPermissions]
    parent_paths: tuple[str, ...] = ()
    service = None
    read_serializer_class = None
    lookup_value_regex = "[^/]+"

    # Reads -------------------------------------------------------------------------------------
    def get_queryset(self):
        return self.visible(super().get_queryset())

    def visible(self, queryset):
        """The rows of `queryset` the caller may view."""
        return visible(self.request.user, queryset, self.parent_paths)

    def get_object(self):
        """By id or natural key; what the caller may not view is a 404."""
        queryset = self.filter_queryset(self.get_queryset())
        value = str(self.kwargs[self.lookup_url_kwarg or self.lookup_field]).strip()
        try:
            obj = find(queryset, value)
        except ValueError:  # a malformed key names nothing
            obj = None
        if obj is None:
            raise NotFound()
        self.check_object_permissions(self.request, obj)
        return obj

    def retrieve(self, request, *args, **kwargs):
        return self.represent(self.get_object())

    # Representations and preconditions ---------------------------------------------------------
    def read_serializer(self, obj, **kwargs):
        serializer_class = self.read_serializer_class or self.get_serializer_class()
        return serializer_class(obj, context=self.get_serializer_context(), **kwargs)

    def represent(self, obj, code: int = status.HTTP_200_OK) -> Response:
        """The object as a GET shows it (re-read through the queryset, so annotations match),
        with its ETag."""
        fresh = self.get_queryset().filter(pk=obj.pk).first() or obj
        data = self.read_serializer(fresh).data
        return Response(data, status=code, headers={"ETag": etag_of(data)})

    def check_if_match(self, obj) -> None:
        """412 when the caller's If-Match names another version of the object than the current."""
        expected = self.request.headers.get("If-Match")
        if expected is None or expected.strip() == "*":
            return
        candidates = {tag.strip().removeprefix("W/") for tag in expected.split(",")}
        if etag_of(self.read_serializer(obj).data) not in candidates:
            raise PreconditionFailed()

    def actor(self, reason: str = "") -> Actor:
        """The caller; the reason defaults to the X-Change-Reason header."""
        return Actor.from_request(self.request, reason=reason)

    # Writes through services --------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.service.create(self.actor(), serializer.validated_data)
        return self.represent(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        instance = self.get_object()
        self.check_if_match(instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = self.service.update(self.actor(), instance, serializer.validated_data)
        return self.represent(obj)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_if_match(instance)
        self.service.delete(self.actor(), instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    object_type = django_filters.CharFilter(
        method="filter_object",
        label="What kind of object: system, dataset, field, job, definition, mapping, policy, "
        "contract, ... (an unknown kind is a 400 listing them). With `object_id`, the records "
        "about that object: its own and those that name it among many (a bulk request writes "
        "one record per dataset naming each field it created or changed)",
    )
    object_id = django_filters.CharFilter(
        method="filter_object",
        label="The object's id: its own records and the records that name it among many",
    )
    actor = django_filters.CharFilter(field_name="actor_name")
    action = django_filters.ChoiceFilter(choices=ChangeAction.choices)
    request_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = ChangeRecord
        fields = ["object_type", "object_id", "actor", "action", "request_id", "since", "until"]

    def filter_object(self, queryset, name, value):
        return queryset  # object_type and object_id are one condition: see filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        kind = self.form.cleaned_data.get("object_type") or None
        pk = self.form.cleaned_data.get("object_id") or None
        if kind is None and pk is None:
            return queryset
        return queryset.filter(about(self._stored_type(kind) if kind else None, pk))

    def _stored_type(self, value: str) -> str:
        value = value.strip().lower()
        names = audit_names()
        # The stored `app.model` form, as each record shows it, is taken too.
        stored = names.get(value) or (value if value in names.values() else None)
        if stored is None:
            raise Invalid.at(
                "object_type",
                f"Unknown object type {value!r}; choose one of: {', '.join(names)}.",
            )
        return stored


class ChangeRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail: read-only, newest first. Committee members, stewards and engineers read
    the rows about objects they may read now (a token's: its owner); others read none."""

    queryset = ChangeRecord.objects.order_by("-id")
    serializer_class = ChangeRecordSerializer
    filterset_class = ChangeRecordFilter
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["id", "at"]

    def get_queryset(self):
        return readable_changes(self.request.user, super().get_queryset())


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
