"""Lineage endpoints: thin views over lineage.services (writes) and lineage.queries (reads)."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from catalog.models import SourceSystem
from core.api.permissions import ObjectPermissions
from core.api.views import GovernedViewSet
from core.audit import Actor
from core.errors import Invalid, NotFound, PermissionDenied
from core.lookups import get_visible
from core.permissions import user_can, visible
from lineage import dbt, openlineage, queries
from lineage import graph as g
from lineage.api.serializers import (
    TYPES,
    CheckSerializer,
    DatasetEdgeSerializer,
    DbtImportReportSerializer,
    DbtImportSerializer,
    EtlJobSerializer,
    EtlJobVersionDetailSerializer,
    EtlJobVersionSerializer,
    EventOutcomeSerializer,
    GraphQuerySerializer,
    LimitErrorSerializer,
    LineageEdgeSerializer,
    OrphansQuerySerializer,
    PathsQuerySerializer,
    ResolvedNamespaceSerializer,
    ResolveNamespaceSerializer,
    SqlSubmissionSerializer,
    SubmissionRequestSerializer,
    SubmitSqlSerializer,
    UnmappedNamespaceSerializer,
    WaitingEventSerializer,
    WalkQuerySerializer,
    WalkSerializer,
    outcome_data,
)
from lineage.choices import NamespaceStatus
from lineage.filtersets import (
    DatasetEdgeFilterSet,
    EtlJobFilterSet,
    EtlJobVersionFilterSet,
    LineageEdgeFilterSet,
)
from lineage.models import (
    DatasetEdge,
    EtlJob,
    EtlJobVersion,
    LineageEdge,
    SqlSubmission,
    UnmappedNamespace,
)
from lineage.parsing import ParseLimits
from lineage.services import JobService, can_read_lineage, submit_sql
from lineage.tasks import fail_stale, submit_async

Report = inline_serializer("LineageReport", {"count": serializers.IntegerField()})
LIMIT_RESPONSES = {
    413: OpenApiResponse(
        LimitErrorSerializer,
        description="`too_large`: more bytes or statements than the limits allow; `limit` "
        "names the setting, its value and the SQL's. Nothing was recorded.",
    ),
    422: OpenApiResponse(
        LimitErrorSerializer,
        description="`parse_timeout`: the parse ran past the total time allowed (`limit`) and "
        "was stopped. Nothing was recorded.",
    ),
}


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

    @extend_schema(
        request=SubmitSqlSerializer,
        responses={201: EtlJobVersionSerializer, **LIMIT_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, key=None):
        """Store new SQL as the job's next version and make its lineage current. SQL that does
        not parse is stored too (201) with its errors; the job then keeps its last lineage.
        403, storing nothing, when the SQL writes into a system the caller may not change."""
        job = self.get_object()
        body = SubmitSqlSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = submit_sql(
            self.actor(),
            job,
            body.validated_data["sql"],
            authorize=True,
            limits=ParseLimits.for_requests(),
        )
        return Response(EtlJobVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=inline_serializer(
            "OpenLineageRunEvent",
            {
                "eventType": serializers.CharField(),
                "eventTime": serializers.CharField(),
                "producer": serializers.CharField(),
                "schemaURL": serializers.CharField(),
                "run": serializers.DictField(),
                "job": serializers.DictField(),
                "inputs": serializers.ListField(child=serializers.DictField()),
                "outputs": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        )
    )
    @action(detail=True, methods=["get"])
    def openlineage(self, request, key=None):
        """The job's current lineage as OpenLineage RunEvents (spec 2-0-2, a JSON array ready
        to post as a batch): one COMPLETE event with the column-lineage facet (1-2-0) and the
        schema facet. Datasets are named by their system's first OpenLineage namespace (with
        its database prefix) or by the system key. Empty when the job has no lineage yet."""
        return Response(openlineage.job_events(self.get_object()))


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
    """Questions over the stored graph. Edges of jobs the caller may not read are not followed;
    how much lies beyond them is counted in `hidden` (and makes the answer `partial`), never
    named."""

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

    @extend_schema(request=CheckSerializer, responses={200: Report, **LIMIT_RESPONSES})
    def post(self, request):
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = get_job(request.user, body.validated_data["job"])
        report = queries.check_change(
            job, body.validated_data["sql"], request.user, limits=ParseLimits.for_requests()
        )
        return Response(report)


class SqlSubmissionViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet
):
    """Asynchronous SQL submissions, for scripts larger than one request may parse: `POST` queues
    one (202, with its URL in `Location`), `GET` on that URL reports its progress (`queued`,
    `running` with statements done out of the total, `done` with the version or the check's
    report, `failed` with the error). A task worker runs them (`manage.py db_worker`). Callers
    see only their own submissions; the rights are those of the synchronous endpoints."""

    queryset = SqlSubmission.objects.select_related("job", "version__job").order_by(
        "-submitted_at", "-id"
    )
    serializer_class = SqlSubmissionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = None
    ordering_fields = ["submitted_at"]

    def get_queryset(self):
        mine = super().get_queryset()
        if not self.request.user.is_superuser:
            mine = mine.filter(submitted_by=self.request.user)
        if self.request.method == "GET":
            # A submission whose worker died is answered as failed, not `running` for ever.
            fail_stale(mine)
        return mine

    def get_object(self):
        submission = super().get_object()
        if not user_can(self.request.user, "view", submission.job):
            raise NotFound("No submission with that id.")
        return submission

    @extend_schema(
        request=SubmissionRequestSerializer,
        responses={202: SqlSubmissionSerializer, 413: LIMIT_RESPONSES[413]},
    )
    def create(self, request):
        body = SubmissionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job = get_job(request.user, data["job"])
        submission = submit_async(request.user, job, data["action"], data["sql"])
        out = self.get_serializer(submission).data
        return Response(out, status=status.HTTP_202_ACCEPTED, headers={"Location": str(out["url"])})


class OpenLineageView(APIView):
    """Receive OpenLineage RunEvents (spec 2-0-2): one event, or a batch as a JSON array, all or
    nothing. A COMPLETE event's lineage becomes a new version of its job (201; 200 with one
    result per event for a batch). START/RUNNING/OTHER/FAIL/ABORT events are accepted and
    change nothing (202). Dataset namespaces map to the system listing them in
    `openlineage_namespaces`, else to the system of the same key, else to `?system=KEY` (also
    the system of a new job); an event naming any other namespace is kept waiting (202) until a
    steward maps the namespace (`openlineage/namespaces/`)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=inline_serializer(
            "RunEvent",
            {
                "eventType": serializers.CharField(),
                "eventTime": serializers.CharField(),
                "run": serializers.DictField(),
                "job": serializers.DictField(),
                "inputs": serializers.ListField(child=serializers.DictField()),
                "outputs": serializers.ListField(child=serializers.DictField()),
            },
        ),
        responses={
            201: EtlJobVersionSerializer,
            200: inline_serializer(
                "RunEventBatchResult", {"results": EventOutcomeSerializer(many=True)}
            ),
            202: EventOutcomeSerializer,
        },
    )
    def post(self, request):
        fallback = self._fallback_system(request)
        outcomes = openlineage.receive(Actor.from_request(request), request.data, fallback)
        if isinstance(request.data, list):
            return Response({"results": [outcome_data(o) for o in outcomes]})
        outcome = outcomes[0]
        if outcome.version is None:
            return Response(outcome_data(outcome), status=status.HTTP_202_ACCEPTED)
        return Response(
            EtlJobVersionSerializer(outcome.version).data, status=status.HTTP_201_CREATED
        )

    def _fallback_system(self, request):
        key = request.query_params.get("system")
        if not key:
            return None
        system = visible(request.user, SourceSystem.objects.all()).by_ref(key).first()
        if system is None:
            raise Invalid.at("system", f"No system {key!r}.")
        return system


