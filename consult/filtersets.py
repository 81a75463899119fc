"""Filters for the consult endpoints."""

import contextlib

import django_filters

from catalog.refs import RefError, parse_field_ref
from consult.choices import Decision, Effect, PolicyStatus, ResourceKind
from consult.models import AccessPolicy, DecisionLog
from core.filters import BooleanFilter


class AccessPolicyFilterSet(django_filters.FilterSet):
    consumer = django_filters.CharFilter(field_name="consumer__username")
    group = django_filters.CharFilter(field_name="group__name")
    status = django_filters.MultipleChoiceFilter(choices=PolicyStatus.choices)
    effect = django_filters.ChoiceFilter(choices=Effect.choices)
    resource_kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)
    resource_key = django_filters.CharFilter()
    purpose = django_filters.CharFilter(method="by_purpose")

    class Meta:
        model = AccessPolicy
        fields = ["consumer", "group", "status", "effect", "resource_kind", "resource_key"]

    def by_purpose(self, queryset, name, value):
        # JSON containment is not portable to SQLite; the policy table is small.
        ids = [p.pk for p in queryset if value in p.purposes or "*" in p.purposes]
        return queryset.filter(pk__in=ids)


class DecisionLogFilterSet(django_filters.FilterSet):
    field = django_filters.CharFilter(method="by_field", label="Field reference")
    consumer = django_filters.CharFilter(field_name="consumer_name")
    purpose = django_filters.CharFilter()
    decision = django_filters.ChoiceFilter(choices=Decision.choices)
    simulated = BooleanFilter(method="by_simulated")
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = DecisionLog
        fields = ["field", "consumer", "purpose", "decision", "since", "until"]

    def by_field(self, queryset, name, value):
        with contextlib.suppress(RefError):
            value = str(parse_field_ref(value))
        return queryset.filter(field_ref=value)

    def by_simulated(self, queryset, name, value):
        return queryset.exclude(simulated_by="") if value else queryset.filter(simulated_by="")
