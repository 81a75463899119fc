"""Governance facts in the reader's language: conflicts (the pure detector writes its summaries
in English for the API and logs; pages rebuild them from the structured details) and status
codes of the history."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from governance import conflicts as rules
from governance.choices import (
    ConflictKind,
    DiscountTreatment,
    Grain,
    MappingStatus,
    ReviewStatus,
    TaxTreatment,
    VersionStatus,
)
from governance.subjects import DEFINITION_LABELS

register = template.Library()

VALUES = {"tax": TaxTreatment, "discount": DiscountTreatment, "grain": Grain}
KIND_LABELS = {
    rules.MAPPING_DISAGREEMENT: ConflictKind.MAPPING_DISAGREEMENT.label,
    rules.POSSIBLE_DUPLICATE: ConflictKind.POSSIBLE_DUPLICATE.label,
    rules.EQUIVALENT_DEFINITIONS: gettext_lazy("Definitions mean the same"),
    rules.GRAIN_MISMATCH: gettext_lazy("Grain contradicts the definition"),
}


def _get(conflict, name):
    return conflict.get(name) if isinstance(conflict, dict) else getattr(conflict, name, None)


def _attribute(name: str) -> str:
    # The attribute's label, inside a sentence ("disagree on tax treatment").
    return _(DEFINITION_LABELS[name]).lower() if name in DEFINITION_LABELS else name


def _value(attribute: str, value) -> str:
    choices = VALUES.get(attribute)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _source(source: str) -> str:
    if source.startswith("definition "):
        return _("definition %(key)s") % {"key": source.removeprefix("definition ")}
    return source


def _terms(terms) -> str:
    return _(", ").join(_("“%(term)s”") % {"term": t} for t in terms)


@register.filter
def conflict_kind(conflict) -> str:
    kind = _get(conflict, "kind")
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def conflict_text(conflict) -> str:
    """The conflict's summary, in the active language when its kind is known (a bare summary
    is shown as it is)."""
    if isinstance(conflict, str):
        return conflict
    kind, details = _get(conflict, "kind"), _get(conflict, "details") or {}
    keys = list(_get(conflict, "definitions") or [])
    try:
        if kind == rules.MAPPING_DISAGREEMENT:
            attribute = details["attribute"]
            said = _("; ").join(
                _("%(source)s says %(value)s")
                % {"source": _source(s["source"]), "value": _value(attribute, s["value"])}
                for s in details["statements"]
            )
            return _("Fields mapped to %(key)s disagree on %(attribute)s: %(statements)s") % {
                "key": keys[0], "attribute": _attribute(attribute), "statements": said,
            }  # fmt: skip
        if kind == rules.POSSIBLE_DUPLICATE:
            differing = _(", ").join(_attribute(a) for a in details["differing"])
            return _(
                "%(a)s and %(b)s may be duplicates: both called %(terms)s; they differ in "
                "%(what)s."
            ) % {
                "a": keys[0], "b": keys[1], "terms": _terms(details["shared_terms"]),
                "what": differing or _("nothing structured"),
            }  # fmt: skip
        if kind == rules.EQUIVALENT_DEFINITIONS:
            same = _(", ").join(
                f"{_attribute(k)} {_value(k, v)}" for k, v in details["same"].items()
            )
            text = _("%(a)s and %(b)s mean the same (%(same)s)") % {
                "a": keys[0], "b": keys[1], "same": same,
            }  # fmt: skip
            if details.get("shared_terms"):
                text += _("; both called %(terms)s") % {"terms": _terms(details["shared_terms"])}
            return text + _(": keep one, or say what tells them apart.")
        if kind == rules.GRAIN_MISMATCH:
            wanted = _value("grain", details["definition_grain"])
            field = (_get(conflict, "fields") or [""])[0]
            if details.get("stated_grain"):
                why = _("the mapping states %(grain)s") % {
                    "grain": _value("grain", details["stated_grain"])
                }
            else:
                why = _("its lineage aggregates %(source)s") % {
                    "source": details["aggregated_from"]
                }
            return _("%(field)s is mapped to %(key)s (%(grain)s), but %(why)s.") % {
                "field": field, "key": keys[0], "grain": wanted, "why": why,
            }  # fmt: skip
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return _get(conflict, "summary") or ""


STATUSES = {**dict(MappingStatus.choices), **dict(ReviewStatus.choices),
            **dict(VersionStatus.choices)}  # fmt: skip


@register.filter
def status_label(code: str) -> str:
    """A workflow status code (draft, in_review, ...) in words."""
    return str(STATUSES.get(code, code or "–"))


@register.filter
def names(version) -> list[tuple[str, str]]:
    """A version's names as (text, language) pairs, the reader's language first."""
    pairs = [(version.name, "en"), (version.name_zh, "zh-Hant")]
    if get_language() == "zh-hant":
        pairs.reverse()
    return [pair for pair in pairs if pair[0]]


@register.filter
def statements(conflict) -> list[tuple[str, str]]:
    """What each side of a mapping disagreement states, as (who, value in words) rows."""
    details = _get(conflict, "details") or {}
    attribute = details.get("attribute", "")
    return [
        (_source(s["source"]), _value(attribute, s["value"])) for s in details.get("statements", [])
    ]
