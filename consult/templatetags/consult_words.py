"""Consult codes in words on a page (consult.words): `{{ code|reason_text }}`,
`{{ reason|reason_sentence }}`, `{{ code|decision_text }}`, `{{ obligation|obligation_text }}`."""

from django import template

from consult import words

register = template.Library()

register.filter("reason_text", words.reason_text)
register.filter("reason_sentence", words.reason_sentence)
register.filter("decision_text", words.decision_text)
register.filter("obligation_text", words.obligation_text)


@register.filter
def policy_status(code: str) -> str:
    """A policy's status code in words (draft, in_review, ...)."""
    from consult.choices import PolicyStatus

    return str(PolicyStatus(code).label) if code in PolicyStatus.values else code or "–"
