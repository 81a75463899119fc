"""On PostgreSQL the audit trail also rejects TRUNCATE (0002 rejects UPDATE and DELETE), so no
statement empties it. The one way through is a session that says so on purpose,
`SET core.allow_truncate = on`: the test runner's settings do (Django's test flush empties
tables with TRUNCATE); nothing in the application does."""

from django.db import migrations

REJECT_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION core_reject_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('core.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE is not allowed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = (
    "DROP TRIGGER IF EXISTS core_changerecord_no_truncate ON core_changerecord;"
    "CREATE TRIGGER core_changerecord_no_truncate BEFORE TRUNCATE ON core_changerecord "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_reject_truncate();"
)


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body holds % signs that are not placeholders.
    schema_editor.execute(REJECT_TRUNCATE_FUNCTION, params=None)
    schema_editor.execute(TRIGGER, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS core_changerecord_no_truncate ON core_changerecord;"
        "DROP FUNCTION IF EXISTS core_reject_truncate();",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles_and_audit_guard")]

    operations = [migrations.RunPython(add_trigger, remove_trigger)]
