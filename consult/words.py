"""The consult decision in a person's words: one sentence per reason code and per decision, in
the reader's language. The API keeps its codes and English messages; every page that shows a
reason (the what-if, the decision log, the committee's chart) words it from this one table."""

from __future__ import annotations

from django.utils.timezone import localdate
from django.utils.translation import gettext_lazy as _

from consult.choices import Decision, ReasonCode

REASONS = {
    ReasonCode.UNREGISTERED_FIELD: _("The field is not registered in the catalog."),
    ReasonCode.NO_APPROVED_DEFINITION: _("The field has no approved definition."),
    ReasonCode.DEFINITION_DEPRECATED: _("The field's definition is deprecated."),
    ReasonCode.NO_POLICY: _("No approved policy allows this consumer this use."),
    ReasonCode.POLICY_DENIED: _("A policy denies this use."),
    ReasonCode.POLICY_ALLOWED: _("A policy allows this use."),
    ReasonCode.UPSTREAM_UNAPPROVED: _("A field upstream of it is not trusted."),
    ReasonCode.MASKING_REQUIRED: _("It may be used only masked."),
    ReasonCode.OBLIGATION: _("A policy or classification attaches a condition to its use."),
}

# An allowing policy among the reasons of a denial: it would have allowed, something else denied.
OVERRULED = _("A policy would allow this use, but something else denies it.")

DECISIONS = {
    Decision.ALLOW: _("Allowed"),
    Decision.ALLOW_WITH_OBLIGATIONS: _("Allowed with conditions"),
    Decision.DENY: _("Denied"),
}

MASK_METHODS = {
    "sha256": _("masked with SHA-256"),
    "sha512": _("masked with SHA-512"),
    "tokenise": _("tokenised"),
    "redact": _("redacted"),
}


def reason_text(code: str) -> str:
    """The sentence for a reason code; an unknown code (a newer server's) as it is."""
    words = REASONS.get(code)
    return str(words) if words is not None else code


def reason_sentence(reason: dict) -> str:
    """One reason of a decision as a sentence: its code's words, an overruled allow said so."""
    if reason.get("code") == ReasonCode.POLICY_ALLOWED and reason.get("decisive") is False:
        return str(OVERRULED)
    return reason_text(reason.get("code", ""))


def decision_text(code: str) -> str:
    words = DECISIONS.get(code)
    return str(words) if words is not None else code


def obligation_text(obligation: dict) -> str:
    """{"type": "mask", "method": "sha256"} -> "masked with SHA-256"."""
    if obligation.get("type") == "mask":
        method = obligation.get("method", "")
        words = MASK_METHODS.get(method)
        return str(words) if words is not None else _("masked (%(method)s)") % {"method": method}
    if obligation.get("type") == "aggregate_only":
        size = obligation.get("min_group_size")
        if size:
            return _("in aggregates of at least %(n)s only") % {"n": size}
        return str(_("in aggregates only"))
    return str(obligation.get("type", ""))


KIND_NOUNS = {
    "field": _("field"),
    "definition": _("definition"),
    "classification": _("classification"),
    "dataset": _("dataset"),
    "system": _("source system"),
}


def policy_sentence(policy) -> str:
    """A policy in the reader's words: "cdp-unification may use source system crm for
    profile_unification, masked with SHA-256, until 2027-06-30."."""
    if policy.consumer_id:
        subject = policy.consumer.get_username()
    else:
        subject = _("group %(name)s") % {"name": policy.group.name}
    purposes = policy.purposes or []
    every = purposes == ["*"]
    values = {
        "subject": subject,
        "kind": KIND_NOUNS.get(policy.resource_kind, policy.resource_kind),
        "key": policy.resource_key,
        "purposes": _("any purpose") if every else _(" or ").join(purposes),
    }
    if policy.effect == "allow":
        text = _("%(subject)s may use %(kind)s %(key)s for %(purposes)s") % values
    else:
        text = _("%(subject)s may not use %(kind)s %(key)s for %(purposes)s") % values
    parts = [text, *(obligation_text(o) for o in policy.obligations or [])]
    if policy.valid_from:
        parts.append(_("from %(date)s") % {"date": f"{localdate(policy.valid_from):%Y-%m-%d}"})
    if policy.valid_until:
        parts.append(_("until %(date)s") % {"date": f"{localdate(policy.valid_until):%Y-%m-%d}"})
    return str(_("%(sentence)s.") % {"sentence": _(", ").join(str(p) for p in parts)})
