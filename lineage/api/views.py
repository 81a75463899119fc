"""Lineage endpoints: thin views over lineage.services (writes) and lineage.queries (reads)."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import SourceSystem
from core.api.permissions import ObjectPermissions
from core.api.views import GovernedViewSet
from core.audit import Actor
from core.errors import Invalid, NotFound, PermissionDenied, summary
from core.lookups import get_visible
from core.permissions import perm_name, user_can, visible
from lineage import graph as g
from lineage import openlineage, queries
from lineage.api.serializers import (
    TYPES,
    CheckSerializer,
    DatasetEdgeSerializer,
    EtlJobSerializer,
    EtlJobVersionDetailSerializer,
    EtlJobVersionSerializer,
    GraphQuerySerializer,
    LineageEdgeSerializer,
    OrphansQuerySerializer,
    PathsQuerySerializer,
    SubmitSqlSerializer,
    WalkQuerySerializer,
    WalkSerializer,
)
from lineage.filtersets import (
    DatasetEdgeFilterSet,
    EtlJobFilterSet,
    EtlJobVersionFilterSet,
    LineageEdgeFilterSet,
)
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge
from lineage.services import JobService, submit_sql

Report = inline_serializer("LineageReport", {"count": serializers.IntegerField()})


@extend_schema(
    parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH, description="key or id")]
)
class EtlJobViewSet(GovernedViewSet):
    queryset = EtlJob.objects.select_related("system", "owner", "current_version").order_by("key")
    serializer_class = EtlJobSerializer
    filterset_class = EtlJobFilterSet
    service = JobService
    lookup_field = "key"
    ordering_fields = ["key", "name", "created_at", "updated_at"]

    @extend_schema(request=SubmitSqlSerializer, responses={201: EtlJobVersionSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, key=None):
        """Store new SQL as the job's next version and make its lineage current. SQL that does
        not parse is stored too (201) with its errors; the job then keeps its last lineage.
        403, storing nothing, when the SQL writes into a system the caller may not change."""
        job = self.get_object()
        body = SubmitSqlSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = submit_sql(self.actor(), job, body.validated_data["sql"], authorize=True)
        return Response(EtlJobVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VisibleReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Rows of the jobs the caller may view."""

    permission_classes = [ObjectPermissions]

    def get_queryset(self):
        return visible(self.request.user, super().get_queryset(), ("job",))


class EtlJobVersionViewSet(VisibleReadOnlyViewSet):
    queryset = EtlJobVersion.objects.select_related("job").order_by("job__key", "-number")
    filterset_class = EtlJobVersionFilterSet

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EtlJobVersionDetailSerializer
        return EtlJobVersionSerializer


class LineageEdgeViewSet(VisibleReadOnlyViewSet):
    queryset = LineageEdge.objects.select_related(
        "source__dataset__system", "target__dataset__system", "job", "job_version"
    ).order_by("id")
    serializer_class = LineageEdgeSerializer
    filterset_class = LineageEdgeFilterSet


class DatasetEdgeViewSet(VisibleReadOnlyViewSet):
    queryset = DatasetEdge.objects.select_related(
        "source__system", "target__system", "job", "job_version"
    ).order_by("id")
    serializer_class = DatasetEdgeSerializer
    filterset_class = DatasetEdgeFilterSet


def _query(serializer_class, request) -> dict:
    # A plain dict: from a QueryDict, REST framework reads `?types=` as "not given" (an HTML
    # form's empty input) and quietly uses the default instead of refusing the empty value.
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    data = dict(params.validated_data)
    data["types"] = g.type_mask(TYPES[data["types"]])
    return data


