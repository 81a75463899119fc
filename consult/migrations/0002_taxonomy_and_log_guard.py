"""The starting classification taxonomy and purpose list, and on PostgreSQL the trigger that
makes the decision log append-only in the database (core_reject_change, core 0002)."""

from django.db import migrations

CLASSIFICATIONS = [
    (
        "pii.direct",
        "Direct identifier",
        "Identifies a person on its own: e-mail, phone, name.",
        [{"type": "mask", "method": "sha256"}],
    ),
    (
        "pii.quasi",
        "Quasi-identifier",
        "Identifies a person combined with others: birth date, postcode.",
        [],
    ),
    (
        "pii.sensitive",
        "Sensitive personal data",
        "Health, religion, precise location, ...",
        [{"type": "aggregate_only"}],
    ),
    ("financial", "Financial", "Amounts, payment data.", []),
    ("internal", "Internal", "Not for use outside the company.", []),
]

PURPOSES = [
    ("profile_unification", "Profile unification", "Merging sources into one customer profile."),
    ("marketing_campaign", "Marketing campaign", "Selecting and contacting customers."),
    ("analytics", "Analytics", "Aggregate reporting and modelling."),
    ("finance_reporting", "Finance reporting", "Statutory and management accounts."),
]

TRIGGER = (
    "DROP TRIGGER IF EXISTS consult_decisionlog_append_only ON consult_decisionlog;"
    "CREATE TRIGGER consult_decisionlog_append_only BEFORE UPDATE OR DELETE "
    "ON consult_decisionlog FOR EACH ROW EXECUTE FUNCTION core_reject_change();"
)


def seed(apps, schema_editor):
    Classification = apps.get_model("consult", "Classification")
    Purpose = apps.get_model("consult", "Purpose")
    for key, name, description, obligations in CLASSIFICATIONS:
        Classification.objects.get_or_create(
            key=key,
            defaults={"name": name, "description": description, "obligations": obligations},
        )
    for key, name, description in PURPOSES:
        Purpose.objects.get_or_create(key=key, defaults={"name": name, "description": description})


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS consult_decisionlog_append_only ON consult_decisionlog;"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0001_initial"),
        ("core", "0002_roles_and_audit_guard"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, remove_trigger),
    ]
