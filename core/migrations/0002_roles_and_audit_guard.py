"""The role groups, the catalog version row, and on PostgreSQL a trigger that makes the audit
trail append-only in the database itself. TRUNCATE stays allowed: it is how Django's test
runner and `flush` empty a database, and it needs the table owner's rights anyway."""

from django.db import migrations

ROLES = ["committee", "steward", "engineer", "vendor", "consumer"]

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION core_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_trigger(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION core_reject_change();"
    )


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    CatalogVersion = apps.get_model("core", "CatalogVersion")
    CatalogVersion.objects.get_or_create(id=1, defaults={"value": 0})


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body holds % signs that are not placeholders.
    schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)
    schema_editor.execute(append_only_trigger("core_changerecord"), params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS core_changerecord_append_only ON core_changerecord;"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, remove_trigger),
    ]
