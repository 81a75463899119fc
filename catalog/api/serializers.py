"""Catalog representations: brief nested objects for parents, natural keys for references."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from catalog.choices import DatasetKind, Status
from catalog.models import Dataset, Field, SourceSystem, system_key_validator
from core.api.serializers import (
    ChoiceField,
    JsonBooleanField,
    JsonStringField,
    ModelSerializer,
    RefField,
    StrictSerializer,
    ValidatedModelSerializer,
)
from core.permissions import user_can, visible


class BriefSystemSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="sourcesystem-detail", lookup_field="key")

    class Meta:
        model = SourceSystem
        fields = ["id", "url", "key", "name", "kind"]


class BriefDatasetSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="dataset-detail")
    system = BriefSystemSerializer(read_only=True)
    ref = serializers.CharField(read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "url", "ref", "name", "kind", "system"]


class SystemKeyField(JsonStringField):
    """A system key, read in lower case before the slug check (as SourceSystem.clean_fields)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).lower()


class SourceSystemSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="sourcesystem-detail", lookup_field="key")
    key = SystemKeyField(max_length=50, validators=[system_key_validator])
    dataset_count = serializers.IntegerField(read_only=True, required=False)
    openlineage_namespaces = serializers.ListField(
        child=JsonStringField(max_length=500),
        required=False,
        help_text="OpenLineage dataset namespaces producers use for this system, e.g. "
        '["postgres://warehouse:5432"]; each names one system only.',
    )

    class Meta:
        model = SourceSystem
        fields = [
            "id",
            "url",
            "key",
            "name",
            "kind",
            "description",
            "environment",
            "lifecycle",
            "owning_team",
            "technical_contact",
            "openlineage_namespaces",
            "openlineage_database",
            "dataset_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the model's (case-insensitive) constraint, checked by full_clean().
        validators: list = []


class VisibleSystemField(serializers.SlugRelatedField):
    """A system named by key; a system the caller cannot see is reported as unknown."""

    def get_queryset(self):
        request = self.context["request"]
        return SourceSystem.objects.all() if request is None else _visible_systems(request.user)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().lower()
        try:
            return self.get_queryset().get(key=data)
        except SourceSystem.DoesNotExist:
            raise serializers.ValidationError(f"No system with key {data!r}.") from None
        except (TypeError, ValueError):
            raise serializers.ValidationError("Expected a system key.") from None

    def to_representation(self, value):
        return BriefSystemSerializer(value, context=self.context).data


class VisibleSystemFieldSchema(OpenApiSerializerFieldExtension):
    """Written as a system key, read back as a brief system."""

    target_class = VisibleSystemField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return auto_schema.resolve_serializer(BriefSystemSerializer, direction).ref
        return {"type": "string", "description": "A system key.", "example": "pos"}


def _visible_systems(user):
    return visible(user, SourceSystem.objects.all())


class DatasetSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="dataset-detail")
    ref = serializers.CharField(read_only=True)
    system = VisibleSystemField(slug_field="key")
    field_count = serializers.IntegerField(read_only=True, required=False)
    owners = serializers.ListField(
        child=JsonStringField(),
        required=False,
        help_text="Owners as the tool that describes the dataset names them (e.g. dbt meta.owner)",
    )
    tags = serializers.ListField(child=JsonStringField(), required=False)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "url",
            "ref",
            "system",
            "name",
            "kind",
            "description",
            "description_source",
            "status",
            "discovered",
            "owners",
            "tags",
            "field_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["discovered", "created_at", "updated_at"]
        validators: list = []

    def validate_system(self, system):
        if self.instance is not None and system.pk != self.instance.system_id:
            raise serializers.ValidationError("A dataset cannot move to another system.")
        request = self.context.get("request")
        if request is not None and not user_can(request.user, "change", system):
            raise PermissionDenied(f"You may not add datasets to system {system.key!r}.")
        return system


class DatasetRefField(RefField):
    """A dataset given by id or by `system:dataset`; one the caller cannot see is unknown."""

    queryset = Dataset.objects.select_related("system")
    parent_paths = ("system",)
    expected = "a dataset id or 'system:dataset'"
    reference_example = "pos:sales.transactions"
    read_serializer = BriefDatasetSerializer

    def to_representation(self, value):
        return BriefDatasetSerializer(value, context=self.context).data


class FieldRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref = serializers.CharField()


class FieldRefField(RefField):
    """A catalog field given by id or by reference; one the caller cannot see is unknown."""

    queryset = Field.objects.select_related("dataset__system")
    parent_paths = ("dataset", "dataset__system")
    expected = "a field id or 'system:dataset.column'"
    reference_example = "pos:sales.transactions.amount"
    read_serializer = FieldRefSerializer

    def to_representation(self, value):
        return {"id": value.pk, "ref": value.ref}


class FieldSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="field-detail")
    ref = serializers.CharField(read_only=True)
    dataset = DatasetRefField()
    tags = serializers.ListField(child=JsonStringField(), required=False)
    tests = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="Data tests that check this field (set by imports such as dbt_import), "
        'e.g. [{"name": "not_null", "tool": "dbt", "status": "pass"}]',
    )

    class Meta:
        model = Field
        fields = [
            "id",
            "url",
            "ref",
            "dataset",
            "name",
            "ordinal",
            "data_type",
            "nullable",
            "description",
            "description_source",
            "status",
            "discovered",
            "tags",
            "tests",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["discovered", "created_at", "updated_at"]
        validators: list = []

    def validate_dataset(self, dataset):
        if self.instance is not None and dataset.pk != self.instance.dataset_id:
            raise serializers.ValidationError("A field cannot move to another dataset.")
        request = self.context.get("request")
        if request is not None and not user_can(request.user, "change", dataset):
            raise PermissionDenied(f"You may not add fields to {dataset.ref}.")
        return dataset


class BulkFieldSerializer(StrictSerializer):
    name = JsonStringField(max_length=255, trim_whitespace=False)
    ordinal = serializers.IntegerField(required=False, min_value=0)
    data_type = JsonStringField(required=False, allow_blank=True, max_length=100)
    nullable = JsonBooleanField(required=False)
    description = JsonStringField(required=False, allow_blank=True)
    status = ChoiceField(choices=Status.choices, required=False)


class BulkDatasetSerializer(StrictSerializer):
    name = JsonStringField(max_length=255, trim_whitespace=False)
    kind = ChoiceField(choices=DatasetKind.choices, required=False)
    description = JsonStringField(required=False, allow_blank=True)
    status = ChoiceField(choices=Status.choices, required=False)
    fields = BulkFieldSerializer(many=True, required=False)


class BulkUpsertSerializer(StrictSerializer):
    """The datasets and fields of one system. The shape is checked here; the models' own rules
    (names, duplicates) by catalog.services.validate_bulk, which lists every bad row at once."""

    datasets = BulkDatasetSerializer(many=True, allow_empty=True)
    remove_missing = JsonBooleanField(required=False, default=False)


class CountsSerializer(serializers.Serializer):
    datasets = serializers.IntegerField()
    fields = serializers.IntegerField()


class BulkResultSerializer(serializers.Serializer):
    system = serializers.CharField()
    created = CountsSerializer()
    updated = CountsSerializer()
    unchanged = CountsSerializer()
    removed = CountsSerializer()
