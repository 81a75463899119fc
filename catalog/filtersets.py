"""Filters for the catalog endpoints: every meaningful field, plus `q` for a free-text search."""

import django_filters
from django.db.models import Q

from catalog.choices import DatasetKind, Environment, Lifecycle, Status, SystemKind
from catalog.models import Dataset, Field, SourceSystem
from core.filters import BooleanFilter, IntegerFilter, RefFilter


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field_name in self.search_fields:
            condition |= Q(**{f"{field_name}__icontains": value})
        return queryset.filter(condition)


class SourceSystemFilterSet(SearchFilterSet):
    search_fields = ("key", "name", "description", "owning_team")
    key = django_filters.CharFilter(lookup_expr="iexact")
    kind = django_filters.MultipleChoiceFilter(choices=SystemKind.choices)
    environment = django_filters.MultipleChoiceFilter(choices=Environment.choices)
    lifecycle = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices)
    owning_team = django_filters.CharFilter(lookup_expr="icontains")
    technical_contact = django_filters.CharFilter(lookup_expr="icontains")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SourceSystem
        fields = ["key", "kind", "environment", "lifecycle", "owning_team", "technical_contact"]


class DatasetFilterSet(SearchFilterSet):
    search_fields = ("name", "description")
    system = django_filters.CharFilter(field_name="system__key", lookup_expr="iexact")
    system_id = IntegerFilter()
    name = django_filters.CharFilter(lookup_expr="iexact")
    name_contains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    kind = django_filters.MultipleChoiceFilter(choices=DatasetKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    discovered = BooleanFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Dataset
        fields = ["system", "system_id", "name", "kind", "status", "discovered"]


class FieldFilterSet(SearchFilterSet):
    search_fields = ("name", "description", "dataset__name")
    system = django_filters.CharFilter(field_name="dataset__system__key", lookup_expr="iexact")
    dataset = RefFilter(model=Dataset, label="Dataset (id or system:name)")
    dataset_id = IntegerFilter()
    name = django_filters.CharFilter(lookup_expr="iexact")
    name_contains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    data_type = django_filters.CharFilter(lookup_expr="icontains")
    nullable = BooleanFilter()
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    discovered = BooleanFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Field
        fields = [
            "system",
            "dataset",
            "dataset_id",
            "name",
            "data_type",
            "nullable",
            "status",
            "discovered",
        ]
