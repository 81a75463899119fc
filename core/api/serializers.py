"""Serializer bases shared by every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from core.audit import audit_name_of
from core.lookups import find
from core.models import ApiToken, ChangeRecord
from core.permissions import visible


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape of this API."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)


def allowed_values(choices) -> str:
    """The values a choice takes, as a refusal lists them: `a, b, c`."""
    return ", ".join(str(value) for value in choices)


class ListsChoicesMixin:
    """A refused choice names the values it takes, so the caller can correct it at once."""

    default_error_messages = {
        "invalid_choice": '"{input}" is not a valid choice; choose one of: {choices}.'
    }

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs["choices"] = allowed_values(self.choice_strings_to_values)
        super().fail(key, **kwargs)


class ChoiceField(ListsChoicesMixin, serializers.ChoiceField):
    pass


class MultipleChoiceField(ListsChoicesMixin, serializers.MultipleChoiceField):
    default_error_messages = {
        **serializers.MultipleChoiceField.default_error_messages,
        **ListsChoicesMixin.default_error_messages,
    }


class JsonStringField(serializers.CharField):
    """A JSON string, not a number or boolean written where a string belongs."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a string.")
        return super().to_internal_value(data)


class JsonBooleanField(serializers.BooleanField):
    """JSON true or false, not "yes" or 1."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Must be true or false.")
        return data


# The base of every model serializer here: a model field with choices refuses a value with the
# values it takes; text and boolean columns take JSON strings and JSON booleans only, as the
# schema says (REST framework would turn 5 into "5" and 0 into false). (A comment, not a
# docstring: the schema would show it on every component.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_choice_field = ChoiceField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: JsonStringField,
        models.TextField: JsonStringField,
        models.BooleanField: JsonBooleanField,
    }


class StrictSerializer(serializers.Serializer):
    """An input body that refuses keys it does not know (a typo is an error, not a no-op)."""

    default_error_messages = {"invalid": "Expected a JSON object, not {datatype}."}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(str(k) for k in data if k not in known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        k: [f"Unknown key; expected one of: {', '.join(sorted(known))}."]
                        for k in unknown
                    }
                )
        return super().to_internal_value(data)


class RefField(serializers.Field):
    """An object given by id or natural key (core.lookups.find), among those the caller may
    view (`parent_paths` as core.permissions.visible takes them). One it may not view is
    reported as unknown, never as forbidden. Subclasses set `queryset` and how it reads back."""

    queryset = None
    parent_paths: tuple[str, ...] = ()
    expected = "an id or a reference"
    # What the schema shows (core.api.schema.RefFieldExtension): a client writes an id or a
    # reference and reads back `read_serializer`'s object, or the reference when it is None.
    reference_example = ""
    read_serializer = None

    def __init__(self, queryset=None, parent_paths=None, **kwargs):
        if queryset is not None:
            self.queryset = queryset
        if parent_paths is not None:
            self.parent_paths = parent_paths
        super().__init__(**kwargs)

    def candidates(self):
        request = self.context.get("request")
        queryset = self.queryset.all()
        return queryset if request is None else visible(request.user, queryset, self.parent_paths)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or str(data).strip() == "":
            raise serializers.ValidationError(f"Expected {self.expected}.")
        try:
            found = find(self.candidates(), data)
        except ValueError as exc:  # a malformed reference
            raise serializers.ValidationError(str(exc)) from None
        if found is None:
            raise serializers.ValidationError(
                f"No {self.queryset.model._meta.verbose_name} {data!r}."
            )
        return found

    def to_representation(self, value):
        return getattr(value, "ref", None) or str(value)


class ValidatedModelSerializer(ModelSerializer):
    """Runs the model's own `full_clean()` on the would-be instance, so the API enforces the
    same rules as the admin and the import commands (NetBox's ValidatedModelSerializer).
    Text and boolean columns take JSON strings and JSON booleans only, as the schema says
    (REST framework would turn 5 into "5" and 0 into false)."""

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
            # get_error_detail keeps each error's code (a duplicate's "unique" makes it a 409).
            raise serializers.ValidationError(get_error_detail(exc)) from exc
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


class ChangeRecordSerializer(ModelSerializer):
    object_kind = serializers.SerializerMethodField(
        help_text="What the object is, as `?object_type=` takes it (system, definition, ...)."
    )

    class Meta:
        model = ChangeRecord
        fields = [
            "id",
            "at",
            "actor_name",
            "request_id",
            "action",
            "object_type",
            "object_kind",
            "object_id",
            "object_repr",
            "before",
            "after",
            "reason",
            "catalog_version",
        ]
        read_only_fields = fields

    def get_object_kind(self, record) -> str | None:
        return audit_name_of(record.object_type)


class ApiTokenSerializer(ModelSerializer):
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
