"""Choices of the consult decision point: policy effects and states, resource kinds, decisions
and the reason codes of the public consult contract (README, "Consult")."""

from django.db import models


class Effect(models.TextChoices):
    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"


class ResourceKind(models.TextChoices):
    """What a policy covers, from the most specific to the broadest (see policy.SPECIFICITY)."""

    FIELD = "field", "Field (system:dataset.column)"
    DEFINITION = "definition", "Definition (key)"
    CLASSIFICATION = "classification", "Classification (key)"
    DATASET = "dataset", "Dataset (system:dataset)"
    SYSTEM = "system", "Source system (key)"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REVOKED = "revoked", "Revoked"


class UpstreamMode(models.TextChoices):
    """What an allowing policy does with an untrusted upstream (issue 5, lineage trust)."""

    DENY = "deny", "Deny"
    WARN = "warn", "Allow with a warning"


class ClassificationState(models.TextChoices):
    """A steward's word on a field's classification. `assigned` is a manual label; `confirmed`
    and `overridden` are decisions on a propagated one, and survive lineage rebuilds."""

    ASSIGNED = "assigned", "Assigned by hand"
    CONFIRMED = "confirmed", "Propagated, confirmed"
    OVERRIDDEN = "overridden", "Propagated, overridden (does not apply)"


class Decision(models.TextChoices):
    ALLOW = "allow", "Allow"
    ALLOW_WITH_OBLIGATIONS = "allow_with_obligations", "Allow with obligations"
    DENY = "deny", "Deny"


class ReasonCode(models.TextChoices):
    UNREGISTERED_FIELD = "unregistered_field", "The field is not registered"
    NO_APPROVED_DEFINITION = "no_approved_definition", "No approved definition"
    DEFINITION_DEPRECATED = "definition_deprecated", "The definition is deprecated"
    NO_POLICY = "no_policy", "No policy allows this use"
    POLICY_DENIED = "policy_denied", "A policy denies this use"
    POLICY_ALLOWED = "policy_allowed", "A policy allows this use"
    UPSTREAM_UNAPPROVED = "upstream_unapproved", "An upstream field is not trusted"
    MASKING_REQUIRED = "masking_required", "A classification requires masking"
    OBLIGATION = "obligation", "A policy imposes an obligation"
