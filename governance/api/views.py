"""Governance endpoints: thin viewsets over governance.services and governance.workflow. Every
lifecycle step is an explicit action; an illegal one is a 400 listing the allowed ones."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import GovernedViewSet
from core.audit import Actor
from core.errors import BulkRejected, Invalid, NotFound, PermissionDenied
from core.permissions import perm_name, user_can
from governance import reports, services
from governance.api.serializers import (
    BulkSubmitSerializer,
    CommitteeSerializer,
    DefinitionSerializer,
    DefinitionWriteSerializer,
    DeprecateSerializer,
    DiffSerializer,
    MappingSerializer,
    OverrideSerializer,
    OwnershipSerializer,
    ReviewSerializer,
    SubmittedSerializer,
    VersionSerializer,
    VoteInputSerializer,
)
from governance.api.workflow import ReasonSerializer, StatusChangeSerializer, WorkflowViewSet
from governance.diff import diff
from governance.filtersets import (
    DefinitionFilterSet,
    MappingFilterSet,
    OwnershipFilterSet,
    ReviewFilterSet,
)
from governance.models import (
    CONTENT_FIELDS,
    Committee,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Ownership,
    Review,
)
from governance.permissions import (
    definitions_visible_to,
    has_role,
    in_committee_role,
    mappings_visible_to,
    may_edit_definition,
    may_propose_mapping,
    ownerships_visible_to,
    reviews_visible_to,
    sees_whole_catalog,
    versions_visible_to,
    visible_field_refs,
)
from governance.subjects import review_markdown
from governance.workflow import cast_vote, check_may_override, check_may_vote, override


def deny_unless(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def answer_as(request) -> str:
    """`?as=json` (the default) or `?as=markdown`; any other value, empty included, is a 400."""
    value = request.query_params.get("as", "json")
    if value not in ("json", "markdown"):
        raise Invalid.at("as", f"{value!r} is not one of: json, markdown.")
    return value


class EditableViewSet(WorkflowViewSet):
    """List, read, create and PATCH; writes go to services that take partial data and check
    who may do what with messages of their own, so the permission class only asks for a login."""

    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "head", "options"]


TRANSITION_RESPONSES = {200: DefinitionSerializer}


class DefinitionViewSet(EditableViewSet):
    """Canonical field definitions. Reading: approved ones for every role, drafts for their
    authors, owner, steward and the committee. Writing meaning creates or edits a draft
    version; lifecycle steps are the POST actions."""

    queryset = (
        FieldDefinition.objects.select_related(
            "owner", "steward", "replaced_by", "last_certified_by"
        )
        .prefetch_related("versions__author")
        .order_by("key")
    )
    serializer_class = DefinitionSerializer
    read_serializer_class = DefinitionSerializer
    filterset_class = DefinitionFilterSet
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["key", "domain", "created_at", "updated_at", "last_certified_at"]

    def visible(self, queryset):
        return definitions_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return DefinitionWriteSerializer
        return DefinitionSerializer

    @extend_schema(request=DefinitionWriteSerializer, responses={201: DefinitionSerializer})
    def create(self, request, *args, **kwargs):
        deny_unless(
            request.user.has_perm(perm_name(FieldDefinition, "add")),
            "Only stewards and committee members may propose definitions.",
        )
        body = DefinitionWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        definition = services.create_definition(self.actor(), body.validated_data)
        return self.represent(definition, status.HTTP_201_CREATED)

    @extend_schema(request=DefinitionWriteSerializer, responses={200: DefinitionSerializer})
    def partial_update(self, request, *args, **kwargs):
        definition = self.get_object()
        deny_unless(
            may_edit_definition(request.user, definition),
            f"Only the owner or steward of {definition.key} may change it.",
        )
        self.check_if_match(definition)
        body = DefinitionWriteSerializer(
            definition, data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        definition = services.update_definition(self.actor(), definition, body.validated_data)
        return self.represent(definition)

    def workflow_subject(self, definition):
        # Who may act is the same for every version of a definition.
        return definition.latest_version

    def _step(self, name: str, input_class=ReasonSerializer) -> Response:
        return self.fire(self.get_object(), name, input_class, run=services.definition_transition)

    @extend_schema(request=ReasonSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, key=None):
        """Send the draft (or the version changes were requested on) to the committee."""
        return self._step("submit")

    @extend_schema(request=ReasonSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, key=None):
        """Take the version under review back to draft (its review is closed as withdrawn)."""
        return self._step("withdraw")

    @extend_schema(request=ReasonSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def recertify(self, request, key=None):
        """Confirm the version in force is still right, without change; records who did."""
        return self._step("recertify")

    @extend_schema(request=DeprecateSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def deprecate(self, request, key=None):
        """Deprecate the version in force, naming its replacement and a sunset date."""
        return self._step("deprecate", DeprecateSerializer)

    @extend_schema(request=ReasonSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def retire(self, request, key=None):
        """Retire a deprecated definition: it no longer has a version in force."""
        return self._step("retire")

    @extend_schema(request=BulkSubmitSerializer, responses=SubmittedSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="bulk-submit")
    def bulk_submit(self, request):
        """Submit the drafts of many definitions at once, all or nothing."""
        deny_unless(has_role(request.user), "Your account has no governance role.")
        body = BulkSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        keys = body.validated_data["keys"]
        found = {d.key: d for d in self.get_queryset().filter(key__in=keys)}
        missing = [
            {"path": f"keys[{i}]", "message": f"No definition {k!r}."}
            for i, k in enumerate(keys)
            if k not in found
        ]
        if missing:
            raise BulkRejected(missing)
        versions = services.bulk_submit(
            self.actor(), [found[k] for k in keys], body.validated_data["reason"]
        )
        data = [
            {"key": v.definition.key, "version": v.number, "status": v.status} for v in versions
        ]
        return Response(data)

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, key=None):
        """Every version the caller may read, newest first."""
        versions = versions_visible_to(request.user, self.get_object()).order_by("-number")
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(responses=VersionSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request, key=None, number=None):
        return Response(VersionSerializer(self._version(int(number))).data)

    def _version(self, number: int, param: str = "number") -> DefinitionVersion:
        version = (
            versions_visible_to(self.request.user, self.get_object()).filter(number=number).first()
        )
        if version is None:
            raise NotFound(f"No version {number} ({param}).")
        return version

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="default: the version in force"),
            OpenApiParameter("to", int, description="default: the pending or latest version"),
        ],
        responses=DiffSerializer,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, key=None):
        """Attribute-by-attribute difference between two versions."""
        definition = self.get_object()
        numbers = {}
        for param, default in (
            ("from", definition.effective_version),
            ("to", definition.pending_version or definition.latest_version),
        ):
            raw = request.query_params.get(param)
            if raw is None:
                if default is None:
                    raise Invalid.at(param, "Required: there is no default version.")
                numbers[param] = default.number
            elif raw.isdigit():
                numbers[param] = int(raw)
            else:
                raise Invalid.at(param, "Expected a version number (a whole number).")
        before, after = self._version(numbers["from"], "from"), self._version(numbers["to"], "to")
        changes = diff(before.content, after.content, CONTENT_FIELDS)
        changed = {c["attribute"] for c in changes}
        return Response(
            {
                "definition": definition.key,
                "from_version": before.number,
                "to_version": after.number,
                "changes": changes,
                "unchanged": [name for name in CONTENT_FIELDS if name not in changed],
            }
        )

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, key=None):
        """Every transition of every version the caller may read, oldest first."""
        versions = list(versions_visible_to(request.user, self.get_object()))
        return self.history_of(versions, {v.pk: f"v{v.number}" for v in versions})


class MappingViewSet(EditableViewSet):
    """Catalog fields mapped to the definitions they implement, with conversion notes; proposed
    and approved through the same workflow as definitions."""

    queryset = FieldMapping.objects.select_related(
        "field__dataset__system", "definition", "author"
    ).order_by("definition__key", "id")
    serializer_class = MappingSerializer
    read_serializer_class = MappingSerializer
    filterset_class = MappingFilterSet
    ordering_fields = ["id", "status", "created_at"]

    def visible(self, queryset):
        return mappings_visible_to(self.request.user, queryset)

    def create(self, request, *args, **kwargs):
        deny_unless(
            request.user.has_perm(perm_name(FieldMapping, "add")),
            "Your role may not propose mappings.",
        )
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        deny_unless(
            may_propose_mapping(request.user, data["field"], data["definition"]),
            f"You may not map {data['field'].ref}: maintain its system or steward the definition.",
        )
        mapping = services.create_mapping(self.actor(), data)
        return self.represent(mapping, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        mapping = self.get_object()
        deny_unless(
            mapping.author_id == request.user.pk
            or may_propose_mapping(request.user, mapping.field, mapping.definition),
            "You may not change this mapping.",
        )
        self.check_if_match(mapping)
        body = self.get_serializer(mapping, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return self.represent(services.update_mapping(self.actor(), mapping, body.validated_data))

    @extend_schema(request=ReasonSerializer, responses=MappingSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Propose the mapping for approval (the definition's steward or the committee)."""
        return self.fire(self.get_object(), "submit")

    @extend_schema(request=ReasonSerializer, responses=MappingSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self.fire(self.get_object(), "withdraw")

    @extend_schema(request=ReasonSerializer, responses=MappingSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self.fire(self.get_object(), "retire")

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        mapping = self.get_object()
        return self.history_of([mapping], {mapping.pk: f"mapping {mapping.pk}"})


class ReviewViewSet(WorkflowViewSet):
    """Reviews of anything governed: what is proposed, the diff, the votes and the decision.
    `?awaiting_me=true` lists what waits for the caller's vote."""

    queryset = (
        Review.objects.select_related("committee", "author", "content_type")
        .prefetch_related("votes__voter", "approvers", "committee__memberships__user", "subject")
        .order_by("opened_at", "id")
    )
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilterSet
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["opened_at", "decided_at", "id"]

    def visible(self, queryset):
        return reviews_visible_to(self.request.user, queryset)

    def create(self, request, *args, **kwargs):
        # Reviews are opened by submitting their subject, never directly.
        raise PermissionDenied("Reviews open when their subject is submitted.")

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["json", "markdown"])],
        responses={200: ReviewSerializer, (200, "text/markdown"): OpenApiTypes.STR},
    )
    def retrieve(self, request, *args, **kwargs):
        """One review: the proposal in full, the difference from what is in force, what it
        replaces, its conflicts, the rule and the progress. `?as=markdown` for a document."""
        review = self.get_object()
        if answer_as(request) == "markdown":
            data = self.read_serializer(review).data
            return HttpResponse(review_markdown(data), content_type="text/markdown; charset=utf-8")
        return self.represent(review)

    @extend_schema(request=VoteInputSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Vote approve, reject or request_changes (the last two with a comment). The decision
        is taken as soon as the committee's rule is met."""
        review = self.get_object()
        check_may_vote(request.user, review)
        body = VoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cast_vote(self.actor(), review, **body.validated_data)
        return self.represent(review)

    @extend_schema(request=OverrideSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """An administrator's emergency decision, bypassing the vote; the reason is required
        and recorded in the audit trail and the subject's history."""
        review = self.get_object()
        check_may_override(request.user)
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        override(self.actor(), review, **body.validated_data)
        return self.represent(review)


class CommitteeViewSet(EditableViewSet):
    """Committees, their members, domains and quorum rule; set up by administrators."""

    queryset = Committee.objects.prefetch_related("memberships__user").order_by("name")
    serializer_class = CommitteeSerializer

    def visible(self, queryset):
        return queryset if has_role(self.request.user) else queryset.none()

    def _save(self, committee):
        deny_unless(request_is_admin(self.request), "Only administrators set up committees.")
        body = self.get_serializer(committee, data=self.request.data, partial=committee is not None)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        members = data.pop("memberships", None)
        if members is not None:
            members = [(m["user"], m.get("role", "member")) for m in members]
        rules = data.pop("rules", None)
        return services.save_committee(self.actor(), committee, data, members, rules)

    def create(self, request, *args, **kwargs):
        return self.represent(self._save(None), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        committee = self.get_object()
        self.check_if_match(committee)
        return self.represent(self._save(committee))

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["json", "markdown"])],
        responses={
            (200, "application/json"): inline_serializer(
                "Agenda",
                {
                    "committee": serializers.CharField(),
                    "domains": serializers.ListField(child=serializers.CharField()),
                    "generated_at": serializers.DateTimeField(),
                    "awaiting_decision": serializers.ListField(child=serializers.DictField()),
                    "overdue_recertifications": serializers.ListField(
                        child=serializers.DictField()
                    ),
                    "conflicts": serializers.ListField(child=serializers.DictField()),
                },
            ),
            (200, "text/markdown"): OpenApiTypes.STR,
        },
    )
    @action(detail=True, methods=["get"])
    def agenda(self, request, pk=None):
        """What awaits the committee: open reviews with their votes, overdue recertifications
        and open conflicts in its domains. `?as=markdown` for a document to circulate."""
        committee = self.get_object()
        deny_unless(
            request_is_admin(request) or committee.is_member(request.user),
            f"Only members of {committee} see its agenda.",
        )
        data = reports.agenda(committee)
        if answer_as(request) == "markdown":
            return HttpResponse(reports.agenda_markdown(data), content_type="text/markdown")
        return Response(data)


