"""Forms of the governance pages. They only shape what a person types into the data the
services take; the rules are the models' `clean()` and the services', whose refusals the views
show next to the field they concern (core.pages.apply_error)."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import Field
from core.permissions import visible
from governance.choices import (
    DiscountTreatment,
    Domain,
    Grain,
    Sensitivity,
    TaxTreatment,
    VoteChoice,
)
from governance.models import FieldDefinition

RANGE = re.compile(r"^\s*(-?[\d.]*)\s*\.\.\s*(-?[\d.]*)\s*$")

# The choices explained in words, as the form shows them.
TAX_HELP = _(
    "Included: the amount contains the 5% business tax (what the customer pays). Excluded: the "
    "tax is taken out. Not applicable: not a money amount subject to tax."
)
DISCOUNT_HELP = _(
    "Before: list price, before member and coupon discounts. After: what remains after every "
    "discount."
)
GRAIN_HELP = _("What one value describes: one order line, one order, one customer, one day…")


def _blank(choices):
    return [("", _("— not stated —")), *choices]


def _number(text: str):
    return float(text) if "." in text else int(text)


def parse_list(text: str) -> list[str]:
    """Comma- or line-separated values, trimmed, empty ones dropped."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def parse_allowed(text: str):
    """`a, b, c` is a list of values; `0..100`, `0..` or `..100` a range."""
    text = (text or "").strip()
    match = RANGE.match(text)
    if match and (match.group(1) or match.group(2)):
        low, high = match.groups()
        try:
            bounds = {"min": _number(low)} if low else {}
            if high:
                bounds["max"] = _number(high)
        except ValueError:
            raise forms.ValidationError(_("A range is written like 0..100.")) from None
        return bounds
    return parse_list(text)


def show_allowed(value) -> str:
    if isinstance(value, dict):
        return f"{value.get('min', '')}..{value.get('max', '')}"
    return ", ".join(str(v) for v in value or [])


class DefinitionForm(forms.Form):
    """A new definition, or a new version of one: who answers for it and what it means."""

    key = forms.CharField(
        label=_("Key"),
        max_length=100,
        help_text=_("Lower-case letters, digits and _, e.g. order_amount_net. It never changes."),
    )
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    name = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Traditional Chinese)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    description_zh = forms.CharField(
        label=_("Description (Traditional Chinese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    data_type = forms.CharField(
        label=_("Data type"), max_length=50, required=False, help_text=_("e.g. decimal(12,2)")
    )
    unit = forms.CharField(label=_("Unit"), max_length=50, required=False)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("ISO 4217 code, e.g. TWD")
    )
    tax = forms.ChoiceField(
        label=_("Tax treatment"), choices=_blank(TaxTreatment.choices), required=False,
        help_text=TAX_HELP,
    )  # fmt: skip
    discount = forms.ChoiceField(
        label=_("Discount treatment"), choices=_blank(DiscountTreatment.choices), required=False,
        help_text=DISCOUNT_HELP,
    )  # fmt: skip
    grain = forms.ChoiceField(
        label=_("Grain"), choices=_blank(Grain.choices), required=False, help_text=GRAIN_HELP
    )
    calculation_rule = forms.CharField(
        label=_("Calculation rule"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("How it is computed from other definitions or fields, if it is."),
    )
    allowed_values = forms.CharField(
        label=_("Allowed values"),
        required=False,
        help_text=_("Values separated by commas, or a range such as 0..100 (0.. for no maximum)."),
    )
    example_values = forms.CharField(
        label=_("Example values"), required=False, help_text=_("Separated by commas.")
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"), choices=Sensitivity.choices, initial=Sensitivity.INTERNAL
    )
    synonyms = forms.CharField(
        label=_("Synonyms"),
        required=False,
        help_text=_("Other names people use, in either language, separated by commas."),
    )
    steward = forms.ModelChoiceField(
        label=_("Steward"), queryset=get_user_model().objects.none(), required=False,
        to_field_name="username", empty_label=_("— not stated —"),
    )  # fmt: skip
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False,
        to_field_name="username", empty_label=_("— not stated —"),
    )  # fmt: skip
    change_note = forms.CharField(
        label=_("What this version changes, and why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, definition: FieldDefinition | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["steward"].queryset = people
        self.fields["owner"].queryset = people
        self.definition = definition
        if definition is not None:
            # The key names the definition: a new version keeps it.
            del self.fields["key"]
            self.fields["domain"].disabled = True

    @classmethod
    def initial_for(cls, definition: FieldDefinition) -> dict:
        version = definition.pending_version or definition.effective_version
        version = version or definition.latest_version
        data = {
            "domain": definition.domain,
            "steward": definition.steward,
            "owner": definition.owner,
        }
        if version is not None:
            data.update(
                {name: getattr(version, name) for name in (
                    "name", "name_zh", "description", "description_zh", "data_type", "unit",
                    "currency", "tax", "discount", "grain", "calculation_rule", "sensitivity")}
            )  # fmt: skip
            data["allowed_values"] = show_allowed(version.allowed_values)
            data["example_values"] = ", ".join(str(v) for v in version.example_values or [])
            data["synonyms"] = ", ".join(version.synonyms or [])
            if version.status in ("draft", "changes_requested"):
                data["change_note"] = version.change_note
        return data

    def clean_allowed_values(self):
        return parse_allowed(self.cleaned_data.get("allowed_values", ""))

    def clean_example_values(self):
        return parse_list(self.cleaned_data.get("example_values", ""))

    def clean_synonyms(self):
        return parse_list(self.cleaned_data.get("synonyms", ""))

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if self.definition is not None:
            data.pop("domain", None)
        return data


class MappingRowForm(forms.Form):
    """One catalog field the proposal maps to the definition."""

    field = forms.CharField(
        label=_("Field"),
        required=False,
        max_length=600,
        help_text=_("Start typing a field name; pick it from the list."),
    )
    conversion_note = forms.CharField(
        label=_("Conversion note"),
        required=False,
        help_text=_("How this field is brought into line, e.g. net = amount / 1.05."),
    )
    grain = forms.ChoiceField(
        label=_("Grain of this field"), choices=_blank(Grain.choices), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Field search as you type: htmx fills the datalist the box suggests from with the
        # fields the person may read (htmx sends the box's own name and value).
        self.fields["field"].widget.attrs.update(
            {
                "list": "field-options",
                "autocomplete": "off",
                "hx-get": reverse("definition-field-search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#field-options",
                "hx-swap": "innerHTML",
            }
        )


MappingRowFormSet = forms.formset_factory(MappingRowForm, extra=3, max_num=20)


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=VoteChoice.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject or request changes: say why."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ResolveConflictForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("How was it settled?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def field_choices_for(user, query: str, limit: int = 15) -> list[str]:
    """References of fields `user` may read whose name or dataset matches `query` (the field
    search of the proposal form)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    fields = visible(
        user, Field.objects.select_related("dataset__system"), ("dataset", "dataset__system")
    )
    if ":" in query:
        system, _, rest = query.partition(":")
        fields = fields.filter(dataset__system__key__istartswith=system)
        query = rest
    matches = fields.filter(name__icontains=query.rsplit(".", 1)[-1]) | fields.filter(
        dataset__name__icontains=query
    )
    return [f.ref for f in matches.order_by("dataset__system__key", "dataset__name", "name")[
        :limit]]  # fmt: skip
