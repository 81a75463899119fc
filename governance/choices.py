"""Choices of the governance app: definitions' structured attributes and the workflow states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Domain(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ORDER = "order", _("Order")
    PAYMENT = "payment", _("Payment")
    LOYALTY = "loyalty", _("Loyalty")
    PRODUCT = "product", _("Product")
    STORE = "store", _("Store")
    FINANCE = "finance", _("Finance")
    OTHER = "other", _("Other")


class TaxTreatment(models.TextChoices):
    INCLUDED = "included", _("Tax included")
    EXCLUDED = "excluded", _("Tax excluded")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class DiscountTreatment(models.TextChoices):
    BEFORE = "before", _("Before discount")
    AFTER = "after", _("After discount")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Grain(models.TextChoices):
    ORDER_LINE = "order_line", _("Per order line")
    ORDER = "order", _("Per order or receipt")
    PAYMENT = "payment", _("Per payment")
    LEDGER_ENTRY = "ledger_entry", _("Per ledger entry")
    CUSTOMER = "customer", _("Per customer")
    MEMBER = "member", _("Per member")
    PRODUCT = "product", _("Per product")
    DAY = "day", _("Per day")
    OTHER = "other", _("Other")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    CONFIDENTIAL = "confidential", _("Confidential")
    PERSONAL = "personal", _("Personal data")
    SENSITIVE = "sensitive", _("Sensitive personal data")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NEEDS_REVIEW = "needs_review", _("Needs review (recertification overdue)")
    DEPRECATED = "deprecated", _("Deprecated")
    RETIRED = "retired", _("Retired")
    SUPERSEDED = "superseded", _("Superseded by a later version")


class MappingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETIRED = "retired", _("Retired")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class VoteChoice(models.TextChoices):
    """A member's vote, and the words of an administrator's emergency override."""

    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_CHANGES = "request_changes", _("Request changes")


class SubjectKind(models.TextChoices):
    """What a review decides: a decision rule may differ per kind."""

    DEFINITION = "definition", _("Definition")
    MAPPING = "mapping", _("Field mapping")
    POLICY = "policy", _("Access policy")
    CONTRACT = "contract", _("Vendor contract")


class Consequence(models.TextChoices):
    """What one rejection, or one request for changes, does to a review."""

    CLOSES = "closes", _("Closes the review at once")
    COUNTS = "counts", _("Counts as a vote; decided when everyone has voted")


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    MEMBER = "member", _("Member")


class OwnerRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    STEWARD = "steward", _("Steward")


class Via(models.TextChoices):
    """How a transition was triggered: a person's action, a review's decision, an admin's
    emergency override of a review, or the system (commands, knock-on effects)."""

    MANUAL = "manual", _("Manual action")
    REVIEW = "review", _("Review decision")
    OVERRIDE = "override", _("Emergency override")
    SYSTEM = "system", _("System")


class ConflictKind(models.TextChoices):
    MAPPING_DISAGREEMENT = "mapping_disagreement", _("Mapped fields disagree")
    POSSIBLE_DUPLICATE = "possible_duplicate", _("Definitions look like duplicates")