class DbtImportView(APIView):
    """Import a dbt project's artifacts (manifest, optionally catalog and run results) into the
    system it builds into: models, sources, seeds and snapshots as datasets with their columns,
    owners, tags and tests, and each model's column lineage from its compiled SQL. Idempotent;
    all or nothing. Needs change rights on the system (and on any system a new source is
    registered in); `create_system` needs the right to register systems."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=DbtImportSerializer, responses=DbtImportReportSerializer)
    def post(self, request):
        body = DbtImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = data["system"].strip().lower()
        exists = SourceSystem.objects.filter(key=key)
        if exists.exists():
            if not visible(request.user, exists).exists():
                # As for any create naming a parent: hidden reads like missing, a 400 at the key.
                raise Invalid.at("system", f"No system {key!r} that you may read.")
        elif data["create_system"] and not (
            request.user.is_superuser or request.user.has_perm("catalog.add_sourcesystem")
        ):
            raise PermissionDenied("You may not register systems.")
        report = dbt.import_artifacts(
            Actor.from_request(request),
            key,
            data["manifest"],
            data.get("catalog"),
            data.get("run_results"),
            create=data["create_system"],
        )
        return Response(report.as_dict())


class UnmappedNamespaceViewSet(viewsets.ReadOnlyModelViewSet):
    """OpenLineage namespaces no system lists, with the events waiting on them. A steward (or
    whoever may change the system) says once which system a namespace names (`resolve`); the
    waiting events are recorded then. `?status=pending` (default: all)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = UnmappedNamespaceSerializer
    queryset = UnmappedNamespace.objects.select_related("system", "resolved_by").prefetch_related(
        "events__namespaces"
    )

    def get_queryset(self):
        if not can_read_lineage(self.request.user):
            return UnmappedNamespace.objects.none()  # a list is empty, a namespace a 404
        queryset = super().get_queryset().order_by("namespace")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in NamespaceStatus.values:
                raise Invalid.at("status", f"One of {', '.join(NamespaceStatus.values)}.")
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=NamespaceStatus.values)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ResolveNamespaceSerializer, responses=ResolvedNamespaceSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Map the namespace to a system (which needs change rights on it): it joins the
        system's `openlineage_namespaces` (and `database` its `openlineage_database`), and the
        events waiting on it alone are recorded as their senders, oldest first."""
        pending = self.get_object()
        body = ResolveNamespaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = body.validated_data["system"]
        system = visible(request.user, SourceSystem.objects.all()).by_ref(key).first()
        if system is None:
            raise NotFound(f"No system {key!r} that you may read.")
        processed = openlineage.resolve_namespace(
            Actor.from_request(request), pending, system, body.validated_data.get("database")
        )
        pending.refresh_from_db()
        data = ResolvedNamespaceSerializer(pending, context={"request": request}).data
        data["processed"] = WaitingEventSerializer(processed, many=True).data
        return Response(data)


def get_job(user, key: str) -> EtlJob:
    return get_visible(user, EtlJob.objects.all(), key, param="job")
