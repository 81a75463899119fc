"""Consult serializers. The consult request is validated by hand in the view (speed, and
messages that name the offending entry); these serializers document it in the schema."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework import serializers

from core.api.serializers import ValidatedModelSerializer
from governance.consult.choices import ClassificationState, Decision
from governance.consult.models import (
    AccessPolicy,
    Classification,
    DecisionLog,
    DefinitionClassification,
    Purpose,
)

DECISION_HELP = "One of: " + ", ".join(Decision.values)


class ConsultRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(help_text="A key from /api/v1/consult/purposes/")
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="Field references, system:dataset.column"
    )


class WhatIfRequestSerializer(ConsultRequestSerializer):
    consumer = serializers.CharField(help_text="Username of the consumer to simulate")


class ConsultReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


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


class DefinitionClassificationSerializer(serializers.ModelSerializer):
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
        from governance.consult.services import is_consumer

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

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["author"] = instance.author.get_username() if instance.author_id else None
        return data


class PolicyTransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PolicyVoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=["approve", "reject", "request_changes"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


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
    state = serializers.ChoiceField(choices=ClassificationState.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionLogSerializer(serializers.ModelSerializer):
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
