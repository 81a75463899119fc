"""Consult endpoints: the decision point, the committee's what-if, the sources of a definition,
and the policies, purposes, classifications and decision log behind them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Field
from catalog.refs import RefError, parse_field_ref
from core.api.errors import Conflict, RequestError
from core.api.views import GovernedViewSet
from core.audit import Actor
from core.services import create_object, delete_object
from governance import workflow
from governance.consult import adapters, services
from governance.consult.api.serializers import (
    AccessPolicySerializer,
    ClassificationSerializer,
    ConsultRequestSerializer,
    ConsultResponseSerializer,
    DecisionLogSerializer,
    DefinitionClassificationSerializer,
    DefinitionSourcesSerializer,
    FieldLabelsSerializer,
    PolicyTransitionSerializer,
    PolicyVoteSerializer,
    PurposeSerializer,
    SetLabelSerializer,
    WhatIfRequestSerializer,
)
from governance.consult.filtersets import AccessPolicyFilterSet, DecisionLogFilterSet
from governance.consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    Purpose,
)
from governance.consult.snapshot import Snapshot, get_snapshot

MAX_FIELDS = getattr(settings, "CONSULT_MAX_FIELDS", 5000)


class HasPerm(permissions.BasePermission):
    """Authenticated, holding the view's `required_perm` (superusers always do)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and user.has_perm(view.required_perm)


def read_consult_request(data, snap: Snapshot, extra: tuple[str, ...] = ()) -> tuple[str, list]:
    """(purpose, field references) from a consult body; a RequestError (400) naming every
    problem otherwise. An unknown but well-formed field is not a problem: it is denied."""
    if not isinstance(data, dict):
        raise RequestError("The body must be a JSON object with 'purpose' and 'fields'.")
    errors = [
        {"path": k, "message": "Unknown key."}
        for k in sorted(set(data) - {"purpose", "fields", *extra})
    ]
    purpose = data.get("purpose")
    if not isinstance(purpose, str) or not purpose:
        errors.append({"path": "purpose", "message": "Required: a purpose key (a string)."})
    elif purpose not in snap.purposes:
        errors.append(
            {
                "path": "purpose",
                "message": f"Unknown purpose {purpose!r}; use one of: "
                f"{', '.join(sorted(snap.purposes))}.",
            }
        )
    fields = data.get("fields")
    if not isinstance(fields, list) or not fields:
        errors.append({"path": "fields", "message": "Required: a non-empty list of field refs."})
    elif len(fields) > MAX_FIELDS:
        errors.append({"path": "fields", "message": f"At most {MAX_FIELDS} fields per request."})
    else:
        for index, ref in enumerate(fields):
            if isinstance(ref, str) and ref in snap.by_ref:
                continue
            try:
                parse_field_ref(ref)
            except RefError as exc:
                errors.append({"path": f"fields[{index}]", "message": str(exc)})
    if errors:
        raise RequestError(_summary(errors), errors)
    return purpose, fields


def _summary(errors: list[dict]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['path']}: {first['message']}{more}"


class ConsultView(APIView):
    """Decide, for the authenticated consumer, whether it may use each field for a purpose.
    Needs `consult.consult_fields` (the consumer role), checked with the caller's groups in one
    query."""

    @extend_schema(request=ConsultRequestSerializer, responses=ConsultResponseSerializer)
    def post(self, request):
        who = services.caller(request.user)
        if not who.allowed:
            raise exceptions.PermissionDenied("Only consumer services consult.")
        snap = get_snapshot(who.version)
        purpose, fields = read_consult_request(request.data, snap)
        body = services.consult(
            request.user,
            purpose,
            fields,
            request_id=getattr(request, "request_id", ""),
            snap=snap,
            subjects=who.subjects,
        )
        return Response(body)


class WhatIfView(APIView):
    """A committee member's simulation of another consumer's consult (logged as simulated)."""

    permission_classes = [HasPerm]
    required_perm = "consult.simulate_consult"

    @extend_schema(request=WhatIfRequestSerializer, responses=ConsultResponseSerializer)
    def post(self, request):
        snap = get_snapshot()
        purpose, fields = read_consult_request(request.data, snap, extra=("consumer",))
        username = request.data.get("consumer")
        consumer = get_user_model().objects.filter(username=username).first()
        if not isinstance(username, str) or consumer is None:
            raise RequestError(
                f"consumer: no user {username!r}.",
                [{"path": "consumer", "message": "Name an existing consumer (username)."}],
            )
        if not services.is_consumer(consumer):
            message = f"{username!r} is not a consumer (not in the 'consumer' group)."
            raise RequestError(f"consumer: {message}", [{"path": "consumer", "message": message}])
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
            raise exceptions.NotFound(f"No approved definition {key!r}.")
        sources = adapters.definition_sources(key)
        if sources is None:
            raise exceptions.NotFound(f"No approved definition {key!r}.")
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


