"""On PostgreSQL the decision log still refuses UPDATE, and refuses DELETE except inside a
transaction that says it is archiving (`SET LOCAL consult.archiving = on`), which only
consult.retention.archive_decisions does, after writing the rows to a file and with an audit
record."""

from django.db import migrations

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION consult_decisionlog_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('consult.archiving', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def trigger(function: str) -> str:
    return (
        "DROP TRIGGER IF EXISTS consult_decisionlog_append_only ON consult_decisionlog;"
        "CREATE TRIGGER consult_decisionlog_append_only BEFORE UPDATE OR DELETE "
        f"ON consult_decisionlog FOR EACH ROW EXECUTE FUNCTION {function}();"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the function body holds % signs that are not placeholders.
        schema_editor.execute(GUARD_FUNCTION, params=None)
        schema_editor.execute(trigger("consult_decisionlog_guard"), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(trigger("core_reject_change"), params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS consult_decisionlog_guard();", params=None)


class Migration(migrations.Migration):
    dependencies = [("consult", "0003_decisionchange")]

    operations = [migrations.RunPython(forward, backward)]
