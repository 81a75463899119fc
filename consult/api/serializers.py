"""Consult serializers. The consult request is validated by the serializer the schema shows:
the purpose must be known, each field a well-formed reference (an unknown but well-formed one
is not an error: it is denied). The usual body is checked by `plain_consult_body` first, to the
same values, without building the serializer; whatever it does not take, the serializer checks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework import serializers

from catalog.refs import RefError, parse_field_ref
from consult.choices import ClassificationState, Decision
from consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    Purpose,
)
from consult.services import is_consumer
from core.api.serializers import (
    ChoiceField,
    ErrorItemSerializer,
    ErrorSerializer,
    ModelSerializer,
    StrictSerializer,
    ValidatedModelSerializer,
)
from lineage.api.serializers import StrictCharField
from lineage.choices import Dialect

DECISION_HELP = "One of: " + ", ".join(Decision.values)
# The most fields one consult may ask about.
MAX_FIELDS = getattr(settings, "CONSULT_MAX_FIELDS", 5000)


class FieldRefString(serializers.CharField):
    """A field reference as the consumer wrote it; only its form is checked here. A reference
    the snapshot knows is taken as it is (the fast path of a repeated consult)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected a field reference (a string).")
        snap = self.context.get("snapshot")
        if snap is not None and data in snap.by_ref:
            return data
        value = super().to_internal_value(data)
        try:
            parse_field_ref(value)
        except RefError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class ConsultRequestSerializer(StrictSerializer):
    purpose = serializers.CharField(
        max_length=60,
        help_text="A key from /api/v1/consult/purposes/",
        error_messages={"required": "Required: a purpose key (a string)."},
    )
    fields = serializers.ListField(
        child=FieldRefString(),
        min_length=1,
        max_length=MAX_FIELDS,
        help_text=f"Field references, system:dataset.column (at most {MAX_FIELDS})",
        error_messages={
            "required": "Required: a non-empty list of field references.",
            "min_length": "Required: a non-empty list of field references.",
            "max_length": f"At most {MAX_FIELDS} fields per request.",
            "not_a_list": "Expected a non-empty list of field references, not {input_type}.",
            "null": "Required: a non-empty list of field references.",
        },
    )

    def validate_purpose(self, purpose):
        snap = self.context.get("snapshot")
        if snap is not None and purpose not in snap.purposes:
            known = ", ".join(sorted(snap.purposes))
            raise serializers.ValidationError(f"Unknown purpose {purpose!r}; use one of: {known}.")
        return purpose


def plain_consult_body(data, snap) -> dict | None:
    """The validated body of the usual consult request, without building a serializer (which
    deep-copies its declared fields on every request, a tenth of a one-field consult): exactly
    the two keys, a purpose the snapshot knows, and a non-empty list, within MAX_FIELDS, of
    references the snapshot already holds. For such a body ConsultRequestSerializer returns the
    same values (a known purpose has no surrounding blanks to trim and fits its 60 characters; a
    known reference is taken as it is; the parser already refused U+0000 and lone surrogates).
    Anything else is None, and goes through ConsultRequestSerializer, which words the errors."""
    if type(data) is not dict or len(data) != 2:
        return None
    purpose, refs = data.get("purpose"), data.get("fields")
    if (
        type(purpose) is not str
        or purpose not in snap.purposes
        or len(purpose) > 60
        or purpose != purpose.strip()
        or type(refs) is not list
        or not 0 < len(refs) <= MAX_FIELDS
    ):
        return None
    by_ref = snap.by_ref
    for ref in refs:
        if type(ref) is not str or ref not in by_ref:
            return None
    return {"purpose": purpose, "fields": refs}


class WhatIfRequestSerializer(ConsultRequestSerializer):
    consumer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        help_text="Username of the consumer to simulate",
    )

    def validate_consumer(self, consumer):
        if not is_consumer(consumer):
            raise serializers.ValidationError(
                f"{consumer.get_username()!r} is not a consumer (not in the 'consumer' group)."
            )
        return consumer


class ConsultReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    decisive = serializers.BooleanField(
        help_text="True when this reason decided the outcome (what denies, the policy that "
        "allows, the obligations of an allow); false when the outcome stands without it, e.g. "
        "a policy that would allow a use something else denies."
    )


class ConsultDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    attributes = serializers.DictField()


class ConsultDecisionSerializer(serializers.Serializer):
    field = serializers.CharField()
    # A string, not an enum component: "decision" is also the name of governance's review
    # outcome, and drf-spectacular would have to rename one of them.
    decision = serializers.CharField(help_text=DECISION_HELP)
    obligations = serializers.ListField(child=serializers.DictField())
    reasons = ConsultReasonSerializer(many=True)
    definition = ConsultDefinitionSerializer(allow_null=True)
    classifications = serializers.ListField(child=serializers.CharField())
    owners = serializers.ListField(child=serializers.DictField())


class ConsultResponseSerializer(serializers.Serializer):
    catalog_version = serializers.IntegerField()
    decisions = ConsultDecisionSerializer(many=True)


class DefinitionSourceSerializer(serializers.Serializer):
    field = serializers.CharField()
    conversion_note = serializers.CharField()


class DefinitionSourcesSerializer(serializers.Serializer):
    definition = serializers.CharField()
    sources = DefinitionSourceSerializer(many=True)


class PurposeSerializer(ValidatedModelSerializer):
    class Meta:
        model = Purpose
        fields = ["id", "key", "name", "description", "active"]


class ClassificationSerializer(ValidatedModelSerializer):
    class Meta:
        model = Classification
        fields = ["id", "key", "name", "description", "obligations", "propagates"]


