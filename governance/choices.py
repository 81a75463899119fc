"""Choices of the governance app: definitions' structured attributes and the workflow states."""

from django.db import models


class Domain(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ORDER = "order", "Order"
    PAYMENT = "payment", "Payment"
    LOYALTY = "loyalty", "Loyalty"
    PRODUCT = "product", "Product"
    STORE = "store", "Store"
    FINANCE = "finance", "Finance"
    OTHER = "other", "Other"


class TaxTreatment(models.TextChoices):
    INCLUDED = "included", "Tax included"
    EXCLUDED = "excluded", "Tax excluded"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class DiscountTreatment(models.TextChoices):
    BEFORE = "before", "Before discount"
    AFTER = "after", "After discount"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Grain(models.TextChoices):
    ORDER_LINE = "order_line", "Per order line"
    ORDER = "order", "Per order or receipt"
    PAYMENT = "payment", "Per payment"
    LEDGER_ENTRY = "ledger_entry", "Per ledger entry"
    CUSTOMER = "customer", "Per customer"
    MEMBER = "member", "Per member"
    PRODUCT = "product", "Per product"
    DAY = "day", "Per day"
    OTHER = "other", "Other"


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    PERSONAL = "personal", "Personal data"
    SENSITIVE = "sensitive", "Sensitive personal data"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NEEDS_REVIEW = "needs_review", "Needs review (recertification overdue)"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"
    SUPERSEDED = "superseded", "Superseded by a later version"


class MappingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETIRED = "retired", "Retired"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class VoteChoice(models.TextChoices):
    """A member's vote, and the words of an administrator's emergency override."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REQUEST_CHANGES = "request_changes", "Request changes"


class SubjectKind(models.TextChoices):
    """What a review decides: a decision rule may differ per kind."""

    DEFINITION = "definition", "Definition"
    MAPPING = "mapping", "Field mapping"
    POLICY = "policy", "Access policy"
    CONTRACT = "contract", "Vendor contract"


class Consequence(models.TextChoices):
    """What one rejection, or one request for changes, does to a review."""

    CLOSES = "closes", "Closes the review at once"
    COUNTS = "counts", "Counts as a vote; decided when everyone has voted"


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    MEMBER = "member", "Member"


class OwnerRole(models.TextChoices):
    OWNER = "owner", "Owner"
    STEWARD = "steward", "Steward"


class Via(models.TextChoices):
    """How a transition was triggered: a person's action, a review's decision, an admin's
    emergency override of a review, or the system (commands, knock-on effects)."""

    MANUAL = "manual", "Manual action"
    REVIEW = "review", "Review decision"
    OVERRIDE = "override", "Emergency override"
    SYSTEM = "system", "System"


class ConflictKind(models.TextChoices):
    MAPPING_DISAGREEMENT = "mapping_disagreement", "Mapped fields disagree"
    POSSIBLE_DUPLICATE = "possible_duplicate", "Definitions look like duplicates"
