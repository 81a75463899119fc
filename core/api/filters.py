"""The filter backend every list uses (REST_FRAMEWORK's DEFAULT_FILTER_BACKENDS)."""

from django import forms
from django.core.validators import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend

from core.errors import Invalid, summary


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a refused choice lists the values it takes, and an
    empty value (`?until=`) is refused for a filter
    that does not take free text. django-filter reads it as "not given", an HTML form's empty
    input; for an API client it is a date, number or choice left out by mistake, and the list
    it got back was silently unfiltered."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        # A refused choice is answered with the values it takes (the form says only "Select a
        # valid choice").
        for field in filterset.form.fields.values():
            if isinstance(field, forms.ChoiceField):
                values = [str(v) for v, _ in field.choices if v not in EMPTY_VALUES]
                field.error_messages["invalid_choice"] = (
                    '"%(value)s" is not a valid choice; choose one of: '
                    + ", ".join(values).replace("%", "%%")
                    + "."
                )
        errors = [
            {"path": name, "message": "Give a value, or leave the parameter out."}
            for name, filter_ in filterset.filters.items()
            if request.query_params.get(name) == ""
            and not issubclass(filter_.field_class, forms.CharField)
        ]
        if errors:
            raise Invalid(summary(errors), errors)
        return filterset
