"""Vendor representations. Vendors, contracts and systems are written by key; datasets and
fields by their catalog reference; a version is written as one document with its RACI, SLAs
and escalation levels."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from catalog.models import Dataset, Field, SourceSystem
from catalog.refs import RefError
from core.api.serializers import ChoiceField, ModelSerializer, ValidatedModelSerializer
from core.permissions import user_can, visible
from governance.permissions import sees_whole_catalog, visible_datasets, visible_fields
from vendors.choices import ChangeKind
from vendors.models import (
    ChangeNotice,
    ContractVersion,
    EscalationLevel,
    IntegrationContract,
    RaciAssignment,
    ServiceLevel,
    Vendor,
    VendorContact,
    VendorUser,
)
from vendors.services import document_of
from vendors.validation import completeness_gaps

ALL = object()  # a naming scope: the whole catalog


def naming_scope(user, contract):
    """What `user` may name in a version of `contract` (ALL: the whole catalog): what it may
    view, and what a version of one of the contract's vendor's contracts already names. The
    editor's catalog search offers exactly these."""
    if sees_whole_catalog(user):
        return ALL
    versions = ContractVersion.objects.filter(
        contract__vendor_id=contract.vendor_id if contract else None
    )
    datasets = visible_datasets(user).values_list("pk", flat=True)
    fields = visible_fields(user).values_list("pk", flat=True)
    systems = {
        *visible(user, SourceSystem.objects.all()).values_list("pk", flat=True),
        *Dataset.objects.filter(pk__in=datasets).values_list("system_id", flat=True),
        *Field.objects.filter(pk__in=fields).values_list("dataset__system_id", flat=True),
        *versions.values_list("source_system_id", flat=True),
        *versions.values_list("target_system_id", flat=True),
    }
    return {
        SourceSystem: systems,
        Dataset: {
            *datasets,
            *versions.exclude(datasets=None).values_list("datasets", flat=True),
        },
        Field: {*fields, *versions.exclude(fields=None).values_list("fields", flat=True)},
    }


class VisibleKeyField(serializers.SlugRelatedField):
    """An object named by key among those the caller may see; the others are 'unknown'."""

    def __init__(self, model, parent_paths=(), **kwargs):
        self.model, self.parent_paths = model, parent_paths
        super().__init__(slug_field="key", **kwargs)

    def get_queryset(self):
        return visible(self.context["request"].user, self.model.objects.all(), self.parent_paths)

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(key=str(data).strip().lower())
        except self.model.DoesNotExist:
            raise serializers.ValidationError(
                f"No {self.model._meta.verbose_name} {data!r}."
            ) from None


def positions_as_lists(detail):
    """DRF reports errors of list items as {index: errors}; make them lists, so paths read
    `slas[0].unit` like the services' own."""
    if isinstance(detail, dict):
        if detail and all(isinstance(k, int) for k in detail):
            return [positions_as_lists(detail.get(i, [])) for i in range(max(detail) + 1)]
        return {k: positions_as_lists(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [positions_as_lists(v) for v in detail]
    return detail


class ListPathsMixin:
    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(positions_as_lists(exc.detail)) from None


def require_change(request, obj, what: str) -> None:
    if not user_can(request.user, "change", obj):
        raise PermissionDenied(f"You may not {what} {obj}.")


class VendorSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="vendor-detail", lookup_field="key")

    class Meta:
        model = Vendor
        fields = [
            "id",
            "url",
            "key",
            "name",
            "description",
            "contract_reference",
            "active_from",
            "active_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class VendorUserSerializer(ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )

    class Meta:
        model = VendorUser
        fields = ["user"]


class ContactSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="vendorcontact-detail")
    vendor = VisibleKeyField(Vendor)

    class Meta:
        model = VendorContact
        fields = ["id", "url", "vendor", "name", "role", "email", "phone", "escalation_level"]

    def validate_vendor(self, vendor):
        if self.instance is not None and vendor.pk != self.instance.vendor_id:
            raise serializers.ValidationError("A contact cannot move to another vendor.")
        require_change(self.context["request"], vendor, "add contacts to")
        return vendor


class BriefVersionSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="contractversion-detail")

    class Meta:
        model = ContractVersion
        fields = ["id", "url", "number", "status", "effective_from", "effective_until"]


