"""Filter pieces shared by every app's filtersets."""

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES

from core.errors import Invalid

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error rather than silently ignored."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError(f"{value!r} is not a boolean; use true or false.")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class RefFilter(django_filters.CharFilter):
    """An object given by id or by its natural key (`pos`, `pos:sales.transactions`,
    `pos:sales.transactions.amount`, `order_amount_gross`...): whatever the related model's
    queryset `by_ref()` reads. `field_name` is the lookup from the filtered model to it. A
    malformed reference is a 400 naming the parameter, not an empty page."""

    def __init__(self, *args, model, param: str | None = None, **kwargs):
        self.target_model = model
        self.param = param
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        value = value.strip()
        targets = self.target_model._default_manager.all()
        if value.isdigit() and targets.filter(pk=int(value)).exists():
            matches = targets.filter(pk=int(value))
        else:
            try:
                matches = targets.by_ref(value)
            except ValueError as exc:
                raise Invalid.at(self.param or self.field_name, str(exc)) from None
        return qs.filter(**{f"{self.field_name}__in": matches.values("pk")})


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: django-filter's NumberFilter reads decimals, so `?escalation_level=0.5`
    matched nothing instead of being refused."""

    field_class = forms.IntegerField
