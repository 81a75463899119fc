"""The vendor workspace's forms. The contract editor's form only carries what a person typed:
the version is validated by the version API's serializer and the services (the same rules, the
same messages), and their refusals are shown next to the section they concern."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vendors.choices import ChangeKind, Direction, Mechanism, NoticeStatus

NUMBER = {"type": "number", "min": "0", "inputmode": "numeric"}

# The editor's sections and the version attributes (the first part of a refusal's path) each
# one concerns, in the order of the page.
SECTIONS = {
    "interface": (
        "source_system", "target_system", "direction", "mechanism", "endpoint", "data_format",
        "schedule", "expected_volume", "lineage_jobs", "effective_from", "effective_until",
    ),
    "carried": ("datasets", "fields"),
    "raci": ("raci",),
    "slas": ("slas",),
    "error_handling": (
        "error_detection", "retry_attempts", "retry_backoff", "quarantine", "replay_procedure",
        "notify_party", "notify_within_minutes",
    ),
    "escalation": ("escalation",),
    "notice": ("schema_change_notice_days",),
}  # fmt: skip


def section_of(path: str) -> str:
    root = path.split(".")[0].split("[")[0]
    return next((name for name, roots in SECTIONS.items() if root in roots), "")


class VersionForm(forms.Form):
    """The version's own attributes (the rows of the RACI grid, SLAs and escalation levels are
    read from the page by the view)."""

    source_system = forms.ChoiceField(label=_("Source system"), required=False)
    target_system = forms.ChoiceField(label=_("Target system"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, required=False)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"), choices=[("", "—"), *Mechanism.choices], required=False
    )
    endpoint = forms.CharField(label=_("Endpoint or location"), required=False)
    data_format = forms.CharField(label=_("Format"), required=False)
    schedule = forms.CharField(label=_("Schedule"), required=False)
    expected_volume = forms.CharField(label=_("Expected volume"), required=False)
    lineage_jobs = forms.CharField(
        label=_("ETL jobs that implement it"),
        required=False,
        help_text=_("Job keys, separated by commas."),
    )
    effective_from = forms.CharField(
        label=_("In force from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_until = forms.CharField(
        label=_("In force until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    error_detection = forms.CharField(
        label=_("How errors are detected"), required=False, widget=forms.Textarea({"rows": 2})
    )
    retry_attempts = forms.CharField(
        label=_("Retries"), required=False, widget=forms.TextInput(NUMBER)
    )
    retry_backoff = forms.CharField(label=_("Back-off between retries"), required=False)
    quarantine = forms.CharField(
        label=_("Quarantine of bad records"), required=False, widget=forms.Textarea({"rows": 2})
    )
    replay_procedure = forms.CharField(
        label=_("Replay procedure"), required=False, widget=forms.Textarea({"rows": 2})
    )
    notify_party = forms.CharField(label=_("Who is told of a failure"), required=False)
    notify_within_minutes = forms.CharField(
        label=_("Told within (minutes)"), required=False, widget=forms.TextInput(NUMBER)
    )
    schema_change_notice_days = forms.CharField(
        label=_("Notice period for schema changes (days)"),
        required=False,
        widget=forms.TextInput(NUMBER),
    )

    def __init__(self, *args, systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((s.key, f"{s.name} ({s.key})") for s in systems)]
        self.fields["source_system"].choices = choices
        self.fields["target_system"].choices = choices

    def payload(self) -> dict:
        """The attributes as the version API takes them (empty numbers and dates are none)."""
        data = dict(self.cleaned_data)
        for name in (
            "retry_attempts", "notify_within_minutes", "schema_change_notice_days",
            "effective_from", "effective_until",
        ):  # fmt: skip
            data[name] = data[name].strip() or None
        for name in ("source_system", "target_system", "mechanism"):
            if not data[name]:
                data.pop(name)
        jobs = data.pop("lineage_jobs")
        data["lineage_jobs"] = [j.strip() for j in jobs.split(",") if j.strip()]
        return data


class ContractForm(forms.Form):
    key = forms.CharField(
        label=_("Key"),
        max_length=80,
        help_text=_("Lower-case letters, digits, '-' and '_'; it names the interface for good."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea({"rows": 3})
    )
    vendor = forms.ChoiceField(label=_("Vendor"))

    def __init__(self, *args, vendors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].choices = [(v.key, v.name) for v in vendors]


class NoticeForm(forms.Form):
    summary = forms.CharField(label=_("What changes, in a sentence"), max_length=500)
    effective_date = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ChangeRowForm(forms.Form):
    change = forms.ChoiceField(
        label=_("Change"), choices=[("", "—"), *ChangeKind.choices], required=False
    )
    field = forms.CharField(label=_("Field"), required=False)
    new_name = forms.CharField(label=_("New name"), required=False)
    new_type = forms.CharField(label=_("New type"), required=False)


ChangeRowFormSet = forms.formset_factory(ChangeRowForm, extra=3)


class NoticeAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[(NoticeStatus.ACKNOWLEDGED, ""), (NoticeStatus.OBJECTED, "")]
    )
    reason = forms.CharField(required=False)


class OdcsUploadForm(forms.Form):
    document = forms.FileField(label=_("ODCS document (YAML or JSON)"))
