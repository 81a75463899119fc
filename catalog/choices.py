from django.db import models


class SystemKind(models.TextChoices):
    CRM = "crm", "CRM"
    POS = "pos", "Point of sale"
    ORDERS = "orders", "Online orders"
    MEMBERSHIP = "membership", "Membership and points"
    PAYMENT = "payment", "E-payment"
    ECOMMERCE = "ecommerce", "E-commerce"
    WAREHOUSE = "warehouse", "Data warehouse"
    MART = "mart", "Data mart"
    OTHER = "other", "Other"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    DEVELOPMENT = "development", "Development"
    TEST = "test", "Test"


class Lifecycle(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class DatasetKind(models.TextChoices):
    TABLE = "table", "Table"
    VIEW = "view", "View"
    FILE = "file", "File"
    API = "api", "API"
    STREAM = "stream", "Stream"


class Status(models.TextChoices):
    """Status of a dataset or a field. `removed` is set when a re-import no longer sees it:
    catalog entries are never deleted by imports."""

    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    REMOVED = "removed", "Removed"


class DescriptionSource(models.TextChoices):
    """Where a dataset's or field's description came from. Introspection keeps a description
    in step with the database comment only while it still came from that comment: one written
    in the catalog (API, admin, manifest) is never overwritten by a comment."""

    WRITTEN = "written", "Written in the catalog"
    COMMENT = "comment", "Database comment"
