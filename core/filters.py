"""Filter pieces shared by every app's filtersets."""

import django_filters
from django import forms

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
