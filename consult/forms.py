"""Forms of the consult pages. They shape what a person types into what the services take; the
rules are the models' `clean()` and the services', whose refusals the views show next to the
field they concern (core.pages.apply_error)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from consult.choices import Decision, Effect, ResourceKind, UpstreamMode
from consult.models import ALL_PURPOSES, MASK_METHODS, Purpose
from core.choices import Role
from lineage.choices import Dialect


def consumers():
    """The accounts consult decides for (the consumer group), by name."""
    return (
        get_user_model()
        .objects.filter(groups__name=Role.CONSUMER, is_active=True)
        .order_by("username")
    )


def purpose_choices() -> list[tuple[str, str]]:
    return [(p.key, f"{p.key} · {p.name}") for p in Purpose.objects.filter(active=True)]


class ConsumerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class PolicyForm(forms.Form):
    """A new access policy: who, which purposes, what it covers, allow or deny, under which
    conditions, for how long, and why."""

    name = forms.CharField(label=_("Name"), max_length=200)
    consumer = ConsumerChoice(
        label=_("Consumer"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("— a group instead —"),
        help_text=_("The consuming service this policy decides for; or choose a group."),
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.order_by("name"),
        required=False,
        to_field_name="name",
        empty_label=_("— none —"),
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purposes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One or more; “Any purpose” covers every purpose, present and future."),
    )
    resource_kind = forms.ChoiceField(
        label=_("What it covers"), choices=ResourceKind.choices, initial=ResourceKind.FIELD
    )
    resource_key = forms.CharField(
        label=_("Reference"),
        max_length=600,
        help_text=_("e.g. crm:public.contacts.email, crm:public.contacts, crm, pii.direct"),
    )
    effect = forms.ChoiceField(
        label=_("Effect"), choices=Effect.choices, widget=forms.RadioSelect, initial=Effect.ALLOW
    )
    mask = forms.ChoiceField(
        label=_("Masking"),
        choices=[("", _("— not required —")), *((m, m) for m in MASK_METHODS)],
        required=False,
        help_text=_("An allowed use must mask the values with this method."),
    )
    aggregate_only = forms.BooleanField(label=_("In aggregates only"), required=False)
    min_group_size = forms.IntegerField(
        label=_("Smallest group"), min_value=2, required=False,
        help_text=_("With “in aggregates only”: the fewest records an aggregate may cover."),
    )  # fmt: skip
    upstream_mode = forms.ChoiceField(
        label=_("Untrusted upstream"), choices=UpstreamMode.choices, initial=UpstreamMode.DENY
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    justification = forms.CharField(
        label=_("Why"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the committee needs to know to decide."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consumer"].queryset = consumers()
        self.fields["purposes"].choices = [(ALL_PURPOSES, _("Any purpose")), *purpose_choices()]

    def service_data(self) -> dict:
        """What services.create_policy takes."""
        data = self.cleaned_data
        obligations: list[dict] = []
        if data.get("mask"):
            obligations.append({"type": "mask", "method": data["mask"]})
        if data.get("aggregate_only"):
            item = {"type": "aggregate_only"}
            if data.get("min_group_size"):
                item["min_group_size"] = data["min_group_size"]
            obligations.append(item)
        purposes = data["purposes"]
        return {
            "name": data["name"],
            "consumer": data.get("consumer"),
            "group": data.get("group"),
            "purposes": [ALL_PURPOSES] if ALL_PURPOSES in purposes else purposes,
            "resource_kind": data["resource_kind"],
            "resource_key": data["resource_key"].strip(),
            "effect": data["effect"],
            "obligations": obligations,
            "upstream_mode": data["upstream_mode"],
            "valid_from": _start_of(data.get("valid_from")),
            "valid_until": _start_of(data.get("valid_until")),
            "justification": data["justification"],
        }


def _start_of(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class WhatIfForm(forms.Form):
    """Whose consult to simulate, for which purpose, and either fields or one query."""

    consumer = ConsumerChoice(
        label=_("Consumer"), queryset=get_user_model().objects.none(), empty_label=None
    )
    purpose = forms.ChoiceField(label=_("Purpose"))
    fields_text = forms.CharField(
        label=_("Fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("One field reference a line, e.g. crm:public.contacts.email"),
    )
    sql = forms.CharField(
        label=_("Or a query"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("One SELECT; every column it reads is decided."),
    )
    dialect = forms.ChoiceField(
        label=_("SQL dialect"), choices=Dialect.choices, initial=Dialect.POSTGRES, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consumer"].queryset = consumers()
        self.fields["purpose"].choices = purpose_choices()

    @property
    def refs(self) -> list[str]:
        text = self.cleaned_data.get("fields_text") or ""
        return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))

    def clean(self):
        data = super().clean()
        has_fields = bool((data.get("fields_text") or "").strip())
        has_sql = bool((data.get("sql") or "").strip())
        if not has_fields and not has_sql:
            raise forms.ValidationError(_("List one or more fields, or paste a query."))
        if has_fields and has_sql:
            raise forms.ValidationError(_("Ask about fields or about a query, not both at once."))
        return data


class DecisionFilterForm(forms.Form):
    """The decision log's filters, as the API's DecisionLogFilterSet reads them (the same query
    parameters), labelled for a person."""

    field = forms.CharField(label=_("Field"), required=False)
    consumer = forms.CharField(label=_("Consumer"), required=False)
    purpose = forms.CharField(label=_("Purpose"), required=False)
    decision = forms.ChoiceField(
        label=pgettext_lazy("consult", "Decision"),
        required=False,
        choices=[("", _("Any")), *Decision.choices],
    )
    since = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