class DefinitionClassificationSerializer(ModelSerializer):
    classification = serializers.SlugRelatedField(
        slug_field="key", queryset=Classification.objects.all()
    )

    class Meta:
        model = DefinitionClassification
        fields = ["id", "definition_key", "classification"]


class AccessPolicySerializer(ValidatedModelSerializer):
    consumer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
    )
    group = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AccessPolicy
        fields = [
            "id",
            "name",
            "consumer",
            "group",
            "purposes",
            "resource_kind",
            "resource_key",
            "effect",
            "obligations",
            "upstream_mode",
            "aggregation_deidentifies",
            "valid_from",
            "valid_until",
            "justification",
            "status",
            "author",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "author",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]

    def validate_consumer(self, user):
        if user is not None and not is_consumer(user):
            raise serializers.ValidationError(
                f"{user.get_username()!r} is not a consumer (not in the 'consumer' group)."
            )
        return user

    def validate_purposes(self, purposes):
        if not isinstance(purposes, list) or not all(isinstance(p, str) and p for p in purposes):
            raise serializers.ValidationError(
                'List one or more purpose keys (strings), or ["*"] for all purposes.'
            )
        return purposes


class FieldLabelSerializer(serializers.Serializer):
    classification = serializers.CharField()
    source = serializers.CharField(help_text="assigned, confirmed, definition or propagated")
    path = serializers.ListField(child=serializers.CharField())
    via_aggregation = serializers.BooleanField()


class FieldLabelsSerializer(serializers.Serializer):
    field = serializers.CharField()
    classifications = FieldLabelSerializer(many=True)
    overridden = serializers.ListField(child=serializers.DictField())


class SetLabelSerializer(serializers.Serializer):
    field = serializers.CharField()
    classification = serializers.SlugRelatedField(
        slug_field="key", queryset=Classification.objects.all()
    )
    state = ChoiceField(choices=ClassificationState.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionLogSerializer(ModelSerializer):
    decision = serializers.CharField(help_text=DECISION_HELP)

    class Meta:
        model = DecisionLog
        fields = [
            "id",
            "at",
            "consumer_name",
            "simulated_by",
            "purpose",
            "field_ref",
            "decision",
            "reasons",
            "policy_ids",
            "catalog_version",
            "request_id",
        ]
        read_only_fields = fields


# Consult by query ------------------------------------------------------------------------------


class ConsultQueryRequestSerializer(StrictSerializer):
    purpose = serializers.CharField(
        max_length=60,
        help_text="A key from /api/v1/consult/purposes/",
        error_messages={"required": "Required: a purpose key (a string)."},
    )
    sql = StrictCharField(
        trim_whitespace=False,
        help_text="One SELECT (no statement that writes). At most LINEAGE_SQL_MAX_BYTES bytes, "
        "parsed within LINEAGE_PARSE_SECONDS: beyond them a 413 or 422 naming the limit. SQL "
        "that does not parse is a 400 naming its line and column.",
    )
    dialect = ChoiceField(
        choices=Dialect.choices, default=Dialect.POSTGRES, help_text="The query's SQL dialect"
    )

    validate_purpose = ConsultRequestSerializer.validate_purpose

    def validate_sql(self, value):
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class QuerySourceSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="A catalog field reference, or the column as the query names it when its "
        "table is not in the catalog"
    )
    type = serializers.CharField(help_text="DIRECT (feeds the values) or INDIRECT")
    subtype = serializers.CharField(
        help_text="IDENTITY, TRANSFORMATION, AGGREGATION; JOIN, FILTER, GROUP_BY, SORT, WINDOW, "
        "CONDITIONAL"
    )
    masking = serializers.BooleanField(
        required=False, help_text="Present and true when the query masks the column itself"
    )


class QueryOutputSerializer(serializers.Serializer):
    column = serializers.CharField(help_text="The output column's name in the query's result")
    sources = QuerySourceSerializer(many=True)
    obligations = serializers.ListField(
        child=serializers.DictField(),
        help_text="The obligations of the fields feeding this column's values (DIRECT)",
    )
    satisfied = serializers.ListField(
        child=serializers.DictField(),
        help_text="Obligations of those fields the query itself already meets: every use of "
        "the field masks it with the method required (e.g. sha256(email) for a sha256 mask)",
    )
    decision = serializers.CharField(
        help_text="deny when any source (direct or indirect) is denied; else "
        "allow_with_obligations when it carries obligations; else allow"
    )


class QueryTableSerializer(serializers.Serializer):
    table = serializers.CharField(help_text="As the query names it")
    dataset = serializers.CharField(
        allow_null=True, help_text="The catalog dataset it resolves to; null when none"
    )


class ConsultQueryResponseSerializer(serializers.Serializer):
    catalog_version = serializers.IntegerField()
    verdict = serializers.CharField(
        help_text="deny when any column read is denied; else allow_with_obligations when any "
        "carries an obligation the query does not meet itself; else allow"
    )
    tables = QueryTableSerializer(many=True)
    decisions = ConsultDecisionSerializer(
        many=True, help_text="One per column the query reads, as POST /api/v1/consult/ decides"
    )
    outputs = QueryOutputSerializer(many=True)


class SqlErrorItemSerializer(ErrorItemSerializer):
    line = serializers.IntegerField(required=False, help_text="Where in the SQL, from 1")
    column = serializers.IntegerField(required=False, help_text="Where on that line, from 1")


class SqlErrorSerializer(ErrorSerializer):
    """The error shape, its items placing a problem of the SQL at its line and column."""

    errors = SqlErrorItemSerializer(many=True)
