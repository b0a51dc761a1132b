from django.db import migrations, models

from bokvar.migration_ops import add_index_concurrently


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0016_access_log_openings_index"),
    ]

    operations = [
        add_index_concurrently(
            "audit.AccessLogEntry",
            models.Index(
                condition=models.Q(
                    ("denied", True),
                    ("protected", True),
                    models.Q(("outside_unit", True), ("via_handover", False)),
                    ("how__in", ["admin", "superuser"]),
                    _connector="OR",
                ),
                fields=["seq"],
                name="accesslog_flagged",
            ),
        ),
    ]
