from django.db import models


class Dialect(models.TextChoices):
    """SQL dialects a job may be written in (sqlglot's names plus the aliases the parser reads)."""

    ANSI = "ansi", "ANSI / generic"
    POSTGRES = "postgres", "PostgreSQL"
    MYSQL = "mysql", "MySQL"
    TSQL = "tsql", "SQL Server (T-SQL)"
    SNOWFLAKE = "snowflake", "Snowflake"
    BIGQUERY = "bigquery", "BigQuery"
    REDSHIFT = "redshift", "Redshift"
    SPARK = "spark", "Spark SQL"
    DATABRICKS = "databricks", "Databricks"
    HIVE = "hive", "Hive"
    ORACLE = "oracle", "Oracle"
    DUCKDB = "duckdb", "DuckDB"
    TRINO = "trino", "Trino"


class ParseStatus(models.TextChoices):
    OK = "ok", "Parsed"
    PARTIAL = "partial", "Partly parsed"
    FAILED = "failed", "Failed to parse"


class VersionOrigin(models.TextChoices):
    SQL = "sql", "SQL submitted"
    OPENLINEAGE = "openlineage", "OpenLineage event"
    REBUILD = "rebuild", "Re-parse by rebuild_lineage"
    DBT = "dbt", "dbt model imported by dbt_import"


class EdgeType(models.TextChoices):
    DIRECT = "DIRECT", "Direct"
    INDIRECT = "INDIRECT", "Indirect"


class SubmissionAction(models.TextChoices):
    SUBMIT = "submit", "Submit as the job's next version"
    CHECK = "check", "Pre-change check (nothing saved)"


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SubmissionPhase(models.TextChoices):
    TABLES = "tables", "Reading the tables"
    COLUMNS = "columns", "Tracing the columns"
    SAVING = "saving", "Recording the result"


class NamespaceStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a steward to name its system"
    RESOLVED = "resolved", "Resolved to a system"


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for its namespaces to be resolved"
    RECORDED = "recorded", "Recorded"
    FAILED = "failed", "Could not be recorded once resolved"
