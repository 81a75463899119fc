"""Serializer bases shared by every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from core.models import ApiToken, ChangeRecord


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape of this API."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


class ValidatedModelSerializer(serializers.ModelSerializer):
    """Runs the model's own `full_clean()` on the would-be instance, so the API enforces the
    same rules as the admin and the import commands (NetBox's ValidatedModelSerializer)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        if self.instance is None:
            instance = model(**{k: v for k, v in attrs.items() if not _is_m2m(model, k)})
        else:
            instance = _copy(self.instance)
            for key, value in attrs.items():
                if not _is_m2m(model, key):
                    setattr(instance, key, value)
        try:
            instance.full_clean(validate_unique=True, validate_constraints=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


def _is_m2m(model, name: str) -> bool:
    try:
        return model._meta.get_field(name).many_to_many
    except Exception:
        return False


def _copy(instance):
    clone = type(instance).from_db(
        instance._state.db,
        [f.attname for f in instance._meta.concrete_fields],
        [getattr(instance, f.attname) for f in instance._meta.concrete_fields],
    )
    return clone


class ChangeRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRecord
        fields = [
            "id",
            "at",
            "actor_name",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "reason",
            "catalog_version",
        ]
        read_only_fields = fields


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        ]
        read_only_fields = ["id", "user", "prefix", "created_at", "revoked_at", "last_used_at"]

    def validate_expires_at(self, value):
        # A token born expired is a mistake (a date typo, a wrong time zone), not a request.
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
