"""Vendor endpoints: thin viewsets over vendors.services."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, parsers, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from catalog.models import Field, SourceSystem
from core.api.permissions import ModelPermission
from core.api.serializers import ChoiceField
from core.errors import Invalid, NotFound, PermissionDenied
from core.lookups import get_visible
from core.permissions import visible
from governance.api.workflow import ReasonSerializer, StatusChangeSerializer, WorkflowViewSet
from vendors import adapters, odcs, services
from vendors.api.odcs import import_document
from vendors.api.serializers import (
    ContactSerializer,
    ContractSerializer,
    ContractVersionSerializer,
    NoticeSerializer,
    VendorSerializer,
    VendorUserSerializer,
)
from vendors.choices import Activity, NoticeStatus, RaciRole
from vendors.filtersets import (
    ContactFilterSet,
    ContractFilterSet,
    NoticeFilterSet,
    VendorFilterSet,
    VersionFilterSet,
)
from vendors.models import (
    ChangeNotice,
    ContractVersion,
    IntegrationContract,
    Vendor,
    VendorContact,
)
from vendors.rendering import render_html, render_markdown

VERSION_PATHS = ("contract", "contract__vendor")


class VendorViewSetBase(WorkflowViewSet):
    """The workflow viewset with vendor steps: each runs a service `fn(actor, obj, name,
    reason)` on this object."""

    def act(self, fn, name: str) -> Response:
        return self.fire(self.get_object(), name, run=fn)


class DocumentRenderer(renderers.BaseRenderer):
    """Lets a client ask for a text document by its media type. The document itself is sent as
    a plain HttpResponse; an error body (a dict) is still written as JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return (data if isinstance(data, str) else json.dumps(data)).encode()


class MarkdownRenderer(DocumentRenderer):
    media_type = "text/markdown"
    format = "md"


class HtmlRenderer(DocumentRenderer):
    media_type = "text/html"
    format = "html"


class YamlRenderer(DocumentRenderer):
    media_type = "application/yaml"
    format = "yaml"


