"""Consult endpoints: the decision point, the committee's what-if, the sources of a definition,
and the policies, purposes, classifications and decision log behind them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Field
from consult import adapters, query, services
from consult.api.serializers import (
    AccessPolicySerializer,
    ClassificationSerializer,
    ConsultQueryRequestSerializer,
    ConsultQueryResponseSerializer,
    ConsultRequestSerializer,
    ConsultResponseSerializer,
    DecisionLogSerializer,
    DefinitionClassificationSerializer,
    DefinitionSourcesSerializer,
    FieldLabelsSerializer,
    PurposeSerializer,
    SetLabelSerializer,
    SqlErrorSerializer,
    WhatIfRequestSerializer,
    plain_consult_body,
)
from consult.filtersets import AccessPolicyFilterSet, DecisionLogFilterSet
from consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    Purpose,
)
from consult.permissions import visible_decisions, visible_policies
from consult.snapshot import get_snapshot
from core.audit import Actor
from core.authentication import HashedTokenAuthentication
from core.errors import NotFound, PermissionDenied
from core.lookups import get_visible
from core.permissions import perm_name
from core.services import create_object, delete_object
from governance import workflow
from governance.api.serializers import VoteInputSerializer
from governance.api.workflow import ReasonSerializer, StatusChangeSerializer, WorkflowViewSet
from governance.workflow import ReviewClosed
from lineage.api.views import LIMIT_RESPONSES


class HasPerm(permissions.BasePermission):
    """Authenticated, holding the view's `required_perm` (superusers always do)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and user.has_perm(view.required_perm)


class ConsultAuthentication:
    """The token, the caller's groups and right to consult, and the catalog version in one
    query: a one-field consult then makes two round trips in all (this and the log's insert).
    The same authentication classes as every view (the schema names one token scheme)."""

    def get_authenticators(self):
        return [
            HashedTokenAuthentication(grants_of="consult.consult_fields"),
            SessionAuthentication(),
        ]


def consumer_request(request, serializer_class, plain=None):
    """(caller, snapshot, validated body) of a consumer's request; who is not a consumer is
    refused before the body is read. `plain(data, snapshot)`, when given, validates the usual
    body faster, to exactly what the serializer would return, or returns None."""
    grants = getattr(request.auth, "grants", None)
    who = services.caller(request.user, grants=grants)
    if not who.allowed:
        raise PermissionDenied("Only consumer services consult.")
    snap = get_snapshot(grants.catalog_version if grants is not None else None)
    data = request.data
    validated = plain(data, snap) if plain is not None else None
    if validated is None:
        body = serializer_class(data=data, context={"snapshot": snap})
        body.is_valid(raise_exception=True)
        validated = body.validated_data
    return who, snap, validated


class ConsultView(ConsultAuthentication, APIView):
    """Decide, for the authenticated consumer, whether it may use each field for a purpose.
    Needs `consult.consult_fields` (the consumer role), checked with the caller's groups in one
    query."""

    @extend_schema(request=ConsultRequestSerializer, responses=ConsultResponseSerializer)
    def post(self, request):
        who, snap, data = consumer_request(request, ConsultRequestSerializer, plain_consult_body)
        body = services.consult(
            request.user,
            data["purpose"],
            data["fields"],
            request_id=getattr(request, "request_id", ""),
            snap=snap,
            subjects=who.subjects,
        )
        return Response(body)


class ConsultQueryView(ConsultAuthentication, APIView):
    """Decide, for the authenticated consumer, whether it may run a query for a purpose: every
    catalog column the query reads, the obligations on each output column, one verdict. Needs
    what POST /api/v1/consult/ needs; its decisions are logged the same way."""

    @extend_schema(
        request=ConsultQueryRequestSerializer,
        responses={
            200: ConsultQueryResponseSerializer,
            400: OpenApiResponse(
                SqlErrorSerializer,
                description="`invalid`: a bad body; SQL that does not parse (its line and "
                "column), a statement that writes, more than one statement, or a table name "
                "several systems hold.",
            ),
            **LIMIT_RESPONSES,
        },
    )
    def post(self, request):
        who, snap, data = consumer_request(request, ConsultQueryRequestSerializer)
        return Response(
            query.consult_query(
                request.user,
                data["purpose"],
                data["sql"],
                data["dialect"],
                request_id=getattr(request, "request_id", ""),
                snap=snap,
                subjects=who.subjects,
            )
        )