class ContractSerializer(ValidatedModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="integrationcontract-detail", lookup_field="key"
    )
    vendor = VisibleKeyField(Vendor)
    versions = BriefVersionSerializer(many=True, read_only=True)

    class Meta:
        model = IntegrationContract
        fields = ["id", "url", "key", "vendor", "name", "description", "versions"]

    def validate_vendor(self, vendor):
        if self.instance is not None and vendor.pk != self.instance.vendor_id:
            raise serializers.ValidationError("A contract cannot move to another vendor.")
        require_change(self.context["request"], vendor, "add contracts to")
        return vendor


@extend_schema_field(OpenApiTypes.STR)
class CatalogRefField(serializers.Field):
    """A dataset (`system:dataset`) or field (`system:dataset.column`) of the whole catalog:
    a vendor names what its interface carries before it may read it (see sync_catalog_access)."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected a catalog reference string.")
        try:
            found = self.model.objects.by_ref(data).first()
        except RefError as exc:
            raise serializers.ValidationError(str(exc)) from None
        may_name = getattr(self.root, "may_name", None)
        if found is None or (may_name is not None and not may_name(found)):
            raise serializers.ValidationError(f"No {self.model._meta.verbose_name} {data!r}.")
        return found

    def to_representation(self, value):
        return value.ref


class RefListField(serializers.ListField):
    """A list of catalog references, read back sorted."""

    def to_representation(self, data):
        return sorted(super().to_representation(data.all() if hasattr(data, "all") else data))


class SystemKeyRefField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="key", queryset=SourceSystem.objects.all(), **kwargs)

    def to_internal_value(self, data):
        key = str(data).strip().lower()
        system = super().to_internal_value(key)
        may_name = getattr(self.root, "may_name", None)
        if may_name is not None and not may_name(system):
            self.fail("does_not_exist", slug_name=self.slug_field, value=key)
        return system


class RaciSerializer(ModelSerializer):
    party_label = serializers.CharField(read_only=True)

    class Meta:
        model = RaciAssignment
        fields = ["activity", "role", "party_kind", "party", "party_label"]


class SlaSerializer(ModelSerializer):
    class Meta:
        model = ServiceLevel
        fields = ["metric", "target", "unit", "description"]


class VisibleContactField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {"does_not_exist": "No contact with id {pk_value}."}

    def get_queryset(self):
        return visible(self.context["request"].user, VendorContact.objects.all(), ("vendor",))


class EscalationSerializer(ModelSerializer):
    contact = VisibleContactField(required=False, allow_null=True)
    contact_name = serializers.CharField(source="contact_label", read_only=True)

    class Meta:
        model = EscalationLevel
        fields = [
            "level",
            "contact",
            "contact_name",
            "internal_contact",
            "response_time",
            "response_unit",
        ]


class ContractVersionSerializer(ListPathsMixin, ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="contractversion-detail")
    ref = serializers.CharField(read_only=True)
    contract = VisibleKeyField(IntegrationContract, ("vendor",))
    vendor = serializers.CharField(source="contract.vendor.key", read_only=True)
    source_system = SystemKeyRefField()
    target_system = SystemKeyRefField()
    datasets = RefListField(child=CatalogRefField(Dataset), required=False)
    fields = RefListField(child=CatalogRefField(Field), required=False)
    raci = RaciSerializer(many=True, required=False)
    slas = SlaSerializer(many=True, required=False)
    escalation = EscalationSerializer(many=True, required=False)
    gaps = serializers.SerializerMethodField(help_text="What is missing before it can be submitted")

    class Meta:
        model = ContractVersion
        fields = [
            "id",
            "url",
            "ref",
            "contract",
            "vendor",
            "number",
            "status",
            "source_system",
            "target_system",
            "direction",
            "mechanism",
            "endpoint",
            "data_format",
            "schedule",
            "expected_volume",
            "datasets",
            "fields",
            "lineage_jobs",
            "raci",
            "slas",
            "error_detection",
            "retry_attempts",
            "retry_backoff",
            "quarantine",
            "replay_procedure",
            "notify_party",
            "notify_within_minutes",
            "escalation",
            "schema_change_notice_days",
            "effective_from",
            "effective_until",
            "gaps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "created_at", "updated_at"]

    NESTED = ("raci", "slas", "escalation")

    def to_internal_value(self, data):
        # A PATCH is partial, and DRF then skips "required" inside nested rows as well: the
        # rows it does carry are validated here as a whole list, exactly as on POST.
        if self.partial and isinstance(data, dict):
            errors = {}
            for name in self.NESTED:
                if name in data:
                    rows = type(self.fields[name].child)(
                        data=data[name], many=True, context=self.context
                    )
                    if not rows.is_valid():
                        errors[name] = rows.errors
            if errors:
                raise serializers.ValidationError(positions_as_lists(errors))
        return super().to_internal_value(data)

    def get_gaps(self, version) -> list[dict]:
        return completeness_gaps(document_of(version))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["contract"] = instance.contract.key
        data["source_system"] = instance.source_system.key
        data["target_system"] = instance.target_system.key
        return data

    def validate_contract(self, contract):
        if self.instance is not None and contract.pk != self.instance.contract_id:
            raise serializers.ValidationError("A version cannot move to another contract.")
        require_change(self.context["request"], contract, "write versions of")
        return contract

    _scope = None

    def may_name(self, obj) -> bool:
        """Catalog entries the caller may not view read exactly like entries that do not exist
        (so a vendor cannot probe the catalog): a caller without catalog-wide view names only
        what it may view and what a version of one of its vendor's contracts already names.
        Anything new is added by someone who reads the whole catalog (an engineer, a steward)."""
        if self._scope is None:
            self._scope = self._naming_scope()
        if self._scope is ALL:
            return True
        return obj.pk in self._scope[type(obj)]

    def _naming_scope(self):
        contract = self.instance.contract if self.instance is not None else None
        key = self.initial_data.get("contract") if isinstance(self.initial_data, dict) else None
        if contract is None and isinstance(key, str):
            contract = (
                self.fields["contract"].get_queryset().filter(key=key.strip().lower()).first()
            )
        return naming_scope(self.context["request"].user, contract)

    def validate_lineage_jobs(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise serializers.ValidationError("Expected a list of ETL job keys.")
        return value


class ChangeItemSerializer(serializers.Serializer):
    change = ChoiceField(choices=ChangeKind.choices)
    field = serializers.CharField()
    new_name = serializers.CharField(required=False)
    new_type = serializers.CharField(required=False)
    data_type = serializers.CharField(required=False)


class NoticeSerializer(ListPathsMixin, ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="changenotice-detail")
    contract = VisibleKeyField(IntegrationContract, ("vendor",))
    version = serializers.CharField(source="version.ref", read_only=True, default=None)
    filed_by = serializers.CharField(source="filed_by.username", read_only=True, default=None)
    responded_by = serializers.CharField(
        source="responded_by.username", read_only=True, default=None
    )
    changes = ChangeItemSerializer(many=True)

    class Meta:
        model = ChangeNotice
        fields = [
            "id",
            "url",
            "contract",
            "version",
            "filed_by",
            "summary",
            "effective_date",
            "changes",
            "impact",
            "inside_notice_period",
            "status",
            "responded_by",
            "response",
            "responded_at",
            "created_at",
        ]
        read_only_fields = [
            "impact",
            "inside_notice_period",
            "status",
            "response",
            "responded_at",
            "created_at",
        ]

    def validate_contract(self, contract):
        require_change(self.context["request"], contract, "file change notices on")
        return contract
