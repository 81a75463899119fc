"""The audit trail found by request: "what did this one request change" (a bulk upsert writes
thousands of rows under one request id)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_rejects_truncate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="changerecord",
            index=models.Index(fields=["request_id"], name="change_request_idx"),
        ),
    ]