class YamlParser(parsers.BaseParser):
    """An ODCS document as YAML (JSON is YAML too)."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return odcs.parse(stream.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(str(exc)) from None


class VendorViewSet(VendorViewSetBase):
    queryset = Vendor.objects.order_by("key")
    serializer_class = VendorSerializer
    filterset_class = VendorFilterSet
    service = services.VendorService
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["key", "name"]
    object_action_permissions = {"users": "view"}

    @extend_schema(request=VendorUserSerializer, responses=VendorUserSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def users(self, request, key=None):
        """The vendor's users; the company (stewards) adds a user, who then acts for this
        vendor only."""
        vendor = self.get_object()
        if request.method == "POST":
            if not request.user.has_perm("vendors.change_vendor"):
                raise PermissionDenied("Only the company adds users to a vendor.")
            body = VendorUserSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.add_vendor_user(self.actor(), vendor, body.validated_data["user"])
        members = vendor.members.select_related("user").order_by("user__username")
        return Response(VendorUserSerializer(members, many=True).data)


class ContactViewSet(VendorViewSetBase):
    queryset = VendorContact.objects.select_related("vendor").order_by(
        "vendor__key", "escalation_level", "name", "id"
    )
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    service = services.ContactService
    parent_paths = ("vendor",)
    create_permission_checked_in_view = True  # change on the vendor, in the serializer
    object_action_permissions = {"destroy": "change"}  # a vendor keeps its own contact list


def pick_version(contract: IntegrationContract, number: str | None) -> ContractVersion:
    versions = contract.versions.all()
    if number:
        found = versions.filter(number=number).first() if number.isdigit() else None
        if found is None:
            raise NotFound(f"Contract {contract} has no version {number!r}.")
        return found
    found = contract.effective_version or versions.order_by("-number").first()
    if found is None:
        raise NotFound(f"Contract {contract} has no version yet.")
    return found


VERSION_PARAM = OpenApiParameter(
    "version", int, description="Version number; default the one in force, else the latest"
)


class ContractViewSet(VendorViewSetBase):
    queryset = IntegrationContract.objects.select_related("vendor").order_by("key")
    serializer_class = ContractSerializer
    filterset_class = ContractFilterSet
    service = services.ContractService
    parent_paths = ("vendor",)
    create_permission_checked_in_view = True
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["key", "name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(parameters=[VERSION_PARAM], responses={(200, "text/markdown"): OpenApiTypes.STR})
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, MarkdownRenderer])
    def document(self, request, key=None):
        """The contract as a Markdown document, RACI as a table."""
        version = pick_version(self.get_object(), request.query_params.get("version"))
        return HttpResponse(render_markdown(version), content_type="text/markdown; charset=utf-8")

    @extend_schema(parameters=[VERSION_PARAM], responses={(200, "text/html"): OpenApiTypes.STR})
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, HtmlRenderer])
    def printable(self, request, key=None):
        """The contract as a printable HTML page."""
        version = pick_version(self.get_object(), request.query_params.get("version"))
        return HttpResponse(render_html(version), content_type="text/html; charset=utf-8")

    @extend_schema(
        methods=["GET"],
        description="The version as an Open Data Contract Standard (ODCS v3) document, YAML "
        "unless JSON is asked for (`?format=json` or `Accept: application/json`).",
        parameters=[
            VERSION_PARAM,
            OpenApiParameter("format", str, enum=["yaml", "json"], description="Default yaml"),
        ],
        responses={
            (200, "application/yaml"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @extend_schema(
        methods=["POST"],
        description="An ODCS v3 document (YAML or JSON) becomes a new draft version of this "
        "contract; refused with every problem at its path in the document, nothing written.",
        request={"application/yaml": OpenApiTypes.STR, "application/json": OpenApiTypes.OBJECT},
        responses={201: ContractVersionSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        renderer_classes=[renderers.JSONRenderer, YamlRenderer],
        parser_classes=[parsers.JSONParser, YamlParser],
    )
    def odcs(self, request, key=None):
        """GET: the version as an Open Data Contract Standard (ODCS v3) document, YAML or JSON.
        POST: an ODCS document (YAML or JSON) becomes a new draft version of this contract;
        refused with every problem at its path in the document, nothing written."""
        contract = self.get_object()
        if request.method == "POST":
            if not isinstance(request.data, dict):
                raise Invalid.at("", "An ODCS document is a mapping (apiVersion, kind, id, ...).")
            version = import_document(self.actor(), contract, request.data)
            fresh = ContractVersion.objects.select_related(*VERSION_PATHS).get(pk=version.pk)
            body = ContractVersionSerializer(fresh, context=self.get_serializer_context()).data
            return Response(body, status=status.HTTP_201_CREATED)
        version = pick_version(contract, request.query_params.get("version"))
        # YAML unless JSON is asked for; refusals and the created version are JSON.
        wants_json = "application/json" in request.headers.get("Accept", "")
        fmt = request.query_params.get("format") or ("json" if wants_json else "yaml")
        return HttpResponse(
            odcs.dump(odcs.export(version), fmt),
            content_type=f"application/{fmt}; charset=utf-8",
        )


TRANSITION_RESPONSES = {"request": ReasonSerializer, "responses": ContractVersionSerializer}


@extend_schema(
    parameters=[
        OpenApiParameter("id", str, OpenApiParameter.PATH, description="id or 'contract@number'")
    ]
)
class VersionViewSet(VendorViewSetBase):
    queryset = ContractVersion.objects.select_related(
        "contract__vendor", "source_system", "target_system"
    ).order_by("contract__key", "number")
    serializer_class = ContractVersionSerializer
    filterset_class = VersionFilterSet
    service = services.VersionService
    parent_paths = VERSION_PATHS
    create_permission_checked_in_view = True
    lookup_value_regex = "[^/]+"
    ordering_fields = ["number", "status", "created_at"]
    # Approvers need only read access here; the service checks they own an affected system.
    object_action_permissions = {
        "approve": "view",
        "reject": "view",
        "request_changes": "view",
        "activate": "view",
        "expire": "view",
        "destroy": "change",
    }

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        contract = data.pop("contract")
        version = services.create_version(self.actor(), contract, data)
        return self.represent(version, status.HTTP_201_CREATED)

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the draft for review; refused with every gap listed when it is incomplete."""
        return self.act(services.version_transition, "submit")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take a submitted version back to draft (its review is withdrawn)."""
        return self.act(services.version_transition, "withdraw")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Vote to approve: an owner of an affected system decides alone, committee members
        under the committee's rule. In force at once unless it starts later."""
        return self.act(services.decide, "approve")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Vote to reject (with a reason)."""
        return self.act(services.decide, "reject")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        """Vote to send it back to the vendor as a draft (with a reason)."""
        return self.act(services.decide, "request_changes")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Put an approved version in force, superseding the current one."""
        return self.act(services.version_transition, "activate")

    @extend_schema(**TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def expire(self, request, pk=None):
        return self.act(services.version_transition, "expire")

    @extend_schema(responses=StatusChangeSerializer(many=True))
    @action(detail=True)
    def history(self, request, pk=None):
        """Every transition of this version, oldest first, with actor and reason."""
        version = self.get_object()
        return self.history_of([version], {version.pk: str(version)})


class NoticeViewSet(VendorViewSetBase):
    queryset = ChangeNotice.objects.select_related("contract__vendor", "version").order_by(
        "-created_at", "-id"
    )
    serializer_class = NoticeSerializer
    filterset_class = NoticeFilterSet
    parent_paths = VERSION_PATHS
    create_permission_checked_in_view = True
    http_method_names = ["get", "post", "head", "options"]
    object_action_permissions = {"acknowledge": "view", "object_to": "view"}

    def check_right(self, notice, name: str) -> None:
        # A notice has no workflow of its own: whoever may approve its version answers it.
        if notice.version is not None and not services.may_approve(
            self.request.user, notice.version
        ):
            raise PermissionDenied(services.NOTICE_ANSWERERS)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        contract = data.pop("contract")
        notice = services.file_notice(self.actor(), contract, data)
        return self.represent(notice, status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The contract's owner accepts the change."""
        return self.act(services.respond_to_notice, NoticeStatus.ACKNOWLEDGED)

    @extend_schema(request=ReasonSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"], url_path="object")
    def object_to(self, request, pk=None):
        """The contract's owner objects to the change (a reason is required)."""
        return self.act(services.respond_to_notice, NoticeStatus.OBJECTED)


def visible_versions(user):
    return visible(user, ContractVersion.objects.all(), VERSION_PATHS).select_related(
        "contract__vendor", "source_system", "target_system"
    )


def _party_rows(version, activity: str) -> dict:
    rows = [r for r in version.raci.all() if r.activity == activity]

    def of(role):
        return [r.party_label for r in rows if r.role == role]

    accountable = of(RaciRole.ACCOUNTABLE)
    return {
        "accountable": accountable[0] if accountable else None,
        "responsible": of(RaciRole.RESPONSIBLE),
        "consulted": of(RaciRole.CONSULTED),
        "informed": of(RaciRole.INFORMED),
    }


def _version_brief(version) -> dict:
    return {
        "contract": version.contract.key,
        "contract_name": version.contract.name,
        "vendor": version.contract.vendor.key,
        "vendor_name": version.contract.vendor.name,
        "version": version.number,
        "status": version.status,
        "source_system": version.source_system.key,
        "target_system": version.target_system.key,
    }


class ResponsibilityQuerySerializer(serializers.Serializer):
    activity = ChoiceField(choices=Activity.choices, required=False)
    feeds = serializers.CharField(
        required=False, help_text="System key fed, directly or by lineage"
    )
    vendor = serializers.CharField(required=False)


class ResponsibilityView(generics.GenericAPIView):
    """Who is accountable and responsible for each activity on every interface in force,
    e.g. `?activity=error_handling&feeds=cdp`: every interface feeding the CDP."""

    queryset = ContractVersion.objects.none()
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[ResponsibilityQuerySerializer],
        responses=inline_serializer(
            "Responsibilities",
            {"count": serializers.IntegerField(), "results": serializers.ListField()},
        ),
    )
    def get(self, request):
        query = ResponsibilityQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        activities = [params["activity"]] if "activity" in params else Activity.values
        feeds = params.get("feeds", "").lower()
        if feeds and not SourceSystem.objects.filter(key=feeds).exists():
            raise Invalid.at("feeds", f"No system {feeds!r}.")
        versions = visible_versions(request.user).filter(status="active").prefetch_related("raci")
        if params.get("vendor"):
            versions = versions.filter(contract__vendor__key=params["vendor"].lower())
        results = [
            {**_version_brief(v), "activity": a, **_party_rows(v, a)}
            for v in versions
            if not feeds or services.feeds_system(v, feeds)
            for a in activities
        ]
        return Response({"count": len(results), "results": results})


class LineageContractsView(generics.GenericAPIView):
    """Which contract and vendor stand behind a lineage edge (by edge id) or a field (by ref)."""

    queryset = ContractVersion.objects.none()
    pagination_class = None
    filter_backends: list = []
    permission_classes = [ModelPermission]

    def get_queryset(self):
        return IntegrationContract.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ref", str, OpenApiParameter.PATH, description="lineage edge id or field ref"
            )
        ],
        responses=inline_serializer(
            "LineageContracts",
            {"edge": serializers.DictField(allow_null=True), "results": serializers.ListField()},
        ),
    )
    def get(self, request, ref: str):
        edge = None
        if ref.isdigit():
            found = adapters.edge_fields(int(ref))
            if found is None:
                raise NotFound(f"No lineage edge {ref}.")
            source, target, job = found
            field_ids, jobs = {source, target}, {job}
            refs = {f.pk: f.ref for f in Field.objects.filter(pk__in=field_ids)}
            edge = {"id": int(ref), "source": refs[source], "target": refs[target], "job": job}
        else:
            field = get_visible(request.user, Field.objects.all(), ref, param="ref")
            field_ids, jobs = {field.pk}, set()
        matches = services.contracts_behind(field_ids, jobs, visible_versions(request.user))
        return Response(
            {
                "edge": edge,
                "results": [
                    {**_version_brief(m["version"]), "reason": m["reason"]} for m in matches
                ],
            }
        )


class AgendaView(generics.GenericAPIView):
    """What awaits the company's decision on vendor contracts: open change notices (flagged
    when inside the notice period) and versions under review."""

    queryset = ChangeNotice.objects.all()
    pagination_class = None
    filter_backends: list = []
    permission_classes = [ModelPermission]

    @extend_schema(
        responses=inline_serializer("VendorAgenda", {"results": serializers.ListField()})
    )
    def get(self, request):
        return Response({"results": services.agenda_notices() + services.agenda_versions()})
