"""Filters for the lineage endpoints. Fields and datasets are given by id or reference."""

import django_filters

from catalog.filtersets import SearchFilterSet
from catalog.models import Dataset, Field
from core.filters import BooleanFilter, RefFilter
from lineage.choices import Dialect, EdgeType, ParseStatus, VersionOrigin
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge


class EtlJobFilterSet(SearchFilterSet):
    search_fields = ("key", "name", "description")
    system = django_filters.CharFilter(field_name="system__key", lookup_expr="iexact")
    owner = django_filters.CharFilter(field_name="owner__username")
    dialect = django_filters.MultipleChoiceFilter(choices=Dialect.choices)
    status = django_filters.MultipleChoiceFilter(
        field_name="current_version__status", choices=ParseStatus.choices
    )

    class Meta:
        model = EtlJob
        fields = ["system", "owner", "dialect", "status"]


class EtlJobVersionFilterSet(django_filters.FilterSet):
    job = django_filters.CharFilter(field_name="job__key", lookup_expr="iexact")
    status = django_filters.MultipleChoiceFilter(choices=ParseStatus.choices)
    origin = django_filters.MultipleChoiceFilter(choices=VersionOrigin.choices)

    class Meta:
        model = EtlJobVersion
        fields = ["job", "status", "origin"]


class LineageEdgeFilterSet(django_filters.FilterSet):
    job = django_filters.CharFilter(field_name="job__key", lookup_expr="iexact")
    source = RefFilter(model=Field, label="Source field (id or reference)")
    target = RefFilter(model=Field, label="Target field (id or reference)")
    source_dataset = RefFilter(
        model=Dataset, field_name="source__dataset", param="source_dataset", label="Source dataset"
    )
    target_dataset = RefFilter(
        model=Dataset, field_name="target__dataset", param="target_dataset", label="Target dataset"
    )
    type = django_filters.MultipleChoiceFilter(choices=EdgeType.choices)
    subtype = django_filters.CharFilter(lookup_expr="iexact")
    masking = BooleanFilter()

    class Meta:
        model = LineageEdge
        fields = ["job", "type", "subtype", "masking"]


class DatasetEdgeFilterSet(django_filters.FilterSet):
    job = django_filters.CharFilter(field_name="job__key", lookup_expr="iexact")
    source = RefFilter(model=Dataset, label="Source dataset (id or reference)")
    target = RefFilter(model=Dataset, label="Target dataset (id or reference)")

    class Meta:
        model = DatasetEdge
        fields = ["job"]
