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
