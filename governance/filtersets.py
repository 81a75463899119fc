"""Filters for the governance endpoints."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from catalog.models import Dataset, Field
from core.filters import BooleanFilter, IntegerFilter, RefFilter
from governance.choices import Domain, MappingStatus, ReviewStatus, VersionStatus
from governance.models import DefinitionVersion, FieldDefinition, FieldMapping, Ownership, Review


class DefinitionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search key, name, synonyms")
    domain = django_filters.MultipleChoiceFilter(choices=Domain.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=VersionStatus.choices, method="filter_status", label="Status of any version"
    )
    owner = django_filters.CharFilter(field_name="owner__username")
    steward = django_filters.CharFilter(field_name="steward__username")
    owning_team = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = FieldDefinition
        fields = ["domain", "owner", "steward", "owning_team"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(key__icontains=value)
            | Q(versions__name__icontains=value)
            | Q(versions__synonyms__icontains=value)
        ).distinct()

    def filter_status(self, queryset, name, value):
        return queryset.filter(versions__status__in=value).distinct() if value else queryset


class MappingFilterSet(django_filters.FilterSet):
    definition = django_filters.CharFilter(field_name="definition__key")
    field = RefFilter(model=Field, label="Field (id or reference)")
    system = django_filters.CharFilter(field_name="field__dataset__system__key")
    status = django_filters.MultipleChoiceFilter(choices=MappingStatus.choices)

    class Meta:
        model = FieldMapping
        fields = ["definition", "field", "system", "status"]


class ReviewFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices)
    committee = IntegerFilter(field_name="committee_id")
    definition = django_filters.CharFilter(
        method="filter_definition", label="Reviews of the versions of this definition (key)"
    )
    awaiting_me = BooleanFilter(
        method="filter_awaiting_me", label="Open reviews the caller may still vote on"
    )

    class Meta:
        model = Review
        fields = ["status", "committee", "definition", "awaiting_me"]

    def filter_definition(self, queryset, name, value):
        versions = DefinitionVersion.objects.filter(definition__key=value).values("pk")
        return queryset.filter(
            content_type=ContentType.objects.get_for_model(DefinitionVersion),
            object_id__in=versions,
        )

    def filter_awaiting_me(self, queryset, name, value):
        user = self.request.user
        mine = Q(committee__memberships__user=user) | Q(approvers=user)
        awaiting = (
            queryset.filter(mine, status=ReviewStatus.OPEN)
            .exclude(author=user)
            .exclude(votes__voter=user)
            .values("pk")
        )
        return queryset.filter(pk__in=awaiting) if value else queryset.exclude(pk__in=awaiting)


class OwnershipFilterSet(django_filters.FilterSet):
    system = django_filters.CharFilter(field_name="system__key")
    dataset = RefFilter(model=Dataset, label="Dataset (id or reference)")
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = Ownership
        fields = ["system", "dataset", "user", "role"]
