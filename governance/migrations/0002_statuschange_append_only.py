"""On PostgreSQL, make the workflow history append-only in the database itself, with the trigger
function core's migration created for the audit trail."""

from django.db import migrations


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS governance_statuschange_append_only ON governance_statuschange;"
        "CREATE TRIGGER governance_statuschange_append_only BEFORE UPDATE OR DELETE ON "
        "governance_statuschange FOR EACH ROW EXECUTE FUNCTION core_reject_change();",
        params=None,
    )


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS governance_statuschange_append_only ON governance_statuschange;"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("core", "0002_roles_and_audit_guard"),
    ]

    operations = [migrations.RunPython(add_trigger, remove_trigger)]
