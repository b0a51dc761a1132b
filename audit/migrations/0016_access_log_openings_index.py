from django.db import migrations, models

from bokvar.migration_ops import add_index_concurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0015_access_log_every_kind_of_entry"),
    ]

    operations = [
        add_index_concurrently(
            "audit.AccessLogEntry",
            models.Index(
                condition=models.Q(
                    models.Q(("how", "list"), _negated=True), ("person_id__isnull", False)
                ),
                fields=["user", "at"],
                name="accesslog_openings",
            ),
        ),
    ]
