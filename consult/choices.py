"""Choices of the consult decision point: policy effects and states, resource kinds, decisions
and the reason codes of the public consult contract (README, "Consult")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Effect(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")


class ResourceKind(models.TextChoices):
    """What a policy covers, from the most specific to the broadest (see policy.SPECIFICITY)."""

    FIELD = "field", _("Field (system:dataset.column)")
    DEFINITION = "definition", _("Definition (key)")
    CLASSIFICATION = "classification", _("Classification (key)")
    DATASET = "dataset", _("Dataset (system:dataset)")
    SYSTEM = "system", _("Source system (key)")


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


class UpstreamMode(models.TextChoices):
    """What an allowing policy does with an untrusted upstream (issue 5, lineage trust)."""

    DENY = "deny", _("Deny")
    WARN = "warn", _("Allow with a warning")


class ClassificationState(models.TextChoices):
    """A steward's word on a field's classification. `assigned` is a manual label; `confirmed`
    and `overridden` are decisions on a propagated one, and survive lineage rebuilds."""

    ASSIGNED = "assigned", _("Assigned by hand")
    CONFIRMED = "confirmed", _("Propagated, confirmed")
    OVERRIDDEN = "overridden", _("Propagated, overridden (does not apply)")


class Decision(models.TextChoices):
    ALLOW = "allow", _("Allow")
    ALLOW_WITH_OBLIGATIONS = "allow_with_obligations", _("Allow with obligations")
    DENY = "deny", _("Deny")


class ReasonCode(models.TextChoices):
    UNREGISTERED_FIELD = "unregistered_field", _("The field is not registered")
    NO_APPROVED_DEFINITION = "no_approved_definition", _("No approved definition")
    DEFINITION_DEPRECATED = "definition_deprecated", _("The definition is deprecated")
    NO_POLICY = "no_policy", _("No policy allows this use")
    POLICY_DENIED = "policy_denied", _("A policy denies this use")
    POLICY_ALLOWED = "policy_allowed", _("A policy allows this use")
    UPSTREAM_UNAPPROVED = "upstream_unapproved", _("An upstream field is not trusted")
    MASKING_REQUIRED = "masking_required", _("A classification requires masking")
    OBLIGATION = "obligation", _("A policy imposes an obligation")
