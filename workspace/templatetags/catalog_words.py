"""The words of the catalog's, lineage's and vendors' choices as the catalog pages show them:
those apps keep plain English labels (the API's words), so the pages translate the labels here.
The literals below are what makemessages extracts; a label not listed shows as it is."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_noop

from catalog.choices import DescriptionSource, Status

register = template.Library()

LABELS = (
    # catalog.choices.Status, DatasetKind, SystemKind, Environment, Lifecycle
    gettext_noop("Active"),
    gettext_noop("Deprecated"),
    gettext_noop("Removed"),
    gettext_noop("Table"),
    gettext_noop("View"),
    gettext_noop("File"),
    gettext_noop("API"),
    gettext_noop("Stream"),
    gettext_noop("CRM"),
    gettext_noop("Point of sale"),
    gettext_noop("Online orders"),
    gettext_noop("Membership and points"),
    gettext_noop("E-payment"),
    gettext_noop("E-commerce"),
    gettext_noop("Data warehouse"),
    gettext_noop("Data mart"),
    gettext_noop("Other"),
    gettext_noop("Production"),
    gettext_noop("Staging"),
    gettext_noop("Development"),
    gettext_noop("Test"),
    gettext_noop("Planned"),
    gettext_noop("Retired"),
    # catalog.choices.DescriptionSource
    gettext_noop("Written in the catalog"),
    gettext_noop("Database comment"),
    # lineage.choices.VersionOrigin
    gettext_noop("SQL submitted"),
    gettext_noop("OpenLineage event"),
    gettext_noop("Re-parse by rebuild_lineage"),
    gettext_noop("dbt model imported by dbt_import"),
    # vendors.choices.VersionStatus
    gettext_noop("Draft"),
    gettext_noop("Submitted"),
    gettext_noop("Approved"),
    gettext_noop("Rejected"),
    gettext_noop("Expired"),
    gettext_noop("Superseded"),
)


@register.filter
def said(label) -> str:
    """A choice's English label in the page's language."""
    return gettext(str(label)) if label else ""


# A field's attributes as its History section names them (catalog.history gives the codes).
ATTRIBUTES = {
    "name": gettext_noop("Name"),
    "ordinal": gettext_noop("Position"),
    "data_type": gettext_noop("Data type"),
    "nullable": gettext_noop("Nullable"),
    "description": gettext_noop("Description"),
    "description_source": gettext_noop("Description from"),
    "status": gettext_noop("Status"),
    "discovered": gettext_noop("Discovered in lineage"),
    "tags": gettext_noop("Tags"),
    "tests": gettext_noop("Data tests"),
}
_CHOICES = {"status": dict(Status.choices), "description_source": dict(DescriptionSource.choices)}


@register.filter
def attribute_said(code: str) -> str:
    """A field attribute's name in the page's language (its code when it has none)."""
    return gettext(ATTRIBUTES[code]) if code in ATTRIBUTES else code


@register.filter
def value_said(value, code: str = "") -> str:
    """A stored attribute value in words: yes or no, a choice's label, a list joined."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if code in _CHOICES and value in _CHOICES[code]:
        return gettext(_CHOICES[code][value])
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    return str(value)


def _item(value) -> str:
    """A tag, or a data test as its name and last status ("not_null: pass")."""
    if isinstance(value, dict):
        name = str(value.get("name", ""))
        return f"{name}: {value['status']}" if value.get("status") else name
    return str(value)
