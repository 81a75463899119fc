"""Limit/offset pagination that refuses to page an unordered queryset, and refuses a `limit`
or `offset` that is not a whole number in range instead of quietly using the default."""

from rest_framework.pagination import LimitOffsetPagination

from core.errors import Invalid


class OrderedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            # Paging an unordered queryset returns rows twice or never; order by key as a fallback.
            queryset = queryset.order_by("pk")
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        limit = _whole_number(request, self.limit_query_param, minimum=1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return _whole_number(request, self.offset_query_param, minimum=0) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"]["minimum"] = minimum
        return parameters


def _whole_number(request, name: str, minimum: int) -> int | None:
    if name not in request.query_params:
        return None
    text = request.query_params[name]
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        raise Invalid.at(name, f"Expected a whole number of at least {minimum}.")
    return int(text)
