"""Choices shared by every app."""

from django.db import models


class Role(models.TextChoices):
    """The governance roles. Each is a Django group created by a migration."""

    COMMITTEE = "committee", "Governance committee member"
    STEWARD = "steward", "Data steward"
    ENGINEER = "engineer", "Data engineer"
    VENDOR = "vendor", "Vendor or integration partner"
    CONSUMER = "consumer", "Consuming service"


class ChangeAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    TRANSITION = "transition", "Workflow transition"
    GRANT = "grant", "Grant"
    REVOKE = "revoke", "Revoke"
