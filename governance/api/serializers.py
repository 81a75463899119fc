"""Governance representations. Definitions are read with their version in force and (for those
who may see it) the pending one; writes of meaning are routed to a version by the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import DatasetRefField, FieldRefField
from catalog.models import SourceSystem
from core.api.serializers import ChoiceField, ModelSerializer
from governance import conflicts, queries, reports
from governance.api.workflow import ReasonSerializer
from governance.choices import (
    CommitteeRole,
    Consequence,
    OwnerRole,
    SubjectKind,
    VoteChoice,
)
from governance.models import (
    CONTENT_FIELDS,
    Committee,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Ownership,
    Review,
    Vote,
    definition_key_validator,
)
from governance.permissions import definitions_visible_to, version_visible
from governance.reports import review_summary
from governance.workflow import allowed_actions, may_vote, workflow_for


class UserField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


class VersionSerializer(ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DefinitionVersion
        fields = [
            "number",
            "status",
            *CONTENT_FIELDS,
            "change_note",
            "author",
            "created_at",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields


class VersionContentSerializer(ModelSerializer):
    """The meaning of a definition as written (validated again by the model's clean())."""

    class Meta:
        model = DefinitionVersion
        fields = [*CONTENT_FIELDS, "change_note"]


class ConflictBriefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    summary = serializers.CharField()
    definitions = serializers.ListField(child=serializers.CharField())


class DefinitionSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="fielddefinition-detail", lookup_field="key"
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    steward = serializers.SlugRelatedField(slug_field="username", read_only=True)
    last_certified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    replaced_by = serializers.SlugRelatedField(slug_field="key", read_only=True)
    status = serializers.SerializerMethodField()
    recertification_due = serializers.DateTimeField(read_only=True, allow_null=True)
    effective = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField(
        help_text="Open conflicts naming this definition: equivalent definitions, possible "
        "duplicates, fields that disagree with it or whose grain contradicts it"
    )

    class Meta:
        model = FieldDefinition
        fields = [
            "id",
            "url",
            "key",
            "domain",
            "status",
            "owner",
            "steward",
            "owning_team",
            "review_interval_months",
            "last_certified_at",
            "last_certified_by",
            "recertification_due",
            "replaced_by",
            "sunset_date",
            "effective",
            "pending",
            "allowed_actions",
            "conflicts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    def get_status(self, definition) -> str:
        return queries.definition_status(definition)

    def get_effective(self, definition) -> dict | None:
        version = definition.effective_version
        return VersionSerializer(version).data if version else None

    def get_pending(self, definition) -> dict | None:
        version = definition.pending_version
        if version is None or not version_visible(self._user(), version):
            return None
        return VersionSerializer(version).data

    def get_allowed_actions(self, definition) -> list[str]:
        return queries.available_actions(self._user(), definition)

    @extend_schema_field(ConflictBriefSerializer(many=True))
    def get_conflicts(self, definition) -> list[dict]:
        # One detection per listing, shared by its rows.
        cache = self.root.__dict__.setdefault("_conflicts", None)
        if cache is None:
            cache = self.root._conflicts = reports.open_conflicts()
        return [
            {"kind": c.kind, "summary": c.summary, "definitions": list(c.definitions)}
            for c in conflicts.involving(cache, key=definition.key)
        ]


class DefinitionWriteSerializer(ModelSerializer):
    """Who answers for the definition, and its meaning (which goes to a draft version)."""

    key = serializers.CharField(max_length=100, validators=[definition_key_validator])
    owner = UserField(required=False, allow_null=True)
    steward = UserField(required=False, allow_null=True)

    class Meta:
        model = FieldDefinition
        fields = ["key", "domain", "owner", "steward", "owning_team", "review_interval_months"]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        fields.update(VersionContentSerializer().get_fields())
        return fields


class DeprecateSerializer(ReasonSerializer):
    replaced_by = serializers.SlugRelatedField(
        slug_field="key", queryset=FieldDefinition.objects.all()
    )
    sunset_date = serializers.DateField()

    def validate_replaced_by(self, definition):
        user = self.context["request"].user
        if not definitions_visible_to(user, FieldDefinition.objects.filter(pk=definition.pk)):
            raise serializers.ValidationError(f"No definition {definition.key!r}.")
        return definition


class BulkSubmitSerializer(ReasonSerializer):
    keys = serializers.ListField(child=serializers.CharField(), allow_empty=False, max_length=1000)


class SubmittedSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()


class DiffChangeSerializer(serializers.Serializer):
    attribute = serializers.CharField()
    to = serializers.JSONField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.JSONField()
        return fields


class DiffSerializer(serializers.Serializer):
    definition = serializers.CharField()
    to_version = serializers.IntegerField()
    changes = DiffChangeSerializer(many=True)
    unchanged = serializers.ListField(child=serializers.CharField())

    def get_fields(self):
        fields = super().get_fields()
        fields["from_version"] = serializers.IntegerField()
        return fields


# Mappings ----------------------------------------------------------------------------------------


class VisibleDefinitionField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="key", **kwargs)

    def get_queryset(self):
        return definitions_visible_to(self.context["request"].user, FieldDefinition.objects.all())


class MappingSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="fieldmapping-detail")
    field = FieldRefField()
    definition = VisibleDefinitionField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = FieldMapping
        fields = [
            "id",
            "url",
            "field",
            "definition",
            "status",
            "conversion_note",
            "semantics",
            "author",
            "allowed_actions",
            "created_at",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = ["status", "author", "created_at", "submitted_at", "decided_at"]
        validators: list = []

    def get_allowed_actions(self, mapping) -> list[str]:
        request = self.context.get("request")
        return allowed_actions(request.user if request else None, mapping)


class RuleSerializer(serializers.Serializer):
    """A decision rule (governance.workflow.Rule)."""

    min_approvals = serializers.IntegerField(min_value=1, max_value=50)
    rejection = ChoiceField(choices=Consequence.choices)
    changes = ChoiceField(choices=Consequence.choices)
    owner_decides = serializers.BooleanField()


class KindRuleSerializer(RuleSerializer):
    subject_kind = ChoiceField(choices=SubjectKind.choices)


# Reviews -----------------------------------------------------------------------------------------


class VoteSerializer(ModelSerializer):
    voter = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Vote
        fields = ["voter", "choice", "comment", "at"]
        read_only_fields = ["voter", "at"]


class VoteInputSerializer(serializers.Serializer):
    choice = ChoiceField(choices=VoteChoice.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class OverrideSerializer(serializers.Serializer):
    decision = ChoiceField(
        choices=VoteChoice.choices,
        help_text="The decision, in the words of a vote: approve, reject or request_changes.",
    )
    reason = serializers.CharField()


class ReviewSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="review-detail")
    subject_type = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()
    committee = serializers.SlugRelatedField(slug_field="name", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approvers = serializers.SlugRelatedField(slug_field="username", read_only=True, many=True)
    votes = VoteSerializer(many=True, read_only=True)
    tally = serializers.SerializerMethodField()
    awaiting = serializers.SerializerMethodField()
    may_decide_alone = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    no_rejection = serializers.BooleanField(read_only=True)
    may_vote = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "url",
            "summary",
            "subject_type",
            "subject",
            "committee",
            "approvers",
            "author",
            "status",
            "subject_kind",
            "rule",
            "min_approvals",
            "no_rejection",
            "tally",
            "awaiting",
            "may_decide_alone",
            "progress",
            "may_vote",
            "votes",
            "opened_at",
            "due_at",
            "decided_at",
            "overridden",
            "override_reason",
        ]
        read_only_fields = fields

    def get_subject_type(self, review) -> str:
        return f"{review.content_type.app_label}.{review.content_type.model}"

    def get_subject(self, review) -> dict:
        subject = review.subject
        if subject is None:
            return {}
        # One conflict detection per listing, shared by its rows.
        cache = self.__dict__.setdefault("_describe_cache", {})
        return workflow_for(subject).describe(subject, cache)

    def _summary(self, review) -> dict:
        # tally and awaiting come from one summary per review, not one each.
        cache = self.__dict__.setdefault("_summaries", {})
        if review.pk not in cache:
            cache[review.pk] = review_summary(review)
        return cache[review.pk]

    def get_tally(self, review) -> dict:
        return self._summary(review)["tally"]

    def get_awaiting(self, review) -> list[str]:
        return self._summary(review)["awaiting"]

    def get_may_decide_alone(self, review) -> list[str]:
        return self._summary(review)["may_decide_alone"]

    @extend_schema_field(RuleSerializer)
    def get_rule(self, review) -> dict:
        return self._summary(review)["rule"]

    def get_progress(self, review) -> str:
        return self._summary(review)["progress"]

    def get_may_vote(self, review) -> bool:
        request = self.context.get("request")
        user = request.user if request else None
        return (
            review.is_open
            and may_vote(user, review)
            and not any(v.voter_id == user.pk for v in review.votes.all())
        )


# Committees and ownership ------------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    user = UserField()
    role = ChoiceField(choices=CommitteeRole.choices, default=CommitteeRole.MEMBER)


class CommitteeSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="committee-detail")
    members = MemberSerializer(many=True, required=False, source="memberships")
    rules = KindRuleSerializer(
        many=True,
        required=False,
        help_text="Rules per kind of subject; a kind without one follows min_approvals and "
        "no_rejection (and the owners of mappings, policies and contracts decide alone).",
    )

    class Meta:
        model = Committee
        fields = [
            "id",
            "url",
            "name",
            "description",
            "domains",
            "min_approvals",
            "no_rejection",
            "review_days",
            "rules",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list = []

    def validate_members(self, rows):
        # A PATCH is partial, and DRF then skips "required" in nested rows too: a member row
        # without its user must fail here exactly as it does on POST.
        errors = [{} if "user" in row else {"user": ["This field is required."]} for row in rows]
        if any(errors):
            raise serializers.ValidationError(errors)
        return rows


class OwnershipSerializer(ModelSerializer):
    system = serializers.SlugRelatedField(
        slug_field="key", queryset=SourceSystem.objects.all(), required=False, allow_null=True
    )
    dataset = DatasetRefField(required=False, allow_null=True)
    user = UserField()
    role = ChoiceField(choices=OwnerRole.choices)

    class Meta:
        model = Ownership
        fields = ["id", "system", "dataset", "user", "role", "created_at"]
        read_only_fields = ["created_at"]
        validators: list = []

    def validate(self, attrs):
        if bool(attrs.get("system")) == bool(attrs.get("dataset")):
            raise serializers.ValidationError("Name either a system or a dataset.")
        return attrs
