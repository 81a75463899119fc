"""The audit trail's links: one row per further object a record is about (a bulk request's
record per dataset names its fields), keyed for "what happened to this object". Append-only like
the records: on PostgreSQL the triggers of 0002 and 0003 reject UPDATE, DELETE and TRUNCATE."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "core_changelink"

TRIGGERS = (
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION core_reject_change();"
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};"
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_reject_truncate();"
)


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGERS, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_request_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeLink",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "object_type",
                        "object_id",
                        "record",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("object_type", models.CharField(help_text="app_label.model", max_length=100)),
                ("object_id", models.CharField(max_length=64)),
                (
                    "record",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="links",
                        to="core.changerecord",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