class GraphViewSet(viewsets.ViewSet):
    """Questions over the stored graph. Edges of jobs the caller may not read are not followed."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[WalkQuerySerializer], responses=WalkSerializer)
    def list(self, request):
        """Upstream (root cause) and/or downstream (impact) of a field or a dataset, each result
        with its path and the jobs on it; `partial` when `limit` or the depth cap cut it."""
        q = _query(WalkQuerySerializer, request)
        if q.get("field"):
            node = queries.find_field(request.user, q["field"])
        else:
            node = queries.find_dataset(request.user, q["dataset"])
        return Response(
            queries.walk(
                request.user,
                node,
                direction=q["direction"],
                depth=q.get("depth"),
                types=q["types"],
                limit=q.get("limit"),
            )
        )

    @extend_schema(parameters=[PathsQuerySerializer], responses=Report)
    @action(detail=False)
    def paths(self, request):
        """Every path between two fields (up to `limit`, default 100)."""
        q = _query(PathsQuerySerializer, request)
        source = queries.find_field(request.user, q["source"], "source")
        target = queries.find_field(request.user, q["target"], "target")
        return Response(
            queries.paths(request.user, source, target, types=q["types"], limit=q.get("limit", 100))
        )

    @extend_schema(parameters=[GraphQuerySerializer], responses=Report)
    @action(detail=False)
    def cycles(self, request):
        """Lineage that feeds itself, each cycle as its fields."""
        q = _query(GraphQuerySerializer, request)
        return Response(queries.cycles(request.user, types=q["types"], limit=q.get("limit", 100)))

    @extend_schema(parameters=[OrphansQuerySerializer], responses=Report)
    @action(detail=False)
    def orphans(self, request):
        """Fields with no upstream that should have one: in warehouse and mart systems, or only
        known from lineage (discovered)."""
        q = _query(OrphansQuerySerializer, request)
        return Response(
            queries.orphans(
                request.user, system=q.get("system"), types=q["types"], limit=q.get("limit", 1000)
            )
        )


class CheckView(APIView):
    """The pre-change check: what submitting this SQL to the job would change, without saving
    anything. `breaking` is true when some field would lose its lineage."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=CheckSerializer, responses=Report)
    def post(self, request):
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = get_job(request.user, body.validated_data["job"])
        return Response(queries.check_change(job, body.validated_data["sql"]))


class OpenLineageView(APIView):
    """Receive an OpenLineage RunEvent (spec 2-0-2) and record its lineage as a job version.
    Dataset namespaces map to systems of the same key; `?system=KEY` is the fallback, and the
    system of a new job."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=inline_serializer("RunEvent", {"eventType": serializers.CharField()}),
        responses={
            201: EtlJobVersionSerializer,
            202: OpenApiResponse(description="Accepted; FAIL/ABORT events record nothing."),
        },
    )
    def post(self, request):
        event = request.data
        errors = openlineage.validate(event)
        if errors:
            raise Invalid(f"Not a valid RunEvent: {summary(errors)}", errors)
        fallback = self._fallback_system(request)
        job = openlineage.find_job(event)
        self._check_permission(request.user, job)
        version = openlineage.record_event(
            Actor.from_request(request), event, fallback, authorize=True
        )
        if version is None:
            return Response({"recorded": False}, status=status.HTTP_202_ACCEPTED)
        return Response(EtlJobVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    def _fallback_system(self, request):
        key = request.query_params.get("system")
        if not key:
            return None
        system = visible(request.user, SourceSystem.objects.all()).by_ref(key).first()
        if system is None:
            raise Invalid.at("system", f"No system {key!r}.")
        return system

    @staticmethod
    def _check_permission(user, job) -> None:
        if job is None:
            if not (user.is_superuser or user.has_perm(perm_name(EtlJob, "add"))):
                raise PermissionDenied("You may not register jobs.")
        elif not user_can(user, "view", job):
            raise NotFound(f"No job {job.key!r} that you may read.")
        elif not user_can(user, "change", job):
            raise PermissionDenied(f"You may not change job {job.key!r}.")


def get_job(user, key: str) -> EtlJob:
    return get_visible(user, EtlJob.objects.all(), key, param="job")
