"""The words of the catalog's, lineage's and vendors' choices as the catalog pages show them:
those apps keep plain English labels (the API's words), so the pages translate the labels here.
The literals below are what makemessages extracts; a label not listed shows as it is."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_noop

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
