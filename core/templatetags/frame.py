"""Template pieces every page uses: status words (never colour alone), dates and percentages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def status(value: str, label: str = "") -> str:
    """A status as a tag: its word (translated label), with a colour that only repeats it."""
    return format_html('<span class="tag status-{}">{}</span>', value, label or value)


@register.filter
def percent(value) -> str:
    return "–" if value is None else f"{value}%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


_CLASSES = {"Select": "", "SelectMultiple": "", "Textarea": "textarea", "CheckboxInput": ""}


@register.inclusion_tag("core/_field.html")
def field(bound, **options):
    """One form field as a labelled Bulma control, its help and errors tied to it for screen
    readers (aria-describedby, aria-invalid)."""
    widget = type(bound.field.widget).__name__
    described = []
    if bound.help_text:
        described.append(f"{bound.auto_id}-help")
    if bound.errors:
        described.append(f"{bound.auto_id}-error")
    attrs = {"class": _CLASSES.get(widget, "input")}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound.errors:
        attrs["aria-invalid"] = "true"
        attrs["class"] += " is-danger"
    attrs.update({k: v for k, v in options.items() if k not in ("label_hidden",)})
    return {
        "bound": bound,
        "control": bound.as_widget(attrs=attrs),
        "is_select": widget in ("Select", "SelectMultiple"),
        "is_hidden": bound.is_hidden,
        "label_hidden": options.get("label_hidden", False),
    }
