"""Limit/offset pagination that refuses to page an unordered queryset."""

from rest_framework.pagination import LimitOffsetPagination


class OrderedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            # Paging an unordered queryset returns rows twice or never; order by key as a fallback.
            queryset = queryset.order_by("pk")
        return super().paginate_queryset(queryset, request, view)
