"""Filters for the vendor endpoints. They run on querysets already cut to what the caller may
see, so filtering by another vendor's key finds nothing."""

import django_filters

from catalog.filtersets import SearchFilterSet
from core.filters import BooleanFilter, IntegerFilter
from vendors.choices import Mechanism, NoticeStatus, VersionStatus
from vendors.models import (
    ChangeNotice,
    ContractVersion,
    IntegrationContract,
    Vendor,
    VendorContact,
)


class VendorFilterSet(SearchFilterSet):
    search_fields = ("key", "name", "description")
    key = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Vendor
        fields = ["key"]


class ContactFilterSet(SearchFilterSet):
    search_fields = ("name", "role", "email")
    vendor = django_filters.CharFilter(field_name="vendor__key", lookup_expr="iexact")
    escalation_level = IntegerFilter()

    class Meta:
        model = VendorContact
        fields = ["vendor", "escalation_level"]


class ContractFilterSet(SearchFilterSet):
    search_fields = ("key", "name", "description")
    vendor = django_filters.CharFilter(field_name="vendor__key", lookup_expr="iexact")
    source_system = django_filters.CharFilter(
        field_name="versions__source_system__key", lookup_expr="iexact", distinct=True
    )
    target_system = django_filters.CharFilter(
        field_name="versions__target_system__key", lookup_expr="iexact", distinct=True
    )
    mechanism = django_filters.MultipleChoiceFilter(
        field_name="versions__mechanism", choices=Mechanism.choices, distinct=True
    )
    status = django_filters.MultipleChoiceFilter(
        field_name="versions__status", choices=VersionStatus.choices, distinct=True
    )

    class Meta:
        model = IntegrationContract
        fields = ["vendor"]


class VersionFilterSet(django_filters.FilterSet):
    contract = django_filters.CharFilter(field_name="contract__key", lookup_expr="iexact")
    vendor = django_filters.CharFilter(field_name="contract__vendor__key", lookup_expr="iexact")
    status = django_filters.MultipleChoiceFilter(choices=VersionStatus.choices)

    class Meta:
        model = ContractVersion
        fields = ["contract", "vendor", "status"]


class NoticeFilterSet(django_filters.FilterSet):
    contract = django_filters.CharFilter(field_name="contract__key", lookup_expr="iexact")
    vendor = django_filters.CharFilter(field_name="contract__vendor__key", lookup_expr="iexact")
    status = django_filters.MultipleChoiceFilter(choices=NoticeStatus.choices)
    inside_notice_period = BooleanFilter()

    class Meta:
        model = ChangeNotice
        fields = ["contract", "vendor", "status", "inside_notice_period"]
