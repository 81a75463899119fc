"""Choices of vendor integration contracts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound (into our systems)")
    OUTBOUND = "outbound", _("Outbound (from our systems)")
    BIDIRECTIONAL = "bidirectional", _("Both ways")


class Mechanism(models.TextChoices):
    API = "api", _("API")
    FILE_DROP = "file_drop", _("File drop")
    DB_LINK = "db_link", _("Database link")
    STREAM = "stream", _("Message stream")
    ETL_JOB = "etl_job", _("ETL job")


class Activity(models.TextChoices):
    """What the responsibility matrix covers: every contract names an owner for each."""

    EXTRACTION = "extraction", _("Extraction")
    TRANSFORMATION = "transformation", _("Transformation")
    LOADING = "loading", _("Loading")
    SCHEMA_CHANGES = "schema_changes", _("Schema changes")
    DATA_QUALITY = "data_quality", _("Data quality checks")
    MONITORING = "monitoring", _("Monitoring")
    INCIDENT_RESPONSE = "incident_response", _("Incident response")
    ERROR_HANDLING = "error_handling", _("Error handling")
    ACCESS_MANAGEMENT = "access_management", _("Access management")


class RaciRole(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible")
    ACCOUNTABLE = "A", _("Accountable")
    CONSULTED = "C", _("Consulted")
    INFORMED = "I", _("Informed")


class PartyKind(models.TextChoices):
    VENDOR = "vendor", _("The vendor")
    TEAM = "team", _("An internal team")


class SlaMetric(models.TextChoices):
    DELIVERY_TIME = "delivery_time", _("Delivery time")
    FRESHNESS = "freshness", _("Freshness")
    AVAILABILITY = "availability", _("Availability")
    MAX_ERROR_RATE = "max_error_rate", _("Maximum error rate")


class Unit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    PERCENT = "percent", "%"


class ResponseUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Field added")
    RENAMED = "renamed", _("Field renamed")
    REMOVED = "removed", _("Field removed")
    RETYPED = "retyped", _("Field retyped")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    OBJECTED = "objected", _("Objected")