class WhatIfView(APIView):
    """A committee member's simulation of another consumer's consult (logged as simulated)."""

    permission_classes = [HasPerm]
    required_perm = "consult.simulate_consult"

    @extend_schema(request=WhatIfRequestSerializer, responses=ConsultResponseSerializer)
    def post(self, request):
        snap = get_snapshot()
        body = WhatIfRequestSerializer(data=request.data, context={"snapshot": snap})
        body.is_valid(raise_exception=True)
        consumer = body.validated_data["consumer"]
        purpose, fields = body.validated_data["purpose"], body.validated_data["fields"]
        body = services.consult(
            consumer,
            purpose,
            fields,
            request_id=getattr(request, "request_id", ""),
            simulated_by=request.user.get_username(),
            snap=snap,
        )
        return Response(body)


class DefinitionSourcesView(APIView):
    """The approved physical fields implementing a definition, with conversion notes."""

    @extend_schema(responses=DefinitionSourcesSerializer)
    def get(self, request, key: str):
        # The same visibility as /api/v1/governance/definitions/{key}/: a caller who may not
        # read the definition is told it does not exist.
        if not adapters.definition_visible(request.user, key):
            raise NotFound(f"No approved definition {key!r}.")
        sources = adapters.definition_sources(key)
        if sources is None:
            raise NotFound(f"No approved definition {key!r}.")
        shown = adapters.visible_field_ids(request.user, [s.field_id for s in sources])
        sources = [s for s in sources if s.field_id in shown]
        return Response(
            {
                "definition": key,
                "sources": [
                    {"field": s.field_ref, "conversion_note": s.conversion_note} for s in sources
                ],
            }
        )


class ByModelPerm(permissions.BasePermission):
    """Reading needs the model's view permission (the viewsets show nothing else: an empty list,
    a 404); creating needs add; changing or deleting one object needs change or delete, checked
    once the object is found, so what the caller may not read is a 404 before it is a 403."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method == "POST" and getattr(view, "action", None) == "create":
            return user.has_perm(perm_name(view.get_queryset().model, "add"))
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        action_name = "delete" if request.method == "DELETE" else "change"
        return request.user.has_perm(perm_name(obj, action_name))


def readable(user, queryset):
    """All of `queryset` to a caller holding its model's view permission, else nothing."""
    return queryset if user.has_perm(perm_name(queryset.model, "view")) else queryset.none()


class PurposeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The managed list of purposes; the committee adds to it."""

    queryset = Purpose.objects.order_by("key")
    serializer_class = PurposeSerializer
    permission_classes = [ByModelPerm]
    lookup_field = "key"

    def get_queryset(self):
        return readable(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        serializer.instance = create_object(
            Actor.from_request(self.request), Purpose, serializer.validated_data
        )


class ClassificationViewSet(PurposeViewSet):
    """The classification taxonomy and each label's obligations; the committee extends it."""

    queryset = Classification.objects.order_by("key")
    serializer_class = ClassificationSerializer
    lookup_value_regex = "[^/]+"

    def perform_create(self, serializer):
        serializer.instance = create_object(
            Actor.from_request(self.request), Classification, serializer.validated_data
        )


class DefinitionClassificationViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Classifications of definitions, inherited by every field mapped to them."""

    queryset = DefinitionClassification.objects.select_related("classification").order_by("id")
    serializer_class = DefinitionClassificationSerializer
    permission_classes = [ByModelPerm]
    filterset_fields = ["definition_key"]

    def get_queryset(self):
        """Only rows on definitions the caller may read (as /api/v1/governance/definitions/)."""
        return self.queryset.filter(
            definition_key__in=adapters.visible_definition_keys(self.request.user)
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.classify_definition(
            Actor.from_request(self.request), data["definition_key"], data["classification"]
        )

    def perform_destroy(self, instance):
        delete_object(Actor.from_request(self.request), instance)


class PolicyPermission(ByModelPerm):
    """Reads are filtered in the queryset; transitions are checked by the workflow."""

    def has_object_permission(self, request, view, obj):
        if getattr(view, "action", None) in ("submit", "withdraw", "revoke", "vote"):
            return True
        return super().has_object_permission(request, view, obj)


class AccessPolicyViewSet(WorkflowViewSet):
    """Access policies. Committee, stewards and engineers read all; a consumer reads its own.
    Drafts are edited; submit opens a review under the governance workflow; the owner of the
    resource or the committee decides it by vote; an approved policy is revoked, never edited."""

    queryset = AccessPolicy.objects.select_related("consumer", "group", "author").order_by("id")
    serializer_class = AccessPolicySerializer
    filterset_class = AccessPolicyFilterSet
    permission_classes = [PolicyPermission]
    service = services.PolicyService
    ordering_fields = ["id", "name", "status", "created_at"]

    def visible(self, queryset):
        return visible_policies(self.request.user, queryset)

    def _transition(self, name: str):
        return self.fire(self.get_object(), name, run=services.transition_policy)

    @extend_schema(request=ReasonSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send a draft to review (the resource's owners and the committee)."""
        return self._transition("submit")

    @extend_schema(request=ReasonSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition("withdraw")

    @extend_schema(request=ReasonSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Withdraw an approved policy: it stops deciding on the very next consult."""
        return self._transition("revoke")

    @extend_schema(request=VoteInputSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Vote on the policy's open review (the governance workflow's cast_vote)."""
        policy = self.get_object()
        self.check_right(policy, "approve")  # whoever decides its reviews, whatever its state
        serializer = VoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = workflow.reviews_of(policy).filter(status="open").first()
        if review is None:
            raise ReviewClosed(f"Policy #{policy.pk} has no open review ({policy.status}).")
        workflow.cast_vote(self.actor(), review, **serializer.validated_data)
        return self.represent(policy)

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every transition with actor, time and reason."""
        policy = self.get_object()
        return self.history_of([policy], {policy.pk: f"policy {policy.pk}"})


def _field(user, ref) -> Field:
    """The field a classification request names (400 malformed, 404 unknown or hidden)."""
    return get_visible(
        user,
        Field.objects.select_related("dataset__system"),
        ref,
        param="field",
        parent_paths=("dataset", "dataset__system"),
    )


class FieldClassificationView(APIView):
    """A field's classifications with where each came from (its definition, a steward, or
    lineage with the path), and the steward's confirm / override / assign."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("field", str, required=True)],
        responses=FieldLabelsSerializer,
    )
    def get(self, request):
        if not request.user.has_perm("consult.view_fieldclassification"):
            raise NotFound("You may not read field classifications.")
        return Response(_labels(_field(request.user, request.query_params.get("field", ""))))

    @extend_schema(request=SetLabelSerializer, responses=FieldLabelsSerializer)
    def post(self, request):
        if not request.user.has_perm("consult.add_fieldclassification"):
            raise PermissionDenied("Only stewards and the committee classify fields.")
        serializer = SetLabelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        field = _field(request.user, data["field"])
        services.set_field_classification(
            Actor.from_request(request, reason=data["reason"]),
            field,
            data["classification"],
            data["state"],
            data["reason"],
        )
        return Response(_labels(field))


def _labels(field: Field) -> dict:
    snap = get_snapshot()
    entry = snap.entry_by_id(field.pk)
    labels = entry.labels if entry else {}
    names = snap.ref_names({f for label in labels.values() for f in label.path})
    overridden = field.classifications.filter(state="overridden").select_related("classification")
    return {
        "field": field.ref,
        "classifications": [
            {
                "classification": key,
                "source": label.source,
                "path": [names[f] for f in label.path if f in names],
                "via_aggregation": label.via_aggregation,
            }
            for key, label in sorted(labels.items())
        ],
        "overridden": [
            {"classification": o.classification.key, "reason": o.reason, "by": o.decided_by}
            for o in overridden
        ],
    }


class DecisionLogViewSet(viewsets.ReadOnlyModelViewSet):
    """The decision log, newest first: filter by field, consumer, purpose, decision, time.
    The committee and stewards read all of it; a consumer reads its own decisions."""

    queryset = DecisionLog.objects.order_by("-id")
    serializer_class = DecisionLogSerializer
    filterset_class = DecisionLogFilterSet
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["id", "at"]

    def get_queryset(self):
        return visible_decisions(self.request.user, self.queryset.all())
