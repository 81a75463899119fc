"""Choices of vendor integration contracts."""

from django.db import models


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound (into our systems)"
    OUTBOUND = "outbound", "Outbound (from our systems)"
    BIDIRECTIONAL = "bidirectional", "Both ways"


class Mechanism(models.TextChoices):
    API = "api", "API"
    FILE_DROP = "file_drop", "File drop"
    DB_LINK = "db_link", "Database link"
    STREAM = "stream", "Message stream"
    ETL_JOB = "etl_job", "ETL job"


class Activity(models.TextChoices):
    """What the responsibility matrix covers: every contract names an owner for each."""

    EXTRACTION = "extraction", "Extraction"
    TRANSFORMATION = "transformation", "Transformation"
    LOADING = "loading", "Loading"
    SCHEMA_CHANGES = "schema_changes", "Schema changes"
    DATA_QUALITY = "data_quality", "Data quality checks"
    MONITORING = "monitoring", "Monitoring"
    INCIDENT_RESPONSE = "incident_response", "Incident response"
    ERROR_HANDLING = "error_handling", "Error handling"
    ACCESS_MANAGEMENT = "access_management", "Access management"


class RaciRole(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class PartyKind(models.TextChoices):
    VENDOR = "vendor", "The vendor"
    TEAM = "team", "An internal team"


class SlaMetric(models.TextChoices):
    DELIVERY_TIME = "delivery_time", "Delivery time"
    FRESHNESS = "freshness", "Freshness"
    AVAILABILITY = "availability", "Availability"
    MAX_ERROR_RATE = "max_error_rate", "Maximum error rate"


class Unit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    PERCENT = "percent", "%"


class ResponseUnit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Field added"
    RENAMED = "renamed", "Field renamed"
    REMOVED = "removed", "Field removed"
    RETYPED = "retyped", "Field retyped"


class NoticeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    OBJECTED = "objected", "Objected"