def request_is_admin(request) -> bool:
    return bool(request.user and request.user.is_superuser)


ConflictSerializer = inline_serializer(
    "Conflict",
    {
        "fingerprint": serializers.CharField(),
        "kind": serializers.CharField(),
        "summary": serializers.CharField(),
        "definitions": serializers.ListField(child=serializers.CharField()),
        "fields": serializers.ListField(child=serializers.CharField()),
        "details": serializers.DictField(),
    },
)


class ResolveConflictSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    note = serializers.CharField()


class ConflictViewSet(viewsets.GenericViewSet):
    """Detected conflicts: fields mapped to one definition that disagree, and definitions that
    look like duplicates. Recomputed on every request."""

    serializer_class = ResolveConflictSerializer
    queryset = FieldDefinition.objects.none()

    @extend_schema(responses=ConflictSerializer)
    def list(self, request):
        if not has_role(request.user):
            # Like every list: what the caller may not read is left out (here, everything).
            return Response([])
        conflicts = [c.as_dict() for c in reports.open_conflicts()]
        if not in_committee_role(request.user):
            # Only conflicts whose definitions and fields the caller may all read.
            keys = set(
                definitions_visible_to(request.user, FieldDefinition.objects.all()).values_list(
                    "key", flat=True
                )
            )
            refs = visible_field_refs(request.user, {f for c in conflicts for f in c["fields"]})
            conflicts = [
                c for c in conflicts if set(c["definitions"]) <= keys and set(c["fields"]) <= refs
            ]
        return Response(conflicts)

    @extend_schema(request=ResolveConflictSerializer, responses={201: ResolveConflictSerializer})
    @action(detail=False, methods=["post"])
    def resolve(self, request):
        """A committee member records how a conflict was settled; it leaves the open list."""
        deny_unless(in_committee_role(request.user), "Only the committee settles conflicts.")
        body = ResolveConflictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.resolve_conflict(Actor.from_request(request), **body.validated_data)
        return Response(body.validated_data, status=status.HTTP_201_CREATED)


