"""Lineage representations: jobs by key, fields and datasets by reference."""

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import SourceSystem
from core.api.serializers import (
    ChoiceField,
    ErrorSerializer,
    ModelSerializer,
    StrictSerializer,
    ValidatedModelSerializer,
)
from lineage.choices import SubmissionAction
from lineage.models import (
    DatasetEdge,
    EtlJob,
    EtlJobVersion,
    LineageEdge,
    SqlSubmission,
    UnmappedNamespace,
    WaitingEvent,
)
from lineage.openlineage import event_type

SQL_HELP = (
    "The script. At most LINEAGE_SQL_MAX_BYTES bytes and LINEAGE_SQL_MAX_STATEMENTS statements, "
    "parsed within LINEAGE_PARSE_SECONDS (README, Limits of one request): beyond them the "
    "answer is a 413 or 422 naming the limit, and nothing is recorded."
)


class BriefJobVersionSerializer(ModelSerializer):
    class Meta:
        model = EtlJobVersion
        fields = ["id", "number", "status", "origin", "submitted_at", "edge_count"]


class EtlJobSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="etljob-detail", lookup_field="key")
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="Username; defaults to whoever registers the job.",
    )
    system = serializers.SlugRelatedField(
        slug_field="key",
        queryset=SourceSystem.objects.all(),
        help_text="Where the job runs and its default system: table names resolve to its "
        "datasets first, and a table found nowhere is registered here as discovered.",
    )
    search_path = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="System keys searched in order after `system` for table names it does not "
        "have; the first system holding the name wins. A name held by several systems, none "
        "of them searched, is an error of the statement naming it.",
    )
    current_version = BriefJobVersionSerializer(read_only=True)

    class Meta:
        model = EtlJob
        fields = [
            "id",
            "url",
            "key",
            "name",
            "owner",
            "system",
            "search_path",
            "dialect",
            "schedule",
            "description",
            "current_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []


class EtlJobVersionSerializer(ModelSerializer):
    job = serializers.SlugRelatedField(slug_field="key", read_only=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = EtlJobVersion
        fields = [
            "id",
            "job",
            "number",
            "origin",
            "status",
            "is_current",
            "dialect",
            "sql",
            "errors",
            "warnings",
            "edge_count",
            "submitted_by_name",
            "submitted_at",
        ]
        read_only_fields = fields

    def get_is_current(self, version) -> bool:
        return version.job.current_version_id == version.pk


class EtlJobVersionDetailSerializer(EtlJobVersionSerializer):
    class Meta(EtlJobVersionSerializer.Meta):
        fields = [*EtlJobVersionSerializer.Meta.fields, "result", "payload"]
        read_only_fields = fields


class StrictCharField(serializers.CharField):
    """A CharField that takes only strings (DRF's turns 123 into "123")."""

    default_error_messages = {"not_a_string": "Expected a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class SubmitSqlSerializer(serializers.Serializer):
    # No max_length: the size limits are the parser's (lineage.parsing), answered with a 413.
    sql = StrictCharField(trim_whitespace=False, help_text=SQL_HELP)

    def validate_sql(self, value):
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class CheckSerializer(SubmitSqlSerializer):
    job = StrictCharField(help_text="The job's key")


class SubmissionRequestSerializer(CheckSerializer):
    action = ChoiceField(
        choices=SubmissionAction.choices,
        help_text="`submit`: store as the job's next version; `check`: the pre-change check.",
    )
    sql = StrictCharField(
        trim_whitespace=False,
        help_text="The script. At most LINEAGE_ASYNC_SQL_MAX_BYTES bytes (413 beyond) and "
        "LINEAGE_ASYNC_SQL_MAX_STATEMENTS statements, parsed within LINEAGE_ASYNC_PARSE_SECONDS.",
    )


class LimitSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The setting that sets the limit")
    max = serializers.FloatField(help_text="Its value (bytes, statements or seconds)")
    value = serializers.IntegerField(required=False, help_text="The SQL's (bytes, statements)")


class LimitErrorSerializer(ErrorSerializer):
    """The error shape, with the limit that was exceeded."""

    limit = LimitSerializer()


class SubmissionVersionSerializer(BriefJobVersionSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="etljobversion-detail")
    errors = serializers.JSONField(read_only=True)

    class Meta(BriefJobVersionSerializer.Meta):
        fields = [*BriefJobVersionSerializer.Meta.fields, "url", "errors"]


class SubmissionProgressSerializer(serializers.Serializer):
    phase = serializers.CharField(
        help_text="`tables` (first pass: the tables named), `columns` (second pass: column "
        "lineage with the catalog's columns), `saving`; empty while queued."
    )
    statements_done = serializers.IntegerField()
    statements_total = serializers.IntegerField(
        allow_null=True, help_text="Known once the script is split."
    )


class SqlSubmissionSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="sqlsubmission-detail")
    job = serializers.SlugRelatedField(slug_field="key", read_only=True)
    progress = serializers.SerializerMethodField()
    version = SubmissionVersionSerializer(
        read_only=True, allow_null=True, help_text="The version recorded (action `submit`)."
    )
    result = serializers.JSONField(
        read_only=True, allow_null=True, help_text="The check's report (action `check`)."
    )
    error = serializers.JSONField(
        read_only=True, allow_null=True, help_text="Why it failed, in the API's error shape."
    )

    class Meta:
        model = SqlSubmission
        fields = [
            "id",
            "url",
            "job",
            "action",
            "status",
            "progress",
            "version",
            "result",
            "error",
            "submitted_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SubmissionProgressSerializer)
    def get_progress(self, obj) -> dict:
        return {
            "phase": obj.phase,
            "statements_done": obj.statements_done,
            "statements_total": obj.statements_total,
        }


class RefField(serializers.CharField):
    def to_representation(self, value):
        return value.ref


class EdgeSerializer(ModelSerializer):
    """Both edge kinds: their ends by reference, their job by key, their version by number."""

    source = RefField(read_only=True)
    target = RefField(read_only=True)
    job = serializers.SlugRelatedField(slug_field="key", read_only=True)
    job_version = serializers.SlugRelatedField(slug_field="number", read_only=True)


class LineageEdgeSerializer(EdgeSerializer):
    class Meta:
        model = LineageEdge
        fields = [
            "id",
            "source",
            "target",
            "type",
            "subtype",
            "expression",
            "masking",
            "job",
            "job_version",
        ]
        read_only_fields = fields


class DatasetEdgeSerializer(EdgeSerializer):
    class Meta:
        model = DatasetEdge
        fields = ["id", "source", "target", "job", "job_version"]
        read_only_fields = fields


TYPES = {"direct": ["DIRECT"], "all": ["DIRECT", "INDIRECT"]}


class GraphQuerySerializer(serializers.Serializer):
    """Query parameters shared by the graph questions."""

    types = ChoiceField(
        choices=list(TYPES),
        default="all",
        help_text="Edges to follow: `direct` (DIRECT only) or `all` (DIRECT and INDIRECT).",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=settings.LINEAGE_MAX_RESULTS,
        required=False,
        help_text="At most this many results (up to the server's cap, LINEAGE_MAX_RESULTS).",
    )


class WalkQuerySerializer(GraphQuerySerializer):
    field = serializers.CharField(required=False, help_text="A field reference system:ds.col")
    dataset = serializers.CharField(required=False, help_text="A dataset reference system:ds")
    direction = ChoiceField(choices=["upstream", "downstream", "both"], default="downstream")
    depth = serializers.IntegerField(
        min_value=1, required=False, help_text="Hops; unlimited (up to the cap) if left out."
    )

    def validate(self, attrs):
        if bool(attrs.get("field")) == bool(attrs.get("dataset")):
            raise serializers.ValidationError({"field": "Give exactly one of field or dataset."})
        return attrs


class PathsQuerySerializer(GraphQuerySerializer):
    source = serializers.CharField(help_text="A field reference")
    target = serializers.CharField(help_text="A field reference")


class OrphansQuerySerializer(GraphQuerySerializer):
    system = serializers.CharField(required=False, help_text="Only this system's fields")


class WalkResultSerializer(serializers.Serializer):
    ref = serializers.CharField()
    depth = serializers.IntegerField()
    path = serializers.ListField(child=serializers.CharField())
    jobs = serializers.ListField(child=serializers.CharField())


class HiddenSerializer(serializers.Serializer):
    nodes = serializers.IntegerField(
        help_text="Fields (or datasets) within the walk's depth reached only through lineage "
        "of jobs the caller may not read."
    )
    edges = serializers.IntegerField(
        help_text="Edges on the walk produced only by jobs the caller may not read."
    )


class WalkSideSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    partial = serializers.BooleanField(
        help_text="True when `limit` or the depth cap cut the walk, or when some of it is hidden."
    )
    hidden = HiddenSerializer(
        help_text="How much lineage the caller may not read lies on this walk (counts only)."
    )
    results = WalkResultSerializer(many=True)


class WalkSerializer(serializers.Serializer):
    node = serializers.CharField()
    kind = ChoiceField(choices=["field", "dataset"])
    direction = serializers.CharField()
    upstream = WalkSideSerializer(required=False)
    downstream = WalkSideSerializer(required=False)


class WaitingEventSerializer(ModelSerializer):
    """A RunEvent kept until every namespace it names is mapped to a system."""

    job = serializers.SerializerMethodField(help_text="The event's job as `namespace/name`")
    event_type = serializers.SerializerMethodField()
    event_time = serializers.SerializerMethodField()
    run_id = serializers.SerializerMethodField()
    namespaces = serializers.SlugRelatedField(slug_field="namespace", many=True, read_only=True)
    version = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = WaitingEvent
        fields = [
            "id",
            "status",
            "job",
            "event_type",
            "event_time",
            "run_id",
            "namespaces",
            "submitted_by_name",
            "created_at",
            "version",
            "errors",
        ]

    def get_job(self, obj) -> str:
        job = obj.payload.get("job") or {}
        return f"{job.get('namespace')}/{job.get('name')}"

    def get_event_type(self, obj) -> str:
        return event_type(obj.payload)

    def get_event_time(self, obj) -> str:
        return str(obj.payload.get("eventTime") or "")

    def get_run_id(self, obj) -> str:
        return str((obj.payload.get("run") or {}).get("runId") or "")


class UnmappedNamespaceSerializer(ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="key", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    events = WaitingEventSerializer(many=True, read_only=True)

    class Meta:
        model = UnmappedNamespace
        fields = [
            "id",
            "namespace",
            "status",
            "system",
            "resolved_by",
            "resolved_at",
            "created_at",
            "events",
        ]


class ResolveNamespaceSerializer(StrictSerializer):
    system = serializers.CharField(help_text="Key of the system the namespace names")
    database = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The database part of the namespace's dataset names to drop (the system's "
        "`openlineage_database`); left as it is when not given.",
    )


class ResolvedNamespaceSerializer(UnmappedNamespaceSerializer):
    processed = WaitingEventSerializer(many=True, read_only=True)

    class Meta(UnmappedNamespaceSerializer.Meta):
        fields = [*UnmappedNamespaceSerializer.Meta.fields, "processed"]


class EventOutcomeSerializer(serializers.Serializer):
    recorded = serializers.BooleanField()
    event_type = serializers.CharField()
    reason = serializers.CharField()
    version = serializers.IntegerField(allow_null=True, help_text="The job version recorded")
    job = serializers.CharField(allow_null=True)
    waiting_event = serializers.IntegerField(allow_null=True)
    unmapped_namespaces = serializers.ListField(child=serializers.CharField())


def outcome_data(outcome) -> dict:
    version = outcome.version
    return {
        "recorded": outcome.recorded,
        "event_type": outcome.event_type,
        "reason": outcome.reason,
        "version": version.pk if version else None,
        "job": version.job.key if version else None,
        "waiting_event": outcome.waiting.pk if outcome.waiting else None,
        "unmapped_namespaces": outcome.unmapped,
    }


class DbtImportSerializer(StrictSerializer):
    system = serializers.CharField(help_text="Key of the system the dbt project builds into")
    create_system = serializers.BooleanField(
        default=False, help_text="Register the system when it does not exist yet"
    )
    manifest = serializers.DictField(help_text="manifest.json (schema v10 to v12)")
    catalog = serializers.DictField(required=False, help_text="catalog.json (v1)")
    run_results = serializers.DictField(required=False, help_text="run_results.json (v4 to v6)")


class DbtImportReportSerializer(serializers.Serializer):
    system = serializers.CharField()
    created_system = serializers.BooleanField()
    datasets = serializers.DictField(child=serializers.IntegerField())
    fields = serializers.DictField(child=serializers.IntegerField())
    sources = serializers.DictField(
        child=serializers.CharField(), help_text="dbt source id -> catalog dataset"
    )
    jobs = serializers.DictField(child=serializers.IntegerField())
    tests = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
