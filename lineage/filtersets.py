"""Filters for the lineage endpoints. Fields and datasets are given by id or reference."""

import django_filters

from catalog.filtersets import SearchFilterSet
from catalog.refs import RefError, parse_dataset_ref, parse_field_ref
from core.filters import BooleanFilter
from lineage.choices import Dialect, EdgeType, ParseStatus, VersionOrigin
from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge


def _by_ref(prefix: str, parse, lookups):
    """A filter method reading an id or a reference; `lookups(ref)` gives the ORM lookups."""

    def method(queryset, name, value):
        if value.isdigit():
            return queryset.filter(**{f"{prefix}_id": int(value)})
        try:
            ref = parse(value)
        except RefError:
            return queryset.none()
        return queryset.filter(**{f"{prefix}__{k}": v for k, v in lookups(ref).items()})

    return method


def _by_field_ref(prefix: str):
    return _by_ref(
        prefix,
        parse_field_ref,
        lambda r: {"dataset__system__key": r.system, "dataset__name": r.dataset, "name": r.column},
    )


def _by_dataset_ref(prefix: str):
    return _by_ref(
        prefix, parse_dataset_ref, lambda r: {"system__key": r.system, "name": r.dataset}
    )


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
    source = django_filters.CharFilter(method=_by_field_ref("source"), label="Source field")
    target = django_filters.CharFilter(method=_by_field_ref("target"), label="Target field")
    source_dataset = django_filters.CharFilter(
        method=_by_dataset_ref("source__dataset"), label="Source dataset"
    )
    target_dataset = django_filters.CharFilter(
        method=_by_dataset_ref("target__dataset"), label="Target dataset"
    )
    type = django_filters.MultipleChoiceFilter(choices=EdgeType.choices)
    subtype = django_filters.CharFilter(lookup_expr="iexact")
    masking = BooleanFilter()

    class Meta:
        model = LineageEdge
        fields = ["job", "type", "subtype", "masking"]


class DatasetEdgeFilterSet(django_filters.FilterSet):
    job = django_filters.CharFilter(field_name="job__key", lookup_expr="iexact")
    source = django_filters.CharFilter(method=_by_dataset_ref("source"), label="Source dataset")
    target = django_filters.CharFilter(method=_by_dataset_ref("target"), label="Target dataset")

    class Meta:
        model = DatasetEdge
        fields = ["job"]