class ReadAllWriteByPerm(permissions.BasePermission):
    """Every authenticated caller reads; writes need the model's add/change permission."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        model = view.get_queryset().model
        action_name = {"POST": "add", "DELETE": "delete"}.get(request.method, "change")
        return user.has_perm(f"consult.{action_name}_{model._meta.model_name}")


class PurposeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The managed list of purposes; the committee adds to it."""

    queryset = Purpose.objects.order_by("key")
    serializer_class = PurposeSerializer
    permission_classes = [ReadAllWriteByPerm]
    lookup_field = "key"

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
    permission_classes = [ReadAllWriteByPerm]
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


class PolicyPermission(ReadAllWriteByPerm):
    """Reads are filtered in the queryset; transitions are checked by the workflow."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) in ("submit", "withdraw", "revoke", "vote"):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


def workflow_errors(fn):
    """Turn the governance workflow's errors into the API's 400/403/409."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except workflow.IllegalTransition as exc:
            raise RequestError(str(exc), code="illegal_transition", allowed=exc.allowed) from exc
        except workflow.NotPermitted as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except (workflow.ReviewClosed, workflow.AlreadyVoted) as exc:
            raise Conflict(str(exc)) from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class AccessPolicyViewSet(GovernedViewSet):
    """Access policies. Committee, stewards and engineers read all; a consumer reads its own.
    Drafts are edited; submit opens a review under the governance workflow; the owner of the
    resource or the committee decides it by vote; an approved policy is revoked, never edited."""

    queryset = AccessPolicy.objects.select_related("consumer", "group", "author").order_by("id")
    serializer_class = AccessPolicySerializer
    filterset_class = AccessPolicyFilterSet
    permission_classes = [PolicyPermission]
    service = services.PolicyService
    ordering_fields = ["id", "name", "status", "created_at"]

    def get_queryset(self):
        user = self.request.user
        queryset = self.queryset.all()
        if user.has_perm("consult.view_accesspolicy"):
            return queryset
        return queryset.filter(consumer=user)

    def _transition(self, name: str):
        serializer = PolicyTransitionSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        policy = services.transition_policy(
            self.actor(), self.get_object(), name, serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(policy).data)

    @extend_schema(request=PolicyTransitionSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    @workflow_errors
    def submit(self, request, pk=None):
        """Send a draft to review (the resource's owners and the committee)."""
        return self._transition("submit")

    @extend_schema(request=PolicyTransitionSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    @workflow_errors
    def withdraw(self, request, pk=None):
        return self._transition("withdraw")

    @extend_schema(request=PolicyTransitionSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    @workflow_errors
    def revoke(self, request, pk=None):
        """Withdraw an approved policy: it stops deciding on the very next consult."""
        return self._transition("revoke")

    @extend_schema(request=PolicyVoteSerializer, responses=AccessPolicySerializer)
    @action(detail=True, methods=["post"])
    @workflow_errors
    def vote(self, request, pk=None):
        """Vote on the policy's open review (the governance workflow's cast_vote)."""
        policy = self.get_object()
        serializer = PolicyVoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = workflow.reviews_of(policy).filter(status="open").first()
        if review is None:
            raise Conflict(f"Policy #{policy.pk} has no open review ({policy.status}).")
        workflow.cast_vote(self.actor(), review, **serializer.validated_data)
        policy.refresh_from_db()
        return Response(self.get_serializer(policy).data)

    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every transition with actor, time and reason."""
        rows = workflow.history(self.get_object()).values(
            "at", "transition", "from_status", "to_status", "via", "actor_name", "reason"
        )
        return Response(list(rows))

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ValidationError as exc:
            raise Conflict(exc.messages[0]) from exc

    def perform_update(self, serializer):
        try:
            super().perform_update(serializer)
        except ValidationError as exc:
            raise Conflict(exc.messages[0]) from exc


def _field_or_400(ref) -> Field:
    try:
        parsed = parse_field_ref(ref)
    except RefError as exc:
        raise RequestError(f"field: {exc}", [{"path": "field", "message": str(exc)}]) from exc
    field = (
        Field.objects.select_related("dataset__system")
        .filter(
            dataset__system__key=parsed.system, dataset__name=parsed.dataset, name=parsed.column
        )
        .first()
    )
    if field is None:
        raise exceptions.NotFound(f"No field {ref}.")
    return field


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
            raise exceptions.PermissionDenied()
        return Response(_labels(_field_or_400(request.query_params.get("field", ""))))

    @extend_schema(request=SetLabelSerializer, responses=FieldLabelsSerializer)
    def post(self, request):
        if not request.user.has_perm("consult.add_fieldclassification"):
            raise exceptions.PermissionDenied("Only stewards and the committee classify fields.")
        serializer = SetLabelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        field = _field_or_400(data["field"])
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
    entry = snap.by_id.get(field.pk)
    labels = entry.labels if entry else {}
    overridden = field.classifications.filter(state="overridden").select_related("classification")
    return {
        "field": field.ref,
        "classifications": [
            {
                "classification": key,
                "source": label.source,
                "path": [snap.by_id[f].ref for f in label.path if f in snap.by_id],
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
        user = self.request.user
        services.flush_decision_log()  # this process's waiting rows, so the answer is complete
        if user.has_perm("consult.view_decisionlog"):
            return self.queryset.all()
        if user.has_perm("consult.consult_fields"):
            return self.queryset.filter(consumer=user)
        raise exceptions.PermissionDenied("You may not read the decision log.")