class KpiView(APIView):
    """Governance KPIs computed from the data. They count the whole catalog, so a caller
    without catalog-wide view (a vendor) gets a 403 rather than figures about systems it may
    not see."""

    @extend_schema(responses=inline_serializer("Kpis", {"fields": serializers.IntegerField()}))
    def get(self, request):
        deny_unless(has_role(request.user), "Your account has no governance role.")
        deny_unless(
            sees_whole_catalog(request.user),
            "KPIs cover the whole catalog; your role reads only part of it.",
        )
        return Response(reports.kpis())


class OwnershipViewSet(GovernedViewSet):
    """Owners and stewards of systems and datasets (granted as object permissions)."""

    queryset = Ownership.objects.select_related("system", "dataset__system", "user").order_by("id")
    serializer_class = OwnershipSerializer
    filterset_class = OwnershipFilterSet
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def visible(self, queryset):
        if not has_role(self.request.user):
            return queryset.none()
        return ownerships_visible_to(self.request.user, queryset)

    def create(self, request, *args, **kwargs):
        deny_unless(has_role(request.user), "Your account has no governance role.")
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        target = data.get("system") or data.get("dataset")
        deny_unless(
            user_can(request.user, "change", target), f"You may not assign owners of {target}."
        )
        ownership = services.assign_ownership(self.actor(), target, data["user"], data["role"])
        return self.represent(ownership, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        ownership = self.get_object()
        self.check_if_match(ownership)
        deny_unless(
            user_can(request.user, "change", ownership.target),
            f"You may not remove owners of {ownership.target}.",
        )
        services.remove_ownership(self.actor(), ownership)
        return Response(status=status.HTTP_204_NO_CONTENT)
